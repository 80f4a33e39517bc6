"""The school's public pages (blueprint ``school``): the catalogue, a course and its lessons, quizzes, sessions
with booking and the waitlist, "My learning", and certificates with their public verification, QR code and
Open Badges 2.0 files. Instructors' pages are in ``teach_views``, officers' in ``admin_views``.

Thin: parse the request, call a service (which checks permission for the object), render or redirect. A rule's
refusal is flashed (or shown beside the field); PermissionDenied and NotFound reach the app's error pages."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from civic.accounts.models import User
from civic.comments import services as comments
from civic.db import db, utcnow
from civic.errors import NotFound, RuleViolation
from civic.spaces.models import Ward
from civic.web import digits, page_arg
from skills_school import certificates, courses, forms, pages, progress, quizzes, sessions, waitlists
from skills_school.catalogue import (
    AUDIENCE_LABELS,
    BOOKING_LABELS,
    LEVEL_LABELS,
    STATE_LABELS,
    STATUS_LABELS,
    TOPIC_LABELS,
    duration_words,
)
from skills_school.models import Course

bp = Blueprint("school", __name__, url_prefix="/school")
LONDON = ZoneInfo("Europe/London")


#: The words of the fixed values, for the templates (and their macros, which see globals only).
for _name, _value in (("school_topics", TOPIC_LABELS), ("school_levels", LEVEL_LABELS),
                      ("school_audiences", AUDIENCE_LABELS), ("school_states", STATE_LABELS),
                      ("school_booking_labels", BOOKING_LABELS), ("school_status_labels", STATUS_LABELS),
                      ("school_duration", duration_words)):
    bp.add_app_template_global(_value, _name)


# The catalogue ------------------------------------------------------------------------------------------------


@bp.get("/")
def index():
    form = forms.FilterForm(request.args)
    form.validate()
    f = pages.filters(form.q.data if not form.q.errors else "", form.topic.data, form.level.data,
                      form.audience.data)
    result = pages.catalogue(f, page_arg())
    upcoming = pages.next_sessions([c.id for c in result.items])
    # The cards' words made once for the page (a lazy string translates at every use, and Babel's date
    # formatting and a macro per card were most of the page's time).
    words = {"topics": {k: str(v) for k, v in TOPIC_LABELS.items()},
             "levels": {k: str(v) for k, v in LEVEL_LABELS.items()},
             "audiences": {k: str(v).lower() for k, v in AUDIENCE_LABELS.items()},
             "next": {cid: _next_words(s) for cid, s in upcoming.items()}}
    return render_template("skills_school/index.html", form=form, filters=f, page=result, upcoming=upcoming,
                           words=words)


def _next_words(session) -> str:
    """“17 December, Queen's Park (10 places left of 12)” for a catalogue card."""
    when = session.starts_at.astimezone(LONDON)
    month = get_locale().months["format"]["wide"][when.month]
    if session.places_left:
        places = ngettext("%(num)d place left of %(n)d", "%(num)d places left of %(n)d", session.places_left,
                          n=session.capacity)
    else:
        places = _("Full: you can join the waitlist")
    return f"{when.day} {month}, {session.ward.name} ({places})"


# A course and its lessons -------------------------------------------------------------------------------------


def _course_page(course, *, status: int = 200):
    lessons = courses.lessons_of(course)
    mine = progress.progress(current_user, course, lessons)
    thread = comments.thread("course", course.id, current_user, order=request.args.get("order", "oldest"))
    context = {"course": course, "lessons": lessons, "progress": mine, "thread": thread,
               "sessions": sessions.sessions_of(course), "action_form": forms.ActionForm(formdata=None),
               "may_manage": current_user.is_authenticated and course.instructor_id == current_user.id}
    return render_template("skills_school/course.html", **context), status


@bp.get("/courses/<int:course_id>")
def course(course_id: int):
    return _course_page(courses.get_course(current_user, course_id))


def _posted(back: str, act: Callable[[], str | None]):
    """A button's service call; a rule's refusal is flashed; back to ``back``."""
    form = forms.ActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
    else:
        try:
            message = act()
        except RuleViolation as e:
            flash(e.message, "error")
        else:
            if message:
                flash(message, "success")
    return redirect(back)


@bp.post("/courses/<int:course_id>/enrol")
@login_required
def enrol(course_id: int):
    course = courses.get_course(current_user, course_id)

    def act() -> str:
        progress.enrol(current_user, course)
        return _("You have joined the course. Start with the first lesson below.")

    return _posted(url_for(".course", course_id=course.id), act)


@bp.get("/courses/<int:course_id>/resume")
@login_required
def resume(course_id: int):
    """Where the learner left off: the first lesson they have not completed."""
    course = courses.get_course(current_user, course_id)
    nxt = progress.progress(current_user, course).next_lesson
    if nxt is None:
        return redirect(url_for(".course", course_id=course.id))
    return redirect(url_for(".lesson", lesson_id=nxt.id))


@bp.get("/lessons/<int:lesson_id>")
def lesson(lesson_id: int):
    lesson = courses.get_lesson(current_user, lesson_id)
    lessons = courses.lessons_of(lesson.course)
    mine = progress.progress(current_user, lesson.course, lessons)
    index = next(i for i, x in enumerate(lessons) if x.id == lesson.id)
    return render_template("skills_school/lesson.html", lesson=lesson, course=lesson.course, lessons=lessons,
                           progress=mine, quiz=quizzes.quiz_of(lesson), action_form=forms.ActionForm(formdata=None),
                           previous=lessons[index - 1] if index else None,
                           following=lessons[index + 1] if index + 1 < len(lessons) else None)


@bp.post("/lessons/<int:lesson_id>/complete")
@login_required
def complete_lesson(lesson_id: int):
    """Mark the lesson complete, then on to its quiz, the next lesson, or the certificate."""
    lesson = courses.get_lesson(current_user, lesson_id)
    back = url_for(".lesson", lesson_id=lesson.id)
    if not forms.ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(back)
    try:
        done = progress.complete_lesson(current_user, lesson)
    except RuleViolation as e:
        flash(e.message, "error")
        return redirect(back)
    if done.complete and done.certificate is not None:
        flash(_("Well done: you have completed the course! Here is your certificate."), "success")
        return redirect(url_for(".certificate", code=done.certificate.code))
    flash(_("Lesson marked as complete."), "success")
    quiz_id = done.quizzes.get(lesson.id)
    if quiz_id is not None and quiz_id not in done.passed:
        return redirect(url_for(".quiz", lesson_id=lesson.id))
    if done.next_lesson is not None:
        return redirect(url_for(".lesson", lesson_id=done.next_lesson.id))
    return redirect(url_for(".course", course_id=lesson.course_id))


# Quizzes -----------------------------------------------------------------------------------------------------


def _answers() -> dict[int, list[int]]:
    """``q<question id>`` fields, each one or more choice ids; anything else is ignored, a bad number dropped."""
    out: dict[int, list[int]] = {}
    for key in request.form:
        if key.startswith("q") and (qid := digits(key[1:])) is not None:
            out[qid] = [c for c in (digits(v) for v in request.form.getlist(key)) if c is not None]
    return out


@bp.route("/lessons/<int:lesson_id>/quiz", methods=["GET", "POST"])
@login_required
def quiz(lesson_id: int):
    lesson = courses.get_lesson(current_user, lesson_id)
    quiz = quizzes.quiz_of(lesson)
    if quiz is None:
        flash(_("This lesson has no quiz."), "info")
        return redirect(url_for(".lesson", lesson_id=lesson.id))
    form = forms.ActionForm()
    marked, error, field, chosen = None, None, None, {}
    if request.method == "POST":
        if not form.validate_on_submit():
            error = _("The form expired. Please try again.")
        else:
            chosen = _answers()
            try:
                marked = quizzes.submit(current_user, quiz, chosen)
            except RuleViolation as e:
                error, field = e.message, e.field
    enrolled = progress.enrolment_of(current_user, lesson.course) is not None
    return render_template("skills_school/quiz.html", lesson=lesson, course=lesson.course, quiz=quiz, form=form,
                           marked=marked, error=error, error_field=field, chosen=chosen, enrolled=enrolled,
                           last=quizzes.last_attempt(current_user, quiz), wait=quizzes.next_try_at(current_user, quiz))


# Sessions ----------------------------------------------------------------------------------------------------


@bp.get("/sessions/")
def sessions_index():
    ward = digits(request.args.get("ward", ""))
    result = pages.upcoming_sessions(page_arg(), ward_id=ward)
    wards = list(db.session.scalars(select(Ward).order_by(Ward.name)))
    return render_template("skills_school/sessions.html", page=result, ward_id=ward, wards=wards)


@bp.get("/sessions/<int:session_id>")
def session(session_id: int):
    s = sessions.get_session(current_user, session_id)
    booking = waitlists.booking_of(current_user, s)
    position = waitlists.waitlist_position(booking) if booking is not None and booking.status == "waiting" else None
    return render_template("skills_school/session.html", session=s, course=s.course, booking=booking,
                           position=position, action_form=forms.ActionForm(formdata=None),
                           started=s.starts_at <= utcnow())


def _session_action(session_id: int, act: Callable[..., object], message: str):
    s = sessions.get_session(current_user, session_id)

    def run() -> str:
        act(current_user, s)
        return message

    return _posted(url_for(".session", session_id=s.id), run)


@bp.post("/sessions/<int:session_id>/book")
@login_required
def book(session_id: int):
    s = sessions.get_session(current_user, session_id)

    def run() -> str:
        booking = waitlists.book(current_user, s)
        if booking.status == "booked":
            return _("Your place is booked. Add it to your calendar so you do not forget.")
        return _("All places are taken, so you are on the waitlist. If someone cancels, we will offer you the "
                 "place by notification and email.")

    return _posted(url_for(".session", session_id=s.id), run)


@bp.post("/sessions/<int:session_id>/cancel")
@login_required
def cancel(session_id: int):
    return _session_action(session_id, waitlists.cancel, _("Done: you no longer have a place or a waitlist place."))


@bp.post("/sessions/<int:session_id>/accept")
@login_required
def accept(session_id: int):
    return _session_action(session_id, waitlists.accept, _("The place is yours. See you there!"))


@bp.post("/sessions/<int:session_id>/decline")
@login_required
def decline(session_id: int):
    return _session_action(session_id, waitlists.decline, _("Thank you for telling us: the place goes to the "
                                                            "next person waiting."))


@bp.get("/sessions/<int:session_id>/calendar.ics")
def session_ics(session_id: int):
    s = sessions.get_session(current_user, session_id)
    body = sessions.ics(s, url_for(".session", session_id=s.id, _external=True))
    return Response(body, content_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="session-{s.id}.ics"'})


# My learning -------------------------------------------------------------------------------------------------


@bp.get("/my")
@login_required
def mine():
    return render_template("skills_school/my.html", learning=pages.my_learning(current_user))


# Certificates ------------------------------------------------------------------------------------------------


@bp.get("/verify")
def verify():
    """Type a certificate's code to check it."""
    code = certificates.normalise(request.args.get("code", ""))
    if code:
        return redirect(url_for(".certificate", code=code))
    return render_template("skills_school/verify.html")


@bp.get("/certificates/<code>")
def certificate(code: str):
    cert = certificates.by_code(code)
    return render_template("skills_school/certificate.html", certificate=cert, course=cert.course,
                           url=url_for(".certificate", code=cert.code, _external=True),
                           summary=certificates.summary_html(cert.course))


@bp.get("/certificates/<code>/qr.svg")
def certificate_qr(code: str):
    cert = certificates.by_code(code)
    svg = certificates.qr_svg(url_for(".certificate", code=cert.code, _external=True))
    return Response(svg, content_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/certificates/<code>/assertion.json")
def assertion(code: str):
    """The Open Badges 2.0 assertion (hosted verification): 410 with ``revoked`` once revoked."""
    cert = certificates.by_code(code)
    learner = db.session.get(User, cert.user_id)
    body = certificates.assertion_json(cert, learner.email if learner else None)
    return jsonify(body), 410 if cert.revoked_at is not None else 200


@bp.get("/courses/<int:course_id>/badge.json")
def badge(course_id: int):
    course = db.session.get(Course, course_id)
    if course is None or course.published_at is None:  # a course once published keeps its badge
        raise NotFound(_("We could not find that course."))
    return jsonify(certificates.badge_json(course))


@bp.get("/issuer.json")
def issuer():
    return jsonify(certificates.issuer_json(current_app.config["SITE_NAME"]))
