"""Who is told what: follows, replies, mentions, answers, area alerts; never the actor, blocked people,
twice, or about hidden content."""

from __future__ import annotations

from sqlalchemy import select

from civic.db import db
from civic.notifications import services
from civic.notifications.models import Follow, Notification
from civic.notifications.registry import Followers, Notice, Users
from tests.notifications.conftest import told


def test_the_same_event_twice_is_one_notification(make_user):
    people = [make_user() for _ in range(3)]
    notice = Notice(key="test:same", title="Same", url="/", audiences=[Users("reply", [p.id for p in people])])
    first = services.deliver("comment.created", notice)
    again = services.deliver("comment.created", notice)
    assert first == again
    assert [len(told(p)) for p in people] == [1, 1, 1]


def test_fan_out_is_one_statement_per_audience(make_user, make_people, count_queries):
    people = make_people(60)
    for p in people:
        db.session.add(Follow(user_id=p.id, resource_type="process", resource_id=999_999))
    db.session.commit()
    notice = Notice(key="test:bulk", title="Bulk", url="/", audiences=[Followers("comment", "process", 999_999)])
    with count_queries() as q:
        services.deliver("comment.created", notice)
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == people[-1].id)) is not None
    assert q.count <= 4  # event, read it back, one INSERT ... SELECT, any immediate mail to send?


def test_following_a_group_or_a_person_works_and_titles_are_escaped(client_as, make_user):
    from civic.groups.models import Group

    client, user = client_as("resident")
    group = Group(slug="escape-test", name="<script>alert(1)</script> Friends", description="x")
    other = make_user()
    db.session.add(group)
    db.session.commit()
    assert client.post("/follow", data={"resource_type": "group", "resource_id": group.id}).status_code == 302
    assert client.post("/follow", data={"resource_type": "user", "resource_id": other.id}).status_code == 302
    page = client.get("/notifications/following").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Friends" in page and "<script>alert(1)" not in page
    assert other.display_name in page
    services.deliver("comment.created", Notice(key="esc:1", title="<b>bold</b>", url="/",
                                               audiences=[Users("reply", [user.id])]))
    db.session.commit()
    assert "&lt;b&gt;bold&lt;/b&gt;" in client.get("/notifications/").get_data(as_text=True)
