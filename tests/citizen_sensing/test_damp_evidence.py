"""The tenant's evidence pack (citizen_sensing/evidence.py): the digest printed on the page is the SHA-256 of the
CSV file downloaded from it, byte for byte and again later; who may make it; the period's checks, with the
errors beside the fields; malformed input; the PDF."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from citizen_sensing import damp, evidence, ingest, pdf
from civic.db import db, utcnow
from civic.errors import PermissionDenied
from civic.groups.models import Membership
from civic.groups.services import is_organiser
from tests.support.pages import text_of

FIRST = date(2026, 11, 9)
LAST = date(2026, 11, 11)


def send(device, start: datetime, hours: int, received: datetime | None = None) -> int:
    """Readings every 20 minutes, damp at night, received (by default) ten minutes ago."""
    sensors = damp.sensors_of(device)
    items = []
    for n in range(hours * 3):
        when = start + timedelta(minutes=20 * n)
        night = when.hour < 7
        items.append(ingest.Item("t", sensors[damp.TEMPERATURE], round(17.0 + (n % 5) * 0.1, 1), when))
        items.append(ingest.Item("rh", sensors[damp.HUMIDITY], round((84.0 if night else 66.0) + (n % 3) * 0.3, 1),
                                 when))
    result = ingest.ingest(device, items, source="upload", now=received or utcnow() - timedelta(minutes=10))
    db.session.commit()
    return result.accepted


@pytest.fixture
def tenant(client_as, make_campaign, make_device):
    """A signed-in resident with a damp logger that sent three days of readings."""
    client, owner = client_as("resident")
    campaign = make_campaign()
    device, _ = make_device(campaign, owner=owner, privacy="fuzzed", point=(51.5236, -0.1702))
    assert send(device, datetime(2026, 11, 9, tzinfo=UTC), 72) == 72 * 3 * 2
    return client, owner, device, campaign


def pack_url(device, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/sensing/devices/{device.id}/evidence" + (f"?{query}" if query else "")


def digest_on(page) -> str:
    found = re.search(r'id="evidence-digest">([0-9a-f]{64})<', page.get_data(as_text=True))
    assert found, "no digest on the page"
    return found.group(1)


def csv_link_on(page) -> str:
    found = re.search(r'href="(/sensing/devices/\d+/evidence\.csv\?[^"]+)"', page.get_data(as_text=True))
    assert found, "no CSV link on the page"
    return found.group(1).replace("&amp;", "&")


def test_the_digest_on_the_pack_is_the_sha256_of_the_downloaded_csv(tenant):
    client, _owner, device, _campaign = tenant
    page = client.get(pack_url(device, start=FIRST.isoformat(), end=LAST.isoformat()))
    assert page.status_code == 200
    digest = digest_on(page)
    download = client.get(csv_link_on(page))
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    assert hashlib.sha256(download.data).hexdigest() == digest
    text = text_of(page)
    assert f"{72 * 3 * 2} readings" in text
    assert "Within about 250 m of" in text  # the tenant's privacy: the moved point, never the real one
    assert "51.5236" not in page.get_data(as_text=True)
    assert "Magnus formula" in text and "How the figures are worked out" in text


def test_the_csv_is_reproducible_byte_for_byte(tenant):
    client, _owner, device, _campaign = tenant
    page = client.get(pack_url(device, start=FIRST.isoformat(), end=LAST.isoformat()))
    link = csv_link_on(page)
    first = client.get(link).data
    # Readings arriving later, even inside the period, do not change the file made for the pack's time.
    sensors = damp.sensors_of(device)
    ingest.ingest(device, [ingest.Item("late", sensors[damp.HUMIDITY], 90.0, datetime(2026, 11, 10, 12, 10,
                                                                                        tzinfo=UTC))],
                  source="upload")
    db.session.commit()
    again = client.get(link).data
    assert again == first
    # The page made again from its own link (as an officer checking it would) prints the same digest.
    assert digest_on(client.get(link.replace("evidence.csv", "evidence"))) == hashlib.sha256(first).hexdigest()


def test_the_csv_is_ordered_and_formatted_one_way(tenant):
    client, _owner, device, _campaign = tenant
    data = client.get(csv_link_on(client.get(pack_url(device, start="2026-11-10", end="2026-11-10")))).data
    assert not data.startswith(b"\xef\xbb\xbf")  # no byte order mark
    assert data.startswith(b"device,quantity,unit,measured_at,value,flag\r\n")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))[1:]
    assert len(rows) == 24 * 3 * 2  # one UK day (UTC in winter) of both sensors
    # Reading 72 of the series: 17.0 + 0.2.
    assert rows[0] == [device.public_key, "air_temperature", "°C", "2026-11-10T00:00:00Z", "17.2", ""]
    assert rows[1][1:4] == ["relative_humidity", "%", "2026-11-10T00:00:00Z"]
    assert rows == sorted(rows, key=lambda r: (r[3], r[1]))  # time, then sensor (temperature was registered first)
    assert rows[-1][3] == "2026-11-10T23:40:00Z"


def test_the_summary_on_the_pack(tenant):
    client, _owner, device, _campaign = tenant
    text = text_of(client.get(pack_url(device, start=FIRST.isoformat(), end=LAST.isoformat())))
    assert "Hours at mould risk (mean relative humidity 80 % or more) 21 (29 %)" in text  # 7 night hours a day
    assert "Daily risk summary" in text
    assert "Mon 9 Nov 2026" in text


# Who may make it ------------------------------------------------------------------------------------------------


def test_only_the_owner_and_officers_make_the_pack(tenant, client_as):
    _client, _owner, device, campaign = tenant
    args = {"start": FIRST.isoformat(), "end": LAST.isoformat()}
    anonymous, _ = client_as("anonymous")
    assert anonymous.get(pack_url(device, **args)).status_code == 302
    stranger, _ = client_as("resident")
    assert stranger.get(pack_url(device, **args)).status_code == 404
    # An organiser of the campaign's group sees the device page, not the tenant's pack.
    organiser_client, organiser = client_as("organiser")
    db.session.add(Membership(group_id=campaign.group_id, user_id=organiser.id, role="organiser", status="active"))
    db.session.commit()
    assert is_organiser(organiser, campaign.group)
    assert organiser_client.get(f"/sensing/devices/{device.id}").status_code == 200
    assert organiser_client.get(pack_url(device, **args)).status_code == 404
    officer, _ = client_as("officer")
    page = officer.get(pack_url(device, **args))
    assert page.status_code == 200
    assert "by a council officer, again for the same period" in text_of(page)
    assert officer.get(csv_link_on(page)).status_code == 200
    assert stranger.get(csv_link_on(page)).status_code == 404


def test_the_service_checks_authorisation_itself(tenant, make_user):
    _client, owner, device, _campaign = tenant
    period = evidence.check_period(FIRST, LAST, today=date(2026, 12, 1))
    assert evidence.make(owner, device, period).rows == 72 * 3 * 2
    with pytest.raises(PermissionDenied):
        evidence.make(make_user("resident"), device, period)


def test_a_device_that_is_not_an_indoor_logger_has_no_pack(client_as, make_campaign, make_device):
    client, owner = client_as("resident")
    device, _ = make_device(make_campaign(), owner=owner, sensors={"air_temperature": None})
    page = client.get(pack_url(device))
    assert page.status_code == 200
    assert "does not measure both indoors" in text_of(page)
    assert client.get(f"/sensing/devices/{device.id}/evidence.csv?start=2026-11-09&end=2026-11-10"
                      "&as_of=2026-11-20T00:00:00Z").status_code == 404


# The period ---------------------------------------------------------------------------------------------------


def test_the_default_period_is_the_last_30_days(tenant):
    client, _owner, device, _campaign = tenant
    page = client.get(pack_url(device))
    assert page.status_code == 200
    last = damp.uk_day(utcnow())
    assert f'value="{(last - timedelta(days=29)).isoformat()}"' in page.get_data(as_text=True)
    assert f'value="{last.isoformat()}"' in page.get_data(as_text=True)
    digest_on(page)


@pytest.mark.parametrize(("args", "field", "message"), [
    ({"start": "2026-11-11", "end": "2026-11-09"}, "end", "The last day must be on or after the first day."),
    ({"start": "2025-01-01", "end": "2026-11-09"}, "end", "A pack covers at most 366 days"),
    ({"start": "2026-11-09", "end": "2999-01-01"}, "end", "The last day cannot be after today."),
    ({"start": "1999-12-31", "end": "2000-01-02"}, "start", "The first day must be in 2000 or later."),
    ({"start": "", "end": "2026-11-09"}, "start", "Give the first day of the period."),
    ({"start": "2026-11-09", "end": ""}, "end", "Give the last day of the period."),
    ({"start": "9 November", "end": "2026-11-09"}, "start", ""),
    ({"start": "2026-02-30", "end": "2026-11-09"}, "start", ""),
    ({"start": "2026-11-09", "end": "2026-11-10", "as_of": "yesterday"}, "as_of", "Give the time as"),
    ({"start": "2026-11-09", "end": "2026-11-10", "as_of": "2999-01-01T00:00:00Z"}, "as_of", "must be in the past"),
])
def test_a_bad_period_is_refused_beside_its_field(tenant, args, field, message):
    client, _owner, device, _campaign = tenant
    page = client.get(f"/sensing/devices/{device.id}/evidence", query_string=args)
    assert page.status_code == 400
    body = page.get_data(as_text=True)
    error = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', body, re.S)
    assert error, f"no error beside {field}"
    assert message in error.group(1)
    assert 'id="evidence-digest"' not in body
    assert "There is a problem" in body


@pytest.mark.parametrize("query", [
    "", "start=2026-11-09&end=2026-11-10", "start=2026-11-10&end=2026-11-09&as_of=2026-11-20T00:00:00Z",
    "start=x&end=y&as_of=z", "start=2026-11-09&end=2026-11-10&as_of=%00", "start=%C2%B2&end=2026-11-10&as_of=2026"])
def test_the_csv_needs_the_pack_s_own_link(tenant, query):
    client, _owner, device, _campaign = tenant
    assert client.get(f"/sensing/devices/{device.id}/evidence.csv?{query}").status_code == 400


@pytest.mark.parametrize("value", ["99999999999", "a%00b", "%C2%B2", "-99999999999", "2026-11-09T00:00:00Z" * 10,
                                   "%ED%A0%80", "2026-11-09%00", "+2026-11-09", "2026-11-09T25:00:00Z"])
def test_malformed_values_never_give_a_500(tenant, value):
    client, _owner, device, _campaign = tenant
    for path in ("evidence", "evidence.csv", "evidence.pdf"):
        response = client.get(f"/sensing/devices/{device.id}/{path}?start={value}&end={value}&as_of={value}")
        assert response.status_code in (400, 404), (path, value, response.status_code)


# The PDF ------------------------------------------------------------------------------------------------------


def test_the_pdf_is_the_pack_when_chromium_is_installed(tenant):
    client, _owner, device, _campaign = tenant
    assert pdf.available()  # Debian's chromium is on the test machines (the browser tests use it too)
    page = client.get(pack_url(device, start=FIRST.isoformat(), end=LAST.isoformat()))
    found = re.search(r'href="(/sensing/devices/\d+/evidence\.pdf\?[^"]+)"', page.get_data(as_text=True))
    assert found
    response = client.get(found.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert len(response.data) > 5000


def test_without_a_converter_there_is_no_pdf_link(tenant, monkeypatch):
    client, _owner, device, _campaign = tenant
    monkeypatch.setattr(pdf, "NAMES", ("no-such-converter-here",))
    page = client.get(pack_url(device, start=FIRST.isoformat(), end=LAST.isoformat()))
    assert "evidence.pdf" not in page.get_data(as_text=True)
    assert "Save as PDF" in text_of(page)
    assert client.get(f"/sensing/devices/{device.id}/evidence.pdf?start=2026-11-09&end=2026-11-10"
                      "&as_of=2026-11-20T00:00:00Z").status_code == 404


def test_pdfs_are_rate_limited_per_person(tenant, limits_on, monkeypatch):
    """Each PDF starts a headless Chromium: a person gets a few an hour, then 429, not a queue of browsers."""
    from citizen_sensing import evidence_views

    client, _owner, device, _campaign = tenant
    made = []
    monkeypatch.setattr(pdf, "available", lambda: True)
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: made.append(html) or b"%PDF-1.4 a pack")
    url = (f"/sensing/devices/{device.id}/evidence.pdf?start={FIRST.isoformat()}&end={LAST.isoformat()}"
           "&as_of=2026-11-20T00:00:00Z")
    allowed = int(evidence_views.PDF_LIMIT.split()[0])
    assert [client.get(url).status_code for _ in range(allowed)] == [200] * allowed
    assert client.get(url).status_code == 429
    assert len(made) == allowed
