"""Comment rules: threads up to four levels, alignment, votes, edits, deletion placeholders, mentions.

Comments hang on any resource a domain registers as ``commentable`` (see :mod:`civic.resources`); the core
finds the object through the registry and asks the resource's hooks:

- ``visible(user, obj)``: may this person see it at all (else: not found);
- ``comments_readable(obj)``: are its comments shown;
- ``may_comment(user, obj) -> True | str``: is commenting open (the phase); a message says why not.
  Closed means read-only: no new comments, replies, edits, deletions or votes;
- ``on_comment_count(obj, delta)``: the resource keeps its own counter (in SQL);
- ``url(obj)``: where to send people back to.

Decisions:
- A reply to a comment at the deepest level (depth 3, the fourth level) is refused with a message; the page
  offers no "Reply" link there.
- Deleting is soft: the row stays so replies keep their place, the words are replaced by a placeholder in
  the database too, and the resource's counter goes down by one. Only authors edit or delete their words.
- Votes: one row per (comment, person), kept right by a unique constraint; the comment's counters move in
  SQL. :func:`set_vote` sets a person's vote to up, down or none and is idempotent, so a double click (or
  twenty parallel clicks) counts once; the page's buttons toggle by posting "none" from a pressed button.
  :func:`vote` is the toggle for callers that do not know the current state (the JSON API).
- A comment hidden by moderation (``hidden_at``) is shown, with its whole subtree, as one placeholder; every
  read and write of a comment in that subtree (its reply page, a vote, a reply, an edit, a report) is refused
  as for the hidden comment itself (:func:`hidden_in_thread`): 404 on the pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from civic import events, policy, resources
from civic.accounts.models import User
from civic.comments.models import MAX_DEPTH, Comment, CommentVote
from civic.db import db, utcnow
from civic.errors import NotFound, PermissionDenied, RuleViolation
from civic.resources import ResourceType
from civic.text import render_markdown
from civic.web import iso_time

BODY_MAX = 5000
ALIGNMENTS = {1: "In favour", 0: "Neutral", -1: "Against"}
ALIGNMENT_KEYS = {1: "in_favour", 0: "neutral", -1: "against"}
ORDERS = {"oldest": "Oldest first", "newest": "Newest first", "best": "Best rated"}
VOTES = {"up": 1, "down": -1, "none": 0}
BODY_HINT = (f"Up to {BODY_MAX:,} characters. You can use Markdown: **bold**, *italic*, lists and "
             "[links](https://example.org). Mention someone with @ and their nickname, like @nickname.")

DELETED_TEXT = "This comment was deleted."
HIDDEN_TEXT = "This comment was hidden by moderation."
NOT_FOUND = "We could not find that comment."
TOO_DEEP = ("Conversations go four levels deep at most, so this comment cannot be answered. "
            "Reply to the comment it answers instead.")
CLOSED = "Commenting is closed here."
NOT_SHOWN = "Comments are not shown here."

#: ``@nickname`` (nicknames are 3 to 30 of a-z, 0-9 and _), not inside an email address or a longer word.
MENTION_RE = re.compile(r"(?<![\w@/])@([A-Za-z0-9_]{3,30})(?![\w@])")

EVENTS = {
    "comment.created": "Someone commented on a resource (subject: the comment; also for replies)",
    "comment.replied": "Someone replied to a comment (subject: the reply; parent: the comment answered)",
    "comment.mentioned": "A comment mentions people by @nickname (subject: the comment; users: who)",
    "comment.edited": "The author changed a comment's words (subject: the comment)",
    "comment.deleted": "The author deleted a comment (subject: the comment)",
}
for _name, _description in EVENTS.items():
    events.declare(_name, _description)


# Policy -----------------------------------------------------------------------------------------------------


def _own(user: User, comment: Comment | None) -> bool | str:
    if comment is None or comment.author_id != user.id:
        return "You can only change your own comments."
    return True


policy.rule("comment.edit")(_own)
policy.rule("comment.delete")(_own)


@policy.rule("comment.vote")
def _may_vote(user: User, comment: Comment | None) -> bool | str:
    if not user.email_confirmed:
        return "Please confirm your email address first."
    if comment is not None and comment.author_id == user.id:
        return "You cannot vote on your own comment."
    return True


# The resource a comment hangs on ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A commentable object and what its resource type says about it."""

    rt: ResourceType
    obj: Any

    @property
    def resource_type(self) -> str:
        return self.rt.name

    @property
    def resource_id(self) -> int:
        return self.obj.id

    @property
    def title(self) -> str:
        return self.rt.title_of(self.obj)

    @property
    def url(self) -> str:
        return self.rt.url_of(self.obj) or url_for("comments.index", resource_type=self.rt.name,
                                                   resource_id=self.obj.id)

    @property
    def readable(self) -> bool:
        return self.rt.comments is None or bool(self.rt.comments.readable(self.obj))

    def commenting(self, user: Any) -> bool | str:
        """True when the resource takes comments now, else why not (for anyone)."""
        if not self.readable:
            return NOT_SHOWN
        verdict = self.rt.comments.may_comment(user, self.obj) if self.rt.comments is not None else True
        return True if verdict is True else (verdict or CLOSED)


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "id", None))


def _find(user: Any, resource_type: str, resource_id: int) -> Target | None:
    rt = resources.find(resource_type)
    if rt is None or rt.comments is None:
        return None
    obj = resources.load_visible(rt, user, resource_id)
    return Target(rt, obj) if obj is not None else None


def target(user: Any, resource_type: str, resource_id: int) -> Target:
    """The commentable object, if this person may see it; else NotFound."""
    found = _find(user, resource_type, resource_id)
    if found is None:
        raise NotFound("We could not find that page.")
    return found


def target_of(user: Any, comment: Comment) -> Target:
    return target(user, comment.resource_type, comment.resource_id)


def hidden_in_thread(comment: Comment) -> bool:
    """Hidden by moderation, itself or through any comment above it: a hidden comment takes its whole subtree
    with it, for every read and write (at most ``MAX_DEPTH`` lookups, from the session's identity map when the
    thread is loaded)."""
    current: Comment | None = comment
    for _level in range(MAX_DEPTH + 1):
        if current is None:
            return False
        if current.hidden_at is not None:
            return True
        if current.parent_id is None:
            return False
        current = db.session.get(Comment, current.parent_id)
    return False


def descendant_ids(comment_id: int) -> list[int]:
    """Every reply below a comment, at any depth (one query per level, at most ``MAX_DEPTH``)."""
    found: list[int] = []
    level = [comment_id]
    for _level in range(MAX_DEPTH):
        level = list(db.session.scalars(select(Comment.id).where(Comment.parent_id.in_(level))))
        if not level:
            break
        found.extend(level)
    return found


def get_comment(user: Any, comment_id: int) -> Comment:
    """A comment whose resource this person may see and whose comments are shown; else NotFound. A comment
    hidden by moderation, or below one, is not found either (as on its page, where the subtree is one
    placeholder)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or hidden_in_thread(comment):
        raise NotFound(NOT_FOUND)
    found = _find(user, comment.resource_type, comment.resource_id)
    if found is None or not found.readable:
        raise NotFound(NOT_FOUND)
    return comment


def comment_url(comment: Comment, where: Target | None = None) -> str:
    """The resource's page, at this comment."""
    if where is None:
        rt = resources.get(comment.resource_type)
        where = Target(rt, db.session.get(rt.model, comment.resource_id))
    return f"{where.url}#comment-{comment.id}"


def _require_open(where: Target, user: Any) -> None:
    verdict = where.commenting(user)
    if verdict is not True:
        raise RuleViolation(verdict)


def _count(where: Target, delta: int) -> None:
    hooks = where.rt.comments
    if hooks is not None and hooks.on_count is not None:
        hooks.on_count(where.obj, delta)


# Checking what was written ----------------------------------------------------------------------------------


def clean_body(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise RuleViolation("Write your comment.", field="body")
    if len(text) > BODY_MAX:
        raise RuleViolation(f"Your comment is {len(text):,} characters long. Keep it to {BODY_MAX:,} or fewer.",
                            field="body")
    return text


def clean_alignment(alignment: int | str | None) -> int:
    try:
        value = int(alignment if alignment not in (None, "") else 0)
    except (TypeError, ValueError):
        value = 2
    if value not in ALIGNMENTS:
        raise RuleViolation("Choose in favour, neutral or against.", field="alignment")
    return value


# Writing ----------------------------------------------------------------------------------------------------


def post_comment(user: User, resource_type: str, resource_id: int, body: str, alignment: int | str = 0) -> Comment:
    """A new top-level comment on a resource."""
    policy.require(user, "account.participate")
    where = target(user, resource_type, resource_id)
    _require_open(where, user)
    return _create(user, where, body, alignment, None)


def reply(user: User, parent: Comment, body: str, alignment: int | str = 0) -> Comment:
    """A reply to ``parent``, one level deeper; refused below the fourth level."""
    return _create(user, check_reply(user, parent), body, alignment, parent)


def check_reply(user: User, parent: Comment) -> Target:
    """May this person answer ``parent`` now? The resource, or PermissionDenied / RuleViolation."""
    policy.require(user, "account.participate")
    where = target_of(user, parent)
    _require_open(where, user)
    if hidden_in_thread(parent):
        raise RuleViolation("This comment was hidden by moderation, so it cannot be answered.")
    if parent.deleted_at is not None:
        raise RuleViolation("This comment was deleted, so it cannot be answered.")
    if parent.depth >= MAX_DEPTH:
        raise RuleViolation(TOO_DEEP)
    return where


def _create(user: User, where: Target, body: str, alignment: int | str, parent: Comment | None) -> Comment:
    """Write a comment whose permission and rules were checked (``post_comment``, ``check_reply``)."""
    text = clean_body(body)
    comment = Comment(resource_type=where.resource_type, resource_id=where.resource_id,
                      parent_id=parent.id if parent is not None else None,
                      depth=parent.depth + 1 if parent is not None else 0, author_id=user.id,
                      body=text, alignment=clean_alignment(alignment), up_votes=0, down_votes=0)
    db.session.add(comment)
    db.session.flush()
    _count(where, +1)
    events.publish("comment.created", comment, resource_type=where.resource_type, resource_id=where.resource_id)
    if parent is not None:
        events.publish("comment.replied", comment, parent=parent, resource_type=where.resource_type,
                       resource_id=where.resource_id)
    _publish_mentions(comment, where, already=set())
    return comment


def check_change(user: User, comment: Comment, action: str = "edit") -> Target:
    """May this person edit (or delete) ``comment`` now? Others' comments: PermissionDenied (403)."""
    policy.require(user, f"comment.{action}", comment)
    verb = "edited" if action == "edit" else "deleted"
    if hidden_in_thread(comment):
        raise RuleViolation(f"This comment was hidden by moderation, so it cannot be {verb}.")
    if comment.deleted_at is not None:
        raise RuleViolation("This comment is already deleted." if action == "delete"
                            else "This comment was deleted, so it cannot be edited.")
    where = target_of(user, comment)
    _require_open(where, user)
    return where


def edit_comment(user: User, comment: Comment, body: str, alignment: int | str | None = None) -> bool:
    """The author changes their words (and position). Returns whether anything changed."""
    where = check_change(user, comment, "edit")
    text = clean_body(body)
    value = comment.alignment if alignment is None else clean_alignment(alignment)
    if text == comment.body and value == comment.alignment:
        return False
    before = mentioned_nicknames(comment.body)
    comment.body, comment.alignment, comment.edited_at = text, value, utcnow()
    db.session.flush()
    _publish_mentions(comment, where, already=before)
    events.publish("comment.edited", comment, resource_type=where.resource_type, resource_id=where.resource_id)
    return True


def delete_comment(user: User, comment: Comment) -> bool:
    """Soft delete: the words go, the place stays (replies keep theirs), the resource's counter goes down.

    Returns False when it was already deleted (a second click).
    """
    policy.require(user, "comment.delete", comment)
    if comment.deleted_at is not None:
        return False
    where = check_change(user, comment, "delete")
    # Conditional, so two clicks at once take the counter down once.
    done = db.session.execute(
        update(Comment).where(Comment.id == comment.id, Comment.deleted_at.is_(None))
        .values(deleted_at=utcnow(), body=DELETED_TEXT).execution_options(synchronize_session=False)).rowcount
    db.session.expire(comment, ["deleted_at", "body"])
    if not done:
        return False
    _count(where, -1)
    events.publish("comment.deleted", comment, resource_type=where.resource_type, resource_id=where.resource_id)
    return True


# Votes ------------------------------------------------------------------------------------------------------


def my_vote(user: Any, comment: Comment) -> int:
    if not _signed_in(user):
        return 0
    value = db.session.scalar(select(CommentVote.value).where(CommentVote.comment_id == comment.id,
                                                              CommentVote.user_id == user.id))
    return value or 0


def vote(user: User, comment: Comment, value: int) -> int:
    """Toggle: vote up (1) or down (-1); the same vote again takes it back. Returns the vote now (1, -1, 0)."""
    if value not in (1, -1):
        raise RuleViolation("Vote up or down.", field="vote")
    return set_vote(user, comment, 0 if my_vote(user, comment) == value else value)


def _bump(comment_id: int, value: int, delta: int) -> None:
    column = "up_votes" if value == 1 else "down_votes"
    db.session.execute(update(Comment).where(Comment.id == comment_id)
                       .values({column: getattr(Comment, column) + delta})
                       .execution_options(synchronize_session=False))


def set_vote(user: User, comment: Comment, value: int) -> int:
    """Set this person's vote on a comment to up (1), down (-1) or none (0). Idempotent and race-safe:
    the unique (comment, user) row decides, the counters move in SQL with the row's change."""
    if value not in (1, -1, 0):
        raise RuleViolation("Vote up, down or take your vote back.", field="vote")
    policy.require(user, "comment.vote", comment)
    hidden = hidden_in_thread(comment)
    if comment.deleted_at is not None or hidden:
        raise RuleViolation("This comment was deleted, so it cannot be voted on." if not hidden
                            else "This comment was hidden by moderation.")
    _require_open(target_of(user, comment), user)
    try:
        for _attempt in range(5):
            row = db.session.execute(
                select(CommentVote.id, CommentVote.value)
                .where(CommentVote.comment_id == comment.id, CommentVote.user_id == user.id)
                .with_for_update()).first()
            if row is None:
                if value == 0:
                    return 0
                try:
                    with db.session.begin_nested():
                        db.session.add(CommentVote(comment_id=comment.id, user_id=user.id, value=value))
                except IntegrityError:
                    continue  # the same person's other click won; read its vote and go on from there
                _bump(comment.id, value, +1)
                return value
            if row.value == value:
                return value
            if value == 0:
                gone = db.session.execute(delete(CommentVote).where(CommentVote.id == row.id,
                                                                    CommentVote.value == row.value)).rowcount
                if gone:
                    _bump(comment.id, row.value, -1)
                    return 0
                continue
            moved = db.session.execute(update(CommentVote).where(CommentVote.id == row.id,
                                                                 CommentVote.value == row.value)
                                       .values(value=value)).rowcount
            if moved:
                _bump(comment.id, row.value, -1)
                _bump(comment.id, value, +1)
                return value
        raise RuleViolation("Your vote could not be saved just now. Please try again.")
    finally:
        db.session.expire(comment, ["up_votes", "down_votes"])


# Mentions and rendering -------------------------------------------------------------------------------------


def mentioned_nicknames(body: str | None) -> set[str]:
    """Nicknames written as @nickname in a text (lower-case), whether or not such people exist."""
    if not body or "@" not in body:
        return set()
    return {m.group(1).lower() for m in MENTION_RE.finditer(body)}


def existing_nicknames(nicknames: set[str]) -> set[str]:
    """Which of these nicknames belong to people (not deleted): one query."""
    if not nicknames:
        return set()
    return set(db.session.scalars(select(User.nickname).where(User.nickname.in_(sorted(nicknames)),
                                                             User.deleted_at.is_(None))))


def _profile_url(nickname: str) -> str:
    return url_for("accounts.profile", nickname=nickname, _external=False)


class _Rewriter(HTMLParser):
    """Walks HTML that the sanitiser produced and writes it again, escaping every text node afresh:
    ``@nickname`` of known people becomes a profile link (not inside links or code), and headings become
    bold paragraphs (a comment's headings would break the page's outline). Tags are copied as the
    sanitiser wrote them; nothing unsanitised is ever marked safe."""

    SKIP = frozenset({"a", "code", "pre"})
    HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self, known: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.known = known
        self.out: list[str] = []
        self.skipping = 0
        self.linked: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.HEADINGS:
            self.out.append("<p><strong>")
            return
        self.out.append(self.get_starttag_text() or "")
        if tag in self.SKIP:
            self.skipping += 1

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HEADINGS:
            self.out.append("</strong></p>")
            return
        self.out.append(f"</{tag}>")
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if self.skipping or "@" not in data:
            self.out.append(str(escape(data)))
            return
        position = 0
        for match in MENTION_RE.finditer(data):
            nickname = match.group(1).lower()
            if nickname not in self.known:
                continue
            self.out.append(str(escape(data[position:match.start()])))
            self.out.append(str(Markup('<a class="mention" href="{}">@{}</a>').format(_profile_url(nickname),
                                                                                     match.group(1))))
            self.linked.append(nickname)
            position = match.end()
        self.out.append(str(escape(data[position:])))


def render_body(body: str | None, known: set[str]) -> Markup:
    """Markdown through the sanitiser (the ``markdown`` filter), then mentions of ``known`` nicknames linked.

    Rendering is the dearest part of a thread, so the result is kept in a small in-process cache keyed by the
    text and by which of its mentions name existing people (so a new or deleted account changes the key).
    """
    if not body:
        return Markup("")
    return Markup(_render(body, frozenset(mentioned_nicknames(body) & known)))  # noqa: S704 - see _render


@lru_cache(maxsize=4096)
def _render(body: str, known: frozenset[str]) -> str:
    html = render_markdown(body)
    if "@" not in body and "<h" not in html:
        return str(html)
    rewriter = _Rewriter(set(known))
    rewriter.feed(str(html))
    rewriter.close()
    return "".join(rewriter.out)  # sanitised HTML whose every text node was escaped again


def render_comment(comment: Comment) -> Markup:
    """One comment's body for a page (one query for its mentions)."""
    return render_body(comment.body, existing_nicknames(mentioned_nicknames(comment.body)))


def _publish_mentions(comment: Comment, where: Target, already: set[str]) -> None:
    rewriter = _Rewriter(existing_nicknames(mentioned_nicknames(comment.body) - already))
    rewriter.feed(str(render_markdown(comment.body)))
    rewriter.close()
    names = sorted(set(rewriter.linked))
    if not names:
        return
    users = [u for u in db.session.scalars(select(User).where(User.nickname.in_(names)))
             if u.id != comment.author_id]
    if users:
        events.publish("comment.mentioned", comment, users=users, resource_type=where.resource_type,
                       resource_id=where.resource_id)


# Reading a thread -------------------------------------------------------------------------------------------


@dataclass
class Node:
    """One comment in a thread, as this viewer sees it."""

    comment: Comment
    state: str = "visible"  # visible | deleted | hidden
    html: Markup = field(default_factory=Markup)
    replies: list[Node] = field(default_factory=list)
    my_vote: int = 0
    can_vote: bool = False
    can_reply: bool = False
    can_change: bool = False  # edit and delete: the author, while commenting is open

    @property
    def id(self) -> int:
        return self.comment.id

    @property
    def depth(self) -> int:
        return self.comment.depth

    @property
    def author(self) -> User:
        return self.comment.author

    @property
    def alignment(self) -> str:
        return ALIGNMENTS[self.comment.alignment]

    @property
    def created_at(self) -> datetime:
        return self.comment.created_at

    @property
    def edited_at(self) -> datetime | None:
        return self.comment.edited_at

    @property
    def up_votes(self) -> int:
        return self.comment.up_votes

    @property
    def down_votes(self) -> int:
        return self.comment.down_votes

    @property
    def score(self) -> int:
        return self.comment.up_votes - self.comment.down_votes

    def as_dict(self) -> dict[str, Any]:
        """For the JSON API: public fields only."""
        c = self.comment
        shown = self.state == "visible"
        author = c.author if shown else None
        return {
            "id": c.id, "parent_id": c.parent_id, "depth": c.depth, "state": self.state,
            "author": ({"nickname": author.nickname if author.deleted_at is None else None,
                        "name": author.public_name} if author is not None else None),
            "alignment": ALIGNMENT_KEYS[c.alignment] if shown else None,
            "body": c.body if shown else None,
            "created_at": iso_time(c.created_at),
            "edited_at": iso_time(c.edited_at) if shown else None,
            "up_votes": c.up_votes, "down_votes": c.down_votes,
            "replies": [r.as_dict() for r in self.replies],
        }


@dataclass
class Thread:
    """Everything ``templates/comments/_thread.html`` needs for one resource's comments."""

    resource_type: str
    resource_id: int
    order: str = "oldest"
    comments: list[Any] = field(default_factory=list)  # top-level comments, each with ``.replies`` loaded
    total: int = 0
    readable: bool = True
    may_comment: bool | str = False  # True, or why not
    #: Whether the resource takes comments now (for anyone); ``may_comment`` is this viewer's answer.
    open: bool = False
    #: The viewer would be able to comment after signing in.
    sign_in: bool = False
    orders: dict[str, str] = field(default_factory=lambda: dict(ORDERS))
    body_hint: str = BODY_HINT

    @property
    def alignment_choices(self) -> list[tuple[str, str]]:
        return [(str(value), label) for value, label in ALIGNMENTS.items()]


def thread(resource_type: str, resource_id: int, user: Any, order: str = "oldest") -> Thread:
    """The comments of one resource for this viewer, in a fixed number of queries.

    One query for every comment of the resource with its author (joined; plus the authors' roles in one
    ``selectin``), one for the viewer's votes, one for the nicknames mentioned: the tree is built here.
    """
    order = order if order in ORDERS else "oldest"
    result = Thread(resource_type, resource_id, order)
    where = _find(user, resource_type, resource_id)
    if where is None or not where.readable:
        result.readable = False
        result.may_comment = NOT_SHOWN
        return result

    commenting = where.commenting(user)
    result.open = commenting is True
    if commenting is not True:
        result.may_comment = commenting
    elif not _signed_in(user):
        result.may_comment, result.sign_in = "Sign in to add a comment.", True
    else:
        try:
            policy.require(user, "account.participate")
            result.may_comment = True
        except PermissionDenied as e:
            result.may_comment = e.message
    signed_in = _signed_in(user)

    comments = db.session.scalars(
        select(Comment).where(Comment.resource_type == resource_type, Comment.resource_id == resource_id)
        .order_by(Comment.created_at, Comment.id)).all()
    if not comments:
        return result

    mine: dict[int, int] = {}
    if signed_in:
        mine = dict(db.session.execute(
            select(CommentVote.comment_id, CommentVote.value)
            .join(Comment, Comment.id == CommentVote.comment_id)
            .where(Comment.resource_type == resource_type, Comment.resource_id == resource_id,
                   CommentVote.user_id == user.id)).all())

    shown = [c for c in comments if c.deleted_at is None and c.hidden_at is None]
    known = existing_nicknames(set().union(*(mentioned_nicknames(c.body) for c in shown)))

    may_write = result.may_comment is True
    viewer_id = user.id if signed_in else None
    nodes: dict[int, Node] = {}
    roots: list[Node] = []
    for c in comments:
        node = Node(c, my_vote=mine.get(c.id, 0))
        if c.hidden_at is not None:
            node.state, node.html = "hidden", escape(HIDDEN_TEXT)
        elif c.deleted_at is not None:
            node.state, node.html = "deleted", escape(DELETED_TEXT)
        else:
            node.html = render_body(c.body, known)
            node.can_reply = may_write and c.depth < MAX_DEPTH
            node.can_vote = may_write and c.author_id != viewer_id
            node.can_change = may_write and c.author_id == viewer_id
        nodes[c.id] = node
    for c in comments:  # a second pass, so the tree does not depend on the order of the timestamps
        if c.parent_id is None:
            roots.append(nodes[c.id])
        elif c.parent_id in nodes:
            nodes[c.parent_id].replies.append(nodes[c.id])

    def settle(node: Node) -> int:
        """Collapse hidden subtrees into their placeholder; count the comments shown."""
        if node.state == "hidden":
            node.replies = []
            return 0
        return (node.state == "visible") + sum(settle(r) for r in node.replies)

    result.total = sum(settle(r) for r in roots)
    if order == "newest":
        roots.sort(key=lambda n: (n.created_at, n.id), reverse=True)
    elif order == "best":
        roots.sort(key=lambda n: (-n.score, n.created_at, n.id))
    result.comments = roots
    return result


# Comments as a reportable resource (moderation) -------------------------------------------------------------


def _comment_url(comment: Comment) -> str:
    """The comment's place on its resource's page, built without loading the resource."""
    rt = resources.find(comment.resource_type)
    base = rt.url_by_id(comment.resource_id) if rt is not None else None
    if base is None:
        base = url_for("comments.index", resource_type=comment.resource_type, resource_id=comment.resource_id)
    return f"{base}#comment-{comment.id}"


def _comment_title(comment: Comment) -> str:
    text = " ".join((comment.body or "").split())
    return text if len(text) <= 80 else text[:79] + "…"


def _comment_visible(user: Any, comment: Comment) -> bool:
    return comment.deleted_at is None and not hidden_in_thread(comment) and _find(
        user, comment.resource_type, comment.resource_id) is not None


def _comment_set_hidden(comment: Comment, hidden_at: datetime | None) -> None:
    """Hide or show a comment; the resource's comment counter follows (a deleted comment is not counted)."""
    was_hidden = comment.hidden_at is not None
    comment.hidden_at = hidden_at
    db.session.flush()
    if comment.deleted_at is None and was_hidden != (hidden_at is not None):
        rt = resources.find(comment.resource_type)
        obj = db.session.get(rt.model, comment.resource_id) if rt is not None else None
        if obj is not None:
            _count(Target(rt, obj), -1 if hidden_at is not None else 1)


COMMENT = resources.ResourceType(
    "comment", Comment, "Comment", url=_comment_url, title=_comment_title, visible=_comment_visible,
    moderation=resources.ModerationHooks(set_hidden=_comment_set_hidden))
resources.register(COMMENT)
