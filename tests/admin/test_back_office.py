"""The back office: the officers' home with its work queues and the header's count, roles changed in two steps
with a mail to the person, the audit log as sentences, and the prepared texts administrators keep."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from civic import canned, workqueues
from civic.accounts.models import User
from civic.audit import AuditEntry, audit
from civic.db import db, utcnow
from civic.jobs.models import JobFailure
from civic.moderation.models import Moderation, Report
from civic.spaces.models import Ward
from civic.verification.models import VerificationRequest
from tests.support.pages import main_text, text_of


def waiting_reports(n: int, days_ago: int = 0) -> None:
    """``n`` reported items waiting, each with one open report made ``days_ago`` days ago."""
    base = db.session.scalar(select(Moderation.resource_id).order_by(Moderation.resource_id.desc()).limit(1)) or 0
    for i in range(n):
        mod = Moderation(resource_type="comment", resource_id=base + 100000 + i, reports_count=1, status="open")
        db.session.add(mod)
        db.session.flush()
        reporter = User(nickname=f"reporter_{mod.id}", display_name="Reporter", email=f"r{mod.id}@example.org")
        db.session.add(reporter)
        db.session.flush()
        db.session.add(Report(moderation_id=mod.id, user_id=reporter.id, reason="spam",
                              created_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()


def waiting_requests(n: int, make_user) -> None:
    ward = db.session.scalar(select(Ward).where(Ward.name == "Bayswater"))
    for _ in range(n):
        db.session.add(VerificationRequest(user_id=make_user("resident").id, ward_id=ward.id, postcode="W2 4AA",
                                           statement="I live here"))
    db.session.commit()


def failed_jobs(n: int) -> None:
    for i in range(n):
        db.session.add(JobFailure(job="civic.mail.deliver_job", description=f"Mail {i}", error="451"))
    db.session.commit()


# Work queues ----------------------------------------------------------------------------------------------------


def test_the_officers_home_counts_what_waits_with_the_oldest_and_links_each_queue(client_as, make_user):
    client, _officer = client_as("officer")
    waiting_reports(2, days_ago=4)
    waiting_requests(3, make_user)
    page = client.get("/admin/")
    text = main_text(page)
    assert "2 reports waiting (oldest 4 days)" in text
    assert "3 verification requests waiting (oldest from today)" in text
    html = page.get_data(as_text=True)
    assert 'href="/moderation/?status=open&amp;sort=oldest"' in html
    assert 'href="/verify/requests?status=pending"' in html
    assert "failed job" not in text  # an officer does not look after background jobs


def test_admins_also_see_failed_jobs_and_the_header_counts_for_staff(client_as, make_user):
    client, _admin = client_as("admin")
    waiting_reports(1)
    failed_jobs(2)
    html = client.get("/").get_data(as_text=True)
    header = re.search(r'<nav aria-label="Your account".*?</nav>', html, re.S).group(0)
    assert "Admin" in header and "3<span class=\"visually-hidden\"> waiting</span>" in header
    text = main_text(client.get("/admin/"))
    assert "1 report waiting" in text and "2 failed jobs" in text


def test_residents_have_no_queue_and_pay_no_query_for_it(app, make_user, count_queries):
    resident = make_user("verified")
    waiting_reports(1)
    with app.test_request_context("/"), count_queries() as counted:
        assert workqueues.counts(resident) == []
        assert workqueues.total(resident) == 0
    assert counted.count == 0


def test_a_residents_page_costs_the_same_whatever_waits(client_as, make_user, count_queries):
    client, _resident = client_as("resident")
    with count_queries() as few:
        assert client.get("/").status_code == 200
    waiting_reports(5)
    failed_jobs(5)
    with count_queries() as many:
        html = client.get("/").get_data(as_text=True)
    assert many.count == few.count
    assert "waiting" not in re.search(r'<nav aria-label="Your account".*?</nav>', html, re.S).group(0)


def test_the_officers_home_costs_a_fixed_number_of_queries(client_as, make_user, count_queries):
    client, _admin = client_as("admin")
    waiting_reports(1)
    with count_queries() as few:
        assert client.get("/admin/").status_code == 200
    waiting_reports(20, days_ago=2)
    waiting_requests(10, make_user)
    failed_jobs(10)
    with count_queries() as many:
        assert client.get("/admin/").status_code == 200
    assert many.count == few.count
    # The header and the page share one reading of the queues: a single UNION query.
    assert sum("UNION ALL" in s for s in many.statements) == 1


def test_a_domain_queue_plugs_in_through_the_registry(app, make_user):
    from sqlalchemy import func, literal

    queue = workqueues.WorkQueue("test.things", "moderation.act", "moderation.queue", "%(n)d thing",
                                 "%(n)d things", lambda: select(func.count(), literal(None)).select_from(Ward),
                                 position=1)
    workqueues.register(queue)
    try:
        officer = make_user("officer")
        with app.test_request_context("/"):
            counts = {w.queue.key: w for w in workqueues.counts(officer)}
        assert counts["test.things"].count == db.session.scalar(select(func.count()).select_from(Ward))
        assert counts["test.things"].label.endswith("things")
    finally:
        workqueues.unregister("test.things")


# Roles ----------------------------------------------------------------------------------------------------------


def test_granting_a_role_asks_to_confirm_naming_the_person_and_the_role(client_as, make_user, smtp_server):
    client, _admin = client_as("admin", display_name="Ada Admin")
    target = make_user("resident", nickname="lewis", display_name="Lewis Dev")
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert f'action="/admin/users/{target.id}/roles/grant"' in page
    assert "Remove a role" not in page  # nothing to remove yet
    response = client.post(f"/admin/users/{target.id}/roles/grant",
                           data={"grant-role": "admin", "grant-reason": "Runs the platform now"})
    assert response.status_code == 200
    text = main_text(response)
    assert "Make Lewis Dev an Administrator?" in text
    assert "Runs the platform now" in text and "Yes, grant the Administrator role" in text
    assert not db.session.get(User, target.id).is_admin  # nothing changed before the confirmation
    assert smtp_server.to(target.email) == []

    response = client.post(f"/admin/users/{target.id}/roles/grant",
                           data={"grant-role": "admin", "grant-reason": "Runs the platform now", "confirm": "yes"},
                           follow_redirects=True)
    assert "Lewis Dev (@lewis) is now Administrator." in main_text(response)
    assert db.session.get(User, target.id).is_admin
    (mail,) = smtp_server.to(target.email)
    assert mail["Subject"] == "You are now an Administrator"
    body = mail.get_body(("plain",)).get_content()
    assert "Ada Admin has given you the role Administrator" in body and "Runs the platform now" in body


def test_removing_a_role_confirms_then_mails_and_offers_only_roles_the_person_has(client_as, make_user,
                                                                                   smtp_server):
    client, _admin = client_as("admin")
    target = make_user("instructor", display_name="Lewis Dev")
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    remove_form = page[page.index("Remove a role"):]
    assert '<option value="instructor">Instructor</option>' in remove_form.split("</select>")[0]
    response = client.post(f"/admin/users/{target.id}/roles/remove",
                           data={"remove-role": "instructor", "remove-reason": "Course ended"})
    assert "Remove the Instructor role from Lewis Dev?" in main_text(response)
    assert db.session.get(User, target.id).has_role("instructor")
    client.post(f"/admin/users/{target.id}/roles/remove",
                data={"remove-role": "instructor", "remove-reason": "Course ended", "confirm": "yes"})
    assert not db.session.get(User, target.id).has_role("instructor")
    (mail,) = smtp_server.to(target.email)
    assert mail["Subject"] == "Your Instructor role was removed"


def test_a_role_the_person_lacks_cannot_be_removed(client_as, make_user):
    client, _admin = client_as("admin")
    target = make_user("resident")
    response = client.post(f"/admin/users/{target.id}/roles/remove",
                           data={"remove-role": "officer", "remove-reason": "x", "confirm": "yes"})
    assert response.status_code == 200 and "from the list" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.object_id == target.id)) is None


@pytest.mark.parametrize("role", ["resident", "officer"])
def test_others_cannot_change_roles_even_with_the_confirmation(client_as, make_user, role):
    client, _user = client_as(role)
    target = make_user("resident")
    for path in ("grant", "remove"):
        response = client.post(f"/admin/users/{target.id}/roles/{path}",
                               data={f"{path}-role": "officer", f"{path}-reason": "x", "confirm": "yes"})
        assert response.status_code == 403
    assert not db.session.get(User, target.id).is_officer


# The audit log as sentences -------------------------------------------------------------------------------------


def test_the_audit_log_reads_as_sentences_with_links_and_the_json_behind_a_disclosure(client_as, make_user):
    client, admin = client_as("admin", display_name="Ada Admin")
    target = make_user("instructor", nickname="lewis", display_name="Lewis Dev")
    client.post(f"/admin/users/{target.id}/roles/remove",
                data={"remove-role": "instructor", "remove-reason": "Course ended", "confirm": "yes"})
    audit(admin, "process.update", "process", 999, label="Walking & cycling", before={"title": "Walking"},
          after={"title": "Walking & cycling"})
    db.session.commit()
    response = client.get("/admin/audit")
    html = response.get_data(as_text=True)
    text = main_text(response)
    assert "Ada Admin removed the Instructor role from @lewis : “Course ended”" in text  # (tags read as spaces)
    assert "Ada Admin edited the process Walking & cycling." in text
    assert f'<a href="/admin/users/{target.id}">@lewis</a>' in html
    assert "\\u0026" not in html and "<details" in html and "Before and after" in html
    history = main_text(client.get(f"/admin/users/{target.id}"))
    assert "Role Instructor removed" in history and "Course ended" in history  # the person's history (issue 14)


def test_the_audit_log_searches_words_and_labels_its_actions(client_as, make_user):
    client, admin = client_as("admin")
    audit(admin, "process.update", "process", 1, label="Cleaner air for schools", reason="Typo")
    audit(admin, "process.update", "process", 2, label="Greener streets", reason="New dates")
    db.session.commit()
    text = main_text(client.get("/admin/audit?q=greener"))
    assert "Greener streets" in text and "Cleaner air" not in text
    text = main_text(client.get("/admin/audit?q=typo"))
    assert "Cleaner air" in text and "Greener streets" not in text
    assert ">Edited the process</option>" in client.get("/admin/audit").get_data(as_text=True)
    assert "Greener streets" in client.get("/admin/audit.csv?q=greener").get_data(as_text=True)


def test_the_audit_log_costs_a_fixed_number_of_queries(client_as, make_user, count_queries):
    client, admin = client_as("admin")
    for i in range(3):
        audit(admin, "role.grant", "user", make_user().id, label=f"@p{i}", before={"roles": []},
              after={"roles": ["officer"]})
    db.session.commit()
    with count_queries() as few:
        client.get("/admin/audit")
    for i in range(30):
        audit(make_user("officer"), "moderation.hide", "proposal", i + 1, label=f"Item {i}", reason="r")
    db.session.commit()
    with count_queries() as many:
        client.get("/admin/audit")
    assert many.count == few.count


# Prepared texts -------------------------------------------------------------------------------------------------


def test_admins_add_edit_and_remove_prepared_texts_audited(client_as):
    client, admin = client_as("admin")
    response = client.post("/admin/canned", data={"new-purpose": "moderation.hide", "new-title": "Personal details",
                                                  "new-body": "It showed someone's personal details."},
                           follow_redirects=True)
    assert "The text “Personal details” is added." in text_of(response)
    (row,) = canned.for_purpose("moderation.hide")
    response = client.post(f"/admin/canned/{row.id}", data={f"text-{row.id}-title": "Personal details",
                                                            f"text-{row.id}-body": "It showed an address."})
    assert response.status_code == 302
    db.session.expire_all()
    assert canned.for_purpose("moderation.hide")[0].body == "It showed an address."
    client.post(f"/admin/canned/{row.id}/remove")
    assert canned.for_purpose("moderation.hide") == []
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "canned_text")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["canned.add", "canned.edit", "canned.remove"]


def test_a_prepared_text_needs_a_title_and_text_and_unique_titles(client_as):
    client, _admin = client_as("admin")
    page = client.post("/admin/canned", data={"new-purpose": "moderation.hide", "new-title": "",
                                              "new-body": ""}).get_data(as_text=True)
    assert "Give the text a short title." in page and "Write the text." in page
    client.post("/admin/canned", data={"new-purpose": "moderation.hide", "new-title": "Spam", "new-body": "Spam."})
    page = client.post("/admin/canned", data={"new-purpose": "moderation.hide", "new-title": "Spam",
                                              "new-body": "Again."}).get_data(as_text=True)
    assert "There is already a text called “Spam” for this purpose." in page


@pytest.mark.parametrize("role", ["resident", "officer"])
def test_only_admins_change_prepared_texts(client_as, role):
    admin_client, admin = client_as("admin")
    row = canned.add(admin, "moderation.hide", "Spam", "Spam.")
    db.session.commit()
    client, _user = client_as(role)
    assert client.get("/admin/canned").status_code == 403
    assert client.post(f"/admin/canned/{row.id}", data={f"text-{row.id}-title": "Hacked",
                                                        f"text-{row.id}-body": "x"}).status_code == 403
    assert client.post(f"/admin/canned/{row.id}/remove").status_code == 403
    db.session.expire_all()
    assert canned.for_purpose("moderation.hide")[0].title == "Spam"


def test_compose_takes_only_a_text_of_its_own_purpose(app, client_as):
    _client, admin = client_as("admin")
    hide = canned.add(admin, "moderation.hide", "Spam", "Advertising.")
    other = canned.add(admin, "verification.refuse", "No match", "No match in the register.")
    assert canned.compose("moderation.hide", str(hide.id), "Three links.") == "Advertising.\n\nThree links."
    assert canned.compose("moderation.hide", str(other.id), "Mine.") == "Mine."
    assert canned.compose("moderation.hide", "99999999999", "Mine.") == "Mine."


def test_the_audit_dates_are_day_month_year(client_as):
    client, admin = client_as("admin")
    audit(admin, "process.update", "process", 1, label="Today's change")
    db.session.commit()
    page = client.get("/admin/audit?since=01/01/2020&until=31/12/2099")
    assert "Today's change" in main_text(page)
    html = page.get_data(as_text=True)
    assert 'type="date"' not in html and 'value="01/01/2020"' in html and "For example 27/03/2026." in html
    assert "Today's change" not in main_text(client.get("/admin/audit?until=31/12/2019"))


# Roles offered by email -----------------------------------------------------------------------------------------


def test_an_admin_invites_an_address_which_takes_the_role_when_confirmed(client_as, client, smtp_server):
    from civic.accounts.models import RoleInvitation

    admin_client, _admin = client_as("admin", display_name="Ada Admin")
    data = {"invite-email": "New.Colleague@council.example", "invite-role": "officer",
            "invite-reason": "Joins the participation team"}
    response = admin_client.post("/admin/invitations", data=data)
    assert "Invite new.colleague@council.example as a Council officer?" in main_text(response)
    assert db.session.scalar(select(RoleInvitation)) is None and smtp_server.to("new.colleague@council.example") == []
    response = admin_client.post("/admin/invitations", data={**data, "confirm": "yes"}, follow_redirects=True)
    assert "Invitation sent to new.colleague@council.example" in main_text(response)
    assert "new.colleague@council.example: Council officer" in main_text(response)  # waiting, on the page
    (mail,) = smtp_server.to("new.colleague@council.example")
    assert "Ada Admin invites you" in mail.get_body(("plain",)).get_content()
    link = smtp_server.last_link("new.colleague@council.example")
    assert "/sign-up" in link

    # They sign up with the address; confirming it gives them the role (audited, mailed).
    client.post("/sign-up", data={"display_name": "New Colleague", "nickname": "new_colleague",
                                  "email": "new.colleague@council.example", "password": "a long and quiet river"})
    person = db.session.scalar(select(User).where(User.nickname == "new_colleague"))
    assert person is not None and not person.is_officer
    client.get(smtp_server.last_link("new.colleague@council.example", r"https?://\S+/confirm\S*"))
    db.session.expire_all()
    assert db.session.get(User, person.id).is_officer
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "role.grant",
                                                        AuditEntry.object_id == person.id)).one()
    assert entry.reason == "Invited by email: Joins the participation team"
    assert db.session.scalar(select(RoleInvitation)).accepted_by_id == person.id
    assert smtp_server.to("new.colleague@council.example")[-1]["Subject"] == "You are now a Council officer"


def test_inviting_an_address_with_an_account_goes_to_its_page(client_as, make_user):
    admin_client, _admin = client_as("admin")
    someone = make_user("resident", email="has.account@example.org")
    response = admin_client.post("/admin/invitations", data={
        "invite-email": "HAS.account@example.org", "invite-role": "officer", "invite-reason": "x"})
    assert response.status_code == 302 and response.headers["Location"].startswith(f"/admin/users/{someone.id}")


@pytest.mark.parametrize("role", ["resident", "officer"])
def test_only_admins_invite(client_as, role):
    from civic.accounts.models import RoleInvitation

    client, _user = client_as(role)
    response = client.post("/admin/invitations", data={"invite-email": "x@example.org", "invite-role": "admin",
                                                       "invite-reason": "x", "confirm": "yes"})
    assert response.status_code == 403
    assert db.session.scalar(select(RoleInvitation)) is None


def test_a_queue_whose_list_this_app_lacks_is_left_out(app, make_user):
    from sqlalchemy import func, literal

    queue = workqueues.WorkQueue("test.elsewhere", "moderation.act", "nowhere.list", "%(n)d thing", "%(n)d things",
                                 lambda: select(func.count(), literal(None)).select_from(Ward))
    workqueues.register(queue)
    try:
        officer = make_user("officer")
        with app.test_request_context("/"):
            assert "test.elsewhere" not in {w.queue.key for w in workqueues.counts(officer)}
    finally:
        workqueues.unregister("test.elsewhere")
