"""Malformed input never gives a 500: every route in the URL map, for anonymous and signed-in people, with bad
path arguments (ids of 2**31 and more, NUL bytes, Unicode digits), bad query strings, bad form bodies and bad JSON
(lone surrogates, deep nesting, NULs, huge numbers). Each is refused (404, 400 naming the problem) or cleaned
(NUL bytes are stripped from text, so a resident's pasted text is not lost)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField
from wtforms.fields.core import UnboundField

from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.groups.models import Membership
from civic.spaces.services import create_process
from consultations.models import Consultation, Option, Question
from proposals.models import Category, Proposal, ProposalSettings
from tests import factories
from tests.core.test_access import _budget_objects, _school_objects
from tests.support.pages import text_of

HUGE = "99999999999"  # above PostgreSQL's integer (2**31 - 1)
BAD_INTS = ("2147483648", "18446744073709551616")  # 2**31 (PostgreSQL's integer); 2**64 (SQLite's INTEGER)
BAD_TEXT = ("a%00b", "%C2%B2", "%ED%A0%80")  # a NUL byte; "²" (isdigit() but not int()); a broken surrogate
BAD_PATHS = ("a%00b.png", "..%2F..%2Fetc%2Fpasswd")
# Values for every query argument and form field at once: huge ids, NUL bytes, Unicode digits.
BAD_VALUES = (HUGE, "a\x00b", "²", "-" + HUGE)
BAD_JSON = (
    b'{"body": "\\ud800 lone surrogate", "support": true}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"body": "a\\u0000b", "page": 99999999999}',
    b'{"body": 99999999999999999999999, "parent_id": 2147483648, "id": 2147483648}',
    b'{"body": "A reply", "parent_id": "99999999999999999999"}',
    b'"just a string"',
)


def form_field_names() -> set[str]:
    """Every field name of every form the app defines (the forms are imported with their views)."""
    names: set[str] = set()
    todo = list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        names.update(k for k in dir(cls) if isinstance(getattr(cls, k, None), UnboundField))
    return names


def field_names(*, numbers: bool) -> set[str]:
    """The fields that read a whole number (an ``IntegerField`` or ``coerce=int``: mostly ids of rows), or, with
    ``numbers=False``, the tick boxes (``BooleanField``)."""
    names: set[str] = set()
    todo = list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        for k in dir(cls):
            field = getattr(cls, k, None)
            if not isinstance(field, UnboundField):
                continue
            number = issubclass(field.field_class, IntegerField) or field.kwargs.get("coerce") is int
            tick = issubclass(field.field_class, BooleanField)
            if number if numbers else tick:
                names.add(k)
    return names


QUERY_NAMES = {"page", "per_page", "seed", "q", "ward", "category", "status", "order", "state", "show", "kind",
               "sort", "programme", "postcode", "email", "next", "endorsements_page", "type", "id", "user",
               "resource_type", "resource_id", "group", "decision", "action", "from", "topic", "level", "audience",
               "code", "direction", "projects", "start", "end", "as_of", "day"}


@pytest.fixture
def objects(make_user):
    """Real objects for the routes' arguments, so that bad queries and bodies reach the views' code."""
    owner = make_user("organiser")
    resident = make_user("resident")
    group = factories.group(owner)
    now = utcnow()
    process = create_process(None, title=group.name, description="A process", programme_slug="cleantech-city",
                             phases=[{"title": "Now", "starts_at": now - timedelta(days=1),
                                      "ends_at": now + timedelta(days=30), "allow_propose": True}])
    process.phases[0].set_actions({"propose", "support", "comment", "endorse", "answer"})
    db.session.add(ProposalSettings(process_id=process.id, verified_only=False))
    category = Category(process_id=process.id, slug="parks", name="Parks")
    proposal = Proposal(process_id=process.id, author_id=owner.id, title="More trees along Harrow Road",
                        body="Plant trees.", ward_id=factories.ward_named("Bayswater").id, state="published",
                        published_at=now)
    db.session.add_all([category, proposal])
    db.session.flush()
    comment = Comment(resource_type="proposal", resource_id=proposal.id, author_id=owner.id, body="Yes")
    db.session.add(comment)
    consultation = Consultation(title="Lamps on Harrow Road", opens_at=now - timedelta(days=1),
                                closes_at=now + timedelta(days=7), state="published", published_at=now)
    question = Question(kind="single", title="Brighter?", options=[Option(text="Yes"), Option(text="No")])
    consultation.questions.append(question)
    db.session.add(consultation)
    school = _school_objects(owner, resident)  # the Urban Data School's course, lesson, session, certificate
    db.session.commit()
    membership = db.session.scalar(select(Membership.id).where(Membership.group_id == group.id))
    return {**school, "consultation_id": consultation.id, "question_id": question.id,
            "option_id": question.options[0].id,
            "user_id": resident.id, "nickname": owner.nickname, "slug": group.slug, "token": "not-a-real-token",
            "request_id": 1, "membership_id": membership, "action": "accept", "name": "proposals/nothing.jpg",
            "phase_id": process.phases[0].id, "proposal_id": proposal.id, "comment_id": comment.id,
            "coauthor_id": 1, "category_id": category.id, "token_id": 1, "resource_type": "proposal",
            "resource_id": proposal.id, "moderation_id": 1, "appeal_id": 1, "failure_id": 1, "notification_id": 1,
            "app_id": 1, "filename": "css/site.css", "canned_id": 1,
            **_sensing_objects(group, owner), **_budget_objects()}


def _sensing_objects(group, owner) -> dict:
    """Citizen sensing: an approved campaign with the group's slug, the organiser's device and its token."""
    from datetime import date

    from citizen_sensing.models import AlertRule, Campaign, Device, Participant, Quantity, Sensor
    from citizen_sensing.services import new_token
    quantity = db.session.scalar(select(Quantity).where(Quantity.key == "air_temperature"))
    humidity = db.session.scalar(select(Quantity).where(Quantity.key == "relative_humidity"))
    campaign = Campaign(slug=group.slug, title="Damp in homes", group_id=group.id, status="approved",
                        starts_on=date(2026, 11, 1), ends_on=date(2027, 2, 1))
    campaign.quantities = [quantity, humidity]  # a damp logger: officers reach its evidence pack's checks
    db.session.add(campaign)
    db.session.flush()
    device = Device(public_key="0123456789abcdef01234567", campaign_id=campaign.id, owner_id=owner.id, name="Frog",
                    ward_id=factories.ward_named("Bayswater").id)
    new_token(device)
    db.session.add_all([device, Participant(campaign_id=campaign.id, user_id=owner.id)])
    db.session.flush()
    db.session.add(Sensor(device_id=device.id, quantity_id=quantity.id, external_id="temp"))
    db.session.add(Sensor(device_id=device.id, quantity_id=humidity.id, external_id="rh"))
    rule = AlertRule(campaign_id=campaign.id, kind="offline", minutes=360, active=True)
    db.session.add(rule)
    # Issue 20: the campaign's published report and a finding submitted to the council.
    from citizen_sensing.models import Finding, Report
    db.session.add(Report(campaign_id=campaign.id, draft="Damp all winter.", body="Damp all winter.",
                          published_at=utcnow()))
    finding = Finding(campaign_id=campaign.id, title="Homes are damp", summary="Most homes are damp.",
                      report="Damp all winter.", submitted_by_id=owner.id)
    db.session.add(finding)
    db.session.commit()
    return {"device_id": device.id, "box_id": device.public_key, "sensor_id": "temp", "rule_id": rule.id,
            "finding_id": finding.id}


def rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith("/__test__"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def address(rule, values: dict[str, str]) -> str:
    """The rule's path with ``values`` put in as they are (already percent-encoded where needed)."""
    path = rule.rule
    for name, converter in rule._converters.items():
        kind = type(converter).__name__.removesuffix("Converter").lower()
        pattern = f"<{name}>" if f"<{name}>" in path else f"<{ {'unicode': 'string'}.get(kind, kind) }:{name}>"
        path = path.replace(pattern, str(values[name]))
    return path


def failures(client, method: str, path: str, **kwargs) -> list[str]:
    try:
        response = client.open(path, method=method, **kwargs)
    except Exception as error:  # what the test client raises is a 500 on a real server
        return [f"{method} {path} {str(kwargs)[:80]}: {type(error).__name__}: {str(error)[:100]}"]
    try:
        if response.status_code >= 500:
            return [f"{method} {path} {str(kwargs)[:80]}: {response.status_code}"]
        if path.startswith("/api/") and response.status_code >= 400:
            body = response.get_json(silent=True)
            if not (isinstance(body, dict) and body.get("error")):
                return [f"{method} {path} {str(kwargs)[:80]}: {response.status_code} without a JSON error"]
        return []
    finally:
        response.close()


@pytest.fixture
def clients(client_as):
    return [client_as(role)[0] for role in ("anonymous", "resident", "admin")]


def test_bad_path_arguments(app, clients, objects):
    seen: list[str] = []
    for rule, method in rules(app):
        for name, converter in rule._converters.items():
            kind = type(converter).__name__
            corpus = BAD_INTS if kind == "IntegerConverter" else BAD_PATHS if kind == "PathConverter" else BAD_TEXT
            for bad in corpus:
                path = address(rule, {**objects, name: bad})
                for client in clients:
                    seen += failures(client, method, path)
    assert seen == [], "\n".join(seen)


@pytest.mark.parametrize("value", BAD_VALUES)
def test_bad_query_strings_and_forms(app, clients, objects, value):
    fields = {name: value for name in form_field_names() | QUERY_NAMES}
    seen: list[str] = []
    for rule, method in rules(app):
        path = address(rule, objects)
        for client in clients:
            seen += failures(client, method, path, query_string=fields)
            if method != "GET":
                seen += failures(client, method, path, data=fields)
    assert seen == [], "\n".join(seen)


def test_each_number_field_alone_too_large_for_a_row(app, client_as, objects):
    """One number field at a time (with the tick boxes ticked), so that no other field's refusal stops the form
    before its id is used; as an officer-and-admin, who reaches the most forms."""
    client, _ = client_as("admin")
    ticked = dict.fromkeys(field_names(numbers=False), "y")
    names = field_names(numbers=True) | {"ward", "category", "group", "parent_id"}
    assert {"wards", "programmes", "resource_id", "categories", "radius_m"} <= names
    seen: list[str] = []
    for rule, method in rules(app):
        path = address(rule, objects)
        for name in sorted(names):
            if method == "GET":
                seen += failures(client, method, path, query_string={name: "2147483648"})
            else:
                seen += failures(client, method, path, data={**ticked, name: "2147483648"})
    assert seen == [], "\n".join(seen)


@pytest.mark.parametrize("body", BAD_JSON, ids=["surrogate", "deep", "nul", "huge", "huge-text", "string"])
def test_bad_json(app, clients, objects, body):
    seen: list[str] = []
    for rule, method in rules(app):
        if method == "GET":
            continue
        path = address(rule, objects)
        for client in clients:
            seen += failures(client, method, path, data=body, content_type="application/json")
    assert seen == [], "\n".join(seen)


# Each kind of malformed input, as a person meets it -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/proposals/2147483648", "/proposals/99999999999", "/admin/users/2147483648",
                                  "/comments/proposal/18446744073709551616", "/processes/a%00b",
                                  "/groups/a%00b/edit", "/u/a%00b", "/uploads/proposals/a%00b.png"])
def test_ids_too_large_for_a_row_and_nul_bytes_in_paths_are_not_found(client_as, path):
    client, _ = client_as("admin")
    assert client.get(path).status_code == 404


def test_the_largest_id_is_still_an_address(app):
    adapter = app.url_map.bind("civic.test")
    assert adapter.match("/proposals/2147483647") == ("proposals.show", {"proposal_id": 2**31 - 1})


def test_nul_bytes_are_taken_out_of_pasted_text_which_is_kept(client_as):
    client, user = client_as("resident")
    response = client.post("/account/profile", data={"display_name": "Ann\x00 Smith\x00"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.display_name == "Ann Smith"


def test_a_nul_byte_in_a_query_string_stays_as_the_text_percent_00(client_as):
    client, _ = client_as("admin")
    response = client.get("/admin/users?q=adm%00in&ward=99999999999&page=%C2%B2")
    assert response.status_code == 200
    assert 'value="adm%00in"' in response.text


def test_json_sent_to_a_page_is_refused_with_a_reason(client_as):
    client, _ = client_as("resident")
    response = client.post("/account/profile", json={"display_name": 12345678901234567890},
                           headers={"Accept": "application/json"})
    assert response.status_code == 415
    assert response.get_json() == {"error": "This address takes a web form, not JSON. The API is at /api/v1/.",
                                   "status": 415, "code": "unsupported_media_type"}


@pytest.mark.parametrize(("body", "problem"), [
    (b'{"body": "Trees \\ud83c please"}', "lone surrogate"),
    (b'{"body": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested too deeply"),
    (b'{"body": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}", "nested too deeply"),
])
def test_json_the_api_cannot_hold_is_a_400_naming_the_problem(client_as, objects, body, problem):
    client, _ = client_as("resident")
    response = client.post(f"/api/v1/proposals/{objects['proposal_id']}/comments", data=body,
                           content_type="application/json")
    assert response.status_code == 400
    assert problem in response.get_json()["error"]
    assert response.get_json()["status"] == 400
    assert db.session.scalars(select(Comment).where(Comment.resource_id == objects["proposal_id"])).all() \
        == db.session.scalars(select(Comment).where(Comment.body == "Yes")).all()


def test_nul_bytes_in_json_text_are_taken_out(client_as, objects):
    client, _ = client_as("resident")
    response = client.post(f"/api/v1/proposals/{objects['proposal_id']}/comments",
                           json={"body": "Trees\u0000 please", "alignment": "in_favour"})
    assert response.status_code == 201
    assert db.session.get(Comment, response.get_json()["id"]).body == "Trees please"


@pytest.mark.parametrize("parent", [2147483648, "99999999999", True, "²"])
def test_an_id_in_json_too_large_for_a_row_is_a_400_naming_the_field(client_as, objects, parent):
    client, _ = client_as("resident")
    response = client.post(f"/api/v1/proposals/{objects['proposal_id']}/comments",
                           json={"body": "A reply", "parent_id": parent})
    assert response.status_code == 400
    assert response.get_json()["field"] == "parent_id"


def test_a_ward_number_too_large_for_a_row_is_not_one_of_the_list(client_as):
    client, _ = client_as("resident")
    response = client.post("/notifications/alerts", data={"enabled": "y", "wards": "2147483648"})
    assert response.status_code == 200
    assert "Choose wards from the list." in text_of(response)
