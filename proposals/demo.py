"""Demo data for proposals: three processes with proposals, supports, comments, endorsements and answers.

``seed()`` is called by ``flask civic seed-demo`` after the core's demo accounts and groups exist. It is
idempotent: residents are found by nickname and a process (with everything in it) is only loaded when a
process with its title's address does not exist yet. Everything is generated from the word lists of
``proposals.demo_data`` with a fixed random seed, so two runs on empty databases give the same data, and
inserted in bulk (a few hundred rows per statement), so it takes well under a few seconds.

The three processes (``demo_data.PROCESSES``; dates relative to the day of seeding):

- CleanTech City, *now in its supports phase* (ideas and supports open, a support limit of 10, a
  threshold of 20);
- Empowering People, *now in its answers phase* (official answers: accepted with a cost, rejected,
  evaluating);
- Extraordinary Experiences, *upcoming* (its proposals phase opens in ten days, for three wards).

Counters (``supports_count``, ``comments_count``, ``endorsements_count``, comment votes and support budgets)
are computed from the rows inserted, so they always equal them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from civic.accounts import roles
from civic.accounts.models import User, UserRole
from civic.comments.models import Comment, CommentVote
from civic.db import db, utcnow
from civic.groups.models import Group
from civic.spaces import services as spaces
from civic.spaces.models import Process, Ward
from proposals import settings as proposal_settings
from proposals.demo_data import (
    ACCEPTED,
    BENEFITS,
    CLOSINGS,
    COMMENTS,
    DELIVERY,
    EVALUATING,
    FIRST_NAMES,
    IDEAS,
    LAST_NAMES,
    MEASURES,
    OPENINGS,
    PROBLEMS,
    PROCESSES,
    REJECTED,
    REPLIES,
    WARD_PLACES,
)
from proposals.models import (
    Category,
    Endorsement,
    Proposal,
    ProposalCategoryLink,
    Support,
    SupportBudget,
)

SEED = 2026
RESIDENTS = 60


def seed() -> None:
    """Load the demo processes that are missing (idempotent)."""
    rng = random.Random(SEED)
    wards = {w.name: w for w in db.session.scalars(select(Ward))}
    if not wards:
        return
    residents = _residents(rng, wards)
    staff = {u.nickname: u for u in db.session.scalars(
        select(User).where(User.nickname.in_(("demo_verified", "demo_organiser", "demo_officer"))))}
    groups = list(db.session.scalars(select(Group).order_by(Group.id).limit(2)))
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    for spec in PROCESSES:
        if db.session.scalar(select(Process.id).where(Process.slug == spaces.slugify(spec["title"]))) is not None:
            continue
        process = _process(spec, now)
        categories = _categories(process, spec)
        if spec["proposals"]:
            _Loader(random.Random(f"{SEED}-{spec['key']}"), spec, process, categories, wards, residents,
                    staff, groups, now).run()
    db.session.flush()
    _notifications()


def _notifications() -> None:
    """The demo resident follows a few answered, talked-about proposals and has their news (idempotent)."""
    from civic.notifications import services as notifications
    from civic.notifications.models import Follow, Notification

    resident = db.session.scalar(select(User).where(User.nickname == "demo_resident"))
    if resident is None or db.session.scalar(select(Follow.id).where(Follow.user_id == resident.id)):
        return
    chosen = db.session.scalars(select(Proposal).where(
        Proposal.state == "published", Proposal.answer_state != "not_answered", Proposal.comments_count > 0)
        .order_by(Proposal.comments_count.desc(), Proposal.id).limit(3)).all()
    for proposal in chosen:
        notifications.follow(resident, "proposal", proposal.id)
        notifications.handle("proposal.answered", proposal, officer_id=proposal.answered_by_id)
        for comment in db.session.scalars(select(Comment).where(
                Comment.resource_type == "proposal", Comment.resource_id == proposal.id,
                Comment.hidden_at.is_(None), Comment.deleted_at.is_(None))
                .order_by(Comment.created_at.desc()).limit(2)):
            notifications.handle("comment.created", comment, resource_type="proposal", resource_id=proposal.id)
    # Demo history: nothing of it is to be mailed; the oldest half is read.
    mine = db.session.scalars(select(Notification.id).where(Notification.user_id == resident.id)
                              .order_by(Notification.id)).all()
    db.session.execute(update(Notification).where(Notification.emailed_at.is_(None)).values(emailed_at=utcnow()))
    db.session.execute(update(Notification).where(Notification.id.in_(mine[: len(mine) // 2]))
                       .values(read_at=utcnow()))
    notifications.discard_after_commit(db.session())


def _residents(rng: random.Random, wards: dict[str, Ward]) -> list[tuple[int, int]]:
    """About 60 confirmed, verified demo residents without a password: (user id, ward id) pairs."""
    names = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    names = names[:RESIDENTS]
    nicknames = [f"{f}_{last}".lower() for f, last in names]
    existing = {u.nickname: u for u in db.session.scalars(select(User).where(User.nickname.in_(nicknames)))}
    ward_ids = [wards[name].id for name in sorted(wards)]
    rows = []
    for (first, last), nickname in zip(names, nicknames, strict=True):
        ward_id = ward_ids[rng.randrange(len(ward_ids))]
        if nickname not in existing:
            rows.append({"nickname": nickname, "display_name": f"{first} {last}",
                         "email": f"{first}.{last}@residents.civic.example.org".lower(),
                         "email_confirmed_at": utcnow() - timedelta(days=200), "password_hash": None,
                         "ward_id": ward_id})
    if rows:
        ids = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows).all()
        db.session.execute(insert(UserRole), [{"user_id": i, "role": roles.VERIFIED} for i in ids])
    users = db.session.execute(select(User.id, User.ward_id).where(User.nickname.in_(nicknames))
                               .order_by(User.id)).all()
    return [(uid, ward_id or ward_ids[0]) for uid, ward_id in users]


def _process(spec: dict[str, Any], now: datetime) -> Process:
    phases = []
    for title, start, end, actions, description in spec["phases"]:
        phase = {"title": title, "description": description, "starts_at": now + timedelta(days=start),
                 "ends_at": now + timedelta(days=end)}
        phase.update({f"allow_{a}": True for a in actions})
        phases.append(phase)
    process = spaces.create_process(None, title=spec["title"], subtitle=spec["subtitle"],
                                    description=spec["description"], programme_slug=spec["programme"],
                                    ward_names=spec["wards"], phases=phases, published=True)
    process.published_at = now + timedelta(days=min(p[1] for p in spec["phases"]) - 14)
    settings = proposal_settings.get_or_create_settings(process)
    for name, value in spec["settings"].items():
        setattr(settings, name, value)
    db.session.flush()
    return process


def _categories(process: Process, spec: dict[str, Any]) -> dict[str, int]:
    rows = [{"process_id": process.id, "slug": spaces.slugify(name), "name": name} for name in spec["categories"]]
    ids = db.session.scalars(insert(Category).returning(Category.id, sort_by_parameter_order=True), rows).all()
    return dict(zip(spec["categories"], ids, strict=True))


class _Loader:
    """Proposals, supports, endorsements, comments and answers of one process, in bulk."""

    def __init__(self, rng: random.Random, spec: dict[str, Any], process: Process, categories: dict[str, int],
                 wards: dict[str, Ward], residents: list[tuple[int, int]], staff: dict[str, User],
                 groups: list[Group], now: datetime) -> None:
        self.rng, self.spec, self.process, self.categories = rng, spec, process, categories
        self.wards, self.residents, self.staff, self.groups, self.now = wards, residents, staff, groups, now
        propose = next(p for p in spec["phases"] if "propose" in p[3])
        self.propose_from = now + timedelta(days=propose[1])
        self.propose_until = min(now, now + timedelta(days=propose[2])) - timedelta(hours=2)
        self.ward_by_id = {w.id: name for name, w in wards.items()}

    def _between(self, start: datetime, end: datetime) -> datetime:
        span = max(60, int((end - start).total_seconds()))
        return start + timedelta(seconds=self.rng.randrange(span))

    def run(self) -> None:
        proposals = self._proposals()
        visible = [p for p in proposals if p["state"] == "published"]
        supports = self._supports(visible)
        endorsements = self._endorsements(visible)
        comments = self._comments(visible)
        self._answers(visible)
        self._counters(proposals, supports, endorsements, comments)

    # Proposals ------------------------------------------------------------------------------------------

    def _text(self, template: str, ward: str, street: str, place: str) -> str:
        return template.format(ward=ward, street=street, place=place, years=self.rng.randrange(3, 40))

    def _proposals(self) -> list[dict[str, Any]]:
        rng, ideas = self.rng, IDEAS[self.spec["key"]]
        authors = [uid for uid, _ward in self.residents]
        extra_authors = [self.staff[n].id for n in ("demo_verified", "demo_organiser") if n in self.staff]
        ward_names = sorted(self.wards)
        rows, titles, links = [], set(), []
        while len(rows) < self.spec["proposals"]:
            ward = ward_names[rng.randrange(len(ward_names))]
            (lat, lon), streets, places = WARD_PLACES[ward]
            street, place = rng.choice(streets), rng.choice(places)
            title_t, plan, cats = ideas[rng.randrange(len(ideas))]
            title = self._text(title_t, ward, street, place)
            title = title[0].upper() + title[1:]
            if title in titles or not 15 <= len(title) <= 150:
                continue
            titles.add(title)
            problem = rng.choice(PROBLEMS[cats[0]])
            body = "\n\n".join(filter(None, (
                f"{self._text(rng.choice(OPENINGS), ward, street, place)} {problem}",
                f"**What I propose:** {plan}.",
                f"{rng.choice(BENEFITS)} {rng.choice(MEASURES)}",
                rng.choice(CLOSINGS))))
            published = self._between(self.propose_from, self.propose_until)
            n = len(rows)
            author = extra_authors[n % len(extra_authors)] if extra_authors and n % 25 == 3 else rng.choice(authors)
            state = "published"
            if self.spec["key"] == "cleantech" and n % 40 == 17:
                state = "withdrawn"
            if self.spec["key"] == "cleantech" and n % 55 == 8 and extra_authors:
                state, author = "draft", extra_authors[0]
            located = rng.random() < 0.8
            rows.append({
                "process_id": self.process.id, "author_id": author, "title": title, "body": body,
                "ward_id": self.wards[ward].id,
                "latitude": round(lat + rng.uniform(-0.004, 0.004), 6) if located else None,
                "longitude": round(lon + rng.uniform(-0.006, 0.006), 6) if located else None,
                "address": f"{street}, London" if located else "",
                "state": state, "answer_state": "not_answered", "answer_text": "", "answer_delivery": "",
                "created_at": published - timedelta(minutes=rng.randrange(5, 300)),
                "published_at": None if state == "draft" else published,
                "withdrawn_at": published + timedelta(days=2) if state == "withdrawn" else None,
                "supports_count": 0, "comments_count": 0, "endorsements_count": 0,
            })
            links.append([c for c in cats if c in self.categories])
        ids = db.session.scalars(insert(Proposal).returning(Proposal.id, sort_by_parameter_order=True), rows).all()
        link_rows = []
        for pid, row, cats in zip(ids, rows, links, strict=True):
            row["id"] = pid
            link_rows += [{"proposal_id": pid, "category_id": self.categories[c]} for c in cats]
        if link_rows:
            db.session.execute(insert(ProposalCategoryLink), link_rows)
        return rows

    # Supports and endorsements --------------------------------------------------------------------------

    def _support_window(self) -> tuple[datetime, datetime]:
        phase = next(p for p in self.spec["phases"] if "support" in p[3])
        return self.now + timedelta(days=phase[1]), min(self.now, self.now + timedelta(days=phase[2]))

    def _supports(self, visible: list[dict[str, Any]]) -> dict[int, list[datetime]]:
        rng = self.rng
        low, high = self.spec["supports_per_resident"]
        start, end = self._support_window()
        weights = [rng.paretovariate(1.3) for _ in visible]
        rows, budgets = [], []
        published = {p["id"]: p["published_at"] for p in visible}
        given: dict[int, list[datetime]] = defaultdict(list)
        for uid, _ward in self.residents:
            want = rng.randint(low, high)
            chosen: set[int] = set()
            for _ in range(want * 4):
                if len(chosen) >= want:
                    break
                proposal = rng.choices(visible, weights)[0]
                if proposal["author_id"] != uid:
                    chosen.add(proposal["id"])
            for pid in sorted(chosen):
                at = self._between(max(start, published[pid]), end)
                rows.append({"proposal_id": pid, "user_id": uid, "process_id": self.process.id, "counted": True,
                             "created_at": at})
                given[pid].append(at)
            if chosen:
                budgets.append({"process_id": self.process.id, "user_id": uid, "used": len(chosen)})
        if rows:
            db.session.execute(insert(Support), rows)
            db.session.execute(insert(SupportBudget), budgets)
        return given

    def _endorsements(self, visible: list[dict[str, Any]]) -> dict[int, int]:
        rng = self.rng
        rows = []
        count: dict[int, int] = defaultdict(int)
        for proposal in rng.sample(visible, k=min(len(visible), len(visible) // 4)):
            endorsers = rng.sample(self.residents, k=rng.randint(1, 4))
            for uid, _ward in endorsers:
                rows.append({"proposal_id": proposal["id"], "user_id": uid, "endorser_key": f"u:{uid}",
                             "created_at": self._between(proposal["published_at"], self.now)})
                count[proposal["id"]] += 1
            if self.groups and rng.random() < 0.3:
                group = rng.choice(self.groups)
                if group.created_by_id:
                    rows.append({"proposal_id": proposal["id"], "user_id": group.created_by_id,
                                 "group_id": group.id, "endorser_key": f"g:{group.id}",
                                 "created_at": self._between(proposal["published_at"], self.now)})
                    count[proposal["id"]] += 1
        if rows:
            db.session.execute(insert(Endorsement), rows)
        return count

    # Comments -------------------------------------------------------------------------------------------

    def _comments(self, visible: list[dict[str, Any]]) -> dict[int, int]:
        rng = self.rng
        count: dict[int, int] = defaultdict(int)
        people = [uid for uid, _ward in self.residents]
        top, meta = [], []
        for proposal in rng.sample(visible, k=min(len(visible), max(1, len(visible) // 3))):
            street = WARD_PLACES[self.ward_by_id[proposal["ward_id"]]][1][0]
            for _ in range(rng.randint(1, 4)):
                alignment = rng.choice((1, 1, 1, 0, 0, -1))
                at = self._between(proposal["published_at"], self.now)
                top.append({"resource_type": "proposal", "resource_id": proposal["id"], "parent_id": None,
                            "depth": 0, "author_id": rng.choice(people), "alignment": alignment, "created_at": at,
                            "body": rng.choice(COMMENTS[alignment]).format(street=street),
                            "up_votes": 0, "down_votes": 0})
                meta.append(proposal["id"])
                count[proposal["id"]] += 1
        if not top:
            return count
        top_ids = db.session.scalars(insert(Comment).returning(Comment.id, sort_by_parameter_order=True),
                                     top).all()
        parents = list(zip(top_ids, top, meta, strict=True))
        for depth in (1, 2):
            replies, reply_meta = [], []
            for parent_id, parent, pid in parents:
                if rng.random() < (0.45 if depth == 1 else 0.3):
                    at = self._between(parent["created_at"], max(self.now, parent["created_at"]))
                    replies.append({"resource_type": "proposal", "resource_id": pid, "parent_id": parent_id,
                                    "depth": depth, "author_id": rng.choice(people), "alignment": 0,
                                    "created_at": at, "body": rng.choice(REPLIES), "up_votes": 0,
                                    "down_votes": 0})
                    reply_meta.append(pid)
                    count[pid] += 1
            if not replies:
                break
            ids = db.session.scalars(insert(Comment).returning(Comment.id, sort_by_parameter_order=True),
                                     replies).all()
            parents = list(zip(ids, replies, reply_meta, strict=True))
        self._votes([(cid, row["author_id"]) for cid, row in zip(top_ids, top, strict=True)], people)
        return count

    def _votes(self, comments: list[tuple[int, int]], people: list[int]) -> None:
        rng = self.rng
        rows = []
        tally: dict[int, list[int]] = {}
        for cid, author in comments:
            up = down = 0
            for uid in rng.sample([p for p in people if p != author], k=rng.randint(0, 6)):
                value = 1 if rng.random() < 0.75 else -1
                rows.append({"comment_id": cid, "user_id": uid, "value": value})
                up, down = up + (value == 1), down + (value == -1)
            if up or down:
                tally[cid] = [up, down]
        if rows:
            db.session.execute(insert(CommentVote), rows)
            db.session.execute(update(Comment), [{"id": cid, "up_votes": up, "down_votes": down}
                                                 for cid, (up, down) in tally.items()])

    # Official answers -----------------------------------------------------------------------------------

    def _answers(self, visible: list[dict[str, Any]]) -> None:
        answer = next((p for p in self.spec["phases"] if "answer" in p[3]), None)
        if answer is None or answer[1] > 0:
            return  # answering has not started in this process
        rng = self.rng
        officer = self.staff.get("demo_officer")
        start = self.now + timedelta(days=answer[1])
        rows = []
        for n, proposal in enumerate(sorted(visible, key=lambda p: p["id"])):
            kind = ("accepted", "rejected", "evaluating", "evaluating", "not_answered", "accepted", "rejected",
                    "not_answered", "evaluating", "not_answered")[n % 10]
            if kind == "not_answered":
                continue
            row = {"id": proposal["id"], "answer_state": kind, "answered_at": self._between(start, self.now),
                   "answered_by_id": officer.id if officer else None, "answer_cost": None, "answer_delivery": ""}
            if kind == "accepted":
                row["answer_text"] = rng.choice(ACCEPTED)
                row["answer_cost"] = Decimal(rng.randrange(4, 250) * 1000)
                row["answer_delivery"] = rng.choice(DELIVERY)
            else:
                row["answer_text"] = rng.choice(REJECTED if kind == "rejected" else EVALUATING)
            rows.append(row)
        if rows:
            db.session.execute(update(Proposal), rows)

    # Counters -------------------------------------------------------------------------------------------

    def _counters(self, proposals: list[dict[str, Any]], supports: dict[int, list[datetime]],
                  endorsements: dict[int, int], comments: dict[int, int]) -> None:
        threshold = self.spec["settings"].get("threshold", 0)
        rows = []
        for p in proposals:
            given = sorted(supports.get(p["id"], []))
            reached = given[threshold - 1] if threshold and len(given) >= threshold else None
            if given or endorsements.get(p["id"]) or comments.get(p["id"]):
                rows.append({"id": p["id"], "supports_count": len(given),
                             "endorsements_count": endorsements.get(p["id"], 0),
                             "comments_count": comments.get(p["id"], 0), "threshold_reached_at": reached})
        if rows:
            db.session.execute(update(Proposal), rows)
