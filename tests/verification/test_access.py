"""Who may open which verification page, and the officers' queue in a fixed number of queries."""

import itertools

import pytest
from sqlalchemy import select

from civic.accounts.models import User
from civic.db import db
from civic.verification.models import VerificationRequest
from tests.support.pages import date_fields
from tests.verification.conftest import ward

_seq = itertools.count(1)

PAGES = [
    # (method, path, {role: expected status})
    ("GET", "/verify/", {"resident": 200, "verified": 200, "officer": 200, "admin": 200}),
    ("GET", "/verify/request", {"resident": 200, "verified": 403, "officer": 200, "admin": 200}),
    ("GET", "/verify/requests", {"resident": 403, "verified": 403, "organiser": 403, "instructor": 403,
                                 "officer": 200, "admin": 200}),
    ("GET", "/verify/register", {"resident": 403, "verified": 403, "officer": 403, "admin": 200}),
    ("POST", "/verify/register", {"resident": 403, "officer": 403}),
]


@pytest.mark.parametrize(("method", "path", "expected"), PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
@pytest.mark.parametrize("role", ["anonymous", "resident", "verified", "organiser", "instructor", "officer", "admin"])
def test_access(client_as, role, method, path, expected):
    client, _user = client_as(role)
    response = client.open(path, method=method)
    if role == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")
    elif role in expected:
        assert response.status_code == expected[role]


def test_a_resident_cannot_see_a_request_or_decide_it(client_as):
    owner_client, owner = client_as("resident")
    owner_client.post("/verify/request", data={"postcode": "W2 1AA", "ward": str(ward("Little Venice").id),
                                               "statement": "Here."})
    req = db.session.scalars(select(VerificationRequest)).one()
    client, _resident = client_as("resident")
    assert client.get(f"/verify/requests/{req.id}").status_code == 403
    assert owner_client.get(f"/verify/requests/{req.id}").status_code == 403
    assert owner_client.post(f"/verify/requests/{req.id}/decide",
                             data={"decision": "approve", "reason": "Me"}).status_code == 403
    db.session.refresh(req)
    assert req.status == "pending"


def test_a_resident_cannot_tell_whether_a_request_exists(client_as):
    owner_client, _owner = client_as("resident")
    owner_client.post("/verify/request", data={"postcode": "W2 1AA", "ward": str(ward("Little Venice").id),
                                               "statement": "Here."})
    req = db.session.scalars(select(VerificationRequest)).one()
    client, _resident = client_as("resident")
    missing = req.id + 1000
    assert client.get(f"/verify/requests/{req.id}").status_code == \
        client.get(f"/verify/requests/{missing}").status_code == 403
    decision = {"decision": "approve", "reason": "Me"}
    assert client.post(f"/verify/requests/{req.id}/decide", data=decision).status_code == \
        client.post(f"/verify/requests/{missing}/decide", data=decision).status_code == 403
    # Withdrawing someone else's request is "not found", as for a request that does not exist.
    assert client.post(f"/verify/request/{req.id}/withdraw").status_code == \
        client.post(f"/verify/request/{missing}/withdraw").status_code == 404
    db.session.refresh(req)
    assert req.status == "pending"


def test_the_queue_shows_pending_first_in_a_fixed_number_of_queries(client_as, count_queries, sectors):
    def make_requests(n: int, status: str = "pending"):
        for _ in range(n):
            nickname = f"asker_{next(_seq)}"  # no password: hashing 64 of them would be slow
            user = User(nickname=nickname, display_name=nickname.title(), email=f"{nickname}@example.org")
            db.session.add(user)
            db.session.flush()
            db.session.add(VerificationRequest(user_id=user.id, ward_id=ward("Maida Vale").id, postcode="W9 2AB",
                                               statement="Here.", status=status))
        db.session.flush()

    client, _officer = client_as("officer")
    make_requests(2, "refused")
    make_requests(2)
    client.get("/verify/requests")
    with count_queries() as few:
        page = client.get("/verify/requests").get_data(as_text=True)
    assert page.count("<strong>Pending</strong>") == 2
    make_requests(30, "approved")
    make_requests(30)
    with count_queries() as many:
        page = client.get("/verify/requests").get_data(as_text=True)
    assert many.count == few.count
    # The first page (20 rows) is all pending; the decided ones come after.
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<strong>Pending</strong>") == 20 and "Approved" not in rows and "Refused" not in rows
    assert "Page 1 of 4 (64 in all)" in page
    last = client.get("/verify/requests?page=4").get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0]
    assert "Pending" not in last and last.count("Refused") == 2



def test_the_answer_never_tells_whether_someone_elses_request_exists(client_as):
    """Someone else's request and no request at all get the same answer: 404 where a request could be one's own
    (withdrawing), 403 on the officers' pages whatever the id (was 404 for a missing one: it told which exist)."""
    owner_client, owner = client_as("resident")
    owner_client.post("/verify/request", data={"postcode": "W2 1AA", "ward": str(ward("Little Venice").id),
                                               **date_fields("date_of_birth", "01/02/1980"),
                                               "statement": "I live here."})
    req = db.session.scalars(select(VerificationRequest).where(VerificationRequest.user_id == owner.id)).one()
    other, _other = client_as("resident")
    for ident in (req.id, req.id + 1000):
        assert other.post(f"/verify/request/{ident}/withdraw").status_code == 404
        assert other.post(f"/verify/requests/{ident}/decide", data={"decision": "approve"}).status_code == 403
        assert other.get(f"/verify/requests/{ident}").status_code == 403
    assert db.session.get(VerificationRequest, req.id).status == "pending"
