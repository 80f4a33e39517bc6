"""The public transparency page: monthly counts by reason and decision, and no personal data."""

from __future__ import annotations

from civic.db import db, utcnow
from civic.moderation import services


def test_monthly_counts_without_personal_data(client, make_process, make_proposal, make_user, report_by,
                                              count_queries):
    process = make_process()
    first = make_proposal(process, make_user("resident", nickname="private_person"), title="Private title here")
    second = make_proposal(process, make_user("resident"))
    report_by(3, "proposal", first.id, reason="spam")  # hidden automatically
    services.report(make_user("resident"), "proposal", second.id, "other", "Secret detail text")
    officer = make_user("officer")
    services.hide(officer, "proposal", second.id, "An officer's private note")
    services.unhide(officer, "proposal", second.id, "Restored")
    db.session.commit()
    with count_queries() as queries:
        page = client.get("/moderation/transparency")
    assert page.status_code == 200
    month = utcnow().strftime("%Y-%m")
    text = page.text
    row = text[text.index(f'<th scope="row"><time datetime="{month}">'):]
    assert row.split("</tr>")[0].count("<td>") == 6
    cells = [c.split("</td>")[0] for c in row.split("</tr>")[0].split("<td>")[1:]]
    assert cells == ["3", "0", "0", "0", "1", "4"]  # spam 3, other 1, all 4
    decisions = text[text.rindex(f'<th scope="row"><time datetime="{month}">'):].split("</tr>")[0]
    assert [c.split("</td>")[0] for c in decisions.split("<td>")[1:]] == ["2", "1", "0", "0"]
    for private in ("private_person", "Private title here", "Secret detail text", "private note"):
        assert private not in text
    assert queries.count <= 4  # the user for the session, if any, and two grouped queries
