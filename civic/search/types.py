"""What the core makes searchable: participatory processes, comments (on any resource) and community groups.

Domains declare their own in their manifest (proposals: ``proposals/search.py``). A type's links are its
resource type's (:mod:`civic.resources`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from flask_login import AnonymousUserMixin
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from civic import resources
from civic.comments.models import Comment
from civic.groups.models import Group
from civic.search.analysis import plain
from civic.search.registry import WHOLE_CITY, Document, SearchType, find, register
from civic.spaces.models import Phase, Process, ProcessWard

# Processes --------------------------------------------------------------------------------------------------


def _process_document(process: Process) -> Document | None:
    """Published processes only; their period runs from the first phase's start to the last phase's end."""
    if process.published_at is None:
        return None
    phases = process.phases
    return Document(
        title=process.title, body=plain(f"{process.subtitle}\n\n{process.description}"),
        ward=WHOLE_CITY if process.whole_city else [w.slug for w in process.wards],
        programme=process.programme.slug if process.programme else None, date=process.published_at,
        starts=min(p.starts_at for p in phases) if phases else None,
        ends=max(p.ends_at for p in phases) if phases else None)


PROCESSES = SearchType(
    name="process", label="Participatory process", plural="Processes", model=Process,
    to_document=_process_document,
    related={Phase: lambda phase: phase.process_id, ProcessWard: lambda link: link.process_id},
    indexed_columns=frozenset({"title", "subtitle", "description", "programme_id", "whole_city", "published_at",
                               "slug", "wards", "phases"}),
    position=10)


# Comments ---------------------------------------------------------------------------------------------------


def _ancestors_hidden(session: Session, comments: Sequence[Comment]) -> set[int]:
    """Ids of the comments among these that sit below a comment hidden by moderation (the thread shows the
    hidden comment's whole subtree as one placeholder): one query per level, four levels at most."""
    parent_of = {c.id: c.parent_id for c in comments}
    hidden = {c.id for c in comments if c.hidden_at is not None}
    wanted = {p for p in parent_of.values() if p is not None and p not in parent_of}
    while wanted:
        rows = session.execute(select(Comment.id, Comment.parent_id, Comment.hidden_at)
                               .where(Comment.id.in_(sorted(wanted)))).all()
        for ident, parent_id, hidden_at in rows:
            parent_of[ident] = parent_id
            if hidden_at is not None:
                hidden.add(ident)
        wanted = {p for _i, p, _h in rows if p is not None and p not in parent_of}

    def below_hidden(ident: int) -> bool:
        parent = parent_of.get(ident)
        while parent is not None:
            if parent in hidden:
                return True
            parent = parent_of.get(parent)
        return False

    return {c.id for c in comments if below_hidden(c.id)}


def _resource_documents(session: Session, resource_type: str, ids: set[int]) -> dict[int, Document | None]:
    """The documents of the resources comments hang on: their search type's, when they have one; otherwise
    the resource's own ``visible`` hook, for someone signed out."""
    st = find(resource_type)
    if st is not None:
        return st.build(session, st.load_objects(session, sorted(ids)))
    rt = resources.find(resource_type)
    if rt is None:
        return {}
    anonymous = AnonymousUserMixin()
    found: dict[int, Document | None] = {}
    for obj in session.scalars(select(rt.model).where(rt.model.id.in_(sorted(ids)))
                               .execution_options(populate_existing=True)):
        shown = rt.is_visible(anonymous, obj) and (rt.comments is None or rt.comments.readable(obj))
        found[obj.id] = Document(title=rt.title_of(obj)) if shown else None
    return found


def _comment_documents(session: Session, comments: Sequence[Comment]) -> dict[int, Document | None]:
    """A comment is searchable while it is neither deleted nor hidden (nor below a hidden one) and its
    resource is searchable itself; it takes the resource's wards, programme and audience."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for c in comments:
        wanted[c.resource_type].add(c.resource_id)
    parents = {(rtype, ident): doc for rtype, ids in wanted.items()
               for ident, doc in _resource_documents(session, rtype, ids).items()}
    buried = _ancestors_hidden(session, comments)
    found: dict[int, Document | None] = {}
    for c in comments:
        parent = parents.get((c.resource_type, c.resource_id))
        if c.deleted_at is not None or c.hidden_at is not None or c.id in buried or parent is None:
            found[c.id] = None
            continue
        found[c.id] = Document(
            title="", body=plain(c.body), ward=parent.ward, programme=parent.programme, date=c.created_at,
            audience=parent.audience, parent=f"{c.resource_type}:{c.resource_id}",
            context=f"Comment on “{parent.title}”")
    return found


def _comment_children(parent_type: str, ids: Sequence[int]) -> Any:
    if parent_type == "comment":  # replies, whose visibility follows their parent's (hiding)
        return select(Comment.id).where(Comment.parent_id.in_(list(ids)))
    if resources.find(parent_type) is None:
        return None
    return select(Comment.id).where(Comment.resource_type == parent_type, Comment.resource_id.in_(list(ids)))


def _comment_url(comment: Comment) -> str:
    return resources.get("comment").url_of(comment)


def _load_comments(session: Session, ids: Sequence[int]) -> list[Comment]:
    return list(session.scalars(select(Comment).where(Comment.id.in_(list(ids))).options(lazyload("*"))
                                .execution_options(populate_existing=True)))  # fresh, not the session's copy


COMMENTS = SearchType(
    name="comment", label="Comment", plural="Comments", model=Comment, documents=_comment_documents,
    load=_load_comments,
    url=_comment_url, children=_comment_children,
    indexed_columns=frozenset({"body", "deleted_at", "hidden_at", "resource_type", "resource_id", "parent_id"}),
    position=90)


# Community groups -------------------------------------------------------------------------------------------


def _group_document(group: Group) -> Document | None:
    """Every group is public today (groups have no private setting yet: when they get one, a private group's
    document takes ``audience=f"group:{id}"`` and the type an ``audiences`` hook listing a person's groups)."""
    return Document(title=group.name, body=plain(group.description), ward=group.ward.slug if group.ward else None,
                    date=group.created_at, state="verified" if group.verified_at is not None else None)


GROUPS = SearchType(
    name="group", label="Community group", plural="Community groups", model=Group, to_document=_group_document,
    indexed_columns=frozenset({"name", "slug", "description", "ward_id", "verified_at"}),
    states={"verified": "Verified group"}, position=80)


def register_core_types() -> None:
    for st in (PROCESSES, COMMENTS, GROUPS):
        register(st)
