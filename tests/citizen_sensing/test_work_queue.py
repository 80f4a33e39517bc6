"""Campaigns awaiting an officer's approval: counted on the officers' home, listed oldest first."""

from __future__ import annotations

from datetime import timedelta

from civic.db import db, utcnow
from tests.citizen_sensing.factories import campaign
from tests.support.pages import main_text


def test_proposed_campaigns_are_counted_on_the_officers_home_and_listed(client_as):
    old = campaign(title="Noise by the ring road", status="proposed")
    old.created_at = utcnow() - timedelta(days=5)
    campaign(title="Damp in Church Street", status="proposed")
    campaign(title="Already public")
    campaign(title="Turned down", status="rejected")
    db.session.commit()
    client, _officer = client_as("officer")
    home = client.get("/admin/")
    assert "2 campaigns awaiting approval (oldest 5 days)" in main_text(home)
    assert 'href="/sensing/proposed"' in home.get_data(as_text=True)
    text = main_text(client.get("/sensing/proposed"))
    assert "Waiting (2)" in text and "Already public" not in text and "Turned down" not in text
    assert text.index("Noise by the ring road") < text.index("Damp in Church Street")  # oldest first


def test_the_list_of_proposed_campaigns_costs_a_fixed_number_of_queries(client_as, count_queries):
    client, _officer = client_as("officer")
    campaign(status="proposed")
    with count_queries() as few:
        client.get("/sensing/proposed")
    for _ in range(4):
        campaign(status="proposed")
    with count_queries() as many:
        client.get("/sensing/proposed")
    assert many.count == few.count


def test_residents_see_no_campaign_queue(client_as):
    campaign(status="proposed")
    client, _resident = client_as("resident")
    assert client.get("/sensing/proposed").status_code == 403
    assert "awaiting approval" not in client.get("/").get_data(as_text=True)
