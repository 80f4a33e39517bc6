"""Quizzes: instructors write them (one or several right answers, feedback, pass mark, a wait before another
try) and see how each question went; learners are marked at once; bad answers are refused with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from civic.db import db, utcnow
from civic.errors import RuleViolation
from skills_school import progress, quizzes
from skills_school.courses import lessons_of
from skills_school.models import Attempt, Question, Quiz
from tests.support.pages import field_error, main_text

TWO_QUESTIONS = [
    ("Which is a strong password?", "single", [("TeapotRiverCloud", True, "Yes: three random words."),
                                               ("password1", False, "Too easy to guess.")]),
    ("Which are warning signs of a scam?", "multiple", [("It rushes you", True, "Yes."),
                                                        ("It asks for your bank password", True, "Yes."),
                                                        ("A friend you expected", False, "Usually fine.")]),
]


@pytest.fixture
def setup(instructor, learner, make_course, make_quiz):
    course = make_course(instructor, lessons=1)
    lesson = lessons_of(course)[0]
    quiz = make_quiz(lesson, TWO_QUESTIONS, pass_mark=100, retry_minutes=10)
    progress.enrol(learner, course)
    db.session.commit()
    return course, lesson, quiz


def answers(quiz, *, right=True):
    out = {}
    for q in quiz.questions:
        out[q.id] = [c.id for c in q.choices if c.correct == right][: 1 if q.kind == "single" else None]
    return out


def test_an_instructor_writes_a_quiz(signed_in, instructor, make_course):
    course = make_course(instructor, lessons=1)
    lesson = lessons_of(course)[0]
    client = signed_in(instructor)
    client.post(f"/school/teach/lessons/{lesson.id}/quiz", data={"pass_mark": "80", "retry_minutes": "5"})
    response = client.post(f"/school/teach/lessons/{lesson.id}/quiz/questions", data={
        "text": "Which is safe to share?", "kind": "single",
        "choices": "* Your favourite colour | Yes: it opens nothing.\nYour password | Never share it."})
    assert response.status_code == 302
    quiz = db.session.scalar(select(Quiz).where(Quiz.lesson_id == lesson.id))
    assert quiz.pass_mark == 80 and quiz.retry_minutes == 5
    (question,) = quiz.questions
    assert [(c.text, c.correct, c.feedback) for c in question.choices] == [
        ("Your favourite colour", True, "Yes: it opens nothing."), ("Your password", False, "Never share it.")]


def test_a_question_with_no_right_answer_is_refused_beside_the_field(signed_in, instructor, make_course, make_quiz):
    course = make_course(instructor, lessons=1)
    lesson = lessons_of(course)[0]
    make_quiz(lesson)
    response = signed_in(instructor).post(f"/school/teach/lessons/{lesson.id}/quiz/questions", data={
        "text": "Pick one", "kind": "single", "choices": "* One\n* Two"})
    assert response.status_code == 200
    assert "exactly one answer as right" in field_error(response, "choices")
    response = signed_in(instructor).post(f"/school/teach/lessons/{lesson.id}/quiz/questions", data={
        "text": "Pick one", "kind": "single", "choices": "Only one answer"})
    assert "from 2 to 8 answers" in field_error(response, "choices")


def test_a_wrong_try_waits_then_a_pass_completes_the_course(signed_in, learner, setup):
    course, lesson, quiz = setup
    progress.complete_lesson(learner, lesson)
    marked = quizzes.submit(learner, quiz, answers(quiz, right=False))
    assert marked.attempt.score == 0 and not marked.attempt.passed
    assert not progress.progress(learner, course).complete
    with pytest.raises(RuleViolation, match="try this quiz again in 10 minutes"):
        quizzes.submit(learner, quiz, answers(quiz))
    db.session.execute(update(Attempt).values(submitted_at=utcnow() - timedelta(minutes=11)))
    db.session.expire_all()
    marked = quizzes.submit(learner, quiz, answers(quiz))
    assert marked.attempt.passed and marked.attempt.score == 100
    assert progress.progress(learner, course).complete


def test_the_page_marks_and_gives_feedback(signed_in, learner, setup):
    _course, lesson, quiz = setup
    single, multiple = quiz.questions
    wrong = next(c for c in single.choices if not c.correct)
    data = {f"q{single.id}": str(wrong.id), f"q{multiple.id}": [str(c.id) for c in multiple.choices if c.correct]}
    text = main_text(signed_in(learner).post(f"/school/lessons/{lesson.id}/quiz", data=data))
    assert "You scored 50%: not a pass this time" in text
    assert "Too easy to guess." in text  # the feedback of the answer chosen


def test_bad_answers_are_refused_with_a_reason(learner, setup, instructor, make_course, make_quiz):
    _course, _lesson, quiz = setup
    other_quiz = make_quiz(lessons_of(make_course(instructor, lessons=1))[0])
    other_question = other_quiz.questions[0]
    with pytest.raises(RuleViolation, match="for another quiz"):
        quizzes.submit(learner, quiz, {**answers(quiz), other_question.id: [other_question.choices[0].id]})
    single, multiple = quiz.questions
    with pytest.raises(RuleViolation, match="for another question"):
        quizzes.submit(learner, quiz, {single.id: [multiple.choices[0].id], multiple.id: [multiple.choices[0].id]})
    with pytest.raises(RuleViolation, match="Choose one answer only"):
        quizzes.submit(learner, quiz, {single.id: [c.id for c in single.choices],
                                       multiple.id: [multiple.choices[0].id]})
    with pytest.raises(RuleViolation, match="Answer every question"):
        quizzes.submit(learner, quiz, {single.id: [single.choices[0].id]})
    assert db.session.scalar(select(Attempt.id).where(Attempt.user_id == learner.id)) is None


def test_bad_answers_on_the_page_are_shown(signed_in, learner, setup):
    _course, lesson, quiz = setup
    single, _multiple = quiz.questions
    response = signed_in(learner).post(f"/school/lessons/{lesson.id}/quiz",
                                       data={f"q{single.id}": "99999999999", "q2147483648": "1", "qx": "y"})
    assert response.status_code == 200
    assert "Answer every question" in main_text(response)


def test_only_learners_on_the_course_take_it(make_user, setup):
    _course, _lesson, quiz = setup
    with pytest.raises(RuleViolation, match="Join the course first"):
        quizzes.submit(make_user("resident"), quiz, answers(quiz))


def test_the_instructor_sees_item_statistics(signed_in, instructor, make_people, setup):
    course, _lesson, quiz = setup
    single, multiple = quiz.questions
    for n, person in enumerate(make_people(4)):
        progress.enrol(person, course)
        chosen = answers(quiz)
        if n < 3:  # three of four get the single-choice question wrong
            chosen[single.id] = [next(c.id for c in single.choices if not c.correct)]
        quizzes.submit(person, quiz, chosen)
    db.session.commit()
    stats, attempts, passed = quizzes.item_stats(quiz)
    assert attempts == 4 and passed == 1
    assert [(s.question.id, s.answered, s.percent) for s in stats] == [(single.id, 4, 25), (multiple.id, 4, 100)]
    text = main_text(signed_in(instructor).get(f"/school/teach/courses/{course.id}"))
    assert "4 attempts, 1 passed" in text
    assert db.session.scalar(select(Question.id).where(Question.id == single.id))


def test_the_dashboard_queries_do_not_grow(signed_in, instructor, make_course, make_quiz, make_people,
                                           count_queries):
    course = make_course(instructor, lessons=4)
    lessons = lessons_of(course)
    make_quiz(lessons[0])
    progress.enrol(make_people(1)[0], course)
    db.session.commit()
    client = signed_in(instructor)
    db.session.expire_all()  # the request shares the test's session: nothing loaded beforehand
    with count_queries() as few:
        assert client.get(f"/school/teach/courses/{course.id}").status_code == 200
    for lesson in lessons[1:]:
        make_quiz(lesson)
    for person in make_people(5):
        progress.enrol(person, course)
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        client.get(f"/school/teach/courses/{course.id}")
    assert many.count == few.count
