"""Phase actions are a registry that domains extend: an action registered here, by a test, is opened on a
phase, gated with require_phase, offered on the officer's form and listed on the process page, without
touching the core."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.db import db, utcnow
from civic.errors import RuleViolation
from civic.spaces import phases, services
from civic.spaces.models import PhaseAction
from tests.spaces.conftest import phase, text, utc


@pytest.fixture
def vote():
    action = phases.register_action("poll", "Voting in the consultation", position=60,
                                    description="Residents can answer the consultation's questions.")
    yield action
    phases.unregister_action("poll")


def test_registering_again_with_the_same_values_is_harmless_and_other_values_are_refused(vote):
    assert phases.register_action("poll", "Voting in the consultation", position=60,
                                  description="Residents can answer the consultation's questions.") is vote
    with pytest.raises(ValueError, match="already registered"):
        phases.register_action("poll", "Voting", position=60)
    with pytest.raises(ValueError, match="already registered"):
        phases.register_action("comment", "Talking")
    for bad in ("Vote", "", "vote now", "x" * 41, "1vote"):
        with pytest.raises(ValueError, match="phase action key"):
            phases.register_action(bad, "Bad")


def test_actions_are_in_order_of_position_then_registration(vote):
    phases.register_action("zz_late", "Late", position=60)
    try:
        assert phases.action_keys() == ["propose", "support", "comment", "endorse", "answer", "vote", "poll", "zz_late"]
        assert phases.ordered({"zz_late", "comment", "poll", "nobody"}) == ["comment", "poll", "zz_late"]
    finally:
        phases.unregister_action("zz_late")
    assert "zz_late" not in phases.action_keys()


def test_a_registered_action_is_opened_on_a_phase_and_gated_by_require_phase(officer, make_process, vote):
    now = utcnow()
    process = make_process(phases=[
        phase("Ideas", now - timedelta(days=5), now - timedelta(days=1), "propose"),
        phase("Ideas again", now - timedelta(days=1), now + timedelta(days=1), "comment"),
        {"title": "Ballot", "starts_at": now + timedelta(days=1), "ends_at": now + timedelta(days=20),
         "actions": ["poll", "comment"]},
    ])
    ballot = process.phases[2]
    assert ballot.actions == {"poll", "comment"} and ballot.allows("poll") and not process.phases[0].allows("poll")
    rows = db.session.scalars(select(PhaseAction.action).where(PhaseAction.phase_id == ballot.id)
                              .order_by(PhaseAction.action)).all()
    assert rows == ["comment", "poll"]
    with pytest.raises(RuleViolation) as refused:
        services.require_phase(process, "poll", now)
    assert str(refused.value).startswith("Voting in the consultation is not open in this phase (Ideas again). "
                                         "It opens on ")
    assert services.require_phase(process, "poll", now + timedelta(days=2)) is ballot
    assert services.open_actions(process, now + timedelta(days=2)) == ["comment", "poll"]

    services.update_phase(officer, ballot, title="Ballot", starts_at=ballot.starts_at, ends_at=ballot.ends_at,
                          actions=["poll"])
    db.session.flush()
    assert db.session.scalars(select(PhaseAction.action).where(PhaseAction.phase_id == ballot.id)).all() == ["poll"]


def test_an_action_nobody_registered_is_an_error(officer, make_process):
    process = make_process()
    with pytest.raises(ValueError, match="unknown phase action 'poll'"):
        services.require_phase(process, "poll")
    with pytest.raises(ValueError, match="unknown phase action 'poll'"):
        process.phases[0].allows("poll")
    with pytest.raises(ValueError, match="unknown phase action 'poll'"):
        services.add_phase(officer, process, title="Ballot", starts_at=utc(2040, 1, 1), ends_at=utc(2040, 2, 1),
                           actions=["poll"])
    with pytest.raises(ValueError, match="unknown phase action 'poll'"):
        services.add_phase(officer, process, title="Ballot", starts_at=utc(2040, 1, 1), ends_at=utc(2040, 2, 1),
                           allow_poll=True)
    with pytest.raises(TypeError, match="poll"):
        services.add_phase(officer, process, title="Ballot", starts_at=utc(2040, 1, 1), ends_at=utc(2040, 2, 1),
                           poll=True)


def test_the_officer_form_offers_each_registered_action_and_saves_it(client_as, make_process, vote):
    client, _officer = client_as("officer")
    process = make_process(phases=[])
    page = client.get(f"/processes/{process.slug}/phases").get_data(as_text=True)
    labels = [text(label) for label in re.findall(
        r'<label[^>]*for="allow_[a-z_]+"[^>]*>(.*?)</label>', page, re.S)]
    assert labels == ["Making proposals", "Supporting proposals", "Commenting", "Endorsing proposals",
                      "Answering proposals", "Voting", "Voting in the consultation"]
    assert "Residents can answer the consultation&#39;s questions." in page
    now = utcnow()
    response = client.post(f"/processes/{process.slug}/phases", data={
        "title": "Ballot", "starts_at": (now - timedelta(days=1)).strftime("%Y-%m-%d"), "starts_at_time": "00:00",
        "ends_at": (now + timedelta(days=3)).strftime("%Y-%m-%d"), "ends_at_time": "00:00", "allow_poll": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [p.actions for p in process.phases] == [{"poll"}]
    show = text(client.get(f"/processes/{process.slug}").get_data(as_text=True))
    assert "Open now Voting in the consultation" in show
    assert "Voting in the consultation : Residents can answer the consultation's questions." in show
    edit = client.get(f"/processes/{process.slug}/phases/{process.phases[0].id}/edit").get_data(as_text=True)
    assert re.search(r'name="allow_poll"[^>]*checked|checked[^>]*name="allow_poll"', edit)
