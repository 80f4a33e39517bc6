"""Certificates: issued on completion, verified by anyone at the code's page (printable, with a QR code), an
Open Badges 2.0 assertion with hosted verification; an administrator revokes one with a reason."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from civic.db import db
from skills_school import certificates, progress
from skills_school.courses import lessons_of
from skills_school.models import Certificate
from tests.support.pages import field_error, main_text


@pytest.fixture
def certificate(learner, instructor, make_course):
    course = make_course(instructor, lessons=1, title="Online safety for everyone")
    progress.enrol(learner, course)
    done = progress.complete_lesson(learner, lessons_of(course)[0])
    db.session.commit()
    return done.certificate


def test_completion_issues_one_certificate_with_a_readable_code(certificate, learner):
    assert len(certificate.code) == 10 and set(certificate.code) <= set(certificates.ALPHABET)
    assert certificate.name == learner.display_name
    assert db.session.scalar(select(Certificate.id).where(Certificate.user_id == learner.id)) == certificate.id


def test_anyone_verifies_it_by_its_code(client, certificate, learner):
    text = main_text(client.get(f"/school/certificates/{certificate.code}"))
    assert "This certificate is real and valid." in text
    assert learner.display_name in text and "Online safety for everyone" in text and certificate.code in text
    # Typed with spaces, dashes or in lower case, the code is still found.
    typed = f"{certificate.code[:5].lower()}-{certificate.code[5:]}"
    response = client.get("/school/verify", query_string={"code": typed})
    assert response.headers["Location"].endswith(f"/school/certificates/{certificate.code}")
    assert client.get("/school/certificates/NOSUCHCODE").status_code == 404


def test_it_prints_and_has_a_qr_code(client, certificate):
    html = client.get(f"/school/certificates/{certificate.code}").get_data(as_text=True)
    assert "css/school.css" in html and f"/school/certificates/{certificate.code}/qr.svg" in html
    css = (Path(__file__).resolve().parents[2] / "static/css/school.css").read_text()
    assert "@media print" in css and ".site-header" in css  # the menus are not printed
    qr = client.get(f"/school/certificates/{certificate.code}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data


def test_the_open_badges_assertion(client, certificate, learner):
    body = client.get(f"/school/certificates/{certificate.code}/assertion.json").get_json()
    assert body["@context"] == "https://w3id.org/openbadges/v2" and body["type"] == "Assertion"
    assert body["id"] == f"http://civic.test/school/certificates/{certificate.code}/assertion.json"
    assert body["verification"] == {"type": "hosted"}
    recipient = body["recipient"]
    assert recipient["hashed"] and learner.email not in str(body)
    assert recipient["identity"] == "sha256$" + hashlib.sha256(
        (learner.email + recipient["salt"]).encode()).hexdigest()
    badge = client.get(body["badge"].replace("http://civic.test", "")).get_json()
    assert badge["type"] == "BadgeClass" and badge["name"] == "Online safety for everyone"
    issuer = client.get(badge["issuer"].replace("http://civic.test", "")).get_json()
    assert issuer["type"] == "Issuer"


def test_an_admin_revokes_it_with_a_reason(client_as, client, certificate):
    admin, _ = client_as("admin")
    response = admin.post(f"/school/certificates/{certificate.code}/revoke", data={"reason": ""})
    assert response.status_code == 200 and field_error(response, "reason")
    admin.post(f"/school/certificates/{certificate.code}/revoke", data={"reason": "Issued by mistake."})
    text = main_text(client.get(f"/school/certificates/{certificate.code}"))
    assert "This certificate was revoked" in text and "Issued by mistake." in text
    assert "real and valid" not in text
    response = client.get(f"/school/certificates/{certificate.code}/assertion.json")
    assert response.status_code == 410
    assert response.get_json()["revoked"] is True and response.get_json()["revocationReason"] == "Issued by mistake."


def test_only_admins_revoke(client_as, certificate):
    for role in ("officer", "instructor", "resident"):
        client, _ = client_as(role)
        assert client.post(f"/school/certificates/{certificate.code}/revoke",
                           data={"reason": "Not mine to revoke"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None
