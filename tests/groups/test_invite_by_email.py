"""An organiser invites a person by email address: the invitation is made (notice and mail) when the address is an
account's, and the page says the same thing whether or not it is, so nobody learns who has an account."""

from __future__ import annotations

import re

from civic.db import db
from tests.groups.helpers import status
from tests.notifications.conftest import told


def flashed(page: str) -> str:
    found = re.search(r"If \S+ has an account, they have been invited\.", page)
    return found.group(0) if found else ""


def test_an_address_with_an_account_is_invited_with_a_notice_and_a_mail(client_as, make_user, make_group,
                                                                         smtp_server):
    client, organiser = client_as("verified")
    group = make_group(organiser, name="Queen's Park Readers")
    guest = make_user("resident", email="reader@example.org")
    db.session.commit()
    page = client.post(f"/groups/{group.slug}/invite", data={"nickname": "  Reader@Example.org "},
                       follow_redirects=True).get_data(as_text=True)
    assert flashed(page) == "If Reader@Example.org has an account, they have been invited."
    assert status(group, guest) == ("invited", "member")
    (notice,) = told(guest)
    assert notice.kind == "group_invite"
    assert "invited you to join “Queen's Park Readers”" in smtp_server.to("reader@example.org")[-1]["Subject"]


def test_an_unknown_address_gets_the_same_answer_and_invites_nobody(client_as, make_user, make_group):
    client, organiser = client_as("verified")
    group = make_group(organiser)
    member = make_user("resident", email="member@example.org")
    db.session.commit()
    unknown = client.post(f"/groups/{group.slug}/invite", data={"nickname": "nobody@example.org"},
                          follow_redirects=True).get_data(as_text=True)
    assert flashed(unknown) == "If nobody@example.org has an account, they have been invited."
    assert "No one has" not in unknown and "There is a problem" not in unknown
    # Already invited: a second invitation says the same thing again (not "already invited") and adds nothing.
    client.post(f"/groups/{group.slug}/invite", data={"nickname": "member@example.org"})
    again = client.post(f"/groups/{group.slug}/invite", data={"nickname": "member@example.org"},
                        follow_redirects=True).get_data(as_text=True)
    assert flashed(again) == "If member@example.org has an account, they have been invited."
    assert status(group, member) == ("invited", "member") and len(told(member)) == 1


def test_nicknames_still_work_and_a_broken_address_is_refused_beside_the_field(client_as, make_user, make_group):
    client, organiser = client_as("verified")
    group = make_group(organiser)
    guest = make_user("resident", nickname="bee_keeper")
    db.session.commit()
    client.post(f"/groups/{group.slug}/invite", data={"nickname": "@bee_keeper"})
    assert status(group, guest) == ("invited", "member")
    page = client.post(f"/groups/{group.slug}/invite", data={"nickname": "someone@localhost"}).get_data(as_text=True)
    assert "There is a problem" in page and "Enter an email address like name@example.com." in page


def test_only_organisers_invite_by_email(client_as, make_user, make_group):
    group = make_group(make_user("verified"))
    target = make_user("resident", email="target@example.org")
    client, _stranger = client_as("verified")
    db.session.commit()
    assert client.post(f"/groups/{group.slug}/invite", data={"nickname": "target@example.org"}).status_code == 403
    assert status(group, target) is None
