"""Email choices per kind, automatic follows, area alerts (wards, programmes, a point and radius)."""

from __future__ import annotations

from sqlalchemy import select

from civic.db import db
from civic.notifications import services
from civic.notifications.registry import AreaWatchers
from civic.spaces.models import Programme, Ward


def ward(name: str) -> Ward:
    return db.session.scalars(select(Ward).where(Ward.name == name)).one()


def programme(slug: str) -> Programme:
    return db.session.scalars(select(Programme).where(Programme.slug == slug)).one()


def test_preferences_page_saves_choices(client_as):
    client, user = client_as("resident")
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Someone replies to your comment" in page and "Always sent by email" in page
    form = {f"kind_{k}": v for k, v in services.preferences(user).items()}
    form.update({"kind_reply": "weekly", "kind_comment": "never", "follow_own": "y"})
    r = client.post("/notifications/preferences", data=form)
    assert r.status_code == 302
    prefs = services.preferences(user)
    assert prefs["reply"] == "weekly" and prefs["comment"] == "never" and prefs["mention"] == "immediate"
    settings = services.settings_for(user)
    assert settings.follow_own is True and settings.follow_commented is False


def test_a_bad_choice_is_refused_beside_its_field(client_as):
    client, user = client_as("resident")
    form = {f"kind_{k}": v for k, v in services.preferences(user).items()}
    form["kind_reply"] = "hourly"
    r = client.post("/notifications/preferences", data=form)
    assert r.status_code == 200
    assert "from the list" in r.get_data(as_text=True) and "Not a valid choice" not in r.get_data(as_text=True)
    assert services.preferences(user)["reply"] == "immediate"


def test_alerts_page_saves_wards_programmes_and_a_point(client_as):
    client, user = client_as("resident")
    assert client.get("/notifications/alerts").status_code == 200
    r = client.post("/notifications/alerts", data={
        "enabled": "y", "wards": [str(ward("Church Street").id), str(ward("Hyde Park").id)],
        "programmes": [str(programme("cleantech-city").id)], "latitude": "51.5145", "longitude": "-0.1575",
        "radius_m": "500"})
    assert r.status_code == 302
    alerts = services.alerts_for(user)
    assert alerts.enabled and len(alerts.ward_ids) == 2 and alerts.radius_m == 500
    assert "Area alerts are on for 2 wards and within 500 metres" in client.get("/notifications/alerts").get_data(
        as_text=True)


def test_alerts_need_a_place_and_a_point_needs_london(client_as):
    client, user = client_as("resident")
    r = client.post("/notifications/alerts", data={"enabled": "y", "radius_m": "500"})
    assert "Choose at least one ward, or a place on the map" in r.get_data(as_text=True)
    r = client.post("/notifications/alerts", data={"enabled": "y", "latitude": "48.85", "longitude": "2.35",
                                                  "radius_m": "500"})
    assert "Choose a place in London." in r.get_data(as_text=True)
    assert services.alerts_for(user).enabled is False


def _watchers(**kwargs) -> set[int]:
    return set(db.session.scalars(services._audience_ids(AreaWatchers("area_proposal", **kwargs))))


def test_area_matching_by_ward_programme_and_distance(make_user):
    church, hyde = ward("Church Street").id, ward("Hyde Park").id
    clean, econ = programme("cleantech-city").id, programme("innovative-economy").id
    by_ward = make_user()
    services.save_alerts(by_ward, ward_ids=[church], programme_ids=[])
    by_ward_and_programme = make_user()
    services.save_alerts(by_ward_and_programme, ward_ids=[church], programme_ids=[econ])
    near_point = make_user()  # Marble Arch, 500 m
    services.save_alerts(near_point, ward_ids=[], programme_ids=[], latitude=51.5131, longitude=-0.1589,
                         radius_m=500)
    switched_off = make_user()
    services.save_alerts(switched_off, ward_ids=[church], programme_ids=[])
    services.stop_alerts(switched_off)

    assert _watchers(ward_ids=[church], programme_id=clean) == {by_ward.id}
    assert _watchers(ward_ids=[church], programme_id=econ) == {by_ward.id, by_ward_and_programme.id}
    # ~300 m from Marble Arch, in Hyde Park ward
    assert _watchers(ward_ids=[hyde], programme_id=clean, latitude=51.5155, longitude=-0.1620) == {near_point.id}
    # ~2 km away: too far
    assert _watchers(ward_ids=[hyde], programme_id=clean, latitude=51.5010, longitude=-0.1420) == set()


def test_a_whole_city_process_reaches_point_only_watchers(make_user):
    near = make_user()
    services.save_alerts(near, ward_ids=[], programme_ids=[], latitude=51.5131, longitude=-0.1589, radius_m=500)
    assert near.id in _watchers(ward_ids=[], programme_id=None, everywhere=True)
    assert near.id not in _watchers(ward_ids=[ward("Church Street").id], programme_id=None)


def test_changing_a_choice_moves_what_is_waiting(make_user):
    from civic.notifications.registry import Notice, Users
    from tests.notifications.conftest import told

    user = make_user()
    services.set_preferences(user, {"comment": "daily"})
    services.deliver("comment.created", Notice(key="wait:1", title="T", url="/",
                                               audiences=[Users("comment", [user.id])]))
    services.set_preferences(user, {"comment": "never"})
    assert [n.email for n in told(user)] == ["never"]
