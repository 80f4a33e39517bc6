"""Instructors' pages (blueprint ``school_teach``, under /school/teach): their courses, making and editing a
course, its lessons, quizzes and sessions, attendance, and the dashboard with its CSV export.

Each instructor reaches only their own courses: every route loads its object through
``courses.get_managed_course`` (or the lesson's and session's equivalents), which answers 404 for a course they
may not see and 403 for someone else's."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from civic import policy
from civic.db import db
from civic.errors import NotFound, RuleViolation
from civic.exports import download_name, stream_csv
from civic.spaces.models import Ward
from civic.web import attempt, digits
from skills_school import courses, forms, pages, quizzes, sessions
from skills_school.models import Question, Quiz

bp = Blueprint("school_teach", __name__, url_prefix="/school/teach")
LONDON = ZoneInfo("Europe/London")


def _london(value: datetime | None) -> datetime | None:
    """A time typed in London's local time, as an aware time (stored in UTC)."""
    return value.replace(tzinfo=LONDON) if value is not None else None


@bp.get("/")
@login_required
def index():
    policy.require(current_user, "school.teach")
    return render_template("skills_school/teach/index.html", rows=pages.my_courses(current_user))


def _course_fields(form: forms.CourseForm) -> courses.CourseFields:
    return courses.CourseFields(
        title=form.title.data, summary=form.summary.data, topic=form.topic.data, level=form.level.data,
        audience=form.audience.data, language=form.language.data or "English",
        duration_minutes=form.duration_minutes.data, accessibility=form.accessibility.data or "",
        prerequisites=form.prerequisites.data or "", requires_attendance=bool(form.requires_attendance.data),
        cover=form.cover.data, cover_alt=form.cover_alt.data or "", remove_cover=bool(form.remove_cover.data))


@bp.route("/courses/new", methods=["GET", "POST"])
@login_required
def new_course():
    policy.require(current_user, "school.teach")
    form = forms.CourseForm()
    ok, course = attempt(form, lambda: courses.create_course(current_user, _course_fields(form)))
    if ok:
        flash(_("Your course is saved as a draft. Now add its lessons."), "success")
        return redirect(url_for(".course", course_id=course.id))
    return render_template("skills_school/teach/course_form.html", form=form, course=None)


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@login_required
def edit_course(course_id: int):
    course = courses.get_managed_course(current_user, course_id)
    form = forms.CourseForm(obj=course if request.method == "GET" else None)
    ok, _result = attempt(form, lambda: courses.update_course(current_user, course, _course_fields(form)))
    if ok:
        flash(_("Your changes are saved."), "success")
        return redirect(url_for(".course", course_id=course.id))
    return render_template("skills_school/teach/course_form.html", form=form, course=course)


@bp.post("/courses/<int:course_id>/submit")
@login_required
def submit_course(course_id: int):
    course = courses.get_managed_course(current_user, course_id)
    if forms.ActionForm().validate_on_submit():
        try:
            courses.submit_course(current_user, course)
        except RuleViolation as e:
            flash(e.message, "error")
        else:
            flash(_("Thank you. A council officer will check the course and publish it."), "success")
    return redirect(url_for(".course", course_id=course.id))


@bp.get("/courses/<int:course_id>")
@login_required
def course(course_id: int):
    """The dashboard: lessons, sessions, learners' progress, quiz results, attendance and waitlists."""
    course = courses.get_managed_course(current_user, course_id)
    lessons = courses.lessons_of(course)
    quiz_rows = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)))
    by_quiz = quizzes.stats_of(quiz_rows)
    stats = {q.lesson_id: by_quiz[q.id] for q in quiz_rows}
    return render_template("skills_school/teach/course.html", course=course, lessons=lessons,
                           board=pages.dashboard(course), stats=stats, action_form=forms.ActionForm(formdata=None))


@bp.get("/courses/<int:course_id>/learners.csv")
@login_required
def export_csv(course_id: int):
    course = courses.get_managed_course(current_user, course_id)
    board = pages.dashboard(course)
    rows = [(p.enrolment.user.display_name, p.enrolment.user.nickname, p.enrolment.enrolled_at, p.percent,
             p.enrolment.completed_at) for p in board.enrolments]
    return stream_csv(download_name(f"course-{course.id}-learners", "csv"),
                      ["name", "nickname", "enrolled_at", "progress_percent", "completed_at"], rows)


# Lessons -----------------------------------------------------------------------------------------------------


def _lesson_fields(form: forms.LessonForm) -> courses.LessonFields:
    return courses.LessonFields(title=form.title.data, body=form.body.data or "", minutes=form.minutes.data,
                                required=bool(form.required.data))


@bp.route("/courses/<int:course_id>/lessons/new", methods=["GET", "POST"])
@login_required
def new_lesson(course_id: int):
    course = courses.get_managed_course(current_user, course_id)
    form = forms.LessonForm()
    ok, _lesson = attempt(form, lambda: courses.add_lesson(current_user, course, _lesson_fields(form)))
    if ok:
        flash(_("The lesson is added."), "success")
        return redirect(url_for(".course", course_id=course.id))
    return render_template("skills_school/teach/lesson_form.html", form=form, course=course, lesson=None)


@bp.route("/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@login_required
def edit_lesson(lesson_id: int):
    lesson = courses.get_managed_lesson(current_user, lesson_id)
    form = forms.LessonForm(obj=lesson if request.method == "GET" else None)
    ok, _result = attempt(form, lambda: courses.update_lesson(current_user, lesson, _lesson_fields(form)))
    if ok:
        flash(_("Your changes are saved."), "success")
        return redirect(url_for(".course", course_id=lesson.course_id))
    return render_template("skills_school/teach/lesson_form.html", form=form, course=lesson.course, lesson=lesson)


@bp.post("/lessons/<int:lesson_id>/move")
@login_required
def move_lesson(lesson_id: int):
    lesson = courses.get_managed_lesson(current_user, lesson_id)
    if forms.ActionForm().validate_on_submit():
        courses.move_lesson(current_user, lesson, -1 if request.form.get("direction") == "up" else 1)
    return redirect(url_for(".course", course_id=lesson.course_id, _anchor="lessons"))


# Quizzes -----------------------------------------------------------------------------------------------------


def _quiz_page(lesson, quiz_form=None, question_form=None):
    quiz = quizzes.quiz_of(lesson)
    if quiz_form is None:
        quiz_form = forms.QuizForm(formdata=None, obj=quiz)
    return render_template("skills_school/teach/quiz.html", lesson=lesson, course=lesson.course, quiz=quiz,
                           quiz_form=quiz_form, question_form=question_form or forms.QuestionForm(formdata=None),
                           stats=quizzes.item_stats(quiz) if quiz else None,
                           action_form=forms.ActionForm(formdata=None))


@bp.route("/lessons/<int:lesson_id>/quiz", methods=["GET", "POST"])
@login_required
def quiz(lesson_id: int):
    lesson = courses.get_managed_lesson(current_user, lesson_id)
    if request.method == "GET":
        return _quiz_page(lesson)
    form = forms.QuizForm()
    ok, _q = attempt(form, lambda: quizzes.set_quiz(current_user, lesson, form.pass_mark.data,
                                                     form.retry_minutes.data))
    if ok:
        flash(_("The quiz settings are saved."), "success")
        return redirect(url_for(".quiz", lesson_id=lesson.id))
    return _quiz_page(lesson, quiz_form=form)


@bp.post("/lessons/<int:lesson_id>/quiz/questions")
@login_required
def add_question(lesson_id: int):
    lesson = courses.get_managed_lesson(current_user, lesson_id)
    quiz = quizzes.quiz_of(lesson)
    form = forms.QuestionForm()
    if quiz is None:
        form.validate_on_submit()
        form.form_errors.append(_("Save the quiz's settings first."))
        return _quiz_page(lesson, question_form=form)
    ok, _q = attempt(form, lambda: quizzes.add_question(current_user, quiz, form.text.data, form.kind.data,
                                                         quizzes.parse_choices(form.choices.data)))
    if ok:
        flash(_("The question is added."), "success")
        return redirect(url_for(".quiz", lesson_id=lesson.id, _anchor="questions"))
    return _quiz_page(lesson, question_form=form)


@bp.post("/questions/<int:quiz_question_id>/remove")
@login_required
def remove_question(quiz_question_id: int):
    question = db.session.get(Question, quiz_question_id)
    if question is None:
        raise NotFound(_("We could not find that question."))
    quiz = db.session.get(Quiz, question.quiz_id)
    lesson = courses.get_managed_lesson(current_user, quiz.lesson_id)
    if forms.ActionForm().validate_on_submit():
        quizzes.remove_question(current_user, question)
        flash(_("The question is removed."), "success")
    return redirect(url_for(".quiz", lesson_id=lesson.id, _anchor="questions"))


# Sessions ----------------------------------------------------------------------------------------------------


@bp.route("/courses/<int:course_id>/sessions/new", methods=["GET", "POST"])
@login_required
def new_session(course_id: int):
    course = courses.get_managed_course(current_user, course_id)
    form = forms.SessionForm()
    _ward_choices(form)
    ok, made = attempt(form, lambda: sessions.add_session(current_user, course, _session_fields(form)))
    if ok:
        flash(_("The session is added. People following the course are told."), "success")
        return redirect(url_for(".session", session_id=made.id))
    return render_template("skills_school/teach/session_form.html", form=form, course=course, session=None)


def _session_fields(form: forms.SessionForm) -> sessions.SessionFields:
    return sessions.SessionFields(
        title=form.title.data, venue=form.venue.data, ward_id=digits(form.ward.data),
        starts_at=_london(form.starts_at.data), ends_at=_london(form.ends_at.data), capacity=form.capacity.data,
        accessibility=form.accessibility.data or "")


def _ward_choices(form: forms.SessionForm) -> None:
    form.ward.choices = [("", _("Choose a ward"))] + [
        (str(w.id), w.name) for w in db.session.scalars(select(Ward).order_by(Ward.name))]


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(session_id: int):
    """Change a session before it starts: more places go to the people waiting; fewer than taken are refused."""
    s = sessions.get_managed_session(current_user, session_id)
    form = forms.SessionForm(obj=s if request.method == "GET" else None)
    _ward_choices(form)
    if request.method == "GET":
        form.ward.data = str(s.ward_id)
        form.starts_at.data = s.starts_at.astimezone(LONDON).replace(tzinfo=None)
        form.ends_at.data = s.ends_at.astimezone(LONDON).replace(tzinfo=None)
    ok, offered = attempt(form, lambda: sessions.update_session(current_user, s, _session_fields(form)))
    if ok:
        flash(_("The session is saved.") + (" " + _("%(n)d places were offered to people waiting.", n=offered)
                                              if offered else ""), "success")
        return redirect(url_for(".session", session_id=s.id))
    return render_template("skills_school/teach/session_form.html", form=form, course=s.course, session=s)


@bp.get("/sessions/<int:session_id>")
@login_required
def session(session_id: int):
    s = sessions.get_managed_session(current_user, session_id)
    bookings = sessions.bookings_of(s)
    form = forms.AttendanceForm(formdata=None)
    return render_template("skills_school/teach/session.html", session=s, course=s.course, bookings=bookings,
                           form=form)


@bp.post("/sessions/<int:session_id>/attendance")
@login_required
def attendance(session_id: int):
    s = sessions.get_managed_session(current_user, session_id)
    form = forms.AttendanceForm()
    if form.validate_on_submit():
        try:
            n = sessions.mark_attendance(current_user, s, set(form.attended.data or ()))
        except RuleViolation as e:
            flash(e.message, "error")
        else:
            flash(_("Attendance saved: %(n)d came.", n=n), "success")
    else:
        flash(_("The form expired. Please try again."), "error")
    return redirect(url_for(".session", session_id=s.id))
