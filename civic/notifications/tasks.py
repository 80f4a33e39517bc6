"""Notifications' scheduled tasks, run by ``flask civic tick`` (see :mod:`civic.schedule`): followers told
when a process enters a new phase, and immediate mail that nobody queued handed over."""

from __future__ import annotations

from civic import schedule
from civic.notifications import kinds, services


def announce_phase_changes() -> str:
    return f"phase changes announced: {kinds.announce_phase_changes()}"


def send_waiting_mail() -> str:
    waiting = services.send_waiting_immediate()
    return f"immediate mail handed over for {waiting} earlier events" if waiting else "no immediate mail waiting"


def register() -> None:
    schedule.task("notifications.phase-changes", announce_phase_changes,
                  description="Tell followers when a process they follow enters a new phase")
    schedule.task("notifications.waiting-mail", send_waiting_mail,
                  description="Hand over immediate mail that nobody queued (events made outside a request)")
