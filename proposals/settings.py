"""The proposal settings of a process (support limit, minimum, threshold, proposal limit, who may support,
editing window), which officers change on the settings page.

``settings_for`` is the one way to read them: a process whose officers never saved any has the model's
defaults, unsaved, so reading (and showing the settings page) never writes. The row is created when officers
first save (``update_settings``) or when the demo seeds a process (``get_or_create_settings``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from civic import policy
from civic.accounts.models import User
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import RuleViolation
from civic.spaces.models import Process
from proposals.models import Proposal, ProposalSettings, Support, SupportBudget, execute

#: The settings officers may change, in the order of the settings page.
SETTING_FIELDS = ("support_limit", "min_supports", "threshold", "close_at_threshold", "proposal_limit",
                  "verified_only", "ward_only", "edit_window_minutes")
NUMBER_FIELDS = ("support_limit", "min_supports", "threshold", "proposal_limit", "edit_window_minutes")
NUMBER_MAX = 100_000


def _defaults() -> dict[str, Any]:
    columns = ProposalSettings.__table__.columns
    return {name: columns[name].default.arg for name in SETTING_FIELDS}


def settings_for(process: Process) -> ProposalSettings:
    """The process's settings, or (not saved) the model's defaults when officers never set them. One query."""
    found = db.session.scalar(select(ProposalSettings).where(ProposalSettings.process_id == process.id))
    return found if found is not None else ProposalSettings(process_id=process.id, **_defaults())


def get_or_create_settings(process: Process) -> ProposalSettings:
    """The process's settings row, created with the model's defaults if missing (safe when two race)."""
    found = db.session.scalar(select(ProposalSettings).where(ProposalSettings.process_id == process.id))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            row = ProposalSettings(process_id=process.id, **_defaults())
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalars(select(ProposalSettings).where(ProposalSettings.process_id == process.id)).one()
    return row


def _clean_settings(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name in SETTING_FIELDS:
        value = values.get(name)
        if name in NUMBER_FIELDS:
            try:
                number = int(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise RuleViolation("Enter a whole number (0 or more).", field=name) from None
            if number < 0:
                raise RuleViolation("Enter 0 or a larger whole number.", field=name)
            if number > NUMBER_MAX:
                raise RuleViolation(f"Enter a number up to {NUMBER_MAX:,}.", field=name)
            clean[name] = number
        else:
            clean[name] = bool(value)
    found = problems(clean)
    if found:
        raise found[0]
    return clean


def problems(values: dict[str, Any]) -> list[RuleViolation]:
    """Every rule between settings that ``values`` break, each naming its field, so a form can list them all at
    once (values that are not numbers yet are skipped: the form reports those beside their fields)."""
    def number(name: str) -> int | None:
        value = values.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    found = []
    limit, minimum, threshold = number("support_limit"), number("min_supports"), number("threshold")
    if limit and minimum is not None and minimum > limit:
        found.append(RuleViolation(
            f"The minimum ({minimum}) cannot be more than the support limit ({limit}): nobody could reach it.",
            field="min_supports"))
    if values.get("close_at_threshold") and threshold == 0:
        found.append(RuleViolation("Set a threshold above 0 to close supporting when it is reached.",
                                   field="close_at_threshold"))
    if values.get("ward_only") and not values.get("verified_only"):
        found.append(RuleViolation("Residents get their ward when they verify their residency: to limit supports "
                                   "to the proposal's ward, also allow only verified residents.", field="ward_only"))
    return found


def update_settings(officer: User, process: Process, **values: Any) -> ProposalSettings:
    """Save the process's proposal settings (audit-logged); recount supports if the minimum or threshold moved."""
    policy.require(officer, "proposal.settings", process)
    clean = _clean_settings(values)
    row = get_or_create_settings(process)
    before = {name: getattr(row, name) for name in SETTING_FIELDS}
    changed = {name: value for name, value in clean.items() if before[name] != value}
    if not changed:
        return row
    for name, value in changed.items():
        setattr(row, name, value)
    db.session.flush()
    if "min_supports" in changed or "threshold" in changed:
        _recount(process.id, row)
    audit(officer, "proposal.settings", "process", process.id, label=process.title,
          before={name: before[name] for name in changed}, after=changed)
    return row


def _recount(process_id: int, settings: ProposalSettings) -> None:
    """Recompute which supports count and every proposal's count, after officers changed the rules."""
    minimum = settings.min_supports
    in_process = Support.process_id == process_id
    if minimum:
        reached = select(SupportBudget.user_id).where(SupportBudget.process_id == process_id,
                                                      SupportBudget.used >= minimum)
        execute(update(Support).where(in_process, Support.user_id.in_(reached)).values(counted=True))
        execute(update(Support).where(in_process, Support.user_id.not_in(reached)).values(counted=False))
    else:
        execute(update(Support).where(in_process, Support.counted.is_(False)).values(counted=True))
    counted = (select(func.count(Support.id)).where(Support.proposal_id == Proposal.id, Support.counted.is_(True))
               .scalar_subquery())
    execute(update(Proposal).where(Proposal.process_id == process_id).values(supports_count=counted))
    if settings.threshold:
        execute(update(Proposal).where(Proposal.process_id == process_id,
                                       Proposal.supports_count < settings.threshold,
                                       Proposal.threshold_reached_at.is_not(None))
                .values(threshold_reached_at=None))
        execute(update(Proposal).where(Proposal.process_id == process_id,
                                       Proposal.supports_count >= settings.threshold,
                                       Proposal.threshold_reached_at.is_(None))
                .values(threshold_reached_at=utcnow()))
    # Proposals already in the session must not show the old figures.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Proposal) and obj.process_id == process_id:
            db.session.expire(obj, ["supports_count", "threshold_reached_at"])
