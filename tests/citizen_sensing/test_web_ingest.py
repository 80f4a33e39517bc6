"""The owner's web ingest: a reading by hand, and a CSV upload previewed (imported / rejected) before it is
committed; both through the same service as the devices."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from citizen_sensing.models import Reading
from civic.accounts.models import User
from civic.db import db
from tests.support.pages import text_of


def count(device) -> int:
    return db.session.scalar(select(func.count()).select_from(Reading).where(Reading.device_id == device.id))


def owner_client(signed_in, device):
    return signed_in(db.session.get(User, device.owner_id))


def test_upload_is_previewed_then_imported(signed_in, make_campaign, make_device, fixture):
    device, _ = make_device(make_campaign(), sensors={"air_temperature": "55", "relative_humidity": "56"})
    client = owner_client(signed_in, device)
    preview = client.post(f"/sensing/devices/{device.id}/upload",
                          data={"file": (io.BytesIO(fixture("smartcitizen-sd.csv")), "sd.csv")},
                          content_type="multipart/form-data")
    assert preview.status_code == 200
    text = text_of(preview)
    assert "5 readings will be imported, 0 are there already and 1 will be rejected" in text
    assert "The value is not a finite number." in text
    assert count(device) == 0  # nothing written by the preview
    csv_text = fixture("smartcitizen-sd.csv").decode()
    done = client.post(f"/sensing/devices/{device.id}/upload/confirm", data={"csv": csv_text})
    assert done.status_code == 302
    assert count(device) == 5
    again = client.post(f"/sensing/devices/{device.id}/upload",
                        data={"file": (io.BytesIO(fixture("smartcitizen-sd.csv")), "sd.csv")},
                        content_type="multipart/form-data")
    assert "0 readings will be imported, 5 are there already" in text_of(again)


def test_upload_of_our_csv_and_of_a_bad_file(signed_in, make_campaign, make_device, fixture):
    device, _ = make_device(make_campaign())
    client = owner_client(signed_in, device)
    ok = client.post(f"/sensing/devices/{device.id}/upload",
                     data={"file": (io.BytesIO(fixture("damp-logger.csv")), "frog.csv")},
                     content_type="multipart/form-data")
    assert "6 readings will be imported" in text_of(ok)
    bad = client.post(f"/sensing/devices/{device.id}/upload",
                      data={"file": (io.BytesIO(b"\xff\xfe not text"), "x.csv")}, content_type="multipart/form-data")
    assert bad.status_code == 200 and "The file must be UTF-8 text." in text_of(bad)


def test_a_reading_by_hand_in_uk_time(signed_in, make_campaign, make_device):
    device, _ = make_device(make_campaign())
    client = owner_client(signed_in, device)
    sensor = next(s for s in device.sensors if s.quantity.key == "air_temperature")
    response = client.post(f"/sensing/devices/{device.id}/reading",
                           data={"sensor": str(sensor.id), "value": "17.5", "measured_at": "2026-07-01 09:00"})
    assert response.status_code == 302
    when = db.session.scalar(select(Reading.measured_at).where(Reading.device_id == device.id))
    assert when.strftime("%Y-%m-%dT%H:%M") == "2026-07-01T08:00"  # British Summer Time is UTC+1
    refused = client.post(f"/sensing/devices/{device.id}/reading",
                          data={"sensor": str(sensor.id), "value": "500", "measured_at": ""})
    assert refused.status_code == 200 and "outside the physical range" in text_of(refused)


def test_the_device_page_charts_a_day_at_full_resolution(signed_in, make_campaign, make_device, post_as_device):
    device, token = make_device(make_campaign(), sensors={"air_temperature": None})
    stamps = [f"2026-11-20T{m // 60:02d}:{m % 60:02d}:00Z" for m in range(1440)]
    post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "air_temperature", "value": 15 + m / 100, "timestamp": t} for m, t in enumerate(stamps)]})
    client = owner_client(signed_in, device)
    page = client.get(f"/sensing/devices/{device.id}?day=2026-11-20")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    points = html.split('<polyline points="')[1].split('"')[0]
    assert len(points.split()) == 1440
    assert "The day hour by hour, as a table" in html and html.count("<td>60</td>") == 24
    assert client.get(f"/sensing/devices/{device.id}?day=not-a-day").status_code == 200
