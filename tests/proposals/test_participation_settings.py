"""The per-process settings page: every setting with its help, categories, audit log, officers only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, select

from civic.audit import AuditEntry
from civic.db import db
from civic.errors import RuleViolation
from proposals import categories, supports
from proposals import settings as proposal_settings
from proposals.models import Category, Proposal, ProposalCategoryLink, ProposalSettings

FORM = {"support_limit": "0", "min_supports": "0", "threshold": "0", "proposal_limit": "0",
        "verified_only": "y", "edit_window_minutes": "10"}


def value_of(html: str, name: str) -> str:
    """The value of the text box ``name`` in a page."""
    found = re.search(rf'<input[^>]* name="{name}"[^>]*>', html)
    assert found, f"no input {name}"
    value = re.search(r' value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


def settings_of(process) -> ProposalSettings:
    db.session.expire_all()
    return db.session.scalars(select(ProposalSettings).where(ProposalSettings.process_id == process.id)).one()


def audit_of(process, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "process",
                                                            AuditEntry.object_id == process.id,
                                                            AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


def category_names(process) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Category.name).where(Category.process_id == process.id)
                                   .order_by(Category.name)))


def test_the_page_explains_every_setting(make_process, client_as):
    process = make_process()
    client, _ = client_as("officer")
    page = client.get(f"/processes/{process.slug}/proposals/settings")
    assert page.status_code == 200
    for label, help_text in [
        ("Supports each participant may give", "0 means no limit."),
        ("Supports a participant must give before theirs count", "0 means supports count from the first."),
        ("Threshold of supports per proposal", "0 means no threshold."),
        ("Close supporting when a proposal reaches the threshold", "supports go on beyond it"),
        ("Proposals each participant may publish", "0 means no limit."),
        ("Only verified residents may support", "must verify their residency"),
        ("Only residents of a proposal&#39;s ward may support it", "their own ward"),
        ("Minutes authors may edit after publishing", "0 means no editing after publishing."),
    ]:
        assert label in page.text and help_text in page.text


def settings_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(ProposalSettings))


def test_viewing_the_settings_shows_the_defaults_and_writes_nothing(make_process, client_as):
    process = make_process()
    db.session.execute(delete(ProposalSettings).where(ProposalSettings.process_id == process.id))
    db.session.commit()
    rows = settings_rows()
    client, _ = client_as("admin")
    page = client.get(f"/processes/{process.slug}/proposals/settings")
    assert page.status_code == 200
    assert value_of(page.text, "edit_window_minutes") == "10"
    assert value_of(page.text, "support_limit") == "0"
    assert " checked " in re.search(r'<input[^>]* name="verified_only"[^>]*>', page.text).group(0)
    db.session.expire_all()
    assert settings_rows() == rows
    assert db.session.scalar(select(ProposalSettings.id).where(ProposalSettings.process_id == process.id)) is None


def test_the_first_save_creates_the_row_from_the_defaults(make_process, client_as):
    process = make_process()
    db.session.execute(delete(ProposalSettings).where(ProposalSettings.process_id == process.id))
    db.session.commit()
    rows = settings_rows()
    client, _ = client_as("admin")
    refused = client.post(f"/processes/{process.slug}/proposals/settings", data={**FORM, "threshold": "-1"})
    assert refused.status_code == 200 and "Enter a whole number from 0" in refused.text
    db.session.expire_all()
    assert settings_rows() == rows  # a refused save writes nothing either
    response = client.post(f"/processes/{process.slug}/proposals/settings", data={**FORM, "support_limit": "3"})
    assert response.status_code == 302
    stored = settings_of(process)
    assert (stored.support_limit, stored.verified_only, stored.edit_window_minutes) == (3, True, 10)
    assert settings_rows() == rows + 1
    (entry,) = audit_of(process, "proposal.settings")
    assert (entry.before, entry.after) == ({"support_limit": 0}, {"support_limit": 3})


def test_an_officer_saves_the_settings_and_the_audit_log_says_what_changed(make_process, client_as):
    process = make_process()
    client, officer = client_as("officer")
    response = client.post(f"/processes/{process.slug}/proposals/settings", data={
        **FORM, "support_limit": "5", "min_supports": "2", "threshold": "100", "close_at_threshold": "y",
        "ward_only": "y"})
    assert response.status_code == 302
    assert "The proposal settings are saved." in client.get(response.headers["Location"]).text
    stored = settings_of(process)
    assert (stored.support_limit, stored.min_supports, stored.threshold, stored.close_at_threshold,
            stored.ward_only) == (5, 2, 100, True, True)
    (entry,) = audit_of(process, "proposal.settings")
    assert entry.actor_id == officer.id
    assert entry.before == {"support_limit": 0, "min_supports": 0, "threshold": 0, "close_at_threshold": False,
                            "ward_only": False}
    assert entry.after == {"support_limit": 5, "min_supports": 2, "threshold": 100, "close_at_threshold": True,
                           "ward_only": True}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"support_limit": "2", "min_supports": "3"}, "min_supports", "cannot be more than the support limit"),
    ({"close_at_threshold": "y"}, "close_at_threshold", "Set a threshold above 0"),
    ({"ward_only": "y", "verified_only": ""}, "ward_only", "also allow only verified residents"),
    ({"threshold": "-1"}, "threshold", "Enter a whole number from 0"),
    ({"support_limit": "lots"}, "support_limit", "Enter a whole number, like 0 or 3."),
])
def test_bad_settings_are_refused_beside_their_field_keeping_what_was_typed(make_process, client_as, changes,
                                                                            field, message):
    process = make_process()
    client, _ = client_as("officer")
    data = {k: v for k, v in {**FORM, **changes}.items() if v != ""}
    response = client.post(f"/processes/{process.slug}/proposals/settings", data=data)
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert f'id="{field}-error"' in response.text and message in response.text
    for name in ("support_limit", "threshold", "min_supports"):
        assert value_of(response.text, name) == data[name]
    assert settings_of(process).support_limit == 0
    assert audit_of(process, "proposal.settings") == []


def test_raising_the_minimum_uncounts_and_lowering_it_recounts(make_process, make_proposal, make_user):
    process = make_process()
    proposals = [make_proposal(process, make_user("resident")) for _ in range(2)]
    keen, shy = make_user("verified"), make_user("verified")
    for p in proposals:
        supports.support(keen, p)
    supports.support(shy, proposals[0])
    officer = make_user("officer")
    values = {name: getattr(settings_of(process), name) for name in proposal_settings.SETTING_FIELDS}

    proposal_settings.update_settings(officer, process, **{**values, "min_supports": 2, "threshold": 2})
    assert [p.supports_count for p in proposals] == [1, 1]  # only keen's count
    reached = db.session.scalars(select(Proposal.id).where(Proposal.threshold_reached_at.is_not(None))).all()
    assert reached == []

    proposal_settings.update_settings(officer, process, **{**values, "min_supports": 0, "threshold": 2})
    assert [p.supports_count for p in proposals] == [2, 1]
    reached = db.session.scalars(select(Proposal.id).where(Proposal.threshold_reached_at.is_not(None))).all()
    assert reached == [proposals[0].id]


def test_categories_are_added_renamed_and_removed(make_process, make_proposal, make_user, client_as):
    process = make_process(categories=["Cycling"])
    cycling = db.session.scalars(select(Category).where(Category.process_id == process.id)).one()
    proposal = make_proposal(process, make_user("resident"), categories=[cycling])
    client, officer = client_as("officer")
    base = f"/processes/{process.slug}/proposals/settings/categories"

    response = client.post(base, data={"name": "Green space"})
    assert response.status_code == 302
    assert category_names(process) == ["Cycling", "Green space"]
    page = client.get(response.headers["Location"]).text
    assert "The category “Green space” is added." in page
    assert "New name for “Cycling”" in page

    response = client.post(base, data={"name": "green  SPACE"})
    assert response.status_code == 200
    assert "There is already a category called “green SPACE” in this process." in response.text
    assert 'value="green  SPACE"' in response.text

    response = client.post(f"{base}/{cycling.id}", data={f"category-{cycling.id}-name": "Cycling and walking"})
    assert response.status_code == 302
    assert category_names(process) == ["Cycling and walking", "Green space"]

    response = client.post(f"{base}/{cycling.id}", data={f"category-{cycling.id}-name": ""})
    assert response.status_code == 200
    assert f'id="category-{cycling.id}-name-error"' in response.text

    response = client.post(f"{base}/{cycling.id}/remove")
    assert response.status_code == 302
    assert category_names(process) == ["Green space"]
    assert db.session.scalars(select(ProposalCategoryLink).where(
        ProposalCategoryLink.proposal_id == proposal.id)).all() == []
    assert db.session.get(Proposal, proposal.id) is not None

    assert [(e.action, e.before, e.after) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "process", AuditEntry.object_id == process.id,
                                 AuditEntry.action.like("proposal.category%")).order_by(AuditEntry.id))] == [
        ("proposal.category_add", None, {"category": "Green space"}),
        ("proposal.category_rename", {"category": "Cycling"}, {"category": "Cycling and walking"}),
        ("proposal.category_remove", {"category": "Cycling and walking"}, None),
    ]


def test_a_category_of_another_process_is_not_found(make_process, client_as):
    process, other = make_process(), make_process(categories=["Cycling"])
    category = db.session.scalars(select(Category).where(Category.process_id == other.id)).one()
    client, _ = client_as("officer")
    base = f"/processes/{process.slug}/proposals/settings/categories"
    assert client.post(f"{base}/{category.id}/remove").status_code == 404
    assert category_names(other) == ["Cycling"]


def test_category_names_must_have_letters(make_process, make_user):
    process = make_process()
    with pytest.raises(RuleViolation, match="at least one letter or digit") as refused:
        categories.add_category(make_user("officer"), process, "!!!")
    assert refused.value.field == "name"


@pytest.mark.parametrize("role", ["resident", "verified", "organiser", "instructor"])
def test_only_officers_change_settings(make_process, client_as, role):
    process = make_process(categories=["Cycling"])
    category = db.session.scalars(select(Category).where(Category.process_id == process.id)).one()
    client, _ = client_as(role)
    url = f"/processes/{process.slug}/proposals/settings"
    assert client.get(url).status_code == 403
    assert client.post(url, data={**FORM, "support_limit": "9"}).status_code == 403
    assert client.post(f"{url}/categories", data={"name": "Sneaky"}).status_code == 403
    assert client.post(f"{url}/categories/{category.id}/remove").status_code == 403
    assert settings_of(process).support_limit == 0
    assert category_names(process) == ["Cycling"]


def test_signed_out_visitors_are_sent_to_sign_in_and_unknown_processes_are_not_found(client, client_as):
    response = client.get("/processes/nothing-here/proposals/settings")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    officer_client, _ = client_as("officer")
    assert officer_client.get("/processes/nothing-here/proposals/settings").status_code == 404


def test_every_bad_setting_is_listed_at_once(make_process, client_as):
    """Three bad values, one round trip: a field's own error and the rules between settings all show."""
    process = make_process()
    client, _ = client_as("officer")
    data = {**FORM, "support_limit": "2", "min_supports": "3", "close_at_threshold": "y", "proposal_limit": "lots",
            "ward_only": "y"}
    data.pop("verified_only")
    response = client.post(f"/processes/{process.slug}/proposals/settings", data=data)
    assert response.status_code == 200
    for field in ("min_supports", "close_at_threshold", "proposal_limit", "ward_only"):
        assert f'id="{field}-error"' in response.text, field
    assert settings_of(process).support_limit == 0
