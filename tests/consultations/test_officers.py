"""Officers create a consultation (alone or in a process), add questions of each kind and their options,
preview it, publish it; once open its questions and options no longer change, and the closing time can be
extended (audited) but never shortened."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.audit import AuditEntry
from civic.db import db, utcnow
from civic.spaces.services import to_uk
from consultations import services
from consultations.models import Consultation
from tests.support.pages import main_text


def _when(moment) -> dict:
    local = to_uk(moment)
    return {"date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M")}


def _details(title="Lighting in Paddington", opens=None, closes=None, **extra) -> dict:
    now = utcnow().replace(second=0, microsecond=0)
    opens, closes = _when(opens or now + timedelta(days=1)), _when(closes or now + timedelta(days=8))
    return {"title": title, "introduction": "Tell us.", "process_slug": "", "opens_at": opens["date"],
            "opens_at_time": opens["time"], "closes_at": closes["date"], "closes_at_time": closes["time"], **extra}


def test_an_officer_creates_fills_previews_and_publishes(signed_in, officer, ward_id_of, published_events):
    client = signed_in(officer)
    response = client.post("/consultations/new", data=_details(wards=[str(ward_id_of("Church Street"))],
                                                                minimum_age="y"))
    assert response.status_code == 302
    c = db.session.scalar(select(Consultation).where(Consultation.title == "Lighting in Paddington"))
    assert c.state == "draft" and not c.whole_city and [w.name for w in c.wards] == ["Church Street"]
    assert c.minimum_age == 16
    refused = client.post(f"/consultations/{c.id}/publish", follow_redirects=True)
    assert "Add at least one question before publishing." in main_text(refused)
    client.post(f"/consultations/{c.id}/questions", data={"kind": "single", "title": "Brighter lamps?",
                                                          "options": "Yes\nNo"})
    client.post(f"/consultations/{c.id}/questions", data={"kind": "multiple", "title": "Where first?",
                                                          "options": "Edgware Road\nChurch Street\nBell Street",
                                                          "min_choices": "1", "max_choices": "2"})
    client.post(f"/consultations/{c.id}/questions", data={"kind": "ranked", "title": "Rank the lamps",
                                                          "options": "LED\nGas\nSolar", "max_choices": "2"})
    db.session.expire_all()
    kinds = [(q.kind, q.min_choices, q.max_choices, len(q.options)) for q in c.questions]
    assert kinds == [("single", 1, 1, 2), ("multiple", 1, 2, 3), ("ranked", 1, 2, 3)]
    ranked = c.questions[2]
    added = client.post(f"/consultations/{c.id}/questions/{ranked.id}/options",
                        data={f"q{ranked.id}-text": "Candles", f"q{ranked.id}-description": "Romantic."})
    assert added.status_code == 302
    twice = client.post(f"/consultations/{c.id}/questions/{ranked.id}/options", data={f"q{ranked.id}-text": "led"})
    assert "Two options have the same text." in main_text(twice)
    preview = main_text(client.get(f"/consultations/{c.id}/preview"))
    assert "This is a preview" in preview and "Rank the lamps" in preview and "Candles" in preview
    assert "Verified residents of Church Street aged 16 or over." in preview
    assert client.post(f"/consultations/{c.id}/publish").status_code == 302
    db.session.expire_all()
    assert c.state == "published"
    assert ("consultation.published", c.id) in [(name, s.id) for name, s, _d in published_events]


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"title": ""}, "title", "Enter the title of the consultation."),
    ({"closes_at": "2020-01-01"}, "closes_at", "The closing time must be after the opening time."),
    ({"opens_at": "31/02/2027"}, "opens_at", "Opening date must be a real date"),
    ({"process_slug": "no-such-process"}, "process_slug", "Choose a participatory process from the list, or none."),
    ({"wards": ["999999"]}, "wards", "Choose wards from the list."),
])
def test_bad_details_are_refused_beside_the_field(signed_in, officer, data, field, message):
    response = signed_in(officer).post("/consultations/new", data=_details(**data))
    assert response.status_code == 200
    assert message in main_text(response)
    assert db.session.scalar(select(Consultation.id)) is None


def test_bad_questions_are_refused(signed_in, officer, make_consultation):
    c = make_consultation(published=False, questions=[])
    client = signed_in(officer)
    for data, message in (({"kind": "poll", "title": "Q"}, "Select kind of question from the list"),
                          ({"kind": "multiple", "title": "Q", "options": "A\nB", "min_choices": "2",
                            "max_choices": "1"}, "The maximum must be at least the minimum"),
                          ({"kind": "multiple", "title": "Q", "options": "A\nB", "min_choices": "3"},
                           "The minimum cannot be more than the number of options."),
                          ({"kind": "single", "title": ""}, "Enter the question.")):
        response = client.post(f"/consultations/{c.id}/questions", data=data)
        assert message in main_text(response), data
    db.session.expire_all()
    assert c.questions == []


def test_once_open_questions_and_options_are_fixed(signed_in, officer, make_consultation):
    c = make_consultation()
    client = signed_in(officer)
    q = c.questions[0]
    response = client.post(f"/consultations/{c.id}/questions/{q.id}/options", data={f"q{q.id}-text": "Maybe"})
    assert "can no longer change" in main_text(response)
    client.post(f"/consultations/{c.id}/options/{q.options[0].id}/remove")
    client.post(f"/consultations/{c.id}/questions/{q.id}/remove")
    assert client.post(f"/consultations/{c.id}/edit", data=_details()).status_code == 200
    db.session.expire_all()
    assert [o.text for o in c.questions[0].options] == ["Yes", "No", "Not sure"] and len(c.questions) == 3
    with pytest.raises(services.RuleViolation, match="can no longer change"):
        services.add_question(officer, c, kind="single", title="Late", options=["A", "B"])


def test_the_closing_time_is_extended_with_an_audit_entry_never_shortened(signed_in, officer, make_consultation):
    c = make_consultation()
    before = c.closes_at
    client = signed_in(officer)
    shorter = _when(before - timedelta(days=1))
    response = client.post(f"/consultations/{c.id}/extend", data={"closes_at": shorter["date"],
                                                                  "closes_at_time": shorter["time"]})
    assert "can be extended, never shortened" in main_text(response)
    later = _when(before + timedelta(days=3))
    response = client.post(f"/consultations/{c.id}/extend", data={"closes_at": later["date"],
                                                                  "closes_at_time": later["time"],
                                                                  "reason": "A street party"})
    assert response.status_code == 302
    db.session.expire_all()
    assert c.closes_at > before + timedelta(days=2)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "consultation.extend"))
    assert entry.reason == "A street party" and entry.before["closes_at"] == before.isoformat()


def test_residents_cannot_use_the_officer_pages_of_a_published_consultation(signed_in, voter, make_consultation):
    c = make_consultation()
    client = signed_in(voter)
    for path in (f"/consultations/{c.id}/manage", f"/consultations/{c.id}/edit", f"/consultations/{c.id}/preview",
                 f"/consultations/{c.id}/paper", "/consultations/new"):
        assert client.get(path).status_code == 403, path
    for path in (f"/consultations/{c.id}/publish", f"/consultations/{c.id}/extend",
                 f"/consultations/{c.id}/questions", f"/consultations/{c.id}/paper"):
        assert client.post(path, data={}).status_code == 403, path


def test_an_option_can_have_an_image_with_its_description(signed_in, officer, make_consultation, png_image, client):
    from io import BytesIO

    c = make_consultation(published=False)
    q = c.questions[0]
    client_ = signed_in(officer)
    missing_alt = client_.post(f"/consultations/{c.id}/questions/{q.id}/options", data={
        f"q{q.id}-text": "A fountain", f"q{q.id}-image": (BytesIO(png_image), "f.png")},
        content_type="multipart/form-data")
    assert "Describe the image for people who cannot see it." in main_text(missing_alt)
    done = client_.post(f"/consultations/{c.id}/questions/{q.id}/options", data={
        f"q{q.id}-text": "A fountain", f"q{q.id}-image": (BytesIO(png_image), "f.png"),
        f"q{q.id}-image_alt": "A stone drinking fountain"}, content_type="multipart/form-data")
    assert done.status_code == 302
    db.session.expire_all()
    option = c.questions[0].options[-1]
    assert option.image_path.startswith("consultations/") and option.image_alt == "A stone drinking fountain"
    assert client.get(f"/uploads/{option.image_path}").status_code == 404  # a draft: not for residents
    page = client_.get(f"/consultations/{c.id}/preview").get_data(as_text=True)
    assert 'alt="A stone drinking fountain"' in page
    served = client_.get(f"/uploads/{option.image_path}")
    assert served.status_code == 200
    served.close()
