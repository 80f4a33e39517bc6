"""The proposals demo: three processes in three states, ~200 proposals, counters equal to the rows, idempotent."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from civic.accounts.models import User
from civic.cli import seed_demo_data
from civic.comments.models import Comment, CommentVote
from civic.db import db
from civic.spaces.models import Process
from civic.spaces.services import active_phase, is_open, status
from proposals import demo, demo_data
from proposals.models import Category, Endorsement, Proposal, ProposalSettings, Support, SupportBudget


def demo_processes() -> dict[str, Process]:
    titles = {spec["title"]: spec["key"] for spec in demo_data.PROCESSES}
    return {titles[p.title]: p for p in db.session.scalars(select(Process).where(Process.title.in_(titles)))}


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in
            (User, Process, Proposal, Category, Support, SupportBudget, Endorsement, Comment, CommentVote,
             ProposalSettings)}


def test_seed_builds_three_living_processes_quickly(app):
    started = time.monotonic()
    seed_demo_data(password="demo password for tests")
    db.session.flush()
    assert time.monotonic() - started < 10  # in practice well under two seconds
    processes = demo_processes()
    assert set(processes) == {"cleantech", "empowering", "experiences"}
    cleantech, empowering, experiences = processes["cleantech"], processes["empowering"], processes["experiences"]

    assert status(cleantech) == "active" and is_open(cleantech, "support") and is_open(cleantech, "propose")
    assert status(empowering) == "active" and is_open(empowering, "answer") and not is_open(empowering, "support")
    assert active_phase(empowering).title == "Official answers"
    assert status(experiences) == "upcoming" and active_phase(experiences) is None
    assert [w.name for w in experiences.wards] == ["Marylebone", "St James's", "West End"]
    assert all(p.is_published for p in processes.values())

    proposals = db.session.scalars(select(Proposal).where(
        Proposal.process_id.in_([p.id for p in processes.values()]))).all()
    assert 190 <= len(proposals) <= 210
    assert len({p.ward_id for p in proposals}) >= 15  # spread across the wards
    assert all(15 <= len(p.title) <= 150 for p in proposals)
    assert len({p.title for p in proposals}) == len(proposals)
    assert all(p.categories for p in proposals)
    assert {p.state for p in proposals} == {"published", "withdrawn", "draft"}
    located = [p for p in proposals if p.latitude is not None]
    assert len(located) > 100 and all(51.48 < p.latitude < 51.54 and -0.22 < p.longitude < -0.12 for p in located)

    answered = [p for p in proposals if p.process_id == empowering.id]
    states = {s: sum(p.answer_state == s for p in answered) for s in ("accepted", "rejected", "evaluating")}
    assert all(n >= 5 for n in states.values()), states
    accepted = [p for p in answered if p.answer_state == "accepted"]
    assert all(p.answer_cost and p.answer_delivery and p.answer_text and p.answered_at for p in accepted)
    assert all(p.answer_state == "not_answered" for p in proposals if p.process_id == cleantech.id)

    assert sum(p.supports_count for p in proposals) > 200
    assert any(p.threshold_reached_at for p in proposals)
    assert sum(p.comments_count for p in proposals) > 50
    assert sum(p.endorsements_count for p in proposals) > 20
    assert db.session.scalar(select(func.count()).select_from(Endorsement).where(Endorsement.group_id.is_not(None)))

    demo_residents = db.session.scalars(select(User).where(User.email.like("%@residents.civic.example.org"))).all()
    assert len(demo_residents) == demo.RESIDENTS
    assert all(u.is_verified and u.email_confirmed and u.password_hash is None and u.ward_id for u in demo_residents)


def test_counters_equal_the_rows(app):
    seed_demo_data(password="demo password for tests")
    db.session.flush()
    supports = dict(db.session.execute(select(Support.proposal_id, func.count()).where(Support.counted)
                                       .group_by(Support.proposal_id)).all())
    endorsements = dict(db.session.execute(select(Endorsement.proposal_id, func.count())
                                           .group_by(Endorsement.proposal_id)).all())
    comments = dict(db.session.execute(
        select(Comment.resource_id, func.count()).where(Comment.resource_type == "proposal",
                                                        Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))
        .group_by(Comment.resource_id)).all())
    for p in db.session.scalars(select(Proposal)):
        assert p.supports_count == supports.get(p.id, 0), p.title
        assert p.endorsements_count == endorsements.get(p.id, 0), p.title
        assert p.comments_count == comments.get(p.id, 0), p.title
    used = dict(db.session.execute(select(SupportBudget.user_id * 100000 + SupportBudget.process_id,
                                          SupportBudget.used)).all())
    given = dict(db.session.execute(select(Support.user_id * 100000 + Support.process_id, func.count())
                                    .group_by(Support.user_id, Support.process_id)).all())
    assert used == given
    for process_id, limit in db.session.execute(select(ProposalSettings.process_id, ProposalSettings.support_limit)):
        over = db.session.scalar(select(func.count()).select_from(SupportBudget).where(
            SupportBudget.process_id == process_id, SupportBudget.used > limit))
        assert limit == 0 or over == 0
    votes = db.session.execute(select(CommentVote.comment_id, CommentVote.value)).all()
    tally: dict[int, list[int]] = {}
    for cid, value in votes:
        tally.setdefault(cid, [0, 0])[0 if value == 1 else 1] += 1
    for c in db.session.scalars(select(Comment)):
        assert [c.up_votes, c.down_votes] == tally.get(c.id, [0, 0])
    # Nobody supports their own proposal, nobody votes on their own comment, replies sit under their parent.
    own = db.session.scalar(select(func.count()).select_from(Support).join(Proposal, Proposal.id == Support.proposal_id)
                            .where(Proposal.author_id == Support.user_id))
    assert own == 0
    parents = {c.id: c for c in db.session.scalars(select(Comment))}
    for c in parents.values():
        if c.parent_id:
            parent = parents[c.parent_id]
            assert c.depth == parent.depth + 1 and c.resource_id == parent.resource_id
            assert c.created_at >= parent.created_at


def test_seeding_twice_changes_nothing(app):
    seed_demo_data(password="demo password for tests")
    db.session.flush()
    before = counts()
    seed_demo_data(password="demo password for tests")
    db.session.flush()
    assert counts() == before


def test_supports_fall_within_the_support_phase_and_after_publication(app):
    seed_demo_data(password="demo password for tests")
    db.session.flush()
    processes = demo_processes()
    for key in ("cleantech", "empowering"):
        process = processes[key]
        phase = next(p for p in process.phases if p.allows("support"))
        rows = db.session.execute(select(Support.created_at, Proposal.published_at)
                                  .join(Proposal, Proposal.id == Support.proposal_id)
                                  .where(Support.process_id == process.id)).all()
        assert rows
        assert all(phase.starts_at <= at < phase.ends_at and at >= published for at, published in rows)


def test_the_demo_resident_has_news_to_read_and_nothing_waits_to_be_mailed(app):
    from civic.notifications import services
    from civic.notifications.models import Notification

    seed_demo_data(password="demo password for tests")
    resident = db.session.scalar(select(User).where(User.nickname == "demo_resident"))
    page, items = services.page_for(resident, 1)
    assert page.total >= 3 and services.unread_count(resident) > 0
    assert any("The council answered" in i.sentence for i in items)
    assert db.session.scalar(select(Notification.id).where(Notification.emailed_at.is_(None))) is None
