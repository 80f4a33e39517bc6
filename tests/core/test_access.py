"""Every route x every role: the status each kind of person gets.

A new route fails ``test_every_route_is_in_the_table`` until its expectations are written here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.groups.models import Group, Membership
from civic.spaces.models import Ward
from civic.spaces.services import create_process
from civic.verification.models import VerificationRequest
from consultations.models import Consultation, Option, Question
from proposals.models import Category, Coauthor, Proposal, ProposalSettings
from skills_school.models import Certificate as SchoolCertificate
from skills_school.models import Choice as SchoolChoice
from skills_school.models import Course as SchoolCourse
from skills_school.models import CourseSession as SchoolSession
from skills_school.models import Lesson as SchoolLesson
from skills_school.models import Question as SchoolQuestion
from skills_school.models import Quiz as SchoolQuiz
from tests import factories
from tests.support.access import (
    ADMINS,
    GUESTS,
    OFFICERS,
    ROLES,
    SIGNED_IN,
    everyone,
    only,
    signed_in,
    url_for_rule,
)

# endpoint -> {role: status} for GET
GET = {
    "pages.home": everyone(200),
    "pages.accessibility": everyone(200),
    "pages.privacy": everyone(200),
    # i21: production operations (civic/operations.py)
    "operations.healthz": everyone(200),
    "operations.readyz": everyone(200),
    "pages.upload": everyone(404),  # no such file
    "opendata.index": everyone(200),
    "opendata.catalog": everyone(200),
    "opendata.bulk": everyone(200),
    "accounts.sign_up": GUESTS,
    "accounts.sign_in": GUESTS,
    "accounts.check_email": everyone(200),
    "accounts.confirm": everyone(400),  # a forged link
    "accounts.confirm_new_email": everyone(400),
    "accounts.reset_password": everyone(400),
    "accounts.forgot_password": everyone(200),
    "accounts.oidc_start": everyone(404),  # not configured in tests
    "accounts.oidc_callback": everyone(404),
    "accounts.account": signed_in(),
    "accounts.profile": everyone(200),
    "admin.index": only(OFFICERS),
    "admin.users": only(OFFICERS),
    "admin.user": only(OFFICERS),
    "admin.audit_log": only(ADMINS),
    "admin.audit_csv": only(ADMINS),
    "admin.job_failures": only(ADMINS),
    "spaces.index": everyone(200),
    "spaces.show": everyone(200),
    "spaces.new": only(OFFICERS),
    "spaces.edit": only(OFFICERS),
    "spaces.phases": only(OFFICERS),
    "spaces.edit_phase": only(OFFICERS),
    "proposals.index": everyone(200),
    "proposals.geojson": everyone(200),
    "proposals.export_csv": everyone(200),
    "proposals.export_json": everyone(200),
    "proposals.new": signed_in(),
    "proposals.show": everyone(200),
    "proposals_admin.settings": only(OFFICERS),
    "proposals_admin.answer": only(OFFICERS),
    "proposals.edit": only(()),  # somebody else's proposal: only its authors
    "proposals.withdraw": only(()),
    "comments.index": everyone(200),
    "comments.reply": signed_in(),
    "comments.edit": only(()),  # somebody else's comment: only its author, not even officers
    "comments.delete": only(()),
    "api_tokens.index": signed_in(),
    "api.index": everyone(200),
    "api.me": {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 200)},
    "api.openapi_json": everyone(200),
    "api.reference": everyone(200),
    "proposals_api.processes": everyone(200),
    "proposals_api.process": everyone(200),
    "proposals_api.process_proposals": everyone(200),
    "proposals_api.proposal": everyone(200),
    "proposals_api.proposal_comments": everyone(200),
    "groups.index": everyone(200),
    "groups.show": everyone(200),
    "groups.mine": signed_in(),
    "groups.new": signed_in(),
    "groups.edit": only(ADMINS),  # the group belongs to another organiser
    "verification.start": signed_in(),
    "verification.request_manual": {**signed_in(), "verified": 403, "organiser": 403},  # already verified
    "verification.register": only(ADMINS),
    "verification.queue": only(OFFICERS),
    "verification.show_request": only(OFFICERS),
    "blocking.block_page": only(OFFICERS),
    "blocking.appeal_block": everyone(200),  # a blocked person cannot sign in: the form identifies them
    "blocking.appeal_content": signed_in(404),  # no such decision
    "blocking.appeals": only(OFFICERS),
    "blocking.appeal": only(OFFICERS, ok=404),  # no such appeal
    "moderation.report": signed_in(),  # somebody else's proposal
    "moderation.queue": only(OFFICERS),
    "moderation.lookup": only(OFFICERS, ok=302),  # nothing asked for: back to the queue
    "moderation.hide": only(OFFICERS),
    "moderation.unhide": only(OFFICERS),
    "moderation.dismiss": only(OFFICERS),
    "moderation.transparency": everyone(200),
    "search.index": everyone(200),
    "search_api.search_json": everyone(200),
    "notifications.index": signed_in(),
    "notifications.open_": signed_in(404),  # somebody else's, or none: not found
    "notifications.preferences": signed_in(),
    "notifications.alerts": signed_in(),
    "notifications.following": signed_in(),
    "notifications.unsubscribe": everyone(404),  # a forged link
    # Issue 14 (usability)
    "proposals.supported": signed_in(),  # the proposals the person supports in a process
    # Issue #13: the OAuth 2 server (tests/accounts/test_oauth.py).
    "oauth.authorize": {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 400)},  # no app named: refused, no redirect
    "oauth.metadata": everyone(200),
    "oauth.apps": only(ADMINS),
    # Consultations (issue 16): an open consultation of somebody else's; results and files only after close.
    "consultations.index": everyone(200),
    "consultations.in_process": everyone(200),
    "consultations.show": everyone(200),
    "consultations.receipt": everyone(200),
    "consultations.results_page": everyone(200),  # "counted after the close"
    **{e: everyone(409) for e in ("consultations.ballots_csv", "consultations.ballots_json",
                                  "consultations.receipts_csv", "consultations.receipts_json",
                                  "consultations_api.results_json", "consultations_api.ballot_file",
                                  "consultations_api.receipts")},
    "consultations_api.index": everyone(200),
    "consultations_api.consultation": everyone(200),
    **{e: only(OFFICERS) for e in ("consultations_admin.new", "consultations_admin.edit", "consultations_admin.manage",
                                   "consultations_admin.preview", "consultations_admin.paper",
                                   "consultations_admin.edit_question")},
    # Urban Data School: the course, lesson (with a quiz), session and certificate are another instructor's
    # and another learner's (objects' school block).
    **{e: everyone(200) for e in (
        "school.index", "school.course", "school.lesson", "school.sessions_index", "school.session",
        "school.session_ics", "school.verify", "school.certificate", "school.certificate_qr", "school.assertion",
        "school.badge", "school.issuer", "school_api.courses", "school_api.course", "school_api.sessions")},
    "school.resume": signed_in(302),  # to the first lesson
    "school.quiz": signed_in(),
    "school.mine": signed_in(),
    "school_teach.index": only(("instructor",)),
    "school_teach.new_course": only(("instructor",)),
    **{e: only(()) for e in (  # somebody else's course: only its own instructor, not even officers
        "school_teach.course", "school_teach.edit_course", "school_teach.export_csv", "school_teach.new_lesson",
        "school_teach.edit_lesson", "school_teach.quiz", "school_teach.new_session", "school_teach.session",
        "school_teach.edit_session")},
    "school_admin.review": only(OFFICERS),
    "school_admin.revoke": only(ADMINS),
    "school_api.my_enrolments": {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 200)},
    # Citizen sensing (tests/citizen_sensing): an approved campaign with the group's slug, somebody else's device.
    "citizen_sensing.index": everyone(200),
    "citizen_sensing.new": only(("organiser",)),  # organisers of a group only
    "citizen_sensing.show": everyone(200),
    "citizen_sensing.new_device": only(()),  # join the campaign first
    "citizen_sensing.device": {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 404), "officer": 200, "admin": 200},
    "citizen_sensing.reading": signed_in(404),  # not your device: not found
    "citizen_sensing.upload": signed_in(404),
    "citizen_sensing.devices_geojson": everyone(200),
    "citizen_sensing.readings_csv": everyone(200),
    "citizen_sensing.readings_geojson": everyone(200),
    # The tenant's evidence pack (tests/citizen_sensing/test_damp_evidence.py): the owner and officers; this device
    # measures no humidity, so officers get the page's notice, and no CSV or PDF.
    "citizen_sensing.evidence_pack": {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 404), "officer": 200,
                                      "admin": 200},
    "citizen_sensing.evidence_csv": signed_in(404),
    "citizen_sensing.evidence_pdf": signed_in(404),
    "citizen_sensing_admin.quantities": only(ADMINS),
    "citizen_sensing_admin.proposed": only(OFFICERS),  # i15c: campaigns awaiting approval
    # Issue 20, results for the council: the campaign's report and findings (the group's organisers write them;
    # these people are not its organisers, nor are admins), answered by officers.
    "sensing_findings.report": everyone(200),
    "sensing_findings.show": everyone(200),
    **{f"sensing_findings.{e}": only(()) for e in ("edit_report", "new_finding", "make")},
    "sensing_findings_admin.awaiting": only(OFFICERS),
    "sensing_findings_admin.answer": only(OFFICERS),
    **{f"citizen_sensing_api.{e}": everyone(200) for e in ("campaigns", "campaign", "campaign_devices",
                                                            "device_readings", "device_aggregates")},
    # Alerts (tests/citizen_sensing/test_alerts*.py): the campaign's organisers (and admins); the device's owner.
    "sensing_alerts.rules": only(ADMINS),
    "sensing_alerts.campaign_alerts": only(ADMINS),
    "sensing_alerts.device_alerts": {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 404), "officer": 200, "admin": 200},
    # The API's findings (public, as their campaign) and a device's alerts (as its page: the owner, the campaign's
    # organisers, officers; anyone else signed in: not found; nobody signed in: 401).
    **{f"citizen_sensing_api.{e}": everyone(200) for e in ("campaign_findings", "finding")},
    "citizen_sensing_api.device_alerts": {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 404), "officer": 200,
                                          "admin": 200},
}

# endpoint -> {role: status} for POST with no form data, on objects that are not the person's own.
# Only refusals are listed here (anonymous -> sign-in, no permission -> 403); what the allowed roles
# get is covered by each feature's tests.
POST_REFUSED = {
    **{e: only(OFFICERS, ok=None) for e in ("spaces.new", "spaces.edit", "spaces.publish", "spaces.unpublish",
                                            "spaces.add_phase", "spaces.edit_phase", "spaces.remove_phase")},
    "admin.retry_job": only(ADMINS, ok=None),  # what an admin gets: tests/jobs
    "admin.resolve_job": only(ADMINS, ok=None),
    **{e: only(OFFICERS, ok=None) for e in ("proposals_admin.settings", "proposals_admin.add_category",
                                            "proposals_admin.rename_category", "proposals_admin.remove_category",
                                            "proposals_admin.answer")},
    **{e: only(()) for e in ("proposals.edit", "proposals.publish", "proposals.withdraw",
                             "proposals.invite_coauthor", "proposals.name_group", "proposals.remove_coauthor",
                             "comments.edit", "comments.delete")},
    "api_tokens.revoke_view": {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 404)},  # not yours: not found
    "groups.verify": only(OFFICERS, ok=None),
    "groups.edit": only(ADMINS, ok=None),
    "groups.invite": only(ADMINS, ok=None),
    "groups.membership": only(ADMINS, ok=None),
    "verification.register": only(ADMINS, ok=None),
    "verification.decide": only(OFFICERS, ok=None),
    "verification.revoke": only(ADMINS, ok=None),
    "verification.withdraw": {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 404)},  # not yours: not found
    "blocking.block": only(OFFICERS, ok=None),
    "blocking.unblock": only(OFFICERS, ok=None),
    "blocking.appeal": only(OFFICERS, ok=None),
    **{e: only(OFFICERS, ok=None) for e in ("moderation.hide", "moderation.unhide", "moderation.dismiss")},
    "notifications.mark_read": {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 404)},  # not yours: not found
    "oauth.revoke_app": {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 404)},  # no access given by you: not found
    "oauth.apps": only(ADMINS, ok=None),
    "oauth.disable_app": only(ADMINS, ok=None),
    **{f"consultations_admin.{e}": only(OFFICERS, ok=None) for e in (
        "new", "edit", "add_question", "edit_question", "remove_question", "add_option", "remove_option", "publish",
        "extend", "paper")},
    # Not a verified resident: refused with the reason; a verified one sent nothing (tests/consultations).
    **{e: {"anonymous": 302, "resident": 403, "instructor": 403, "officer": 403, "admin": 403}
       for e in ("consultations.review", "consultations.vote")},
    # Urban Data School: somebody else's course, lesson, question and session.
    **{e: only(()) for e in ("school_teach.edit_course", "school_teach.submit_course", "school_teach.new_lesson",
                             "school_teach.edit_lesson", "school_teach.move_lesson", "school_teach.quiz",
                             "school_teach.add_question", "school_teach.remove_question", "school_teach.new_session",
                             "school_teach.edit_session", "school_teach.attendance")},
    "school_teach.new_course": only(("instructor",), ok=None),
    **{e: only(OFFICERS, ok=None) for e in ("school_admin.publish", "school_admin.unpublish")},
    "school_admin.revoke": only(ADMINS, ok=None),
    "citizen_sensing_admin.decide": only(OFFICERS, ok=None),
    "citizen_sensing_admin.flag": only(ADMINS, ok=None),  # the campaign's organisers (and admins)
    "citizen_sensing_admin.quantities": only(ADMINS, ok=None),
    **{f"sensing_findings.{e}": only(()) for e in ("edit_report", "new_finding", "make")},
    "sensing_findings_admin.answer": only(OFFICERS, ok=None),
    **{e: {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 404)}  # somebody else's device: not found
       for e in ("citizen_sensing.rotate_token", "citizen_sensing.revoke_token", "citizen_sensing.retire",
                 "citizen_sensing.reading", "citizen_sensing.upload", "citizen_sensing.confirm_upload")},
    **{e: only(ADMINS, ok=None) for e in ("sensing_alerts.rules", "sensing_alerts.switch")},  # organisers, admins
}
# Participatory budgets (issue 19): an open budget in a process, with its projects (tests/consultations/test_budget_*).
GET.update({
    **{f"consultations_budgets.{e}": everyone(200) for e in ("index", "in_process", "show", "geojson", "project")},
    "consultations_budgets.by_consultation": everyone(404),  # the table's consultation is not a budget
    **{f"consultations_budgets_api.{e}": everyone(200) for e in ("index", "budget", "projects")},
    **{f"consultations_budgets_admin.{e}": only(OFFICERS) for e in (
        "new", "edit", "manage", "new_project", "edit_project", "sources", "preview")},
    # The results (consultations/budget_results.py): the budget is open, so the page says when it closes and the
    # files answer 409 ("counted after the close").
    "consultations_budget_results.results": everyone(200),
    **{e: everyone(409) for e in ("consultations_budget_results.pabulib_file",
                                  "consultations_budget_results_api.results_json",
                                  "consultations_budget_results_api.pabulib_json")},
})
POST_REFUSED.update({
    **{f"consultations_budgets_admin.{e}": only(OFFICERS, ok=None) for e in (
        "new", "edit", "new_project", "edit_project", "remove_project", "sources", "publish")},
    # Not a verified resident: refused with the reason; a verified one sent nothing (tests/consultations).
    **{f"consultations_budgets.{e}": {"anonymous": 302, "resident": 403, "instructor": 403, "officer": 403,
                                      "admin": 403} for e in ("review", "vote")},
    # The official rule: officers only (what they get before the close, a refusal beside the field: tests).
    "consultations_budget_results.choose": only(OFFICERS, ok=None),
})
# The back office (issue 15): work queues, the answering queue, the staff export, roles, prepared texts.
GET.update({
    "admin.canned_texts": only(ADMINS),
    "proposals_admin.awaiting": only(OFFICERS),
    "proposals_admin.staff_export_csv": only(OFFICERS),
    "moderation.find": only(OFFICERS),
    "admin.processes": only(OFFICERS),
})
POST_REFUSED.update({
    **{e: only(ADMINS, ok=None) for e in ("admin.grant_role", "admin.remove_role", "admin.canned_texts",
                                          "admin.edit_canned", "admin.remove_canned", "admin.invite_role")},
    "proposals_admin.bulk_answer": only(OFFICERS, ok=None),
    "moderation.bulk": only(OFFICERS, ok=None),
    "groups.archive": only(OFFICERS, ok=None),
})
# The back office's remainder (issue 15, i15b): bulk decisions in the residency queue.
POST_REFUSED["verification.bulk"] = only(OFFICERS, ok=None)
SIGN_IN_REQUIRED_POSTS = {
    "accounts.delete_account", "accounts.change_email", "accounts.change_password", "accounts.update_profile",
    "accounts.resend_confirmation", "groups.invitation", "groups.join", "groups.leave", "groups.withdraw",
    "groups.new", "verification.start", "verification.request_manual",
    "proposals.new", "proposals.support", "proposals.unsupport", "proposals.endorse", "proposals.unendorse",
    "proposals.accept_coauthor", "proposals.decline_coauthor", "comments.create", "comments.reply",
    "comments.vote", "api_tokens.create", "blocking.appeal_content",
    "moderation.report", "notifications.mark_all_read", "notifications.preferences", "notifications.alerts",
    "follows.follow", "follows.unfollow", "oauth.authorize",
    "school.enrol", "school.complete_lesson", "school.quiz", "school.book", "school.cancel", "school.accept",
    "school.decline",
    "citizen_sensing.new", "citizen_sensing.join", "citizen_sensing.new_device",
}
#: JSON writes answer 401 with a JSON body (no redirect) to anyone not authenticated.
API_WRITES = {("POST", "proposals_api.post_comment"), ("POST", "proposals_api.support"),
              ("DELETE", "proposals_api.unsupport"), ("POST", "consultations_api.cast"),
              ("POST", "consultations_budgets_api.cast"),
              # Devices' ingest: a device token, never a session (tests/citizen_sensing/test_ingest_auth.py).
              *(("POST", f"sensing_ingest.{e}") for e in ("readings", "osem_data", "osem_sensor", "airrohr",
                                                          "smart_citizen"))}
NOT_CHECKED = {"static", "__test__.boom", "boom"}
# Posts that anyone may make (their own protection is tested elsewhere).
OPEN_POSTS = {"accounts.sign_in", "accounts.sign_up", "accounts.forgot_password", "accounts.reset_password",
              "accounts.sign_out", "blocking.appeal_block",
              "notifications.unsubscribe",  # a signed one-click link: tests/notifications/test_mail.py
              "oauth.token", "oauth.revoke"}  # apps authenticate themselves: tests/accounts/test_oauth.py


@pytest.fixture
def objects(make_user):
    """Things that belong to somebody else: a resident, an organiser's group, a pending request."""
    owner = make_user("organiser")
    ward = db.session.scalar(select(Ward).where(Ward.name == "Bayswater"))
    resident = make_user("resident")
    group = db.session.scalar(select(Group).order_by(Group.id.desc()))
    # A process with the group's slug, so that one ``slug`` serves both kinds of route.
    now = utcnow()
    process = create_process(None, title=group.name, description="A process", programme_slug="cleantech-city",
                             phases=[{"title": "Now", "starts_at": now - timedelta(days=1),
                                      "ends_at": now + timedelta(days=30), "allow_propose": True}])
    assert process.slug == group.slug
    process.phases[0].set_actions({"propose", "support", "comment", "endorse", "answer"})
    db.session.add(ProposalSettings(process_id=process.id, verified_only=False))
    category = Category(process_id=process.id, slug="parks", name="Parks")
    proposal = Proposal(process_id=process.id, author_id=owner.id, title="More trees along Harrow Road",
                        body="Plant trees.", ward_id=ward.id, state="published", published_at=now)
    db.session.add_all([category, proposal])
    db.session.flush()
    comment = Comment(resource_type="proposal", resource_id=proposal.id, author_id=owner.id, body="Yes")
    coauthor = Coauthor(proposal_id=proposal.id, user_id=resident.id)
    db.session.add_all([comment, coauthor])
    db.session.flush()
    membership = db.session.scalar(select(Membership.id).where(Membership.group_id == group.id))
    request = VerificationRequest(user_id=resident.id, ward_id=ward.id, postcode="W2 4AA", statement="I live here")
    db.session.add(request)
    consultation = Consultation(title="Lamps on Harrow Road", opens_at=now - timedelta(days=1),
                                closes_at=now + timedelta(days=7), state="published", published_at=now)
    question = Question(kind="single", title="Brighter?", options=[Option(text="Yes"), Option(text="No")])
    consultation.questions.append(question)
    db.session.add(consultation)
    db.session.flush()
    school = _school_objects(owner, resident)
    db.session.commit()
    sensing = _sensing_objects(group, owner)
    budget = _budget_objects()
    return {**school, **sensing, **budget, "consultation_id": consultation.id, "question_id": question.id,
            "option_id": question.options[0].id,
            "user_id": resident.id, "nickname": owner.nickname, "slug": group.slug, "token": "not-a-real-token",
            "request_id": request.id, "membership_id": membership, "action": "accept",
            "name": "proposals/nothing.jpg", "phase_id": process.phases[0].id,
            "proposal_id": proposal.id, "comment_id": comment.id, "coauthor_id": coauthor.id,
            "category_id": category.id, "token_id": 999999, "resource_type": "proposal",
            "resource_id": proposal.id, "moderation_id": 999999, "appeal_id": 999999,
            "failure_id": 999999, "notification_id": 999999, "app_id": 999999, "canned_id": 999999}


def _budget_objects() -> dict:
    """Participatory budgets: an open budget (in a process of its own that opens voting) and one of its projects."""
    from decimal import Decimal

    from consultations.models import Budget, BudgetHeading, BudgetProject

    now = utcnow()
    process = factories.process(allow_vote=True, commit=False)
    consultation = Consultation(title="2027 budget", opens_at=now - timedelta(days=1),
                                closes_at=now + timedelta(days=7), state="published",
                                published_at=now - timedelta(days=2), process_id=process.id)
    question = Question(kind="budget", title="City", options=[Option(text="Benches")])
    consultation.questions.append(question)
    budget = Budget(consultation=consultation, total=Decimal("50000"))
    budget.headings.append(BudgetHeading(amount=Decimal("50000"), question=question))
    db.session.add_all([consultation, budget])
    db.session.flush()
    project = BudgetProject(budget_id=budget.id, heading_id=budget.headings[0].id, option_id=question.options[0].id,
                            title="Benches", cost=Decimal("5000"), latitude=51.52, longitude=-0.17)
    db.session.add(project)
    db.session.commit()
    return {"budget_id": budget.id, "project_id": project.id, "heading_id": budget.headings[0].id}


def _school_objects(owner, learner) -> dict:
    """Urban Data School: another instructor's published course with a lesson, its quiz and a session, and
    another learner's certificate."""
    instructor = factories.user("instructor")
    course = SchoolCourse(instructor_id=instructor.id, title="Robots at the library", summary="Build a robot.",
                          topic="robotics", state="published", published_at=utcnow())
    db.session.add(course)
    db.session.flush()
    lesson = SchoolLesson(course_id=course.id, title="What is a robot?", body="It senses and acts.")
    db.session.add(lesson)
    db.session.flush()
    quiz = SchoolQuiz(lesson_id=lesson.id, course_id=course.id)
    db.session.add(quiz)
    db.session.flush()
    question = SchoolQuestion(quiz_id=quiz.id, text="Robots sense?", choices=[
        SchoolChoice(text="Yes", correct=True), SchoolChoice(text="No")])
    starts = utcnow() + timedelta(days=3)
    session = SchoolSession(course_id=course.id, title="Robotics workshop", venue="Church Street Library",
                            ward_id=learner.ward_id or db.session.scalar(select(Ward.id).limit(1)), starts_at=starts,
                            ends_at=starts + timedelta(hours=2), capacity=5)
    certificate = SchoolCertificate(code="K7M2X9QH4B", course_id=course.id, user_id=learner.id, name="A learner")
    db.session.add_all([question, session, certificate])
    db.session.flush()
    return {"course_id": course.id, "lesson_id": lesson.id, "session_id": session.id, "code": certificate.code,
            "quiz_question_id": question.id}


def _sensing_objects(group, owner) -> dict:
    """Citizen sensing: an approved campaign with the group's slug and the organiser's device in it."""
    from datetime import date

    from citizen_sensing.models import AlertRule, Campaign, Device, Participant, Quantity, Sensor
    quantity = db.session.scalar(select(Quantity).where(Quantity.key == "air_temperature"))
    campaign = Campaign(slug=group.slug, title="Damp in homes", group_id=group.id, status="approved",
                        starts_on=date(2026, 11, 1), ends_on=date(2027, 2, 1))
    campaign.quantities = [quantity]
    db.session.add(campaign)
    db.session.flush()
    device = Device(public_key="0123456789abcdef01234567", campaign_id=campaign.id, owner_id=owner.id, name="Frog",
                    ward_id=db.session.scalar(select(Ward.id).where(Ward.name == "Bayswater")))
    db.session.add_all([device, Participant(campaign_id=campaign.id, user_id=owner.id)])
    db.session.flush()
    db.session.add(Sensor(device_id=device.id, quantity_id=quantity.id, external_id="temp"))
    rule = AlertRule(campaign_id=campaign.id, kind="offline", minutes=360, active=True)
    db.session.add(rule)
    # Issue 20: the campaign's published report and a finding submitted to the council.
    from citizen_sensing.models import Finding, Report
    db.session.add(Report(campaign_id=campaign.id, draft="Damp all winter.", body="Damp all winter.",
                          published_at=utcnow()))
    finding = Finding(campaign_id=campaign.id, title="Homes are damp", summary="Most homes are damp.",
                      report="Damp all winter.", submitted_by_id=owner.id)
    db.session.add(finding)
    db.session.commit()
    return {"device_id": device.id, "box_id": device.public_key, "sensor_id": "temp", "rule_id": rule.id,
            "finding_id": finding.id}


def test_every_route_is_in_the_table(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_CHECKED or rule.rule.startswith("/__test__"):
            continue
        if "GET" in rule.methods and rule.endpoint not in GET:
            missing.append(f"GET {rule.rule}")
        if "POST" in rule.methods and rule.endpoint not in (POST_REFUSED.keys() | SIGN_IN_REQUIRED_POSTS
                                                            | OPEN_POSTS | {e for _m, e in API_WRITES}):
            missing.append(f"POST {rule.rule}")
    assert not missing, f"routes without access expectations: {missing}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(GET))
def test_get(app, client_as, objects, endpoint, role):
    client, _user = client_as(role)
    response = client.get(url_for_rule(app, endpoint, objects))
    assert response.status_code == GET[endpoint][role]
    if response.status_code == 302 and role == "anonymous" and GET[endpoint]["admin"] != 302:
        assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize(("endpoint", "role", "expected"), [
    (endpoint, role, status) for endpoint, table in sorted(POST_REFUSED.items())
    for role, status in table.items() if status is not None])
def test_post_refused(app, client_as, objects, endpoint, role, expected):
    client, _user = client_as(role)
    response = client.post(url_for_rule(app, endpoint, objects), data={})
    assert response.status_code == expected
    if role == "anonymous":
        assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("endpoint", sorted(SIGN_IN_REQUIRED_POSTS))
def test_posts_need_sign_in(app, client, objects, endpoint):
    response = client.post(url_for_rule(app, endpoint, objects), data={})
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize(("method", "endpoint"), sorted(API_WRITES))
def test_api_writes_need_authentication(app, client, objects, method, endpoint):
    response = client.open(url_for_rule(app, endpoint, objects), method=method, json={})
    assert response.status_code == 401
    assert response.get_json()["status"] == 401
