"""Quizzes on lessons: instructors write single- and multiple-choice questions with feedback per answer, a pass
mark and a delay before another try; learners' answers are marked at once; instructors see how each question
went (item statistics)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from civic import policy
from civic.db import db, utcnow
from civic.errors import NotFound, PermissionDenied, RuleViolation
from skills_school import progress
from skills_school.models import Attempt, AttemptAnswer, Choice, Lesson, Question, Quiz

QUESTION_MAX = 500
CHOICE_MAX = 300
FEEDBACK_MAX = 500
CHOICES_MAX = 8
RETRY_MAX = 60 * 24 * 7


@dataclass
class ChoiceFields:
    text: str
    correct: bool = False
    feedback: str = ""


def quiz_of(lesson: Lesson) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.lesson_id == lesson.id))


def get_quiz(quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound(_("We could not find that quiz."))
    return quiz


def set_quiz(user: Any, lesson: Lesson, pass_mark: int, retry_minutes: int) -> Quiz:
    """Make the lesson's quiz, or change its pass mark and delay."""
    policy.require(user, "school.manage", lesson.course)
    if not isinstance(pass_mark, int) or not 0 <= pass_mark <= 100:
        raise RuleViolation(_("The pass mark is a percentage from 0 to 100."), field="pass_mark")
    if not isinstance(retry_minutes, int) or not 0 <= retry_minutes <= RETRY_MAX:
        raise RuleViolation(_("The wait before another try is from 0 to %(n)d minutes.", n=RETRY_MAX),
                            field="retry_minutes")
    quiz = quiz_of(lesson)
    if quiz is None:
        quiz = Quiz(lesson_id=lesson.id, course_id=lesson.course_id)
        db.session.add(quiz)
    quiz.pass_mark, quiz.retry_minutes = pass_mark, retry_minutes
    db.session.flush()
    return quiz


def parse_choices(text: str) -> list[ChoiceFields]:
    """The authoring format, one answer a line: ``* Right answer | feedback`` (a star marks a right answer;
    the feedback after a bar is optional)."""
    out = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        correct = line.startswith("*")
        line = line.lstrip("*").strip()
        answer, _bar, feedback = line.partition("|")
        out.append(ChoiceFields(answer.strip(), correct, feedback.strip()))
    return out


def add_question(user: Any, quiz: Quiz, text: str, kind: str, choices: Sequence[ChoiceFields]) -> Question:
    lesson = db.session.get(Lesson, quiz.lesson_id)
    policy.require(user, "school.manage", lesson.course)
    text = (text or "").strip()
    if not 3 <= len(text) <= QUESTION_MAX:
        raise RuleViolation(_("Write the question (3 to %(n)d characters).", n=QUESTION_MAX), field="text")
    if kind not in ("single", "multiple"):
        raise RuleViolation(_("Choose the kind of question."), field="kind")
    if not 2 <= len(choices) <= CHOICES_MAX:
        raise RuleViolation(_("Give from 2 to %(n)d answers, one a line.", n=CHOICES_MAX), field="choices")
    for c in choices:
        if not c.text or len(c.text) > CHOICE_MAX or len(c.feedback) > FEEDBACK_MAX:
            raise RuleViolation(_("Each answer needs words (at most %(n)d characters; feedback at most %(f)d).",
                                  n=CHOICE_MAX, f=FEEDBACK_MAX), field="choices")
    right = sum(1 for c in choices if c.correct)
    if kind == "single" and right != 1:
        raise RuleViolation(_("Mark exactly one answer as right with a star (*)."), field="choices")
    if kind == "multiple" and right < 1:
        raise RuleViolation(_("Mark at least one answer as right with a star (*)."), field="choices")
    position = (db.session.scalar(select(func.max(Question.position)).where(Question.quiz_id == quiz.id)) or 0) + 1
    question = Question(quiz_id=quiz.id, position=position, text=text, kind=kind,
                        choices=[Choice(text=c.text, correct=c.correct, feedback=c.feedback) for c in choices])
    db.session.add(question)
    db.session.flush()
    db.session.expire(quiz, ["questions"])
    return question


def remove_question(user: Any, question: Question) -> None:
    quiz = db.session.get(Quiz, question.quiz_id)
    lesson = db.session.get(Lesson, quiz.lesson_id)
    policy.require(user, "school.manage", lesson.course)
    db.session.delete(question)
    db.session.flush()
    db.session.expire(quiz, ["questions"])


# Taking a quiz ------------------------------------------------------------------------------------------------


@dataclass
class Marked:
    attempt: Attempt
    #: question id -> (right?, [(choice, chosen?)])
    items: dict[int, tuple[bool, list[tuple[Choice, bool]]]]


def last_attempt(user: Any, quiz: Quiz) -> Attempt | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)
                             .order_by(Attempt.submitted_at.desc(), Attempt.id.desc()).limit(1))


def next_try_at(user: Any, quiz: Quiz) -> Any:
    """When the person may try again (None: now)."""
    last = last_attempt(user, quiz)
    if last is None or not quiz.retry_minutes:
        return None
    at = last.submitted_at + timedelta(minutes=quiz.retry_minutes)
    return at if at > utcnow() else None


def submit(user: Any, quiz: Quiz, answers: Mapping[int, Sequence[int]]) -> Marked:
    """Mark the answers (question id -> chosen choice ids). Refused: not on the course, too soon after the last
    try, a question left unanswered, two answers to a one-answer question, answers that belong to another quiz."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Please sign in first."))
    lesson = db.session.get(Lesson, quiz.lesson_id)
    if progress.enrolment_of(user, lesson.course) is None:
        raise RuleViolation(_("Join the course first, so that we can keep your results."))
    wait = next_try_at(user, quiz)
    if wait is not None:
        minutes = max(1, int((wait - utcnow()).total_seconds() // 60) + 1)
        raise RuleViolation(_("You can try this quiz again in %(n)d minutes. Read the lesson again meanwhile.",
                              n=minutes))
    questions = {q.id: q for q in quiz.questions}
    if not questions:
        raise RuleViolation(_("This quiz has no questions yet."))
    for question_id in answers:
        if question_id not in questions:
            raise RuleViolation(_("Those answers are for another quiz. Please answer the questions on this page."),
                                field="answers")
    items: dict[int, tuple[bool, list[tuple[Choice, bool]]]] = {}
    for question in questions.values():
        chosen = set(answers.get(question.id) or ())
        if not chosen:
            raise RuleViolation(_("Answer every question: “%(q)s” has no answer.", q=question.text),
                                field=f"q{question.id}")
        own = {c.id for c in question.choices}
        if not chosen <= own:
            raise RuleViolation(_("Those answers are for another question. Please answer the questions on this "
                                  "page."), field=f"q{question.id}")
        if question.kind == "single" and len(chosen) > 1:
            raise RuleViolation(_("Choose one answer only for “%(q)s”.", q=question.text), field=f"q{question.id}")
        right = chosen == {c.id for c in question.choices if c.correct}
        items[question.id] = (right, [(c, c.id in chosen) for c in question.choices])
    score = round(100 * sum(1 for right, _c in items.values() if right) / len(items))
    attempt = Attempt(quiz_id=quiz.id, user_id=user.id, score=score, passed=score >= quiz.pass_mark,
                      submitted_at=utcnow())
    db.session.add(attempt)
    db.session.flush()
    for question_id, (right, choices) in items.items():
        db.session.add(AttemptAnswer(attempt_id=attempt.id, question_id=question_id, correct=right,
                                     choice_ids=",".join(str(c.id) for c, chosen in choices if chosen)))
    db.session.flush()
    if attempt.passed:
        progress.check_completion(user, lesson.course)
    return Marked(attempt, items)


@dataclass
class ItemStat:
    question: Question
    answered: int
    right: int

    @property
    def percent(self) -> int:
        return round(100 * self.right / self.answered) if self.answered else 0


def item_stats(quiz: Quiz) -> tuple[list[ItemStat], int, int]:
    """How each question went over every attempt, the attempts and how many passed."""
    return stats_of([quiz])[quiz.id]


def stats_of(quizzes: list[Quiz]) -> dict[int, tuple[list[ItemStat], int, int]]:
    """:func:`item_stats` for several quizzes (a course's dashboard) in two queries whatever their number."""
    question_ids = [q.id for quiz in quizzes for q in quiz.questions]
    rows = {qid: (n, int(r or 0)) for qid, n, r in db.session.execute(
        select(AttemptAnswer.question_id, func.count(), func.sum(case((AttemptAnswer.correct.is_(True), 1), else_=0)))
        .where(AttemptAnswer.question_id.in_(question_ids or [0])).group_by(AttemptAnswer.question_id))}
    totals = {qid: (n, p) for qid, n, p in db.session.execute(
        select(Attempt.quiz_id, func.count(), func.count().filter(Attempt.passed.is_(True)))
        .where(Attempt.quiz_id.in_([q.id for q in quizzes] or [0])).group_by(Attempt.quiz_id))}
    return {quiz.id: ([ItemStat(q, *rows.get(q.id, (0, 0))) for q in quiz.questions], *totals.get(quiz.id, (0, 0)))
            for quiz in quizzes}
