"""The words people see for the school's fixed values: topics, levels, audiences, states (one place)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TOPIC_LABELS = {
    "digital-skills": _l("Digital skills"),
    "data": _l("Data"),
    "coding": _l("Coding"),
    "robotics": _l("Robotics"),
    "online-safety": _l("Online safety"),
}
LEVEL_LABELS = {
    "beginner": _l("Beginner: new to this"),
    "intermediate": _l("Intermediate: know the basics"),
    "advanced": _l("Advanced"),
}
AUDIENCE_LABELS = {
    "everyone": _l("Everyone"),
    "young-people": _l("Young people"),
    "adults": _l("Adults"),
    "older-residents": _l("Older residents"),
    "council-staff": _l("Council staff"),
}
STATE_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Waiting for an officer to publish it"),
    "published": _l("Published"),
}
BOOKING_LABELS = {
    "booked": _l("You have a place"),
    "waiting": _l("You are on the waitlist"),
    "offered": _l("A place is offered to you"),
    "cancelled": _l("You cancelled"),
    "expired": _l("The offer ran out"),
}

#: The same, as the instructor reads them about a learner.
STATUS_LABELS = {
    "booked": _l("Has a place"),
    "waiting": _l("Waiting"),
    "offered": _l("Offered a place"),
    "cancelled": _l("Cancelled"),
    "expired": _l("The offer ran out"),
}


def duration_words(minutes: int) -> str:
    """``90`` -> "1 hour 30 minutes" (plain words for people new to computers)."""
    from flask_babel import ngettext

    hours, rest = divmod(max(0, minutes), 60)
    parts = []
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if rest or not hours:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", rest))
    return " ".join(parts)
