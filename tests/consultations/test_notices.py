"""What consultations tell people: opening in their wards (area alerts), closing in 24 hours (only eligible people
who have not voted), results published (followers). Comments, reports and hiding, search and open data."""

from __future__ import annotations

from datetime import timedelta

from civic.db import db, utcnow
from civic.notifications import services as notifications
from consultations import ballots, results, tasks
from tests.factories import ward_named
from tests.notifications.conftest import kinds_of
from tests.support.pages import main_text


def test_opening_is_told_to_area_alerts_of_its_wards_once(make_user, make_consultation):
    watcher, elsewhere = make_user(), make_user()
    notifications.save_alerts(watcher, ward_ids=[ward_named("Church Street").id], programme_ids=[])
    notifications.save_alerts(elsewhere, ward_ids=[ward_named("Hyde Park").id], programme_ids=[])
    make_consultation(wards=["Church Street"])
    db.session.commit()
    assert tasks.tell() == 1
    db.session.commit()
    assert kinds_of(watcher) == ["consultation_opened"] and kinds_of(elsewhere) == []
    assert tasks.tell() == 0


def test_closing_soon_is_told_only_to_eligible_people_who_have_not_voted(make_user, make_consultation, option_ids):
    now = utcnow()
    c = make_consultation(wards=["Church Street"], opens=now - timedelta(days=5), closes=now + timedelta(hours=20))
    c.opening_told_at = now
    voted, waiting = make_user("verified", ward="Church Street"), make_user("verified", ward="Church Street")
    outsider, unverified = make_user("verified", ward="Bayswater"), make_user("resident", ward="Church Street")
    ballots.cast(voted, c, {c.questions[0].id: option_ids(c, 0)[0], c.questions[1].id: [option_ids(c, 1)[0]],
                            c.questions[2].id: option_ids(c, 2)[:1]})
    db.session.commit()
    assert tasks.tell() == 1
    db.session.commit()
    assert kinds_of(waiting) == ["consultation_closing"]
    assert kinds_of(voted) == kinds_of(outsider) == kinds_of(unverified) == []


def test_results_are_told_to_followers(make_user, make_consultation):
    follower = make_user()
    now = utcnow()
    c = make_consultation(opens=now - timedelta(days=5), closes=now - timedelta(minutes=5))
    notifications.follow(follower, "consultation", c.id)
    db.session.commit()
    results.count_closed()
    db.session.commit()
    assert "consultation_results" in kinds_of(follower)


def test_comments_on_a_consultation_and_moderation(client_as, make_consultation):
    c = make_consultation(title="Trees on Edgware Road")
    db.session.commit()
    client, _person = client_as("resident")
    response = client.post(f"/comments/consultation/{c.id}", data={"body": "More trees, please."})
    assert response.status_code in (200, 302)
    db.session.expire_all()
    assert c.comments_count == 1
    assert "More trees, please." in main_text(client.get(f"/consultations/{c.id}"))
    officer, _o = client_as("officer")
    assert officer.post(f"/moderation/consultation/{c.id}/hide", data={"note": "Spam."}).status_code in (200, 302)
    db.session.expire_all()
    assert c.hidden_at is not None
    anonymous, _a = client_as("anonymous")
    assert anonymous.get(f"/consultations/{c.id}").status_code == 404


def test_consultations_are_an_open_data_dataset(client, make_consultation):
    make_consultation(title="Bins in Soho")
    db.session.commit()
    page = main_text(client.get("/open-data"))
    assert "Consultations" in page
