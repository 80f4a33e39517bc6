"""The registry through which domain packages tell the core about their resources.

A domain registers, at import time, which of its models are commentable,
reportable, searchable or followable, and which areas it adds to the home page.
The core reads this registry; it never imports a domain package.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResourceType:
    name: str  # e.g. "proposal"
    model: type
    label: str  # "Proposal", for people
    url_endpoint: str | None = None  # endpoint taking ``<name>_id``
    capabilities: frozenset[str] = field(default_factory=frozenset)


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
             capabilities: set[str] | None = None) -> ResourceType:
    if name in _resources and _resources[name].model is not model:
        raise ValueError(f"resource type {name!r} registered twice")
    rt = ResourceType(name, model, label, url_endpoint, frozenset(capabilities or ()))
    _resources[name] = rt
    return rt


def get(name: str) -> ResourceType:
    return _resources[name]


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
