"""What domains tell the notification core: the kinds of notification and how an event becomes a notice.

A domain (or a core package) calls :func:`kind` for each kind of notification a person can choose email
for, and :func:`on` for each event type it publishes with a builder that turns the event into a
:class:`Notice`: what to say, where it links, and who is told (audiences, in priority order). The core
does the rest: one notification per person per event, never to the actor, never to blocked people, never
about hidden content, email as each person chose, unsubscribe links and digests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from civic.notifications.models import EMAIL_CHOICES


@dataclass(frozen=True)
class Kind:
    """A kind of notification, as a person sees it in their preferences."""

    key: str  # "reply"
    label: str  # "Someone replies to your comment"
    #: The sentence in the notification centre and in mail; ``{actor}`` and ``{title}`` are filled in.
    template: str  # "{actor} replied to your comment on “{title}”"
    email_default: str = "daily"
    group: str = "Activity"  # how the preferences page groups kinds
    position: int = 100
    #: In the centre only: the domain sends its own (transactional) mail, so no email choice is offered.
    email_fixed: bool = False
    #: The mail's link, named for what the person does there ("Appeal this decision"); empty: "See it".
    link_text: str = ""

    def __post_init__(self) -> None:
        if self.email_default not in EMAIL_CHOICES:
            raise ValueError(f"unknown email choice {self.email_default!r}")

    def sentence(self, actor: str, title: str) -> str:
        """One line (names and titles with line breaks are folded: the sentence is also a mail's subject)."""
        return " ".join(self.template.format(actor=actor or "Someone", title=title).split())


# Audiences: who is told, and for which kind ------------------------------------------------------------------


@dataclass(frozen=True)
class Users:
    kind: str
    user_ids: Sequence[int]


@dataclass(frozen=True)
class Followers:
    kind: str
    resource_type: str
    resource_id: int


@dataclass(frozen=True)
class AreaWatchers:
    """People whose area alert matches: one of ``ward_ids`` (or near the point), and the programme."""

    kind: str
    ward_ids: Sequence[int]
    programme_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    #: For the whole city: every area alert matches (by ward or by point), subject to programmes.
    everywhere: bool = False


Audience = Users | Followers | AreaWatchers


@dataclass
class Notice:
    """An event, ready to be told. ``key`` is unique per event: the same key twice is one event."""

    key: str
    title: str  # what it is about, e.g. the proposal's title
    url: str
    audiences: list[Audience]
    actor_id: int | None = None
    space: str = ""
    excerpt: str = ""
    subject: tuple[str, int] | None = None
    resource: tuple[str, int] | None = None
    #: (user_id, resource_type, resource_id, why) follows to add: why is "own" or "commented".
    follows: list[tuple[int, str, int, str]] = field(default_factory=list)


Builder = Callable[..., Notice | None]  # builder(subject, **data) -> Notice | None

_kinds: dict[str, Kind] = {}
_builders: dict[str, list[Builder]] = {}


def kind(key: str, label: str, template: str, *, email_default: str = "daily", group: str = "Activity",
         position: int = 100, email_fixed: bool = False, link_text: str = "") -> Kind:
    return register_kind(Kind(key, label, template, email_default, group, position, email_fixed, link_text))


def register_kind(k: Kind) -> Kind:
    """Register a kind of notification (again: replaced, e.g. by the same manifest in another app)."""
    _kinds[k.key] = k
    return k


def _name(fn: Builder) -> tuple[str, str]:
    return getattr(fn, "__module__", ""), getattr(fn, "__qualname__", repr(fn))


def on(event_type: str) -> Callable[[Builder], Builder]:
    """Register a builder for an event type (declared with :func:`civic.events.declare`)."""

    def decorator(fn: Builder) -> Builder:
        existing = _builders.setdefault(event_type, [])
        if all(_name(b) != _name(fn) for b in existing):  # the same function again (another app), not a namesake
            existing.append(fn)
        return fn

    return decorator


def unregister(kinds: Sequence[str] = (), builders: dict[str, Sequence[Builder]] | None = None) -> None:
    """Forget kinds and builders (a test-only domain, when its tests are done)."""
    for key in kinds:
        _kinds.pop(key, None)
    for event_type, fns in (builders or {}).items():
        left = [b for b in _builders.get(event_type, []) if b not in fns]
        if left:
            _builders[event_type] = left
        else:
            _builders.pop(event_type, None)


def kinds() -> list[Kind]:
    return sorted(_kinds.values(), key=lambda k: (k.position, k.label))


def get_kind(key: str) -> Kind | None:
    return _kinds.get(key)


def builders(event_type: str) -> list[Builder]:
    return list(_builders.get(event_type, ()))


def event_types() -> list[str]:
    return list(_builders)


__all__ = ["AreaWatchers", "Audience", "Followers", "Kind", "Notice", "Users", "builders", "event_types",
           "get_kind", "kind", "kinds", "on", "register_kind", "unregister"]
