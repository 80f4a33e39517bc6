"""What the platform gives a campaign through the manifest: comments, reports and hiding, follows, search."""

from __future__ import annotations

from citizen_sensing.models import Campaign
from civic.db import db
from tests.support.search import keys


def test_comments_on_an_approved_campaign(client_as, make_campaign):
    campaign = make_campaign()
    client, _ = client_as("resident")
    response = client.post(f"/comments/sensing_campaign/{campaign.id}", data={"body": "My flat is damp too."})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/sensing/{campaign.slug}#comment-")
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).comments_count == 1
    assert "My flat is damp too." in client.get(f"/sensing/{campaign.slug}").get_data(as_text=True)


def test_reports_and_hiding(client_as, make_campaign, client):
    campaign = make_campaign(title="Totally real air quality")
    resident, _ = client_as("resident")
    assert resident.post(f"/moderation/report/sensing_campaign/{campaign.id}",
                         data={"reason": "spam"}).status_code == 302
    officer, _ = client_as("officer")
    assert officer.post(f"/moderation/sensing_campaign/{campaign.id}/hide",
                        data={"note": "Advertising"}).status_code == 302
    assert client.get(f"/sensing/{campaign.slug}").status_code == 404
    assert client.get(f"/sensing/{campaign.slug}/readings.csv").status_code == 404
    assert officer.get(f"/sensing/{campaign.slug}").status_code == 200
    assert "Totally real" not in client.get("/sensing/").get_data(as_text=True)


def test_following_a_campaign(client_as, make_campaign):
    campaign = make_campaign()
    client, _ = client_as("resident")
    assert client.post("/follow", data={"resource_type": "sensing_campaign",
                                        "resource_id": campaign.id}).status_code == 302


def test_search_finds_approved_campaigns_only(find, make_campaign):
    shown = make_campaign(title="Mould in Lisson Green homes")
    make_campaign(title="Mould in Paddington homes", status="proposed")
    page = find("mould")
    assert keys(page) == [f"sensing_campaign:{shown.id}"]
    assert page.results[0].url == f"/sensing/{shown.slug}"
