"""The rules of processes and phases, called as other packages (proposals, comments, demo data) call them."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from civic.db import db
from civic.errors import PermissionDenied, RuleViolation
from civic.spaces import services
from civic.spaces.models import Phase, Process
from tests.spaces.conftest import audit_entries, phase, utc

PHASES = [
    phase("Proposals", utc(2026, 3, 2, 9), utc(2026, 3, 16), "propose", "comment"),
    phase("Evaluation", utc(2026, 3, 16), utc(2026, 4, 1, 8), "answer"),
    phase("Supports", utc(2026, 4, 1, 8), utc(2026, 4, 30, 22, 59), "support", "comment"),
    phase("Results", utc(2026, 6, 1), utc(2026, 7, 1), "answer"),
]


@pytest.fixture
def process(make_process):
    return make_process("Greener Church Street", phases=PHASES)


def refusal(process, action, now) -> str:
    with pytest.raises(RuleViolation) as caught:
        services.require_phase(process, action, now=now)
    return caught.value.message


# What is open when ------------------------------------------------------------------------------------------


def test_active_phase_and_status_at_given_times(process):
    assert [p.title for p in process.phases] == ["Proposals", "Evaluation", "Supports", "Results"]
    cases = [
        (utc(2026, 3, 2, 8, 59), None, "upcoming"),
        (utc(2026, 3, 2, 9), "Proposals", "active"),
        (utc(2026, 3, 15, 23, 59), "Proposals", "active"),
        (utc(2026, 3, 16), "Evaluation", "active"),  # a phase's end is exclusive: the next one has begun
        (utc(2026, 5, 15), None, "active"),  # between two phases
        (utc(2026, 6, 30, 23, 59), "Results", "active"),
        (utc(2026, 7, 1), None, "past"),
    ]
    for now, title, state in cases:
        current = services.active_phase(process, now)
        assert (current.title if current else None, services.status(process, now)) == (title, state), now


def test_is_open_follows_the_phase_and_publication(process, make_process):
    assert services.is_open(process, "propose", now=utc(2026, 3, 10))
    assert not services.is_open(process, "support", now=utc(2026, 3, 10))
    assert services.open_actions(process, now=utc(2026, 4, 10)) == ["support", "comment"]
    draft = make_process(phases=PHASES, published=False)
    assert not services.is_open(draft, "propose", now=utc(2026, 3, 10))
    assert services.status(make_process(phases=[])) == "upcoming"


def test_require_phase_returns_the_open_phase(process):
    assert services.require_phase(process, "support", now=utc(2026, 4, 10)).title == "Supports"


def test_require_phase_says_when_the_action_opens(process):
    # 08:00 UTC on 1 April 2026 is 09:00 on a UK clock (British Summer Time began on 29 March)
    assert refusal(process, "support", utc(2026, 3, 20)) == (
        "Supporting proposals is not open in this phase (Evaluation). It opens on 1 April 2026 at 09:00, "
        "when the “Supports” phase starts.")


def test_require_phase_says_when_the_action_closed(process):
    assert refusal(process, "propose", utc(2026, 3, 20)) == (
        "Making proposals is not open in this phase (Evaluation). It closed on 16 March 2026, at the end of "
        "the “Proposals” phase.")


def test_require_phase_before_between_and_after(process):
    assert refusal(process, "support", utc(2026, 2, 1)) == (
        "Supporting proposals is not open yet: this process has not started. It opens on 1 April 2026 at "
        "09:00, when the “Supports” phase starts.")
    assert refusal(process, "comment", utc(2026, 5, 15)) == (
        "Commenting is not open now: this process is between two phases. It closed on 30 April 2026 at "
        "23:59, at the end of the “Supports” phase.")
    assert refusal(process, "support", utc(2026, 7, 2)) == "This process has ended, so supporting proposals is closed."


def test_require_phase_for_an_action_no_phase_opens(process):
    assert refusal(process, "endorse", utc(2026, 3, 20)) == (
        "Endorsing proposals is not open in this phase (Evaluation). No phase of this process opens it.")


def test_require_phase_refuses_drafts_and_unknown_actions(make_process):
    draft = make_process(phases=PHASES, published=False)
    assert refusal(draft, "propose", utc(2026, 3, 10)) == "This process is not published yet."
    with pytest.raises(ValueError):
        services.require_phase(draft, "nobody_registered_this")


# Creating, without a request --------------------------------------------------------------------------------


def test_create_process_needs_no_request_and_is_audited(officer):
    process = services.create_process(
        officer, title="Clean Air around Schools", subtitle="Where should sensors go?", description="**Tell us**",
        programme_slug="cleantech-city", ward_names=["Pimlico North", "Church Street"], phases=PHASES[:2])
    db.session.flush()
    assert process.slug == "clean-air-around-schools" and process.is_published
    assert [w.name for w in process.wards] == ["Church Street", "Pimlico North"] and not process.whole_city
    assert process.programme.name == "CleanTech City"
    assert [(p.title, p.allows("propose"), p.allows("answer")) for p in process.phases] == [
        ("Proposals", True, False), ("Evaluation", False, True)]
    created = audit_entries("process", process.id)
    assert [(e.action, e.actor_id) for e in created] == [("process.create", officer.id)]
    assert created[0].after["scope"] == ["Church Street", "Pimlico North"]
    assert created[0].after["title"] == "Clean Air around Schools"
    phases = [audit_entries("phase", p.id)[0] for p in process.phases]
    assert [e.action for e in phases] == ["phase.create", "phase.create"]
    assert phases[0].after["actions"] == ["propose", "comment"]


def test_slugs_are_unique(make_process):
    first, second = make_process("Cleaner air"), make_process("Cleaner   Air!")
    assert (first.slug, second.slug) == ("cleaner-air", "cleaner-air-2")
    assert make_process("New").slug == "new-2"  # /processes/new is the creation form


def test_whole_city_when_no_wards(make_process):
    process = make_process(wards=[])
    assert process.whole_city and process.wards == []


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"title": "  "}, "title", "Enter the title of the process."),
    ({"description": ""}, "description", "Describe the process"),
    ({"programme_slug": "space-travel"}, "programme", "Choose the programme"),
    ({"ward_names": ["Atlantis"]}, "wards", "“Atlantis” is not one of Westminster's wards."),
])
def test_create_process_refuses_bad_details(officer, changes, field, message):
    details = {"title": "A process", "description": "Why", "programme_slug": "empowering-people", **changes}
    with pytest.raises(RuleViolation) as caught:
        services.create_process(officer, **details)
    assert caught.value.field == field and message in caught.value.message
    assert db.session.scalar(select(Process).where(Process.title == "A process")) is None


def test_only_officers_manage_processes(make_user, make_process):
    resident = make_user("verified")
    with pytest.raises(PermissionDenied):
        services.create_process(resident, title="Mine", description="x", programme_slug="cleantech-city")
    process = make_process()
    for act in (services.publish, services.unpublish):
        with pytest.raises(PermissionDenied):
            act(resident, process)
    with pytest.raises(PermissionDenied):
        services.add_phase(resident, process, title="More", starts_at=utc(2030, 1, 1), ends_at=utc(2030, 2, 1))
    assert services.may_manage(make_user("admin")) and not services.may_manage(resident)


def test_update_and_publish_are_audited_with_before_and_after(officer, make_process):
    process = make_process("Smart bins", published=False)
    services.update_process(officer, process, title="Smarter bins", subtitle="", description="What the council asks.",
                            programme_slug="innovative-economy", ward_names=["West End"])
    assert process.slug == "smart-bins"  # links already shared keep working
    services.publish(officer, process)
    services.unpublish(officer, process)
    entries = audit_entries("process", process.id)
    assert [e.action for e in entries] == ["process.create", "process.update", "process.publish",
                                           "process.unpublish"]
    update = entries[1]
    assert update.before == {"title": "Smart bins", "programme": "cleantech-city", "scope": "whole city"}
    assert update.after == {"title": "Smarter bins", "programme": "innovative-economy", "scope": ["West End"]}
    assert (entries[2].before, entries[2].after) == ({"published": False}, {"published": True})
    with pytest.raises(RuleViolation, match="already a draft"):
        services.unpublish(officer, process)


# Phases -----------------------------------------------------------------------------------------------------


def test_a_phase_must_end_after_it_starts(officer, make_process):
    process = make_process(phases=[])
    for end in (utc(2026, 1, 1), utc(2025, 12, 31)):
        with pytest.raises(RuleViolation) as caught:
            services.add_phase(officer, process, title="Backwards", starts_at=utc(2026, 1, 1), ends_at=end)
        assert caught.value.field == "ends_at" and "must end after it starts" in caught.value.message
    assert process.phases == []


@pytest.mark.parametrize(("starts_at", "ends_at", "field"), [
    (utc(2026, 3, 10), utc(2026, 3, 20), "starts_at"),  # starts inside "Proposals"
    (utc(2026, 2, 1), utc(2026, 3, 3), "ends_at"),  # runs into "Proposals"
    (utc(2026, 2, 1), utc(2026, 8, 1), "ends_at"),  # covers everything
])
def test_overlapping_phases_are_refused(officer, process, starts_at, ends_at, field):
    with pytest.raises(RuleViolation) as caught:
        services.add_phase(officer, process, title="Extra", starts_at=starts_at, ends_at=ends_at)
    assert caught.value.field == field
    assert "would overlap the “Proposals” phase, which runs from 2 March 2026 at 09:00 until 16 March 2026" \
        in caught.value.message
    assert len(process.phases) == 4


def test_back_to_back_phases_do_not_overlap(officer, process):
    added = services.add_phase(officer, process, title="Gap filler", starts_at=utc(2026, 4, 30, 22, 59),
                               ends_at=utc(2026, 6, 1), allow_comment=True)
    assert [p.title for p in process.phases][-2:] == ["Gap filler", "Results"]
    assert services.active_phase(process, utc(2026, 5, 15)) is added


def test_editing_a_phase_may_keep_its_own_dates_but_not_take_anothers(officer, process):
    supports = process.phases[2]
    services.update_phase(officer, supports, title="Supports", starts_at=supports.starts_at,
                          ends_at=utc(2026, 5, 31), allow_support=True)
    assert supports.ends_at == utc(2026, 5, 31) and not supports.allows("comment")
    with pytest.raises(RuleViolation, match="“Results”"):
        services.update_phase(officer, supports, title="Supports", starts_at=supports.starts_at,
                              ends_at=utc(2026, 6, 2))
    entries = audit_entries("phase", supports.id)
    assert [e.action for e in entries] == ["phase.create", "phase.update"]
    assert entries[1].before["actions"] == ["support", "comment"] and entries[1].after["actions"] == ["support"]
    assert entries[1].after["ends_at"] == "2026-05-31T00:00:00+00:00"


def test_removing_a_phase_is_audited(officer, process):
    results = process.phases[-1]
    phase_id = results.id
    services.remove_phase(officer, results)
    db.session.commit()
    assert db.session.get(Phase, phase_id) is None
    assert [e.action for e in audit_entries("phase", phase_id)] == ["phase.create", "phase.delete"]
    assert audit_entries("phase", phase_id)[1].before["title"] == "Results"


# UK time ----------------------------------------------------------------------------------------------------


def test_uk_times_become_utc():
    assert services.uk_to_utc(date(2026, 1, 15), time(9, 0)) == utc(2026, 1, 15, 9)  # GMT
    assert services.uk_to_utc(date(2026, 7, 15), time(9, 0)) == utc(2026, 7, 15, 8)  # BST
    assert services.uk_to_utc(date(2026, 10, 25), time(1, 30)) == utc(2026, 10, 25, 0, 30)  # the first 01:30
    with pytest.raises(RuleViolation, match="does not exist on 29 March 2026 in the UK") as caught:
        services.uk_to_utc(date(2026, 3, 29), time(1, 30), field="starts_at_time")
    assert caught.value.field == "starts_at_time"
    assert services.when(utc(2026, 7, 15, 8)) == "15 July 2026 at 09:00"
    assert services.when(utc(2026, 7, 14, 23)) == "15 July 2026"  # midnight in the UK


def test_list_query_sorts_processes_into_active_upcoming_past(make_process, make_user, officer):
    now = utc(2026, 5, 1)
    make_process("Running", phases=[phase("A", now - timedelta(days=1), now + timedelta(days=1))])
    make_process("Coming", phases=[phase("A", now + timedelta(days=1), now + timedelta(days=2))])
    make_process("Undated", phases=[])
    make_process("Done", phases=[phase("A", now - timedelta(days=2), now - timedelta(days=1))])
    make_process("Secret", phases=[phase("A", now - timedelta(days=1), now + timedelta(days=1))], published=False)
    resident = make_user("resident")

    def titles(user, which):
        return [p.title for p in db.session.scalars(services.list_query(user, which=which, now=now))]

    assert titles(resident, "active") == ["Running"]
    assert titles(resident, "upcoming") == ["Coming", "Undated"]  # soonest first, undated last
    assert titles(resident, "past") == ["Done"]
    assert sorted(titles(officer, "active")) == ["Running", "Secret"]
    assert titles(resident, None) == ["Done", "Undated", "Coming", "Running"]  # all, latest published first
    assert titles(officer, None)[0] == "Secret"  # drafts (not published) first, for officers
    assert services.status_counts(resident, now=now) == {"active": 1, "upcoming": 2, "past": 1}


def test_the_tabs_count_what_officers_see_in_the_list(make_process, officer):
    """The tabs' counts agree with the lists for staff too (an officer's counts had no FROM for the correlated
    phase dates: "Active (1)" above four active processes)."""
    now = utc(2026, 5, 1)
    for title in ("One", "Two", "Three"):
        make_process(title, phases=[phase("A", now - timedelta(days=1), now + timedelta(days=1))])
    make_process("Draft", phases=[phase("A", now - timedelta(days=1), now + timedelta(days=1))], published=False)
    make_process("Later", phases=[phase("A", now + timedelta(days=1), now + timedelta(days=2))])
    counts = services.status_counts(officer, now=now)
    for which in services.STATUSES:
        assert counts[which] == len(db.session.scalars(services.list_query(officer, which=which, now=now)).all())
    assert counts["active"] >= 4
