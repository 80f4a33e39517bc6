"""Notifications' scheduled tasks, run by ``flask civic tick`` (see :mod:`civic.schedule`): followers told
when a process enters a new phase, immediate mail that nobody queued handed over, and the outbox's leftovers
delivered."""

from __future__ import annotations

from civic import schedule
from civic.db import after_commit
from civic.notifications import kinds, outbox, services


def announce_phase_changes() -> str:
    return f"phase changes announced: {kinds.announce_phase_changes()}"


def send_waiting_mail() -> str:
    waiting = services.send_waiting_immediate()
    return f"immediate mail handed over for {waiting} earlier events" if waiting else "no immediate mail waiting"


def deliver_outbox() -> str:
    """Events whose notifications were not made after their commit (a failure, a process that died): delivered
    after this task's commit, each in a transaction of its own."""
    ids = outbox.due_ids()
    if ids:
        after_commit(outbox.drain, ids)
    return f"{len(ids)} waiting events handed to the outbox's drain" if ids else "the outbox is empty"


def register() -> None:
    schedule.task("notifications.phase-changes", announce_phase_changes,
                  description="Tell followers when a process they follow enters a new phase")
    schedule.task("notifications.waiting-mail", send_waiting_mail,
                  description="Hand over immediate mail that nobody queued (events made outside a request)")
    schedule.task("notifications.outbox", deliver_outbox,
                  description="Make the notifications of events whose delivery failed after their commit")
