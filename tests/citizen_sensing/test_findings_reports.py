"""A campaign's report (issue 20): Markdown with charts of the campaign's own data written as shortcodes, drawn on
the server with their tables; problems shown to the author in place (never a 500); draft, preview, publish."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from citizen_sensing import reports
from citizen_sensing.models import Report
from civic.audit import AuditEntry
from civic.db import db

HUMID = "{{chart quantity=relative_humidity period=2026-11}}"


def _readings(post_as_device, token, values, day="2026-11-20"):
    response = post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "relative_humidity", "value": v, "timestamp": f"{day}T{8 + i:02d}:00:00Z"}
        for i, v in enumerate(values)]})
    assert response.status_code in (200, 201, 202), response.text


@pytest.fixture
def measured(make_campaign, make_device, post_as_device):
    """A campaign with humidity readings of 71 and 73 on 20 November, and another campaign's 99s that day."""
    campaign = make_campaign()
    _d, token = make_device(campaign)
    _readings(post_as_device, token, [71, 73])
    other = make_campaign()
    _o, other_token = make_device(other)
    _readings(post_as_device, other_token, [99, 99])
    return campaign


def test_a_chart_is_drawn_from_the_campaigns_own_data_with_its_table(app, measured):
    with app.test_request_context():
        done = reports.render(measured, f"# Damp\n\nHumidity was high:\n{HUMID}\n\nThat is all.")
    html = str(done.html)
    assert done.errors == [] and done.charts == 1
    assert "<h2>Damp</h2>" in html and "<svg" in html and "<table" in html
    assert "<td>72.0</td>" in html and "<td>71</td>" in html and "<td>73</td>" in html  # the day's mean, low, high
    assert "99" not in html.split("<svg", 1)[1]  # nothing of the other campaign
    assert "Humidity was high:</p>" in html and "That is all." in html  # the chart stands between paragraphs
    assert 'role="img"' in html and "aria-label=" in html


def test_a_browsers_line_endings_are_lines_too(app, measured):
    """A textarea is sent with CRLF line endings: the shortcode on its own line is still a chart."""
    with app.test_request_context():
        done = reports.render(measured, f"Humidity was high:\r\n\r\n{HUMID}\r\n\r\nThat is all.", author=True)
    assert done.errors == [] and done.charts == 1 and "<svg" in str(done.html)


def test_a_day_is_drawn_per_hour_and_a_range_per_day(app, measured):
    with app.test_request_context():
        day = reports.render(measured, "{{chart quantity=relative_humidity period=2026-11-20}}")
        span = reports.render(measured, "{{chart quantity=relative_humidity period=2026-11-01..2026-11-30}}")
        empty = reports.render(measured, "{{chart quantity=air_temperature period=2026-10}}")
    assert str(day.html).count("<tr><td>") == 2  # two hours
    assert "20 Nov 2026, 08:00" in str(day.html)
    assert str(span.html).count("<tr><td>") == 1 and "20 Nov 2026</td>" in str(span.html)
    assert empty.errors == [] and "No readings in this period." in str(empty.html)


@pytest.mark.parametrize(("code", "says"), [
    ("{{map ward=x}}", "is not a shortcode this site knows"),
    ("{{}}", "This shortcode is empty"),
    ("{{chart quantity=pm2_5 period=2026-11}}", "does not measure"),
    ("{{chart period=2026-11}}", "Say which quantity"),
    ("{{chart quantity=relative_humidity}}", "Say which period"),
    ("{{chart quantity=relative_humidity period=2026-13}}", "is not a month"),
    ("{{chart quantity=relative_humidity period=2026-11-31}}", "is not a date"),
    ("{{chart quantity=relative_humidity period=2026-11-20..2026-11-01}}", "ends before it starts"),
    ("{{chart quantity=relative_humidity period=2024-01-01..2026-01-01}}", "at most 366 days"),
    ("{{chart quantity=relative_humidity period=last-week}}", "Write the period as"),
    ("{{chart quantity=relative_humidity period=2026-11 colour=red}}", "not “colour=red”"),
    ("{{chart quantity=relative_humidity quantity=air_temperature period=2026-11}}", "Give quantity once"),
    ("{{chart quantity=<script>alert(1)</script> period=2026-11}}", "does not measure"),
])
def test_a_shortcode_that_cannot_be_drawn_is_shown_to_its_author_in_place(app, measured, code, says):
    with app.test_request_context():
        author = reports.render(measured, f"Before\n\n{code}\n\nAfter", author=True)
        public = reports.render(measured, f"Before\n\n{code}\n\nAfter")
    assert len(author.errors) == 1 and says in author.errors[0] and author.charts == 0
    shown = str(author.html)
    assert "This chart cannot be drawn:" in shown and "Before" in shown and "After" in shown
    assert "<script>" not in shown
    assert "This chart cannot be drawn:" not in str(public.html)  # readers: a neutral line, no details
    assert "This chart is not available." in str(public.html)


def test_shortcodes_in_code_and_in_a_sentence_stay_text_and_markdown_is_sanitised(app, measured):
    source = f"Write `{HUMID}` like this:\n\n```\n{HUMID}\n```\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"
    with app.test_request_context():
        done = reports.render(measured, source, author=True)
    html = str(done.html)
    assert done.charts == 0 and done.errors == []
    assert html.count(HUMID) == 2 and "<svg" not in html
    assert "<script>" not in html and "&lt;script&gt;" in html and "href=\"javascript" not in html
    assert "CIVICCHART" not in html


def test_a_report_holds_at_most_so_many_charts(app, measured):
    source = "\n\n".join([HUMID] * (reports.MAX_CHARTS + 1))
    with app.test_request_context():
        done = reports.render(measured, source, author=True)
    assert done.charts == reports.MAX_CHARTS
    assert len(done.errors) == 1 and "at most 12 charts" in done.errors[0]


def test_draft_preview_and_publish(client_as, make_campaign, make_device, post_as_device, client):
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    _d, token = make_device(campaign)
    _readings(post_as_device, token, [71, 73])
    edit = f"/sensing/{campaign.slug}/report/edit"
    assert organiser_client.get(edit).status_code == 200
    saved = organiser_client.post(edit, data={"body": f"Our draft.\r\n\r\n{HUMID}\r\n", "then": "preview"})
    assert saved.status_code == 302
    page = organiser_client.get(edit).text
    assert "Our draft." in page and "<svg" in page and "<td>72.0</td>" in page  # the preview
    assert client.get(f"/sensing/{campaign.slug}/report").status_code == 404  # not public while a draft
    assert organiser_client.get(f"/sensing/{campaign.slug}/report").status_code == 200  # its organisers see why
    published = organiser_client.post(edit, data={"body": f"Our report.\n\n{HUMID}", "then": "publish"})
    assert published.status_code == 302
    public = client.get(f"/sensing/{campaign.slug}/report")
    assert public.status_code == 200 and "Our report." in public.text and "<td>72.0</td>" in public.text
    assert f"/sensing/{campaign.slug}/report\"" in client.get(f"/sensing/{campaign.slug}").text
    # A new draft leaves the published report as it was.
    organiser_client.post(edit, data={"body": "Something else.", "then": "preview"})
    assert "Our report." in client.get(f"/sensing/{campaign.slug}/report").text
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sensing.report_published")) is not None


def test_a_report_with_a_broken_chart_is_not_published_and_says_why(client_as, make_campaign, client):
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    edit = f"/sensing/{campaign.slug}/report/edit"
    response = organiser_client.post(edit, data={"body": "Text\n\n{{chart quantity=noise period=2026-11}}",
                                                 "then": "publish"})
    assert response.status_code == 200
    assert "Put the charts right before you publish" in response.text and "does not measure" in response.text
    assert "This chart cannot be drawn:" in response.text  # the preview shows it in place
    report = db.session.get(Report, campaign.id)
    assert report is not None and not report.is_published and report.draft.startswith("Text")
    assert client.get(f"/sensing/{campaign.slug}/report").status_code == 404
    preview = organiser_client.post(edit, data={"body": "{{nonsense}}", "then": "preview"})
    assert preview.status_code == 302 and "is not a shortcode" in organiser_client.get(edit).text


def test_an_empty_report_is_not_published(client_as, make_campaign):
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    response = organiser_client.post(f"/sensing/{campaign.slug}/report/edit", data={"body": "  ", "then": "publish"})
    assert response.status_code == 200 and "Write the report before you publish it." in response.text


@pytest.mark.parametrize("role", ["resident", "organiser", "officer", "admin"])
def test_only_the_campaigns_organisers_write_its_report(client_as, make_campaign, role):
    campaign = make_campaign()
    other, _user = client_as(role)
    edit = f"/sensing/{campaign.slug}/report/edit"
    assert other.get(edit).status_code == 403
    assert other.post(edit, data={"body": "Mine now", "then": "publish"}).status_code == 403
    assert db.session.get(Report, campaign.id) is None


def test_a_proposed_campaign_has_no_report_yet(client_as, make_campaign):
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser, status="proposed")
    assert organiser_client.get(f"/sensing/{campaign.slug}/report/edit").status_code == 403
