"""Casting a ballot, online or on paper: the roll entry, the ballot and the receipt in one transaction.

The rules, in order: the person may vote (verified, of the consultation's wards), the consultation is open (and,
as a process's component, its phase opens ``vote``), every answer is valid for its question, and the person is
not on the roll yet. The roll's unique (consultation, person) and (consultation, register entry) keep the last
rule under concurrency: of parallel submissions by one person exactly one is recorded, the others are refused.

Nothing written to the ballot box names the person or the moment: a random key, the consultation, the choices.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from civic import policy
from civic.accounts import roles
from civic.accounts.models import User, UserRole
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import NotFound, PermissionDenied, RuleViolation
from civic.spaces.services import require_phase, when
from civic.verification import services as verification
from civic.verification.models import RegisterEntry
from consultations import kinds
from consultations.models import Ballot, Choice, Consultation, Receipt, RollEntry
from consultations.policy import ward_refusal
from consultations.services import EVENT_MAX

#: Receipt codes: 16 characters of an alphabet without look-alikes (0/O, 1/I/L), shown in groups of four.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 16


def new_receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def shown(code: str) -> str:
    """``ABCD-EFGH-JKMN-PQRS``."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise_receipt(raw: str | None) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


# Reading the answers ----------------------------------------------------------------------------------------


def answers_from_form(consultation: Consultation, form: Any) -> dict[int, Any]:
    """Each question's answer in its JSON shape, read from a web form by its kind (refusals name the field)."""
    return {q.id: kinds.get(q.kind).from_form(q, form) for q in consultation.questions}


def check_answers(consultation: Consultation, answers: Mapping[Any, Any]) -> dict[int, list[tuple[int, int | None]]]:
    """Rows for every question, or a RuleViolation naming the first bad one. Keys are question ids (ints or
    digit strings, as JSON gives them); an answer to a question of another consultation is refused."""
    if not isinstance(answers, Mapping):
        raise RuleViolation(_("Send the answers as an object of question ids."), field="answers")
    by_id = {q.id: q for q in consultation.questions}
    given: dict[int, Any] = {}
    for key, value in answers.items():
        qid = int(key) if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) < 11 else key
        if not isinstance(qid, int) or isinstance(qid, bool) or qid not in by_id:
            raise RuleViolation(_("%(key)s is not a question of this consultation.", key=str(key)[:40]),
                                field="answers")
        given[qid] = value
    return {q.id: kinds.get(q.kind).check(q, given.get(q.id)) for q in consultation.questions}


# Who may vote -----------------------------------------------------------------------------------------------


def timing_refusal(consultation: Consultation) -> str | None:
    """Why nobody can vote now (not published, not open yet, closed, the process's phase), or None."""
    now = utcnow()
    if not consultation.is_published:
        return _("This consultation is not published.")
    if consultation.hidden_at is not None:
        return _("This consultation was hidden by moderation.")
    if now < consultation.opens_at:
        return _("Voting opens on %(when)s.", when=when(consultation.opens_at))
    if now >= consultation.closes_at:
        return _("Voting closed on %(when)s.", when=when(consultation.closes_at))
    if consultation.process is not None:
        try:
            require_phase(consultation.process, "vote")
        except RuleViolation as e:
            return e.message
    return None


def roll_entry(consultation: Consultation, user: Any) -> RollEntry | None:
    """The person's entry on the roll (by account, or by the register entry they verified with), or None: one
    statement (the register entry is a subquery)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(RollEntry).where(
        RollEntry.consultation_id == consultation.id,
        or_(RollEntry.user_id == user.id, RollEntry.register_entry_id.in_(_claimed_entry(user)))).limit(1))


def _voted_message(entry: RollEntry) -> str:
    if entry.channel == "paper":
        return _("You have already voted in this consultation, on paper at %(event)s.", event=entry.event_name)
    return _("You have already voted in this consultation (on %(when)s). A ballot is final.",
             when=when(entry.voted_at))


def voter_refusal(user: Any, consultation: Consultation, entry: RollEntry | None | bool = False) -> str | None:
    """Why this person cannot vote now, or None: the page says it, and :func:`cast` refuses with it. ``entry``:
    the person's roll entry when the caller has already read it (the page), else it is read here."""
    timing = timing_refusal(consultation)
    if timing:
        return timing
    if not getattr(user, "is_authenticated", False):
        return _("Sign in as a verified resident to vote.")
    if not policy.can(user, "consultation.vote", consultation):
        try:
            policy.require(user, "consultation.vote", consultation)
        except PermissionDenied as e:
            return e.message
    if entry is False:
        entry = roll_entry(consultation, user)
    if entry is not None:
        return _voted_message(entry)
    return None


def _claimed_entry(user: Any) -> Select:
    """The register entry the person verified with (``claimed_by_id`` is unique), as a subquery: the roll's
    statements read it in the database, no round trip of its own."""
    return select(RegisterEntry.id).where(RegisterEntry.claimed_by_id == user.id)


# Casting ----------------------------------------------------------------------------------------------------


def cast(user: Any, consultation: Consultation, answers: Mapping[Any, Any]) -> str:
    """Record the person's ballot; returns the receipt code (shown once). Refusals say why, nothing half-kept.

    The roll decides whether the person has voted: its ``INSERT ... ON CONFLICT DO NOTHING`` writes no row for
    someone already on it (by account or by register entry), and only then is their entry read, to say when and
    how they voted (or, when the answers are refused, to say first that they have voted). No read of the roll
    before the insert on the way in: it would only repeat what the insert decides."""
    policy.require(user, "consultation.vote", consultation)
    timing = timing_refusal(consultation)
    if timing:
        raise RuleViolation(timing)
    try:
        rows = check_answers(consultation, answers)
    except RuleViolation:
        entry = roll_entry(consultation, user)  # someone who has voted is told so first, whatever they sent
        if entry is not None:
            raise RuleViolation(_voted_message(entry)) from None
        raise
    try:
        return _into_the_box(consultation, rows, {"user_id": user.id,
                                                  "register_entry_id": _claimed_entry(user).scalar_subquery(),
                                                  "ward_id": user.ward_id, "channel": "online"})
    except AlreadyOnRoll as e:
        entry = roll_entry(consultation, user)
        raise RuleViolation(_voted_message(entry) if entry is not None else e.message) from None


class AlreadyOnRoll(RuleViolation):
    """The roll already holds this person: nothing was written."""


def _into_the_box(consultation: Consultation, rows: dict[int, list[tuple[int, int | None]]],
                  entry: dict[str, Any]) -> str:
    """The roll entry, the ballot, its choices and a receipt, in the caller's transaction. The roll's unique
    constraints decide, under concurrency too: ``INSERT ... ON CONFLICT DO NOTHING`` writes no row for a person
    already on the roll (a racer that lost waits for the winner's commit, then writes nothing), and then nothing
    else is written. Five statements: the roll, the ballot, its choices (one ``executemany``), the receipt, the
    turnout."""
    values = {"consultation_id": consultation.id, "voted_at": utcnow(), "event_name": "", **entry}
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    roll = RollEntry.__table__  # the tables' own inserts: no ORM bulk machinery on the way (a few ms a ballot)
    added = db.session.execute(dialect.insert(roll).values(**values).on_conflict_do_nothing()
                               .returning(roll.c.id)).scalar()
    if added is None:
        raise AlreadyOnRoll(_("You have already voted in this consultation. A ballot is final."))
    key = secrets.token_hex(16)
    db.session.execute(insert(Ballot.__table__).values(id=key, consultation_id=consultation.id))
    choices = [{"ballot_id": key, "question_id": qid, "option_id": option_id, "rank": rank}
               for qid, answer in rows.items() for option_id, rank in answer]
    if choices:  # one executemany (the ORM's bulk insert would split the rows by which of them have a rank)
        db.session.execute(insert(Choice.__table__), choices)
    code = new_receipt()
    db.session.execute(insert(Receipt.__table__).values(code=code, consultation_id=consultation.id))
    counted = db.session.execute(update(Consultation).where(Consultation.id == consultation.id,
                                                            Consultation.closes_at > utcnow())
                                 .values(turnout=Consultation.turnout + 1))
    if not counted.rowcount:  # it closed while this request ran: nothing of it is kept (the request rolls back)
        raise RuleViolation(_("Voting closed on %(when)s.", when=when(consultation.closes_at)))
    return code


# Paper ballots ----------------------------------------------------------------------------------------------


@dataclass
class PaperVoter:
    """Someone found for a paper ballot: an account, a register entry, or both."""

    user: User | None
    entry: RegisterEntry | None
    ward_id: int | None
    label: str


def find_by_name(officer: Any, consultation: Consultation, name: str, limit: int = 20) -> list[User]:
    """Verified accounts whose name or nickname contains ``name`` (officers entering paper ballots)."""
    policy.require(officer, "consultation.manage", consultation)
    words = (name or "").strip()
    if len(words) < 2:
        raise RuleViolation(_("Enter at least two letters of the name."), field="name")
    pattern = f"%{words.lower()}%"
    stmt = (select(User).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == roles.VERIFIED, User.deleted_at.is_(None),
                   or_(func.lower(User.display_name).like(pattern), User.nickname.like(pattern)))
            .order_by(User.display_name).limit(limit))
    return list(db.session.scalars(stmt).unique())


def find_in_register(officer: Any, consultation: Consultation, postcode: str, born: str | date) -> PaperVoter:
    """The register entry for a postcode and date of birth (the register keeps only their hash)."""
    policy.require(officer, "consultation.manage", consultation)
    code = verification.normalise_postcode(postcode)
    day = verification.parse_date(born)
    if day is None:
        raise RuleViolation(_("Enter the date of birth like 27/3/1985."), field="date_of_birth")
    entry = db.session.scalar(select(RegisterEntry).where(RegisterEntry.lookup_hash
                                                          == verification.lookup_hash(code, day)))
    if entry is None:
        raise RuleViolation(_("Nobody with that postcode and date of birth is in the residents register."),
                            field="postcode")
    user = db.session.get(User, entry.claimed_by_id) if entry.claimed_by_id else None
    return PaperVoter(user=user, entry=entry, ward_id=entry.ward_id,
                      label=user.display_name if user else _("Register entry in %(ward)s", ward=entry.ward.name))


def paper_voter_for_user(officer: Any, consultation: Consultation, user_id: int) -> PaperVoter:
    policy.require(officer, "consultation.manage", consultation)
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound(_("We could not find that person."))
    if not user.is_verified:
        raise RuleViolation(_("%(name)s is not a verified resident.", name=user.display_name))
    entry = db.session.scalar(select(RegisterEntry).where(RegisterEntry.claimed_by_id == user.id))
    return PaperVoter(user=user, entry=entry, ward_id=user.ward_id, label=user.display_name)


def cast_paper(officer: Any, consultation: Consultation, voter: PaperVoter, event_name: str,
               answers: Mapping[Any, Any]) -> str:
    """An officer puts a paper ballot from a community event into the same box; returns its receipt code."""
    policy.require(officer, "consultation.manage", consultation)
    event_name = (event_name or "").strip()
    if not event_name:
        raise RuleViolation(_("Enter the name of the event where the ballot was collected."), field="event_name")
    if len(event_name) > EVENT_MAX:
        raise RuleViolation(_("Keep the event's name to %(n)d characters.", n=EVENT_MAX), field="event_name")
    timing = timing_refusal(consultation)
    if timing:
        raise RuleViolation(timing)
    refusal = ward_refusal(consultation, voter.ward_id)
    if refusal:
        raise RuleViolation(refusal)
    rows = check_answers(consultation, answers)
    clauses = []
    if voter.user is not None:
        clauses.append(RollEntry.user_id == voter.user.id)
    if voter.entry is not None:
        clauses.append(RollEntry.register_entry_id == voter.entry.id)
    existing = db.session.scalar(select(RollEntry).where(RollEntry.consultation_id == consultation.id,
                                                         or_(*clauses)))
    if existing is not None:
        how = _("online") if existing.channel == "online" else _("on paper at %(event)s", event=existing.event_name)
        raise RuleViolation(_("%(name)s has already voted in this consultation (%(how)s).", name=voter.label,
                              how=how))
    try:
        code = _into_the_box(consultation, rows, {
            "user_id": voter.user.id if voter.user else None,
            "register_entry_id": voter.entry.id if voter.entry else None, "ward_id": voter.ward_id,
            "channel": "paper", "event_name": event_name, "entered_by_id": officer.id})
    except RuleViolation:
        raise RuleViolation(_("%(name)s has already voted in this consultation.", name=voter.label)) from None
    audit(officer, "consultation.paper_ballot", "consultation", consultation.id, label=consultation.title,
          after={"event": event_name})
    return code


# Receipts ---------------------------------------------------------------------------------------------------


def receipt_counted(consultation: Consultation, raw: str | None) -> bool:
    """Whether this receipt is in the consultation's list (proof that a ballot went into the box, not of what)."""
    code = normalise_receipt(raw)
    if len(code) != RECEIPT_LENGTH:
        raise RuleViolation(_("Enter the receipt code as it was shown, like ABCD-EFGH-JKMN-PQRS."), field="code")
    return db.session.scalar(select(Receipt.code).where(Receipt.consultation_id == consultation.id,
                                                        Receipt.code == code)) is not None
