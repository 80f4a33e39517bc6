"""A domain declared in one place.

Each domain package (proposals, consultations, citizen_sensing, skills_school) keeps one
:class:`Domain` in ``<domain>/manifest.py`` naming everything it adds to the platform, and its
``__init__.py`` only calls :func:`register`::

    # consultations/__init__.py
    def init_app(app):
        from civic import domains
        from consultations.manifest import DOMAIN

        domains.register(app, DOMAIN)

What is declared once per process (resource types, search types, notification kinds and builders,
policy rules, events, components, phase actions, scheduled tasks, API collections, account handlers,
open-data datasets, work queues, audit-log sentences)
is registered the first time; what belongs to one application (blueprints, commands, the demo seeder,
template globals, the ``setup`` hook) is installed on every app — tests build several apps in one
process, and registering the same domain again is harmless. A second, different declaration under a
name already registered is an error.

The core never imports a domain package: ``civic.app`` loads them by name and they register
themselves. See docs/architecture.md, "Adding a domain", for the checklist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import click
from flask import Blueprint, Flask

from civic import api, events, opendata, policy, resources, schedule, workqueues
from civic.accounts import lifecycle
from civic.admin import history as audit_history
from civic.commands import cli as civic_cli
from civic.notifications import registry as notices
from civic.resources import Area, Component, ResourceType
from civic.search import registry as search
from civic.spaces import phases


@dataclass(frozen=True)
class Domain:
    """Everything a domain adds. Every field but ``name`` is optional."""

    name: str  # the package's name, e.g. "proposals"
    #: Public, officer and API blueprints.
    blueprints: Sequence[Blueprint] = ()
    #: Its own command group (``flask <name> ...``).
    cli: click.Group | None = None
    #: Commands added to ``flask civic ...``.
    civic_commands: Sequence[click.Command] = ()
    #: Event types it publishes: ``{"proposal.answered": "An officer answered a proposal"}``.
    events: Mapping[str, str] = field(default_factory=dict)
    #: Its resource types (comments, moderation, follows, links) — see :mod:`civic.resources`.
    resources: Sequence[ResourceType] = ()
    #: What it adds to every participatory process (a tab on the process page).
    components: Sequence[Component] = ()
    #: Its home-page area: the key of one of :func:`civic.resources.default_areas` with its endpoint, or a new
    #: :class:`~civic.resources.Area`.
    #: A third item names the page it opens when the nav should say that instead (the page's own title).
    area: Area | tuple[str, str] | tuple[str, str, str] | None = None
    #: Its searchable types (:class:`civic.search.SearchType`).
    search_types: Sequence[search.SearchType] = ()
    #: The kinds of notification people choose email for, and the builders that turn its events into notices.
    notice_kinds: Sequence[notices.Kind] = ()
    notice_builders: Mapping[str, notices.Builder | Sequence[notices.Builder]] = field(default_factory=dict)
    #: Policy rules: ``{"proposal.create": rule}`` (see :mod:`civic.policy`).
    policy_rules: Mapping[str, policy.RuleFn] = field(default_factory=dict)
    #: Actions a phase of a process can open (:class:`civic.spaces.phases.Action`); gate them with
    #: ``civic.spaces.services.require_phase(process, key)``.
    phase_actions: Sequence[phases.Action] = ()
    #: Work ``flask civic tick`` runs, each in its own transaction under a lease (:class:`civic.schedule.Task`).
    tasks: Sequence[schedule.Task] = ()
    #: Collections the ``/api/v1/`` index lists (:class:`civic.api.Collection`).
    api_collections: Sequence[api.Collection] = ()
    #: Called in the same transaction when an account changes: ``{"deleted": fn(user), "blocked": fn(user),
    #: "transferred": fn(old_user, new_user)}`` (see :mod:`civic.accounts.lifecycle`).
    account_handlers: Mapping[str, Callable[..., None]] = field(default_factory=dict)
    #: Its open-data datasets (:class:`civic.opendata.Dataset`): on ``/open-data``, in the DCAT catalogue and
    #: the bulk download.
    datasets: Sequence[opendata.Dataset] = ()
    #: Its waiting work (:class:`civic.workqueues.WorkQueue`): counted on the officers' home (``/admin/``) and in
    #: the header for staff, each linking to its list.
    work_queues: Sequence[workqueues.WorkQueue] = ()
    #: The audit log's words for the actions it writes with :func:`civic.audit.audit`:
    #: ``{"budget.create": "created the budget"}`` — what the officer did, before the object's name (see
    #: :mod:`civic.admin.history`; a core action's words cannot be replaced).
    audit_sentences: Mapping[str, str] = field(default_factory=dict)
    #: Loads its part of the demo data (idempotent), after the core's.
    seeder: Callable[[], None] | None = None
    #: Badges it gives other domains' objects: ``{"proposal": fn(ids) -> {id: [Badge]}}`` (see
    #: :func:`civic.resources.register_badges`).
    badges: Mapping[str, Callable[[list[int]], dict[int, list[Any]]]] = field(default_factory=dict)
    #: Functions templates may call.
    template_globals: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    #: Anything else one app needs (an error handler on its blueprint...).
    setup: Callable[[Flask], None] | None = None


_declared: dict[str, Domain] = {}


def register(app: Flask, domain: Domain) -> None:
    """Declare the domain (once per process) and install it on this app (every time)."""
    known = _declared.get(domain.name)
    if known is None:
        _declare(domain)
        _declared[domain.name] = domain
    elif known is not domain:
        raise ValueError(f"domain {domain.name!r} declared twice")
    _install(app, domain)


def unregister(domain: Domain) -> None:
    """Forget what the domain declared for the whole process (a test-only domain, when its tests are done).
    Apps it was installed on keep their routes."""
    if _declared.get(domain.name) is not domain:
        return
    del _declared[domain.name]
    for name in domain.events:
        events.forget(name)
    for rt in domain.resources:
        resources.unregister(rt.name)
    for component in domain.components:
        resources.unregister_component(component.key)
    for st in domain.search_types:
        search.unregister(st.name)
    notices.unregister([k.key for k in domain.notice_kinds],
                       {e: list(b) if isinstance(b, Sequence) else [b] for e, b in domain.notice_builders.items()})
    for action in domain.policy_rules:
        policy.forget(action)
    for a in domain.phase_actions:
        phases.unregister_action(a.key)
    for t in domain.tasks:
        schedule.unregister(t.name)
    for c in domain.api_collections:
        api.unregister_collection(c.name)
    for event_name, handler in domain.account_handlers.items():
        lifecycle.off(event_name, handler)
    for ds in domain.datasets:
        opendata.unregister(ds.key)
    for q in domain.work_queues:
        workqueues.unregister(q.key)
    for resource, provider in domain.badges.items():
        resources.unregister_badges(resource, provider)
    audit_history.unregister_sentences(domain.name, domain.audit_sentences)


def declared() -> list[Domain]:
    return list(_declared.values())


def installed(app: Flask) -> list[Domain]:
    return list(app.extensions.get("civic.domains", ()))


def _declare(domain: Domain) -> None:
    for name, description in domain.events.items():
        events.declare(name, description)
    for rt in domain.resources:
        resources.register(rt)
    for component in domain.components:
        resources.register_component(component)
    if isinstance(domain.area, Area):
        resources.register_area(domain.area)
    for st in domain.search_types:
        search.register(st)
    for k in domain.notice_kinds:
        notices.register_kind(k)
    for event_type, builders in domain.notice_builders.items():
        for builder in builders if isinstance(builders, Sequence) else (builders,):
            notices.on(event_type)(builder)
    for action, rule in domain.policy_rules.items():
        policy.rule(action)(rule)
    for a in domain.phase_actions:
        phases.register_action(a.key, a.label, description=a.description, position=a.position,
                               start=a.start)
    for t in domain.tasks:
        schedule.task(t.name, t.fn, description=t.description, every=t.every, lease=t.lease)
    for c in domain.api_collections:
        api.collection(c.name, c.endpoint, c.description)
    for event_name, handler in domain.account_handlers.items():
        lifecycle.on(event_name, handler)
    for ds in domain.datasets:
        opendata.register(ds)
    for q in domain.work_queues:
        workqueues.register(q)
    for resource, provider in domain.badges.items():
        resources.register_badges(resource, provider)
    audit_history.register_sentences(domain.name, domain.audit_sentences)


def _install(app: Flask, domain: Domain) -> None:
    done = app.extensions.setdefault("civic.domains", [])
    if domain in done:
        return
    done.append(domain)
    if isinstance(domain.area, tuple):
        resources.set_area_endpoint(*domain.area)
    for bp in domain.blueprints:
        app.register_blueprint(bp)
    if domain.cli is not None:
        app.cli.add_command(domain.cli)
    for command in domain.civic_commands:
        civic_cli.add_command(command)
    if domain.seeder is not None:
        app.extensions.setdefault("civic.seeders", []).append(domain.seeder)
    for name, fn in domain.template_globals.items():
        app.jinja_env.globals[name] = fn
    if domain.setup is not None:
        domain.setup(app)
