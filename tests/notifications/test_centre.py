"""The notification centre: unread count in the header, list with fixed queries, open, mark read, privacy."""

from __future__ import annotations

from civic.db import db
from civic.notifications import services
from civic.notifications.registry import Notice, Users
from tests.notifications.conftest import told


def notify(user, n: int, prefix: str = "n", url: str = "/groups/", actors: list | None = None) -> None:
    for i in range(n):
        actor = actors[i % len(actors)].id if actors else None
        services.deliver("comment.created", Notice(key=f"test:{prefix}:{user.id}:{i}", title=f"Item {prefix} {i}",
                                                   url=url, space="Tests", actor_id=actor,
                                                   audiences=[Users("reply", [user.id])]))
    db.session.commit()


def test_the_header_shows_the_unread_count(client_as):
    client, user = client_as("resident")
    assert "unread</span>" not in client.get("/").get_data(as_text=True)
    notify(user, 3)
    page = client.get("/").get_data(as_text=True)
    assert '3<span class="visually-hidden"> unread</span>' in page


def test_the_list_pages_and_uses_a_fixed_number_of_queries(client_as, count_queries, make_user):
    client, user = client_as("resident")
    actors = [make_user() for _ in range(4)]  # each notification names who acted: no query per actor
    notify(user, 3, "few", actors=actors[:1])
    with count_queries() as few:
        assert client.get("/notifications/").status_code == 200
    notify(user, 30, "many", actors=actors)
    with count_queries() as many:
        page = client.get("/notifications/").get_data(as_text=True)
    assert many.count == few.count
    assert "Page 1 of 2" in page and "Item many 29" in page and "Item few 0" not in page
    assert f"{actors[1].display_name} replied to your comment" in page
    assert "Item few 0" in client.get("/notifications/?page=2").get_data(as_text=True)


def test_opening_marks_read_and_goes_there(client_as):
    client, user = client_as("resident")
    notify(user, 2, url="/groups/")
    first = told(user)[0]
    r = client.get(f"/notifications/{first.id}")
    assert r.status_code == 302 and r.headers["Location"].endswith("/groups/")
    assert services.unread_count(user) == 1
    unread_page = client.get("/notifications/?show=unread").get_data(as_text=True)
    assert "Item n 1" in unread_page and "Item n 0" not in unread_page


def test_mark_one_and_all_read(client_as):
    client, user = client_as("resident")
    notify(user, 3)
    one = told(user)[0]
    assert client.post(f"/notifications/{one.id}/read").status_code == 302
    assert services.unread_count(user) == 2
    r = client.post("/notifications/read-all", follow_redirects=True)
    assert "Marked 2 notifications as read." in r.get_data(as_text=True)
    assert services.unread_count(user) == 0


def test_someone_elses_notification_is_not_found(client_as, make_user):
    other = make_user()
    notify(other, 1)
    theirs = told(other)[0]
    client, _ = client_as("resident")
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert told(other)[0].read_at is None


def test_a_notification_pointing_elsewhere_is_not_followed_off_site(client_as):
    client, user = client_as("resident")
    notify(user, 1, url="https://evil.example/")
    r = client.get(f"/notifications/{told(user)[0].id}")
    assert r.headers["Location"].endswith("/notifications/")


def test_the_centre_needs_signing_in(client):
    assert client.get("/notifications/").status_code == 302
