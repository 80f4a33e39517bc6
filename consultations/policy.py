"""Who may do what with a consultation: officers manage; verified residents of its wards vote.

A rule returns True or the reason, said to the person (``policy.require`` raises it as PermissionDenied)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from consultations.models import Consultation


def visible(user: Any, consultation: Consultation) -> bool:
    """Published and not hidden: everyone; otherwise officers only."""
    if consultation.is_published and consultation.hidden_at is None:
        return True
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_officer", False))


def _manage(user: Any, _consultation: Any) -> bool | str:
    return user.is_officer or _("Only council officers can manage consultations.")


def ward_refusal(consultation: Consultation, ward_id: int | None) -> str | None:
    """Why someone of ``ward_id`` may not take part, or None."""
    if consultation.whole_city:
        return None
    if ward_id not in {w.id for w in consultation.wards}:
        names = ", ".join(w.name for w in consultation.wards)
        return _("This consultation is only for residents of %(wards)s.", wards=names)
    return None


def _vote(user: Any, consultation: Consultation) -> bool | str:
    """Eligibility: a verified resident (verification refuses anyone under 16, so a minimum age of 16 is met by
    every verified resident), of one of the consultation's wards when it has some."""
    if not user.is_verified:
        return _("Only verified residents can vote in this consultation. Verify your residency first: it takes a "
                 "minute with your postcode and date of birth.")
    return ward_refusal(consultation, user.ward_id) or True


RULES = {"consultation.manage": _manage, "consultation.vote": _vote}
