"""The resource registry: what the core may ask about a domain's objects.

A resource type names one model and answers the core's questions about its objects. Every hook the core
calls is declared here, and nowhere else:

- :class:`ResourceType` itself, for every resource:
  - ``url`` — its page, written once: a :class:`Link` (``Link("proposals.show", "proposal_id")``) or a
    function ``obj -> str``;
  - ``title(obj) -> str`` — a short text naming it (default: "<label> <id>");
  - ``visible(user, obj) -> bool`` — may this person see it (drafts, hidden content...; default: yes);
  - ``space(obj) -> str`` — where it lives, for notifications (default: "<label>s").
- :class:`CommentHooks` (``comments=``): the resource takes comments (capability ``commentable``):
  - ``may_comment(user, obj) -> True | str`` — True, or why commenting is closed now (e.g. the phase);
  - ``readable(obj) -> bool`` — are its comments shown at all;
  - ``on_count(obj, delta)`` — keep a denormalised comment counter right.
- :class:`ModerationHooks` (``moderation=``): it can be reported and hidden (capability ``reportable``):
  - ``set_hidden(obj, hidden_at | None)`` — moderation hides (a time) or restores (None) it;
  - ``author_id(obj) -> int | None`` — who wrote it (default: ``obj.author_id``).
- :class:`FollowHooks` (``follows=``): people can follow it (capability ``followable``):
  - ``comments_notify`` — followers are told of new comments on it.
- :class:`SourceHooks` (``sources=``): another domain may build on it (capability ``source``), e.g. a budget's
  project made from an accepted proposal:
  - ``accepted(process_id) -> [Source]`` — its objects of that process that are ready to be built on;
  - ``get(id) -> Source | None`` — one of them by id, if it is still ready.
- :class:`CreationHooks` (``creation=``): another domain may make one from something of its own (capability
  ``creatable``; a campaign's finding turned into a proposal):
  - ``targets(user) -> [(id, name)]`` — where this person may make one now (e.g. processes open for proposals);
  - ``create(user, target_id, seed) -> obj`` — make it from a :class:`Seed` (title, body, ward), flushed; refuses
    with ``RuleViolation`` (naming ``title``, ``body``, ``ward`` or ``target``) or ``PermissionDenied``.

Badges go the other way: a domain says what it did with another's object ("Funded in the 2027 budget") with
:func:`register_badges`; the owner's page calls :func:`badges_for` (the ``resource_badges`` template global), so
neither domain imports the other.

Objects of two domains are tied by :class:`ResourceLink` rows (the core's table ``resource_links``):
:func:`link` writes one, :func:`linked` reads an object's links either way as titles and URLs through each
type's own hooks, so neither domain imports the other.

A capability exists because its hook group is present. Search has its own registry
(:mod:`civic.search.registry`), keyed by the same names. The core reads this registry; it never imports a
domain package. Domains declare their resource types in their manifest (:mod:`civic.domains`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app, has_app_context, url_for
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, QueryableAttribute, mapped_column

from civic.db import Base, db, utcnow


@dataclass(frozen=True)
class Link:
    """A page of one object: ``url_for(endpoint, **{arg: getattr(obj, attr)})``."""

    endpoint: str
    arg: str
    attr: str = "id"

    def __call__(self, obj: Any) -> str:
        return url_for(self.endpoint, **{self.arg: getattr(obj, self.attr)})

    def by_id(self, ident: int) -> str | None:
        """The page from the object's id alone (no query), when the link is built from the id."""
        return url_for(self.endpoint, **{self.arg: ident}) if self.attr == "id" else None


def _always(*_args: Any) -> bool:
    return True


def _author_id(obj: Any) -> int | None:
    return getattr(obj, "author_id", None)


def author_column(model: type) -> Any:
    """The model's ``author_id`` as something a query can use (a column or a synonym), or None: a plain Python
    property cannot go into SQL."""
    attr = getattr(model, "author_id", None)
    return attr if isinstance(attr, QueryableAttribute) else None


@dataclass(frozen=True)
class CommentHooks:
    """The resource takes comments (see the module's docstring)."""

    may_comment: Callable[[Any, Any], bool | str] = _always
    readable: Callable[[Any], bool] = _always
    on_count: Callable[[Any, int], None] | None = None


@dataclass(frozen=True)
class ModerationHooks:
    """The resource can be reported and hidden by moderation."""

    set_hidden: Callable[[Any, datetime | None], None]
    author_id: Callable[[Any], int | None] = _author_id


@dataclass(frozen=True)
class FollowHooks:
    """People can follow the resource."""

    comments_notify: bool = True


@dataclass(frozen=True)
class Source:
    """An object another domain may build on, described in plain values (no model crosses domains)."""

    resource: str  # the resource type's name, e.g. "proposal"
    id: int
    title: str
    description: str = ""  # Markdown
    cost: Decimal | None = None
    ward_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    url: str | None = None


@dataclass(frozen=True)
class SourceHooks:
    """The resource can be the source of another domain's object (see the module's docstring)."""

    accepted: Callable[[int], list[Source]]
    get: Callable[[int], Source | None]


@dataclass(frozen=True)
class Seed:
    """What one domain hands another to make an object from: words and a place, and where it comes from."""

    title: str
    body: str  # Markdown
    ward_id: int | None = None
    origin: tuple[str, int] | None = None  # (resource type, id) of what it was made from


@dataclass(frozen=True)
class CreationHooks:
    """Other domains may make objects of this type (see the module's docstring)."""

    targets: Callable[[Any], list[tuple[int, str]]]
    create: Callable[[Any, int, Seed], Any]


@dataclass(frozen=True)
class ResourceType:
    """What a domain (or a core package) tells the core about one of its models."""

    name: str  # e.g. "proposal"
    model: type
    label: str  # "Proposal", for people
    url: Link | Callable[[Any], str] | None = None
    title: Callable[[Any], str] | None = None
    visible: Callable[[Any, Any], bool] | None = None
    space: Callable[[Any], str] | None = None
    comments: CommentHooks | None = None
    moderation: ModerationHooks | None = None
    follows: FollowHooks | None = None
    sources: SourceHooks | None = None
    creation: CreationHooks | None = None

    @property
    def capabilities(self) -> frozenset[str]:
        present = {"commentable": self.comments, "reportable": self.moderation, "followable": self.follows,
                   "source": self.sources, "creatable": self.creation}
        return frozenset(name for name, group in present.items() if group is not None)

    def title_of(self, obj: Any) -> str:
        return self.title(obj) if self.title is not None else f"{self.label} {obj.id}"

    def url_of(self, obj: Any) -> str | None:
        return self.url(obj) if self.url is not None else None

    def url_by_id(self, ident: int) -> str | None:
        """Its page from its id: without a query when the link is built from the id, else loads the object."""
        if isinstance(self.url, Link) and (url := self.url.by_id(ident)) is not None:
            return url
        obj = db.session.get(self.model, ident)
        return self.url_of(obj) if obj is not None else None

    def is_visible(self, user: Any, obj: Any) -> bool:
        return self.visible is None or bool(self.visible(user, obj))

    def space_of(self, obj: Any) -> str:
        return self.space(obj) if self.space is not None else self.label + "s"


@dataclass(frozen=True)
class Area:
    """One of the things people come for, shown on the home page."""

    key: str
    title: str
    summary: str
    endpoint: str | None = None
    #: The main navigation's label when the page it opens has another title than the area (the nav says what
    #: the page is called): "Participatory processes" for the proposals area, whose page lists the processes.
    nav_title: str = ""

    @property
    def nav_label(self) -> str:
        return self.nav_title or self.title


_resources: dict[str, ResourceType] = {}
_areas: dict[str, Area] = {}


def register(rt: ResourceType) -> ResourceType:
    """Register a resource type; registering the same name again replaces it only for the same model."""
    current = _resources.get(rt.name)
    if current is not None and current.model is not rt.model:
        raise ValueError(f"resource type {rt.name!r} registered twice")
    _resources[rt.name] = rt
    return rt


def unregister(name: str) -> None:
    """Forget a resource type (a test-only domain, when its tests are done)."""
    _resources.pop(name, None)


def get(name: str) -> ResourceType:
    return _resources[name]


def find(name: str) -> ResourceType | None:
    return _resources.get(name)


def load_visible(rt: ResourceType, user: Any, resource_id: int) -> Any | None:
    """The object of this type with this id if it exists and this person may see it (its ``visible`` hook)."""
    obj = db.session.get(rt.model, resource_id)
    if obj is None or not rt.is_visible(user, obj):
        return None
    return obj


def with_capability(capability: str) -> list[ResourceType]:
    return [rt for rt in _resources.values() if capability in rt.capabilities]


def register_area(area: Area) -> None:
    _areas[area.key] = area


def area(key: str) -> Area | None:
    return _areas.get(key)


def set_area_endpoint(key: str, endpoint: str, nav_title: str = "") -> None:
    """Called by a domain's registration when its pages exist; ``nav_title``: the title of the page it opens,
    when that is not the area's."""
    current = _areas[key]
    _areas[key] = Area(current.key, current.title, current.summary, endpoint, nav_title)


def areas() -> list[Area]:
    """The areas; one whose pages this app does not serve (its domain is not loaded here, e.g. a test app with
    other domains) is listed without its link."""
    views = current_app.view_functions if has_app_context() else None
    return [a if a.endpoint is None or views is None or a.endpoint in views
            else Area(a.key, a.title, a.summary, None) for a in _areas.values()]


def default_areas() -> None:
    """The four areas, as the council describes them; a domain links its area when it has pages."""
    for a in (
        Area("proposals", "Proposals",
             "Propose SMART projects for your ward, support the ones you want and see the council's answer."),
        Area("consultations", "Consultations",
             "The council asks and verified residents answer, with secret ballots and honest tallies."),
        Area("citizen_sensing", "Citizen sensing",
             "Community campaigns measure damp, air quality and noise; the readings are published as open data."),
        Area("skills_school", "Urban Data School",
             "Digital-skills and robotics courses: lessons, in-person sessions, progress and certificates."),
    ):
        _areas.setdefault(a.key, a)


@dataclass(frozen=True)
class Component:
    """Something a domain adds to every participatory process (e.g. its proposals)."""

    key: str
    title: str
    endpoint: str  # takes ``slug``: the process
    #: Its officers' settings for one process (takes ``slug``), listed under "Manage this process" and on
    #: ``/admin/processes``; with the words of that link.
    settings_endpoint: str | None = None
    settings_label: str = ""
    #: The viewer's own things in this component, as ``[(link text, url)]``: ``yours(user, process)`` for a
    #: process's page, ``yours(user, None)`` for the account page ("Proposals you support (3 of 10)").
    yours: Callable[[Any, Any], list[tuple[str, str]]] | None = None


_components: dict[str, Component] = {}


def your_links(user: Any, process: Any = None) -> list[tuple[str, str]]:
    """Links to the viewer's own things that the components hold (on the account page and a process's page)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [link for c in _components.values() if c.yours is not None for link in c.yours(user, process)]


def register_component(component: Component) -> None:
    _components[component.key] = component


def unregister_component(key: str) -> None:
    _components.pop(key, None)


def components() -> list[Component]:
    return list(_components.values())


__all__ = ["Area", "Badge", "CommentHooks", "Component", "CreationHooks", "FollowHooks", "Link", "Linked",
           "ModerationHooks", "ResourceLink", "ResourceType", "Seed", "Source", "SourceHooks", "area",
           "author_column", "badges_for", "link", "linked", "register_badges",
           "areas", "components", "default_areas", "find", "get", "load_visible", "register", "register_area",
           "register_component", "set_area_endpoint", "unregister", "unregister_component", "with_capability",
           "your_links"]


# Finding objects by words -------------------------------------------------------------------------------------

#: Set by the search package (``civic.search.init_app``): ``fn(type_name, text, limit) -> [ids]``, best first.
_finder: Callable[[str, str, int], list[int]] | None = None


def set_finder(fn: Callable[[str, str, int], list[int]] | None) -> None:
    """The search package lends its index to packages below it (moderation finds content to hide by words)."""
    global _finder
    _finder = fn


def find_ids(type_name: str, text: str, limit: int = 50) -> list[int]:
    """Ids of objects of ``type_name`` whose words match ``text``, best first; [] without a search index. Not
    checked against the database: the caller loads what it shows."""
    if _finder is None or not (text or "").strip():
        return []
    return _finder(type_name, text, limit)[:limit]


# Badges -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    """A line another domain adds to an object's page: "Funded in the 2027 budget", linking to where."""

    text: str
    url: str | None = None


#: resource name -> providers ``fn(ids) -> {id: [Badge]}`` (one query for many ids).
_badges: dict[str, list[Callable[[list[int]], dict[int, list[Badge]]]]] = {}


def register_badges(resource: str, provider: Callable[[list[int]], dict[int, list[Badge]]]) -> None:
    """A domain says what it did with objects of ``resource`` (registering the same provider again is harmless)."""
    providers = _badges.setdefault(resource, [])
    if provider not in providers:
        providers.append(provider)


def unregister_badges(resource: str, provider: Callable[[list[int]], dict[int, list[Badge]]]) -> None:
    providers = _badges.get(resource, [])
    if provider in providers:
        providers.remove(provider)


def badges_for(resource: str, ident: int) -> list[Badge]:
    """The badges other domains give this object (none when no domain gives any: no query)."""
    out: list[Badge] = []
    for provider in _badges.get(resource, ()):
        out.extend(provider([ident]).get(ident, []))
    return out


# Links between objects of two domains ----------------------------------------------------------------------


class ResourceLink(Base):
    """``from`` led to ``to``: a campaign's finding (``sensing_finding``) became a proposal (``proposal``). Both
    ends are named by resource type and id, so the core needs no foreign key into a domain's table; an end whose
    object is gone is left out when read."""

    __tablename__ = "resource_links"
    __table_args__ = (UniqueConstraint("from_type", "from_id", "to_type", "to_id"),
                      Index("ix_resource_links_to", "to_type", "to_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    from_type: Mapped[str] = mapped_column(String(40))
    from_id: Mapped[int]
    to_type: Mapped[str] = mapped_column(String(40))
    to_id: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def link(origin: tuple[str, int], made: tuple[str, int], actor: Any = None) -> ResourceLink:
    """Record that ``origin`` led to ``made`` (both ``(type, id)`` of registered types); flushed."""
    for name, _ident in (origin, made):
        if name not in _resources:
            raise ValueError(f"unknown resource type {name!r}")
    row = ResourceLink(from_type=origin[0], from_id=origin[1], to_type=made[0], to_id=made[1],
                       created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    return row


@dataclass(frozen=True)
class Linked:
    """The other end of a link, as a page shows it."""

    type: ResourceType
    id: int
    title: str
    url: str | None


def link_rows(name: str, ids: list[int], direction: str = "to") -> dict[int, list[tuple[str, int]]]:
    """The other ends of the links of many objects of one type, in one query, without loading them:
    ``{id: [(type, id), ...]}``. ``direction`` "to": what they led to; "from": what they came from."""
    if not ids:
        return {}
    if direction == "to":
        mine, other = (ResourceLink.from_type, ResourceLink.from_id), (ResourceLink.to_type, ResourceLink.to_id)
    else:
        mine, other = (ResourceLink.to_type, ResourceLink.to_id), (ResourceLink.from_type, ResourceLink.from_id)
    found: dict[int, list[tuple[str, int]]] = {}
    for ident, other_type, other_id in db.session.execute(
            select(mine[1], *other).where(mine[0] == name, mine[1].in_(ids)).order_by(ResourceLink.id)):
        found.setdefault(ident, []).append((other_type, other_id))
    return found


def linked(user: Any, name: str, ident: int, direction: str = "to") -> list[Linked]:
    """The other ends of one object's links that this person may see (their ``visible`` hooks), with their
    titles and pages: one query for the links, one per linked object (an object has few)."""
    out = []
    for other_type, other_id in link_rows(name, [ident], direction).get(ident, []):
        rt = _resources.get(other_type)
        obj = load_visible(rt, user, other_id) if rt is not None else None
        if obj is not None:
            out.append(Linked(rt, other_id, rt.title_of(obj), rt.url_of(obj)))
    return out
