"""Phase actions: the registry of what a phase of a process can open, which domains extend.

A phase opens actions (``propose``, ``support``, ``vote``...): while it runs, people may take them, and
:func:`civic.spaces.services.require_phase` refuses them outside it with a message saying when they open.
Which actions exist is not fixed by the core: each domain registers its own, and the core registers
``comment`` (comments are core)::

    from civic.spaces import phases

    phases.register_action("vote", "Voting", description="Residents can answer the consultation's questions.",
                           position=60)

and gates it with ``require_phase(process, "vote")``. Officers see one checkbox per registered action on a
phase's form (its label and description), and the process page lists the open ones by their labels. A
phase's open actions are stored as rows (:class:`civic.spaces.models.PhaseAction`), one per action.

Registering is idempotent: the same key with the same values is accepted again (``create_app`` runs more than
once in a test process); the same key with other values is an error, so two domains cannot both claim a verb.
The order shown to people is ``position``, then the order of registration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from civic import registries

#: A key is used in form field names (``allow_<key>``) and stored in a 40-character column.
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class Action:
    """An action a phase can open."""

    key: str  # "support"
    label: str  # "Supporting proposals": names it in messages ("… is not open in this phase") and on forms
    description: str = ""  # what opening it means, for officers choosing a phase's actions and residents
    position: int = 100  # smaller first
    #: The process page's start button while the action is open: (its text, an endpoint taking ``slug``), e.g.
    #: ``("Make a proposal", "proposals.new")``. None: no button.
    start: tuple[str, str] | None = None


_actions: dict[str, Action] = {}


def register_action(key: str, label: str, *, description: str = "", position: int = 100,
                    start: tuple[str, str] | None = None) -> Action:
    """Declare an action that phases can open. Idempotent with the same values; conflicting values raise."""
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"phase action key {key!r}: use 1 to 40 lower-case letters, digits or _, "
                         "starting with a letter")
    return registries.put(_actions, key, Action(key, label, description, position, start), "phase action")


def unregister_action(key: str) -> None:
    """Forget an action (for tests that register one of their own)."""
    _actions.pop(key, None)


def actions() -> list[Action]:
    """Every registered action, in the order people see them."""
    order = {key: n for n, key in enumerate(_actions)}
    return sorted(_actions.values(), key=lambda a: (a.position, order[a.key]))


def action_keys() -> list[str]:
    return [a.key for a in actions()]


def get(key: str) -> Action:
    """The registered action, or ValueError for a key nobody registered (a programming mistake)."""
    try:
        return _actions[key]
    except (KeyError, TypeError):
        raise ValueError(f"unknown phase action {key!r}") from None


def ordered(chosen: Iterable[str]) -> list[str]:
    """The registered actions among ``chosen``, in the order people see them (unregistered keys left out)."""
    chosen = set(chosen)
    return [a.key for a in actions() if a.key in chosen]


def chosen(actions: Iterable[str] = (), flags: Mapping[str, object] | None = None) -> set[str]:
    """The keys to open: ``actions`` plus every ``allow_<key>`` flag that is true (the older spelling, from the
    time actions were columns). An unregistered key is a ValueError, a flag not named ``allow_...`` a TypeError."""
    keys = set(actions)
    for name, value in (flags or {}).items():
        if not name.startswith("allow_"):
            raise TypeError(f"unexpected keyword argument {name!r}")
        get(name.removeprefix("allow_"))
        if value:
            keys.add(name.removeprefix("allow_"))
    for key in keys:
        get(key)
    return keys


# The core's own action: comments are core (a domain's resource says whether its comments follow the phase).
register_action("comment", "Commenting", position=30,
                description="People can comment on proposals and reply to comments. Outside this phase comments "
                            "stay readable but closed.")
