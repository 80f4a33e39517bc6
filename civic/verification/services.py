"""Residency verification rules: the hashed register, self-service matching, manual review, revocation.

Postcode and date of birth are never stored in the register: only
HMAC-SHA256(pepper, "POSTCODE|YYYY-MM-DD"), with the pepper from ``REGISTER_PEPPER``
(or the secret key). A register entry verifies one account at most: the UNIQUE
``claimed_by_id`` and a conditional ``UPDATE ... WHERE claimed_by_id IS NULL`` keep
that true when two accounts try the same details at the same moment.

An entry stays claimed when its account is deleted. When the same resident verifies a new account with it, the
entry passes to the new account and the deleted account's participation moves with it (the ``"transferred"``
account event, :mod:`civic.accounts.lifecycle`): one register entry never gives a second budget.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import PurePath

from flask import current_app
from flask_babel import format_datetime
from sqlalchemy import Select, case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from civic import events, mail, policy
from civic.accounts import lifecycle, roles
from civic.accounts.models import User, UserRole
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import DomainError, NotFound, RuleViolation, TooManyAttempts
from civic.spaces.models import PostcodeSector, Ward
from civic.verification.models import RegisterEntry, RegisterUpload, VerificationAttempt, VerificationRequest

# Normalisation --------------------------------------------------------------------------------------------

POSTCODE_MESSAGE = "Enter a postcode like W2 1AA"
#: Outward code (area, district, optional sub-district letter) and inward code (sector digit and unit
#: letters; the unit never uses C, I, K, M, O or V).
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][ABD-HJLNP-UW-Z]{2})$")
MIN_AGE, MAX_AGE = 16, 120
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


if "verification.decided" not in events.event_types():
    events.declare("verification.decided", "An officer decided a manual verification request (subject: the request)")


def normalise_postcode(raw: str | None, field_name: str = "postcode") -> str:
    """``" w21aa "`` -> ``"W2 1AA"``; raises RuleViolation for anything that is not a UK postcode."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    match = POSTCODE_RE.match(compact)
    if not match:
        raise RuleViolation(POSTCODE_MESSAGE, field=field_name)
    return f"{match.group(1)} {match.group(2)}"


def postcode_sector(postcode: str) -> str:
    """``"W2 1AA"`` -> ``"W2 1"`` (the outward code and the first character of the inward code)."""
    return postcode[:-2]


def parse_date(raw: str | date | None) -> date | None:
    """A date from ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (``D/M/YYYY`` too); None when it is not one."""
    if isinstance(raw, date):
        return raw
    text = (raw or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def normalise_date_of_birth(raw: str | date | None, field_name: str = "date_of_birth",
                            today: date | None = None) -> date:
    born = parse_date(raw)
    if born is None:
        raise RuleViolation("Enter your date of birth like 27/3/1985.", field=field_name)
    today = today or utcnow().date()
    if born >= today:
        raise RuleViolation("Your date of birth must be in the past.", field=field_name)
    age = age_on(born, today)
    if age < MIN_AGE:
        raise RuleViolation(f"You must be {MIN_AGE} or over to verify your residency.", field=field_name)
    if age > MAX_AGE:
        raise RuleViolation("Check the year of your date of birth.", field=field_name)
    return born


def _pepper() -> bytes:
    cfg = current_app.config
    return (cfg.get("REGISTER_PEPPER") or cfg["SECRET_KEY"]).encode()


def lookup_hash(postcode: str, born: date) -> str:
    """HMAC-SHA256 of ``"POSTCODE|YYYY-MM-DD"`` (normalised values), hex."""
    message = f"{postcode}|{born.isoformat()}".encode()
    return hmac.new(_pepper(), message, hashlib.sha256).hexdigest()


def ward_for_postcode(postcode: str) -> Ward | None:
    """The ward the shipped postcode-sector table gives for a postcode, if any."""
    return db.session.scalar(select(Ward).join(PostcodeSector, PostcodeSector.ward_id == Ward.id)
                             .where(PostcodeSector.sector == postcode_sector(postcode)))


def wards() -> list[Ward]:
    return list(db.session.scalars(select(Ward).order_by(Ward.name)))


def _lock_user(user: User) -> None:
    """Serialise one person's verification writes (a row lock on PostgreSQL) and re-read the account,
    so a second request that waited sees what the first one did."""
    db.session.execute(select(User).where(User.id == user.id).with_for_update(of=User)
                       .execution_options(populate_existing=True))


def _grant_verified(user: User, ward_id: int, granted_by: User | None) -> None:
    user.ward_id = ward_id
    if roles.VERIFIED not in user.role_names:
        user.role_rows.append(UserRole(role=roles.VERIFIED, granted_by_id=granted_by.id if granted_by else None))
    db.session.flush()
    db.session.expire(user, ["ward"])


def _state(user: User) -> dict:
    ward_name = db.session.scalar(select(Ward.name).where(Ward.id == user.ward_id)) if user.ward_id else None
    return {"roles": sorted(user.role_names), "ward": ward_name}


# The register (admin upload) ------------------------------------------------------------------------------

REQUIRED_COLUMNS = ("postcode", "date_of_birth", "ward")
MAX_REPORTED_ERRORS = 200


@dataclass
class RowError:
    line: int
    reason: str
    #: What the line said, for the admin's report on the page or in its CSV (never stored).
    value: str = ""


@dataclass
class UploadResult:
    upload: RegisterUpload | None  # None when the file was only checked
    added: int
    duplicates: int
    errors: list[RowError] = field(default_factory=list)
    rejected: int = 0
    #: Rows whose postcode and date of birth are already in the register (or earlier in the file) with another
    #: ward: left as they were (unless the register is replaced), and listed.
    conflicts: list[RowError] = field(default_factory=list)
    #: Replacing: entries not in the new file, removed; entries whose ward the new file changed.
    removed: int = 0
    changed: int = 0
    checked_only: bool = False
    replaced: bool = False
    filename: str = ""


def _ward_key(name: str) -> str:
    return " ".join(name.replace("\u2019", "'").casefold().split())


def _insert_ignoring_duplicates(rows: list[dict]) -> None:
    """Bulk insert; an entry another upload added meanwhile is skipped, not an error."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(RegisterEntry).on_conflict_do_nothing(index_elements=["lookup_hash"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(RegisterEntry).on_conflict_do_nothing(index_elements=["lookup_hash"])
    else:  # pragma: no cover - Civic runs on SQLite and PostgreSQL
        stmt = insert(RegisterEntry)
    for start in range(0, len(rows), 1000):
        db.session.execute(stmt, rows[start:start + 1000])


def _existing_wards(hashes: Iterable[str]) -> dict[str, int]:
    """{lookup hash: ward id} of the entries already in the register among ``hashes`` (in chunks of 500)."""
    found: dict[str, int] = {}
    chunk: list[str] = []
    for h in [*hashes, None]:
        if h is not None:
            chunk.append(h)
        if chunk and (h is None or len(chunk) == 500):
            found.update(db.session.execute(select(RegisterEntry.lookup_hash, RegisterEntry.ward_id)
                                            .where(RegisterEntry.lookup_hash.in_(chunk))).all())
            chunk = []
    return found


def register_size() -> tuple[int, int]:
    """(entries in the register, entries that verified an account): one query."""
    total, claimed = db.session.execute(select(func.count(), func.count(RegisterEntry.claimed_by_id))).one()
    return int(total or 0), int(claimed or 0)


def upload_register(actor: User, filename: str, data: bytes, *, check_only: bool = False,
                    replace: bool = False) -> UploadResult:
    """Add the residents in a CSV (``postcode,date_of_birth,ward``) to the register.

    Bad rows are reported by line number, reason and what the line said, and left out; good rows are kept;
    rows already in the register are skipped and counted; the same postcode and date of birth with another ward
    (in the register, or earlier in the file) is a *conflict*, listed and left as it was. ``check_only``: the
    same report, nothing written. ``replace``: the file becomes the whole register — entries not in it are
    removed (people already verified stay verified), conflicts take the file's ward. Only counts reach the
    audit log, never the data.
    """
    policy.require(actor, "register.upload")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleViolation("The file must be a CSV saved as UTF-8 text.", field="file") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    ward_ids = {_ward_key(w.name): w.id for w in wards()}
    today = utcnow().date()
    errors: list[RowError] = []
    good: dict[str, int] = {}  # lookup hash -> ward id, first occurrence wins
    first_line: dict[str, int] = {}
    conflicts: list[RowError] = []
    ward_names = {w.id: w.name for w in wards()}
    repeated = 0
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank line
            if header is None:
                header = [cell.strip().lstrip("\ufeff").lower().replace(" ", "_") for cell in row]
                missing = [c for c in REQUIRED_COLUMNS if c not in header]
                if missing:
                    raise RuleViolation("The first line must be the header postcode,date_of_birth,ward "
                                        f"(missing: {', '.join(missing)}).", field="file")
                index = {c: header.index(c) for c in REQUIRED_COLUMNS}
                continue
            line = reader.line_num
            said = ",".join(row)[:200]
            if len(row) < len(header):
                errors.append(RowError(line, f"expected {len(header)} columns, found {len(row)}", said))
                continue
            raw_postcode, raw_born, raw_ward = (row[index[c]].strip() for c in REQUIRED_COLUMNS)
            problems = []
            try:
                postcode = normalise_postcode(raw_postcode)
            except RuleViolation:
                problems.append("the postcode is not a UK postcode like W2 1AA")
            born = parse_date(raw_born)
            if born is None:
                problems.append("the date of birth is not a date like 1985-03-27 or 27/03/1985")
            elif born >= today or age_on(born, today) > MAX_AGE:
                problems.append("the date of birth is in the future or more than 120 years ago")
            ward_id = ward_ids.get(_ward_key(raw_ward))
            if ward_id is None:
                problems.append(f"unknown ward {raw_ward[:60]!r}" if raw_ward else "the ward is missing")
            if problems:
                errors.append(RowError(line, "; ".join(problems), said))
                continue
            h = lookup_hash(postcode, born)
            if h in good:
                repeated += 1
                if good[h] != ward_id:
                    conflicts.append(RowError(line, f"the same postcode and date of birth as line {first_line[h]}, "
                                                    f"with another ward ({ward_names[good[h]]}): line "
                                                    f"{first_line[h]} is kept", said))
            else:
                good[h], first_line[h] = ward_id, line
    except csv.Error as e:
        errors.append(RowError(reader.line_num, f"the file is not valid CSV ({e})"))
    if header is None:
        raise RuleViolation("The file is empty. The first line must be the header postcode,date_of_birth,ward.",
                            field="file")
    if not good and not errors:
        raise RuleViolation("The file has a header but no residents.", field="file")

    existing = _existing_wards(good)
    different = {h: w for h, w in good.items() if h in existing and existing[h] != w}
    if not replace:
        for h, w in different.items():
            conflicts.append(RowError(first_line[h], f"already in the register for {ward_names[existing[h]]}; this "
                                                     f"line says {ward_names[w]}: not changed"))
    conflicts.sort(key=lambda c: c.line)
    name = PurePath(filename or "register.csv").name[:200]
    if check_only:
        new = sum(1 for h in good if h not in existing)
        return UploadResult(upload=None, added=new, duplicates=len(good) - new + repeated,
                            errors=errors[:MAX_REPORTED_ERRORS], rejected=len(errors), conflicts=conflicts,
                            changed=len(different) if replace else 0, checked_only=True, replaced=replace,
                            filename=name)
    upload = RegisterUpload(uploaded_by_id=actor.id, filename=name)
    db.session.add(upload)
    db.session.flush()
    removed = changed = 0
    if replace:
        gone = [i for i, h in db.session.execute(select(RegisterEntry.id, RegisterEntry.lookup_hash)) if h not in good]
        for start in range(0, len(gone), 500):  # in chunks: a register is large, a statement's parameters are not
            db.session.execute(delete(RegisterEntry).where(RegisterEntry.id.in_(gone[start:start + 500]))
                               .execution_options(synchronize_session=False))
        removed = len(gone)
        for h, w in different.items():
            db.session.execute(update(RegisterEntry).where(RegisterEntry.lookup_hash == h).values(ward_id=w)
                               .execution_options(synchronize_session=False))
        changed = len(different)
    _insert_ignoring_duplicates([{"lookup_hash": h, "ward_id": w, "upload_id": upload.id}
                                 for h, w in good.items() if h not in existing])
    added = db.session.scalar(select(func.count()).where(RegisterEntry.upload_id == upload.id)) or 0
    duplicates = len(good) - added + repeated
    upload.rows_added, upload.rows_skipped, upload.rows_rejected = added, duplicates, len(errors)
    db.session.flush()
    after = {"added": added, "duplicates": duplicates, "rejected": len(errors), "conflicts": len(conflicts)}
    if replace:
        after.update(replaced=True, removed=removed, changed=changed)
    audit(actor, "register.upload", "register_upload", upload.id, label=upload.filename, after=after)
    return UploadResult(upload=upload, added=added, duplicates=duplicates, errors=errors[:MAX_REPORTED_ERRORS],
                        rejected=len(errors), conflicts=conflicts[:MAX_REPORTED_ERRORS], removed=removed,
                        changed=changed, replaced=replace, filename=name)


def uploads_query() -> Select:
    return select(RegisterUpload).order_by(RegisterUpload.uploaded_at.desc(), RegisterUpload.id.desc())


# Self-service ---------------------------------------------------------------------------------------------

NO_MATCH = ("We could not find these details in the residents register. Check them and try again, "
            "or ask for a manual check.")
#: Details that verified another (living) account get the answer of details not in the register: saying
#: "already used" would tell anyone who knows a postcode and a date of birth that this person has a verified
#: account. The officer of a manual check sees the difference (``register_check``).
ALREADY_CLAIMED = NO_MATCH


class NoMatch(RuleViolation):
    """The details are not in the register: the person may ask for a manual check."""


class AlreadyClaimed(NoMatch):
    """The details verified another account (answered as :class:`NoMatch`)."""


def _attempt_window() -> timedelta:
    return timedelta(hours=24)


def attempts_left(user: User) -> int:
    since = utcnow() - _attempt_window()
    used = db.session.scalar(select(func.count()).where(VerificationAttempt.user_id == user.id,
                                                        VerificationAttempt.at >= since)) or 0
    return max(0, current_app.config["VERIFY_MAX_ATTEMPTS_PER_DAY"] - used)


def _check_attempt_limit(user: User) -> None:
    limit = current_app.config["VERIFY_MAX_ATTEMPTS_PER_DAY"]
    since = utcnow() - _attempt_window()
    used, oldest = db.session.execute(
        select(func.count(), func.min(VerificationAttempt.at))
        .where(VerificationAttempt.user_id == user.id, VerificationAttempt.at >= since)).one()
    if used >= limit:
        again = oldest + _attempt_window()
        raise TooManyAttempts(
            f"You have tried {limit} times in the last 24 hours. To protect the register you can try again "
            f"after {format_datetime(again, 'HH:mm')} on {format_datetime(again, 'd MMMM yyyy')}, "
            "or ask for a manual check now.")


def verify_with_register(user: User, postcode: str, date_of_birth: str | date) -> Ward:
    """Match postcode and date of birth against the register; on a match claim the entry, set the
    ward and add the verified role. Every checked attempt is recorded (the caller commits it even when
    this raises NoMatch or AlreadyClaimed)."""
    policy.require(user, "verification.request")
    postcode = normalise_postcode(postcode)
    born = normalise_date_of_birth(date_of_birth)
    _lock_user(user)
    policy.require(user, "verification.request")
    _check_attempt_limit(user)
    entry = db.session.scalar(select(RegisterEntry).where(RegisterEntry.lookup_hash == lookup_hash(postcode, born)))
    attempt = VerificationAttempt(user_id=user.id, matched=entry is not None)
    db.session.add(attempt)
    db.session.flush()
    if entry is None:
        raise NoMatch(NO_MATCH)
    previous = claim_entry(entry, user)
    before = _state(user)
    _grant_verified(user, entry.ward_id, None)
    _close_pending_request(user, "Verified with the residents register.")
    ward = db.session.get(Ward, entry.ward_id)
    # The register, not a person, decided: the entry has no actor (and the log never blocks deleting the user).
    audit(None, "verification.match", "user", user.id, label=f"@{user.nickname}", before=before,
          after=_state(user), reason="Matched an entry in the residents register.")
    if previous is not None:
        _transfer(previous, user)
    return ward


def claim_entry(entry: RegisterEntry, user: User) -> User | None:
    """Claim ``entry`` for ``user``: free, already theirs, or claimed by a deleted account (whose participation
    then moves to ``user``: the caller runs :func:`_transfer`). Returns that deleted account, or None.

    Raises AlreadyClaimed when another account that still exists holds it, or took it a moment ago.
    """
    holder_id = entry.claimed_by_id
    if holder_id == user.id:
        return None
    previous = None
    if holder_id is not None:
        previous = db.session.get(User, holder_id)
        if previous is None or previous.deleted_at is None:
            raise AlreadyClaimed(ALREADY_CLAIMED)
    # A stale claim by this account (none should exist) would break the UNIQUE: release it first.
    db.session.execute(update(RegisterEntry).where(RegisterEntry.claimed_by_id == user.id)
                       .values(claimed_by_id=None, claimed_at=None)
                       .execution_options(synchronize_session=False))
    held = RegisterEntry.claimed_by_id.is_(None) if holder_id is None else RegisterEntry.claimed_by_id == holder_id
    won = db.session.execute(
        update(RegisterEntry).where(RegisterEntry.id == entry.id, held)
        .values(claimed_by_id=user.id, claimed_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if won != 1:  # another account claimed it between our read and our write
        raise AlreadyClaimed(ALREADY_CLAIMED)
    db.session.expire(entry)
    return previous


def _transfer(previous: User, user: User) -> None:
    """Move what the deleted account ``previous`` did as this resident to ``user`` (each domain's handler)."""
    lifecycle.run("transferred", previous, user)
    audit(None, "verification.transfer", "user", user.id, label=f"@{user.nickname}",
          before={"account": previous.id}, after={"account": user.id},
          reason="The register entry had verified an account that was deleted since: its participation "
                 "(supports and their budgets) moved to this account.")


# Manual requests ------------------------------------------------------------------------------------------


def pending_request(user: User) -> VerificationRequest | None:
    return db.session.scalar(select(VerificationRequest).where(VerificationRequest.user_id == user.id,
                                                               VerificationRequest.status == "pending"))


def latest_request(user: User) -> VerificationRequest | None:
    return db.session.scalar(select(VerificationRequest).where(VerificationRequest.user_id == user.id)
                             .order_by(VerificationRequest.created_at.desc(), VerificationRequest.id.desc())
                             .limit(1))


def _close_pending_request(user: User, reason: str) -> None:
    db.session.execute(update(VerificationRequest)
                       .where(VerificationRequest.user_id == user.id, VerificationRequest.status == "pending")
                       .values(status="withdrawn", decided_at=utcnow(), reason=reason)
                       .execution_options(synchronize_session="fetch"))


def request_manual(user: User, postcode: str, ward_id: int | str | None, date_of_birth: str | date | None,
                   statement: str) -> VerificationRequest:
    """Ask an officer to verify residency by hand; one pending request at a time."""
    policy.require(user, "verification.request")
    postcode = normalise_postcode(postcode)
    try:
        ward = db.session.get(Ward, int(ward_id)) if ward_id not in (None, "") else None
    except (TypeError, ValueError):
        ward = None
    if ward is None:
        raise RuleViolation("Choose the ward you live in.", field="ward")
    born = normalise_date_of_birth(date_of_birth) if date_of_birth not in (None, "") else None
    statement = (statement or "").strip()
    if not statement:
        raise RuleViolation("Tell the officer how you live in Westminster.", field="statement")
    _lock_user(user)
    policy.require(user, "verification.request")
    if pending_request(user) is not None:
        raise RuleViolation("You already have a request waiting for an officer. You can withdraw it and "
                            "send a new one.")
    req = VerificationRequest(user_id=user.id, ward_id=ward.id, postcode=postcode, date_of_birth=born,
                              statement=statement[:2000])
    db.session.add(req)
    db.session.flush()
    return req


def withdraw(user: User, req: VerificationRequest) -> None:
    if req.user_id != user.id:
        raise NotFound("We could not find that request.")
    done = db.session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == req.id, VerificationRequest.status == "pending")
        .values(status="withdrawn", decided_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise RuleViolation("This request has already been decided or withdrawn.")
    db.session.refresh(req)


# Officers -------------------------------------------------------------------------------------------------

STATUSES = ("pending", "approved", "refused", "withdrawn")


def queue_query(status: str | None = None, text: str = "") -> Select:
    """Requests for the officers' queue: pending first (oldest first), then the rest (newest first); ``text``:
    words of the person's name, nickname or email, or of the postcode."""
    pending = VerificationRequest.status == "pending"
    stmt = (select(VerificationRequest)
            .options(joinedload(VerificationRequest.decided_by))
            .order_by(case((pending, 0), else_=1), case((pending, VerificationRequest.created_at)),
                      VerificationRequest.created_at.desc(), VerificationRequest.id.desc()))
    if status in STATUSES:
        stmt = stmt.where(VerificationRequest.status == status)
    text = " ".join((text or "").split())
    if text:
        like = f"%{text.lower().lstrip('@')}%"
        people = select(User.id).where(func.lower(User.display_name).like(like) | User.nickname.like(like)
                                       | func.lower(User.email).like(like))
        stmt = stmt.where(VerificationRequest.user_id.in_(people)
                          | func.lower(VerificationRequest.postcode).like(f"%{text.lower()}%"))
    return stmt


def sector_wards(postcodes: Iterable[str]) -> dict[str, Ward]:
    """{sector: ward} for the sectors of these postcodes, in one query."""
    sectors = {postcode_sector(p) for p in postcodes if p}
    if not sectors:
        return {}
    rows = db.session.execute(select(PostcodeSector.sector, Ward).join(Ward, PostcodeSector.ward_id == Ward.id)
                              .where(PostcodeSector.sector.in_(sectors)))
    return {sector: ward for sector, ward in rows}


@dataclass
class RegisterCheck:
    """What the register says about a request's postcode and date of birth, for the officer."""

    entry: RegisterEntry | None
    claimed_by: User | None


def register_check(req: VerificationRequest) -> RegisterCheck | None:
    """None when the request has no date of birth (the register cannot be searched without one)."""
    if req.date_of_birth is None:
        return None
    entry = db.session.scalar(select(RegisterEntry).options(joinedload(RegisterEntry.ward))
                              .where(RegisterEntry.lookup_hash == lookup_hash(req.postcode, req.date_of_birth)))
    claimed_by = db.session.get(User, entry.claimed_by_id) if entry and entry.claimed_by_id else None
    return RegisterCheck(entry=entry, claimed_by=claimed_by)


def decide(officer: User, req: VerificationRequest, approve: bool, reason: str) -> None:
    """Approve (ward + verified role) or refuse a pending request, with a reason the resident sees."""
    policy.require(officer, "verification.decide", req)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("Give a reason: the resident will see it.", field="reason")
    if req.user_id == officer.id:
        raise RuleViolation("You cannot decide your own request. Ask another officer.")
    status = "approved" if approve else "refused"
    done = db.session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == req.id, VerificationRequest.status == "pending")
        .values(status=status, decided_at=utcnow(), decided_by_id=officer.id, reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise RuleViolation("This request has already been decided or withdrawn.")
    db.session.refresh(req)
    user = req.user
    before = {"status": "pending", **_state(user)}
    previous = None
    if approve:
        _grant_verified(user, req.ward_id, officer)
        check = register_check(req)
        if check is not None and check.claimed_by is not None and check.claimed_by.deleted_at is not None:
            # The resident's register entry verified an account of theirs that was deleted: it passes to this
            # account with its participation, as in self-service (no second budget).
            previous = claim_entry(check.entry, user)
    # Logged against the person, so it shows in their history beside roles and revocations.
    audit(officer, f"verification.{'approve' if approve else 'refuse'}", "user", user.id,
          label=f"@{user.nickname} (request {req.id})", before={"request": req.id, **before},
          after={"request": req.id, "status": status, **_state(user)}, reason=reason)
    if previous is not None:
        _transfer(previous, user)
    if user.email:
        subject = ("Your residency is verified" if approve
                   else "We could not verify your residency")
        mail.send(user.email, subject, "verification_decided", user=user, approved=approve, reason=reason,
                  ward=req.ward, url=mail.link("verification.start"))
    events.publish("verification.decided", req, approved=approve, actor_id=officer.id)


BULK_LIMIT = 50


def bulk_decide(officer: User, ids: Iterable[int], approve: bool, reason: str
                ) -> tuple[list[VerificationRequest], list[tuple[str, str]]]:
    """One decision with one reason on many requests: each goes through :func:`decide` (audit entry, mail, event)
    in a savepoint of its own; one that is refused (already decided or withdrawn, the officer's own, unknown) is
    listed with the reason and the others go on. Returns (requests done, [(who, why) refused])."""
    policy.require(officer, "verification.decide")
    wanted = sorted({i for i in ids if isinstance(i, int) and 0 < i < 2**31})
    if not wanted:
        raise RuleViolation("Tick at least one request.", field="ids")
    if len(wanted) > BULK_LIMIT:
        raise RuleViolation(f"Choose at most {BULK_LIMIT} requests at once.", field="ids")
    if not (reason or "").strip():
        raise RuleViolation("Give a reason: the residents will see it.", field="reason")
    found = {r.id: r for r in db.session.scalars(
        select(VerificationRequest).where(VerificationRequest.id.in_(wanted))
        .options(joinedload(VerificationRequest.user)))}
    done: list[VerificationRequest] = []
    refused: list[tuple[str, str]] = []
    for request_id in wanted:
        req = found.get(request_id)
        if req is None:
            refused.append((f"request {request_id}", "There is no such request."))
            continue
        who = f"@{req.user.nickname}"
        try:
            with db.session.begin_nested():
                decide(officer, req, approve, reason)
        except DomainError as e:
            refused.append((who, e.message))
        else:
            done.append(req)
    return done, refused


# Admins ---------------------------------------------------------------------------------------------------


def revoke(admin: User, user: User, reason: str) -> None:
    """Remove the verified role and the ward, and release the register entry so it can be used again."""
    policy.require(admin, "verification.revoke", user)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("Say why, for the audit log.", field="reason")
    if not user.is_verified:
        raise RuleViolation(f"@{user.nickname} is not a verified resident.")
    before = _state(user)
    for row in [r for r in user.role_rows if r.role == roles.VERIFIED]:
        user.role_rows.remove(row)
    user.ward_id = None
    released = release_register_entry(user)
    db.session.flush()
    db.session.expire(user, ["ward"])
    audit(admin, "verification.revoke", "user", user.id, label=f"@{user.nickname}", before=before,
          after={**_state(user), "register_entry_released": bool(released)}, reason=reason)


def release_register_entry(user: User) -> bool:
    """Free the register entry this account used (on revocation), so the same resident can verify another
    account. True when there was one. (A deleted account keeps its claim: see :func:`claim_entry`.)"""
    return db.session.execute(
        update(RegisterEntry).where(RegisterEntry.claimed_by_id == user.id)
        .values(claimed_by_id=None, claimed_at=None).execution_options(synchronize_session=False)).rowcount > 0
