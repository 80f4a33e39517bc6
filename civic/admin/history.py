"""The audit log read as sentences: "Ada Admin removed the Instructor role from @lewis", with a link to the object
and the reason, the raw before/after kept behind a disclosure. No query: the actor comes joined with the entry,
links are built from ids (an object whose address needs more than its id is named, not linked).

An action without a sentence here reads from its code ("proposal.category_rename" -> "proposal category rename"),
so a new action never breaks the page; add its words to :data:`SENTENCES` (the core's) or to the domain's
``Domain.audit_sentences`` (registered with :func:`register_sentences`; a domain may not reword a core action).
tests/admin/test_audit_sentences.py fails for an action written anywhere without its words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import url_for
from werkzeug.routing import BuildError

from civic import resources
from civic.accounts import roles
from civic.audit import AuditEntry

#: action -> what the actor did, before the object's name. ``{role}``: the role granted or removed;
#: ``{state}``: the answer's state.
SENTENCES = {
    "role.grant": "gave the {role} role to",
    "role.remove": "removed the {role} role from",
    "role.invite": "invited, as {role}, the address",
    "moderation.hide": "hid",
    "moderation.auto_hide": "hid, after reports from different people,",
    "moderation.unhide": "showed again",
    "moderation.dismiss": "dismissed the reports on",
    "user.block": "blocked",
    "user.unblock": "lifted the block on",
    "appeal.upheld": "upheld the decision appealed in",
    "appeal.reversed": "reversed the decision appealed in",
    "verification.approve": "verified the residency of",
    "verification.refuse": "refused the residency request of",
    "verification.revoke": "revoked the residency verification of",
    "verification.match": "verified, through the residents register,",
    "verification.transfer": "moved the participation of a deleted account to",
    "register.upload": "uploaded the residents register",
    "group.verify": "verified the group",
    "group.unverify": "removed the verified badge from the group",
    "group.archive": "archived the group",
    "group.unarchive": "restored the archived group",
    "process.create": "created the process",
    "process.update": "edited the process",
    "process.publish": "published the process",
    "process.unpublish": "unpublished the process",
    "phase.create": "added a phase to",
    "phase.update": "edited a phase of",
    "phase.delete": "removed a phase of",
    "proposal.answer": "answered ({state})",
    "proposal.answer_draft": "saved a draft answer ({state}) to",
    "proposal.settings": "changed the proposal settings of",
    "proposal.category_add": "added a category to",
    "proposal.category_rename": "renamed a category of",
    "proposal.category_remove": "removed a category of",
    "job.retried": "tried again the background job",
    "job.resolved": "marked as resolved the background job",
    "canned.add": "added the prepared text",
    "canned.edit": "edited the prepared text",
    "canned.remove": "removed the prepared text",
    "oauth_app.registered": "registered the API application",
    "oauth_app.disabled": "disabled the API application",
    "oauth_app.token_revoked": "revoked, at its own request, a token of the API application",
    "oauth_app.access_revoked": "withdrew their access from the API application",
}
#: The domains' sentences (``Domain.audit_sentences``): action -> (domain, words).
_registered: dict[str, tuple[str, str]] = {}


def register_sentences(owner: str, sentences: Mapping[str, str]) -> None:
    """Add a domain's sentences. An action the core words, or another domain already worded differently, is an
    error at start-up (registering the same words again is harmless)."""
    for action, words in sentences.items():
        if action in SENTENCES:
            raise ValueError(f"audit action {action!r} of {owner!r} already has the core's sentence")
        known = _registered.get(action)
        if known is not None and known != (owner, words):
            raise ValueError(f"audit action {action!r} of {owner!r} already has a sentence from {known[0]!r}")
    for action, words in sentences.items():
        _registered[action] = (owner, words)


def unregister_sentences(owner: str, sentences: Mapping[str, str]) -> None:
    for action in sentences:
        if _registered.get(action, ("",))[0] == owner:
            del _registered[action]


def sentence(action: str) -> str | None:
    """The action's words (core's first, then the domains'), or None."""
    words = SENTENCES.get(action)
    if words is None and action in _registered:
        words = _registered[action][1]
    return words


#: The answer states in words (the proposals domain names them; the log only reads its own record).
STATE_WORDS = {"not_answered": "Not answered yet", "evaluating": "Being evaluated", "accepted": "Accepted",
               "rejected": "Rejected"}


@dataclass(frozen=True)
class Sentence:
    actor: str
    actor_url: str | None
    verb: str
    object: str
    object_url: str | None
    reason: str
    before: str | None  # pretty JSON, for the disclosure
    after: str | None


def action_label(action: str) -> str:
    """The action's words for a filter (its sentence without the placeholders), or its code in words."""
    words = sentence(action)
    if words is None:
        return action.replace(".", " ").replace("_", " ")
    return words.replace(" ({state})", "").replace(" {role}", "").rstrip(",").capitalize()


def _role(entry: AuditEntry) -> str:
    if isinstance(entry.after, dict) and isinstance(entry.after.get("role"), str):
        return roles.LABELS.get(entry.after["role"], entry.after["role"])
    before = set((entry.before or {}).get("roles", []) if isinstance(entry.before, dict) else [])
    after = set((entry.after or {}).get("roles", []) if isinstance(entry.after, dict) else [])
    changed = sorted((after - before) or (before - after))
    return ", ".join(roles.LABELS.get(r, r) for r in changed) or "a"


def _object_url(entry: AuditEntry) -> str | None:
    if entry.object_id is None:
        return None
    if entry.object_type == "user":
        return url_for("admin.user", user_id=entry.object_id)
    rt = resources.find(entry.object_type)
    if rt is not None and isinstance(rt.url, resources.Link):
        try:
            return rt.url.by_id(entry.object_id)
        except BuildError:  # pragma: no cover - an endpoint of a domain this app does not load
            return None
    return None


def _pretty(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def describe(entry: AuditEntry) -> Sentence:
    words = sentence(entry.action) or action_label(entry.action)
    after = entry.after if isinstance(entry.after, dict) else {}
    verb = words.format(role=_role(entry) if "{role}" in words else "",
                        state=STATE_WORDS.get(after.get("state", ""), after.get("state", "")))
    actor = entry.actor
    return Sentence(
        actor=actor.public_name if actor is not None else "The system",
        actor_url=url_for("admin.user", user_id=actor.id) if actor is not None else None,
        verb=verb,
        object=entry.object_label or (f"{entry.object_type} {entry.object_id}" if entry.object_id else
                                      entry.object_type),
        object_url=_object_url(entry),
        reason=entry.reason or "",
        before=_pretty(entry.before),
        after=_pretty(entry.after),
    )
