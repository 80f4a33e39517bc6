"""The registry through which domain packages tell the core about their resources.

A domain registers, at import time, which of its models are commentable,
reportable, searchable or followable, and which areas it adds to the home page.
The core reads this registry; it never imports a domain package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from civic.db import db


@dataclass(frozen=True)
class ResourceType:
    """What a domain tells the core about one of its models.

    Hooks (all optional), called by the core with the object:
    - ``url(obj) -> str``: its page;
    - ``title(obj) -> str``: a short text naming it;
    - ``visible(user, obj) -> bool``: may this person see it (drafts, hidden content...);
    - ``may_comment(user, obj) -> True | str``: True, or why commenting is closed (e.g. the phase);
    - ``comments_readable(obj) -> bool``: are its comments shown at all;
    - ``on_comment_count(obj, delta)``: keep a denormalised comment counter right.
    """

    name: str  # e.g. "proposal"
    model: type
    label: str  # "Proposal", for people
    url_endpoint: str | None = None  # endpoint taking ``<name>_id``
    capabilities: frozenset[str] = field(default_factory=frozenset)
    hooks: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def hook(self, name: str, default: Callable[..., Any] | None = None) -> Callable[..., Any] | None:
        return self.hooks.get(name, default)


@dataclass(frozen=True)
class Area:
    """One of the things people come for, shown on the home page."""

    key: str
    title: str
    summary: str
    endpoint: str | None = None


_resources: dict[str, ResourceType] = {}
_areas: dict[str, Area] = {}


def register(name: str, model: type, label: str, *, url_endpoint: str | None = None,
             capabilities: set[str] | None = None, **hooks: Callable[..., Any]) -> ResourceType:
    if name in _resources and _resources[name].model is not model:
        raise ValueError(f"resource type {name!r} registered twice")
    rt = ResourceType(name, model, label, url_endpoint, frozenset(capabilities or ()), dict(hooks))
    _resources[name] = rt
    return rt


def get(name: str) -> ResourceType:
    return _resources[name]


def find(name: str) -> ResourceType | None:
    return _resources.get(name)


def load_visible(rt: ResourceType, user: Any, resource_id: int) -> Any | None:
    """The object of this type with this id if it exists and this person may see it (its ``visible`` hook)."""
    obj = db.session.get(rt.model, resource_id)
    visible = rt.hook("visible")
    if obj is None or (visible is not None and not visible(user, obj)):
        return None
    return obj


def with_capability(capability: str) -> list[ResourceType]:
    return [rt for rt in _resources.values() if capability in rt.capabilities]


def register_area(area: Area) -> None:
    _areas[area.key] = area


def area(key: str) -> Area | None:
    return _areas.get(key)


def set_area_endpoint(key: str, endpoint: str) -> None:
    """Called by a domain's blueprint registration when its pages exist."""
    current = _areas[key]
    _areas[key] = Area(current.key, current.title, current.summary, endpoint)


def areas() -> list[Area]:
    return list(_areas.values())


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


_components: dict[str, Component] = {}


def register_component(component: Component) -> None:
    _components[component.key] = component


def components() -> list[Component]:
    return list(_components.values())
