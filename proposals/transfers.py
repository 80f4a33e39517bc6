"""A deleted account's supports move to the new account of the same resident (the ``"transferred"`` account
event of :mod:`civic.accounts.lifecycle`, declared in the manifest).

When a resident deletes the account they verified with and verifies a new one with the same register entry,
their supports and support budgets pass to the new account, so one register entry never gives a second budget
and nothing they supported loses (or gains) a count:

* a proposal both accounts supported keeps one support (the new account's): the old one is removed and, if it
  was counted, the proposal's count goes down by one;
* the new account's budget in the process is the number of supports it now holds (it may exceed the limit:
  then it gives no more until it withdraws some);
* "minimum supports to count" is applied again to the merged supports (they all count once there are enough).

Locks are taken in the order supporting takes them: the budget rows (both, in id order), then the proposals
(in id order), so a transfer never deadlocks with the person's own supports.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, func, select, update

from civic.accounts.models import User
from civic.db import db
from civic.spaces.models import Process
from proposals.models import Proposal, Support, SupportBudget, execute
from proposals.settings import settings_for
from proposals.supports import _budget_id, _lock_proposals, _mark_threshold


def transfer_supports(old: User, new: User) -> None:
    """Move ``old``'s supports and budgets to ``new``, process by process (see the module's docstring)."""
    process_ids = set(db.session.scalars(select(SupportBudget.process_id).where(SupportBudget.user_id == old.id)))
    process_ids |= set(db.session.scalars(select(Support.process_id).where(Support.user_id == old.id)))
    for process_id in sorted(process_ids):
        _transfer_in_process(db.session.get(Process, process_id), old.id, new.id)


def _transfer_in_process(process: Process, old_id: int, new_id: int) -> None:
    settings = settings_for(process)
    new_budget = _budget_id(process.id, new_id)
    # Both budget rows, in id order: every change to either person's supports here waits for us.
    db.session.execute(select(SupportBudget.id).where(
        SupportBudget.process_id == process.id, SupportBudget.user_id.in_((old_id, new_id)))
        .order_by(SupportBudget.id).with_for_update())
    delta: dict[int, int] = defaultdict(int)

    # Proposals both supported: the new account's support stays, the old one goes.
    theirs = select(Support.proposal_id).where(Support.user_id == new_id, Support.process_id == process.id)
    for proposal_id, counted in execute(
            delete(Support).where(Support.user_id == old_id, Support.process_id == process.id,
                                  Support.proposal_id.in_(theirs))
            .returning(Support.proposal_id, Support.counted)).all():
        if counted:
            delta[proposal_id] -= 1
    execute(update(Support).where(Support.user_id == old_id, Support.process_id == process.id)
            .values(user_id=new_id))

    # One budget: what the new account now holds. The old row goes.
    held = db.session.scalar(select(func.count()).where(Support.user_id == new_id,
                                                        Support.process_id == process.id)) or 0
    execute(update(SupportBudget).where(SupportBudget.id == new_budget).values(used=held))
    execute(delete(SupportBudget).where(SupportBudget.process_id == process.id, SupportBudget.user_id == old_id))

    # The minimum, applied again to the merged supports.
    counts = settings.min_supports == 0 or held >= settings.min_supports
    for proposal_id in execute(
            update(Support).where(Support.user_id == new_id, Support.process_id == process.id,
                                  Support.counted != counts)
            .values(counted=counts).returning(Support.proposal_id)).scalars().all():
        delta[proposal_id] += 1 if counts else -1

    changed = sorted(pid for pid, d in delta.items() if d)
    if not changed:
        return
    _lock_proposals(changed)
    by_delta: dict[int, list[int]] = defaultdict(list)
    for proposal_id in changed:
        by_delta[delta[proposal_id]].append(proposal_id)
    for d, ids in sorted(by_delta.items()):
        execute(update(Proposal).where(Proposal.id.in_(ids)).values(supports_count=Proposal.supports_count + d))
    for proposal_id in changed:
        proposal = db.session.identity_map.get(db.session.identity_key(Proposal, proposal_id))
        if proposal is not None:
            db.session.expire(proposal, ["supports_count"])
    _mark_threshold([pid for pid in changed if delta[pid] > 0], settings)
