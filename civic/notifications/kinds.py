"""The notifications the core itself makes: comments, moderation, verification and processes.

Domains register theirs the same way from their own packages (see ``proposals/notices.py``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import url_for
from sqlalchemy import select

from civic import events, resources
from civic.accounts.models import User
from civic.comments import services as comments
from civic.db import db, utcnow
from civic.groups.models import Group, Membership
from civic.moderation.models import Moderation
from civic.notifications import services
from civic.notifications.models import NotificationEvent
from civic.notifications.registry import AreaWatchers, Followers, Notice, Users, kind, on
from civic.spaces.models import Phase, Process

PERSONAL, FOLLOWING, AREA, ACCOUNT = "About you", "Things you follow", "Your area", "Your account"

kind("mention", "Someone mentions you in a comment", "{actor} mentioned you in a comment on “{title}”",
     email_default="immediate", group=PERSONAL, position=10)
kind("reply", "Someone replies to your comment", "{actor} replied to your comment on “{title}”",
     email_default="immediate", group=PERSONAL, position=11)
kind("comment", "New comments on things you follow", "{actor} commented on “{title}”",
     email_default="daily", group=FOLLOWING, position=30)
kind("process_phase", "A process you follow moves to a new phase", "A new phase began: {title}",
     email_default="daily", group=FOLLOWING, position=35)
kind("area_process", "New participatory processes in your area", "New process in your area: “{title}”",
     email_default="daily", group=AREA, position=50)
kind("content_hidden", "Your content is hidden by moderation", "Your content “{title}” is hidden",
     email_default="immediate", group=ACCOUNT, position=70, link_text="Appeal this decision")
kind("content_restored", "Your hidden content is shown again", "Your content “{title}” is shown again",
     email_default="immediate", group=ACCOUNT, position=71)
kind("appeal_decided", "Your appeal is decided", "Your appeal was decided: {title}",
     group=ACCOUNT, position=72, email_fixed=True)
kind("verification", "Your residency verification is decided", "Your residency verification: {title}",
     group=ACCOUNT, position=73, email_fixed=True)
kind("group_invite", "Someone invites you to join a community group", "{actor} invited you to join “{title}”",
     email_default="immediate", group=PERSONAL, position=13)
kind("group_accepted", "You join a community group (your request is accepted)",
     "You are now a member of “{title}”", email_default="immediate", group=PERSONAL, position=14)
kind("group_request", "For organisers: someone asks to join your group", "{actor} asked to join “{title}”",
     email_default="immediate", group=PERSONAL, position=15)
kind("group_member_joined", "For organisers: someone accepts the invitation to your group",
     "{actor} accepted the invitation to join “{title}”", email_default="daily", group=PERSONAL, position=16)


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def resource_space(rt: resources.ResourceType, obj: Any) -> str:
    return rt.space_of(obj)


# Comments ---------------------------------------------------------------------------------------------------


def _comment_notice(comment: Any, resource_type: str, resource_id: int) -> tuple[Notice, Any] | None:
    rt = resources.find(resource_type)
    obj = db.session.get(rt.model, resource_id) if rt is not None else None
    if rt is None or obj is None or comment.hidden_at is not None or comment.deleted_at is not None:
        return None
    if rt.comments is not None and not rt.comments.readable(obj):
        return None  # hidden, draft or otherwise not shown: nobody is told
    title = rt.title(obj) if rt.title is not None else rt.label
    notice = Notice(key=f"comment:{comment.id}", title=title, url=resources.get("comment").url_of(comment),
                    audiences=[], actor_id=comment.author_id, space=resource_space(rt, obj),
                    excerpt=_excerpt(comment.body), subject=("comment", comment.id),
                    resource=(resource_type, resource_id))
    return notice, rt


def _mentioned_ids(comment: Any) -> list[int]:
    names = comments.existing_nicknames(comments.mentioned_nicknames(comment.body))
    if not names:
        return []
    return list(db.session.scalars(select(User.id).where(User.nickname.in_(sorted(names)))))


@on("comment.created")
def _comment_created(comment: Any, resource_type: str, resource_id: int, **_: Any) -> Notice | None:
    made = _comment_notice(comment, resource_type, resource_id)
    if made is None:
        return None
    notice, rt = made
    notice.audiences.append(Users("mention", _mentioned_ids(comment)))
    if comment.parent_id is not None:
        parent = db.session.get(type(comment), comment.parent_id)
        if parent is not None and parent.author_id is not None:
            notice.audiences.append(Users("reply", [parent.author_id]))
    if rt.follows is not None and rt.follows.comments_notify:
        notice.audiences.append(Followers("comment", resource_type, resource_id))
        if comment.author_id is not None:
            notice.follows.append((comment.author_id, resource_type, resource_id, "commented"))
    return notice


@on("comment.mentioned")
def _comment_mentioned(comment: Any, users: list[Any], resource_type: str, resource_id: int,
                       **_: Any) -> Notice | None:
    """Mentions added by an edit (the first mentions are told with the comment itself)."""
    made = _comment_notice(comment, resource_type, resource_id)
    if made is None:
        return None
    notice, _rt = made
    notice.audiences.append(Users("mention", [u.id for u in users]))
    return notice


@on("comment.edited")
def _comment_edited(comment: Any, **_: Any) -> None:
    services.refresh_excerpt(f"comment:{comment.id}", _excerpt(comment.body))


@on("comment.deleted")
def _comment_deleted(comment: Any, **_: Any) -> None:
    services.refresh_excerpt(f"comment:{comment.id}", "")


# Moderation -------------------------------------------------------------------------------------------------


def _moderated(mod: Moderation, hidden: bool, kind_key: str, stamp: str | None = None) -> Notice | None:
    services.set_hidden(mod.resource_type, mod.resource_id, hidden)
    if mod.resource_type == "comment":  # its replies go (and come back) with it, as in the thread
        for reply_id in comments.descendant_ids(mod.resource_id):
            services.set_hidden("comment", reply_id, hidden)
    rt = resources.find(mod.resource_type)
    obj = db.session.get(rt.model, mod.resource_id) if rt is not None else None
    author_id = getattr(obj, "author_id", None)
    if obj is None or author_id is None:
        return None
    title = rt.title(obj) if rt.title is not None else rt.label
    url = rt.url_of(obj) or url_for("pages.home")
    excerpt = ""
    if hidden:  # what happened, why, and where to appeal: the appeal page (the notice's link) says the rest
        url = url_for("blocking.appeal_content", moderation_id=mod.id)
        excerpt = hidden_explanation(mod) + " You can appeal this decision."
    if stamp is None:
        stamp = (mod.hidden_at or utcnow()).isoformat()
    return Notice(key=f"{kind_key}:{mod.resource_type}:{mod.resource_id}:{stamp}", title=_excerpt(title, 120),
                  url=url, audiences=[Users(kind_key, [author_id])], space="Your account", excerpt=excerpt)


def hidden_explanation(mod: Moderation) -> str:
    """Why it is hidden, in a sentence: waiting for a moderator (hidden automatically), or an officer's reason."""
    if mod.hidden_by_id is None:
        return (f"{mod.hidden_reason} It is hidden while a moderator checks it." if mod.hidden_reason
                else "It is hidden while a moderator checks it.")
    return f"Why: {mod.hidden_reason}" if mod.hidden_reason else "A moderator decided it breaks the rules."


@on("moderation.hidden")
def _hidden(mod: Moderation, **_: Any) -> Notice | None:
    return _moderated(mod, True, "content_hidden")


@on("moderation.restored")
def _restored(mod: Moderation, appeal_id: int | None = None, restored_at: str | None = None,
              **_: Any) -> Notice | None:
    notice = _moderated(mod, False, "content_restored", stamp=restored_at)
    # Shown again because an appeal was reversed: the appeal's own notification tells them (one, not two).
    return None if appeal_id is not None else notice


@on("moderation.appeal_decided")
def _appeal_decided(appeal: Any, **_: Any) -> Notice | None:
    outcome = "the decision was reversed" if appeal.status == "reversed" else "the decision stands"
    return Notice(key=f"appeal:{appeal.id}:decided", title=outcome, url=url_for("accounts.account"),
                  audiences=[Users("appeal_decided", [appeal.appellant_id])], space="Your account",
                  excerpt=_excerpt(appeal.reason or ""))


@on("verification.decided")
def _verification_decided(req: Any, approved: bool, **_: Any) -> Notice | None:
    return Notice(key=f"verification:{req.id}:decided", title="approved" if approved else "not approved",
                  url=url_for("verification.start"), audiences=[Users("verification", [req.user_id])],
                  space="Your account", excerpt=_excerpt(req.reason or ""))


# Community groups -------------------------------------------------------------------------------------------


def _organisers(group: Group) -> list[int]:
    return list(db.session.scalars(select(Membership.user_id).where(
        Membership.group_id == group.id, Membership.role == "organiser", Membership.status == "active")))


@on("group.invited")
def _group_invited(group: Group, user_id: int, actor_id: int | None = None, membership_id: int = 0,
                   **_: Any) -> Notice | None:
    return Notice(key=f"group:{group.id}:invite:{membership_id}", title=group.name, url=url_for("groups.mine"),
                  actor_id=actor_id, space=group.name, audiences=[Users("group_invite", [user_id])])


@on("group.join_requested")
def _group_join_requested(group: Group, actor_id: int, membership_id: int = 0, **_: Any) -> Notice | None:
    return Notice(key=f"group:{group.id}:request:{membership_id}", title=group.name,
                  url=url_for("groups.show", slug=group.slug, _anchor="requests"), actor_id=actor_id,
                  space=group.name, audiences=[Users("group_request", _organisers(group))])


@on("group.joined")
def _group_joined(group: Group, user_id: int, actor_id: int | None = None, membership_id: int = 0,
                  via: str = "request", **_: Any) -> Notice | None:
    if via == "request":  # an organiser accepted: the person is told
        return Notice(key=f"group:{group.id}:joined:{membership_id}", title=group.name,
                      url=url_for("groups.show", slug=group.slug), actor_id=actor_id, space=group.name,
                      audiences=[Users("group_accepted", [user_id])])
    # an invitation accepted: the organisers are told
    return Notice(key=f"group:{group.id}:joined:{membership_id}", title=group.name,
                  url=url_for("groups.show", slug=group.slug), actor_id=user_id, space=group.name,
                  audiences=[Users("group_member_joined", [u for u in _organisers(group) if u != user_id])])


# Processes --------------------------------------------------------------------------------------------------




@on("process.published")
def _process_published(process: Process, actor_id: int | None = None, **_: Any) -> Notice | None:
    return Notice(key=f"process:{process.id}:published", title=process.title,
                  url=url_for("spaces.show", slug=process.slug), actor_id=actor_id, space=process.title,
                  excerpt=_excerpt(process.subtitle),
                  audiences=[AreaWatchers("area_process", [w.id for w in process.wards], process.programme_id,
                                          everywhere=process.whole_city)],
                  resource=("process", process.id))


def _phase_key(phase: Phase) -> str:
    """One notice per phase start (a phase moved to a later start is told again)."""
    return f"phase:{phase.id}:{phase.starts_at.isoformat()}"


@on("process.phase_started")
def _phase_started(phase: Phase, **_: Any) -> Notice | None:
    process = phase.process
    if not process.is_published:
        return None
    return Notice(key=_phase_key(phase), title=f"{process.title}: {phase.title}",
                  url=url_for("spaces.show", slug=process.slug), space=process.title,
                  excerpt=_excerpt(phase.description),
                  audiences=[Followers("process_phase", "process", process.id)], resource=("process", process.id))


def announce_phase_changes(window_hours: int = 48) -> int:
    """Publish ``process.phase_started`` for phases of published processes that began in the last
    ``window_hours`` and were not told yet (the notice's key is unique, so each is told once).

    Run by ``flask civic tick`` (the scheduled task ``notifications.phase-changes``): in its request context the
    events go once the task has committed, and followers are told then, as after a request. Returns how many
    phase starts were published.
    """
    now = utcnow()
    phases = db.session.scalars(select(Phase).join(Phase.process)
                                .where(Phase.starts_at <= now, Phase.starts_at > now - timedelta(hours=window_hours),
                                       Process.published_at.is_not(None))
                                .order_by(Phase.starts_at, Phase.id)).unique().all()
    keys = [_phase_key(phase) for phase in phases]
    told = set(db.session.scalars(select(NotificationEvent.key).where(NotificationEvent.key.in_(keys)))) \
        if keys else set()
    made = 0
    for phase, key in zip(phases, keys, strict=True):
        if key not in told:
            events.publish("process.phase_started", phase)
            made += 1
    return made

