"""Events from the core: phases beginning (flask civic tick), verification and appeals decided, processes
published in someone's area."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from civic.db import db, utcnow
from civic.notifications import kinds, services
from civic.spaces.models import Phase, Ward
from civic.verification.models import VerificationRequest
from tests.notifications.conftest import kinds_of


def test_a_new_phase_is_told_to_followers_once(app, make_user, make_process):
    now = utcnow()
    process = make_process(phases=[
        {"title": "Ideas", "starts_at": now - timedelta(days=10), "ends_at": now - timedelta(hours=1),
         "allow_propose": True},
        {"title": "Supports", "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=10),
         "allow_support": True},
        {"title": "Answers", "starts_at": now + timedelta(days=10), "ends_at": now + timedelta(days=20),
         "allow_answer": True},
    ])
    follower = make_user()
    services.follow(follower, "process", process.id)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["civic", "tick"])
    assert "phase changes announced: 1" in result.output
    assert "phase changes announced: 0" in runner.invoke(args=["civic", "tick"]).output
    assert kinds_of(follower) == ["process_phase"]


def test_a_verification_decision_reaches_the_centre(make_user):
    resident = make_user()
    ward = db.session.scalars(select(Ward)).first()
    req = VerificationRequest(user_id=resident.id, postcode="W2 1AA", ward_id=ward.id, status="pending")
    db.session.add(req)
    db.session.commit()
    from civic.verification import services as verification

    verification.decide(make_user("officer"), req, True, "Council tax record matches.")
    db.session.commit()  # events are sent after the commit
    assert kinds_of(resident) == ["verification"]
    n = services.page_for(resident, 1)[1][0]
    assert n.sentence == "Your residency verification: approved"


def test_a_published_process_alerts_people_in_its_wards(client_as, make_user, make_process):
    church = db.session.scalars(select(Ward).where(Ward.name == "Church Street")).one()
    watcher = make_user()
    services.save_alerts(watcher, ward_ids=[church.id], programme_ids=[])
    db.session.commit()
    process = make_process(published=False, wards=["Church Street"])
    officer_client, _ = client_as("officer")
    r = officer_client.post(f"/processes/{process.slug}/publish")
    assert r.status_code == 302
    assert kinds_of(watcher) == ["area_process"]


def test_phase_notice_is_skipped_for_unpublished_processes(make_process):
    process = make_process(published=False)
    phase = db.session.scalars(select(Phase).where(Phase.process_id == process.id)).first()
    assert kinds._phase_started(phase) is None


def test_two_builders_with_the_same_name_in_different_modules_are_both_kept():
    from civic.notifications import registry

    def make(module: str):
        def _published(subject, **_):
            return None
        _published.__module__ = module
        return _published

    first, second = make("domain_a.notices"), make("domain_b.notices")
    registry.on("test.same_name")(first)
    registry.on("test.same_name")(second)
    registry.on("test.same_name")(first)  # the same one again: kept once
    try:
        assert registry.builders("test.same_name") == [first, second]
    finally:
        registry.unregister(builders={"test.same_name": [first, second]})
