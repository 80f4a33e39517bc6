"""The vocabulary of the route × role access tables: the roles, what each kind of person gets, and the address
of an endpoint built from a test's objects. tests/core/test_access.py holds the platform's table; a domain's
tests hold its own (tests/kit/test_ideas_domain.py)."""

from __future__ import annotations

ROLES = ("anonymous", "resident", "verified", "organiser", "instructor", "officer", "admin")
SIGNED_IN = ROLES[1:]
GUESTS = {"anonymous": 200, **dict.fromkeys(SIGNED_IN, 302)}
OFFICERS = ("officer", "admin")
ADMINS = ("admin",)


def everyone(status):
    return dict.fromkeys(ROLES, status)


def signed_in(status=200):
    return {"anonymous": 302, **dict.fromkeys(SIGNED_IN, status)}


def only(allowed: tuple[str, ...], ok=200):
    return {"anonymous": 302, **{r: (ok if r in allowed else 403) for r in SIGNED_IN}}


def url_for_rule(app, endpoint, objects):
    """The endpoint's address, its arguments taken from ``objects`` by name."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    return app.url_map.bind("civic.test").build(endpoint, {a: objects[a] for a in rule.arguments})
