"""Officers' side of consultations: create, edit, questions and options, publish, extend the closing time.

Every write checks the policy and flushes; the request commits. Questions and options change only until the
consultation opens; once open, the closing time can be moved later (audited), never earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from civic import events, policy, uploads
from civic.audit import audit
from civic.db import after_commit, after_rollback, db, utcnow
from civic.errors import NotFound, RuleViolation
from civic.spaces.models import Process, Ward
from civic.spaces.services import when
from consultations import kinds
from consultations.models import Consultation, Option, Question
from consultations.policy import visible

TITLE_MAX, INTRO_MAX, QUESTION_MAX, OPTION_MAX, DESCRIPTION_MAX, EVENT_MAX = 200, 20000, 300, 200, 2000, 200
MINIMUM_AGE = 16
MAX_OPTIONS, MAX_QUESTIONS = 30, 30


# Finding ----------------------------------------------------------------------------------------------------


def get_visible(user: Any, consultation_id: int) -> Consultation:
    """The consultation if this person may see it (a draft or a hidden one only for officers), else NotFound.

    One statement: the consultation with its process, questions and options joined (its wards are read only for
    a consultation limited to wards, when asked)."""
    consultation = db.session.get(Consultation, consultation_id, options=WHOLE)
    if consultation is None or not visible(user, consultation):
        raise NotFound(_("We could not find that consultation."))
    return consultation


#: Loader options reading a consultation, its questions and their options in one statement.
WHOLE = (joinedload(Consultation.questions).joinedload(Question.options),)


def get_managed(user: Any, consultation_id: int) -> Consultation:
    """For officers' pages: the permission first (so a resident learns nothing of drafts), then the row."""
    policy.require(user, "consultation.manage")
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(_("We could not find that consultation."))
    return consultation


def question_of(consultation: Consultation, question_id: int) -> Question:
    for q in consultation.questions:
        if q.id == question_id:
            return q
    raise NotFound(_("That question is not in this consultation."))


def option_of(question: Question, option_id: int) -> Option:
    for o in question.options:
        if o.id == option_id:
            return o
    raise NotFound(_("That option is not in this question."))


# States -----------------------------------------------------------------------------------------------------


def status(consultation: Consultation, now: datetime | None = None) -> str:
    """draft, upcoming, open or closed."""
    now = now or utcnow()
    if not consultation.is_published:
        return "draft"
    if now < consultation.opens_at:
        return "upcoming"
    return "open" if now < consultation.closes_at else "closed"


def is_closed(consultation: Consultation, now: datetime | None = None) -> bool:
    return consultation.is_published and (now or utcnow()) >= consultation.closes_at


def _require_editable(consultation: Consultation) -> None:
    if consultation.is_published and utcnow() >= consultation.opens_at:
        raise RuleViolation(_("This consultation has opened: its questions and options can no longer change."))
    if any(q.kind == "budget" for q in consultation.questions):
        raise RuleViolation(_("This is a participatory budget: change its projects and money on the budget's own "
                              "pages."))


# Writing ----------------------------------------------------------------------------------------------------


@dataclass
class Details:
    title: str
    introduction: str
    opens_at: datetime | None
    closes_at: datetime | None
    process_slug: str | None = None
    ward_ids: tuple[int, ...] = ()
    minimum_age: bool = False


def _clean(details: Details) -> tuple[str, str, Process | None, list[Ward]]:
    title = (details.title or "").strip()
    if not title:
        raise RuleViolation(_("Enter the title of the consultation."), field="title")
    if len(title) > TITLE_MAX:
        raise RuleViolation(_("Keep the title to %(n)d characters.", n=TITLE_MAX), field="title")
    intro = (details.introduction or "").strip()
    if len(intro) > INTRO_MAX:
        raise RuleViolation(_("Keep the introduction to %(n)d characters.", n=INTRO_MAX), field="introduction")
    if details.opens_at is None:
        raise RuleViolation(_("Enter when the consultation opens."), field="opens_at")
    if details.closes_at is None:
        raise RuleViolation(_("Enter when the consultation closes."), field="closes_at")
    if details.closes_at <= details.opens_at:
        raise RuleViolation(_("The closing time must be after the opening time."), field="closes_at")
    process = None
    if details.process_slug:
        process = db.session.scalar(select(Process).where(Process.slug == details.process_slug))
        if process is None:
            raise RuleViolation(_("Choose a participatory process from the list, or none."), field="process_slug")
    wards = []
    if details.ward_ids:
        wards = list(db.session.scalars(select(Ward).where(Ward.id.in_(details.ward_ids))))
        if len(wards) != len(set(details.ward_ids)):
            raise RuleViolation(_("Choose wards from the list."), field="wards")
    return title, intro, process, wards


def create(actor: Any, details: Details) -> Consultation:
    policy.require(actor, "consultation.manage")
    title, intro, process, wards = _clean(details)
    consultation = Consultation(title=title, introduction=intro, opens_at=details.opens_at,
                                closes_at=details.closes_at, process_id=process.id if process else None,
                                whole_city=not wards, minimum_age=MINIMUM_AGE if details.minimum_age else None,
                                created_by_id=actor.id)
    consultation.wards = wards
    db.session.add(consultation)
    db.session.flush()
    audit(actor, "consultation.create", "consultation", consultation.id, label=title)
    return consultation


def update(actor: Any, consultation: Consultation, details: Details) -> Consultation:
    policy.require(actor, "consultation.manage", consultation)
    _require_editable(consultation)
    title, intro, process, wards = _clean(details)
    consultation.title, consultation.introduction = title, intro
    consultation.opens_at, consultation.closes_at = details.opens_at, details.closes_at
    consultation.process_id = process.id if process else None
    consultation.wards = wards
    consultation.whole_city = not wards
    consultation.minimum_age = MINIMUM_AGE if details.minimum_age else None
    db.session.flush()
    audit(actor, "consultation.update", "consultation", consultation.id, label=title)
    return consultation


def _question_fields(kind_key: str, title: str, description: str, min_choices: int | None,
                     max_choices: int | None, option_count: int) -> tuple[kinds.Kind, str, str, int, int | None]:
    kind = kinds.get(kind_key)
    title = (title or "").strip()
    if not title:
        raise RuleViolation(_("Enter the question."), field="title")
    if len(title) > QUESTION_MAX:
        raise RuleViolation(_("Keep the question to %(n)d characters.", n=QUESTION_MAX), field="title")
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise RuleViolation(_("Keep the description to %(n)d characters.", n=DESCRIPTION_MAX), field="description")
    low, high = kind.configure(option_count, min_choices, max_choices)
    return kind, title, description, low, high


def add_question(actor: Any, consultation: Consultation, *, kind: str, title: str, description: str = "",
                 min_choices: int | None = None, max_choices: int | None = None,
                 options: list[str] | None = None) -> Question:
    policy.require(actor, "consultation.manage", consultation)
    _require_editable(consultation)
    if len(consultation.questions) >= MAX_QUESTIONS:
        raise RuleViolation(_("A consultation has at most %(n)d questions.", n=MAX_QUESTIONS))
    texts = [t.strip() for t in (options or []) if t and t.strip()]
    _check_option_texts(texts)
    kind_, title, description, low, high = _question_fields(kind, title, description, min_choices, max_choices,
                                                            len(texts))
    question = Question(kind=kind_.key, title=title, description=description, min_choices=low, max_choices=high,
                        position=len(consultation.questions))
    question.options = [Option(text=t, position=n) for n, t in enumerate(texts)]
    consultation.questions.append(question)
    db.session.flush()
    audit(actor, "consultation.add_question", "consultation", consultation.id, label=title)
    return question


def _check_option_texts(texts: list[str]) -> None:
    if len(texts) > MAX_OPTIONS:
        raise RuleViolation(_("A question has at most %(n)d options.", n=MAX_OPTIONS), field="options")
    for t in texts:
        if len(t) > OPTION_MAX:
            raise RuleViolation(_("Keep each option to %(n)d characters.", n=OPTION_MAX), field="options")
    if len({t.casefold() for t in texts}) != len(texts):
        raise RuleViolation(_("Two options have the same text."), field="options")


def update_question(actor: Any, question: Question, *, title: str, description: str = "",
                    min_choices: int | None = None, max_choices: int | None = None) -> Question:
    consultation = question.consultation
    policy.require(actor, "consultation.manage", consultation)
    _require_editable(consultation)
    _kind, title, description, low, high = _question_fields(question.kind, title, description, min_choices,
                                                            max_choices, len(question.options))
    question.title, question.description, question.min_choices, question.max_choices = title, description, low, high
    db.session.flush()
    audit(actor, "consultation.update_question", "consultation", consultation.id, label=title)
    return question


def remove_question(actor: Any, question: Question) -> None:
    consultation = question.consultation
    policy.require(actor, "consultation.manage", consultation)
    _require_editable(consultation)
    consultation.questions.remove(question)
    for n, q in enumerate(consultation.questions):
        q.position = n
    db.session.flush()
    audit(actor, "consultation.remove_question", "consultation", consultation.id, label=question.title)


def add_option(actor: Any, question: Question, *, text: str, description: str = "", image: Any = None,
               image_alt: str = "") -> Option:
    """An option with an optional image (JPEG, PNG or WebP, with its description for people who cannot see it)."""
    consultation = question.consultation
    policy.require(actor, "consultation.manage", consultation)
    _require_editable(consultation)
    text = (text or "").strip()
    if not text:
        raise RuleViolation(_("Enter the option's text."), field="text")
    _check_option_texts([o.text for o in question.options] + [text])
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise RuleViolation(_("Keep the description to %(n)d characters.", n=DESCRIPTION_MAX), field="description")
    image_alt = " ".join((image_alt or "").split())[:300]
    path = None
    if image is not None and getattr(image, "filename", ""):
        if not image_alt:
            raise RuleViolation(_("Describe the image for people who cannot see it."), field="image_alt")
        path = uploads.save_image(image, "consultations", field="image")
        after_rollback(uploads.delete_image, path)
    option = Option(text=text, description=description, position=len(question.options), image_path=path,
                    image_alt=image_alt if path else "")
    question.options.append(option)
    _refit(question)
    db.session.flush()
    return option


def remove_option(actor: Any, option: Option) -> None:
    question = option.question
    policy.require(actor, "consultation.manage", question.consultation)
    _require_editable(question.consultation)
    question.options.remove(option)
    if option.image_path:
        after_commit(uploads.delete_image, option.image_path)
    for n, o in enumerate(question.options):
        o.position = n
    _refit(question)
    db.session.flush()


def _refit(question: Question) -> None:
    """Keep a question's limits possible after its options changed (rank all follows the number of options)."""
    n = len(question.options)
    if question.kind == "ranked" and question.max_choices is None:
        question.min_choices = n
    elif question.kind == "multiple":
        question.min_choices = min(question.min_choices, n)
        if question.max_choices is not None:
            question.max_choices = max(question.min_choices, min(question.max_choices, n)) or None


def publish_refusal(consultation: Consultation) -> str | None:
    """Why it cannot be published yet, or None."""
    if not consultation.questions:
        return _("Add at least one question before publishing.")
    for q in consultation.questions:
        if len(q.options) < 2:
            return _("“%(question)s” needs at least two options.", question=q.title)
        high = q.max_choices if q.max_choices is not None else len(q.options)
        if q.min_choices > len(q.options) or high < 1:
            return _("“%(question)s” asks for more choices than it has options.", question=q.title)
    if consultation.closes_at <= utcnow():
        return _("The closing time has passed: move it later before publishing.")
    return None


def publish(actor: Any, consultation: Consultation) -> Consultation:
    policy.require(actor, "consultation.manage", consultation)
    if consultation.is_published:
        raise RuleViolation(_("This consultation is already published."))
    refusal = publish_refusal(consultation)
    if refusal:
        raise RuleViolation(refusal)
    consultation.state = "published"
    consultation.published_at = utcnow()
    db.session.flush()
    audit(actor, "consultation.publish", "consultation", consultation.id, label=consultation.title)
    events.publish("consultation.published", consultation, actor_id=actor.id)
    return consultation


def extend(actor: Any, consultation: Consultation, closes_at: datetime | None, reason: str = "") -> Consultation:
    """Move the closing time later (audited with the reason); never earlier, and not once closed."""
    policy.require(actor, "consultation.manage", consultation)
    if closes_at is None:
        raise RuleViolation(_("Enter the new closing time."), field="closes_at")
    if is_closed(consultation):
        raise RuleViolation(_("This consultation has closed: its closing time can no longer change."))
    if closes_at <= consultation.closes_at:
        raise RuleViolation(_("The new closing time must be later than the current one (%(when)s): a closing "
                              "time can be extended, never shortened.", when=when(consultation.closes_at)),
                            field="closes_at")
    before = consultation.closes_at
    consultation.closes_at = closes_at
    consultation.closing_told_at = None
    db.session.flush()
    audit(actor, "consultation.extend", "consultation", consultation.id, label=consultation.title,
          before={"closes_at": before.isoformat()}, after={"closes_at": closes_at.isoformat()}, reason=reason or "")
    return consultation


def on_comment_count(consultation: Consultation, delta: int) -> None:
    db.session.execute(Consultation.__table__.update().where(Consultation.id == consultation.id)
                       .values(comments_count=Consultation.comments_count + delta))


def set_hidden(consultation: Consultation, hidden_at: datetime | None) -> None:
    consultation.hidden_at = hidden_at


def published_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Consultation)
                             .where(Consultation.state == "published", Consultation.hidden_at.is_(None))) or 0


def _image_visible(name: str, user: Any) -> bool:
    """An option's image is served to those who see its consultation (civic.uploads asks)."""
    option = db.session.scalar(select(Option).where(Option.image_path == name))
    return option is not None and visible(user, option.question.consultation)


uploads.register_owner("consultations", _image_visible)
