"""Comments as people use them: the thread on a page, the forms, the buttons."""

from __future__ import annotations

import re

from sqlalchemy import select

from civic.comments import services
from civic.comments.models import Comment, CommentVote
from civic.db import db
from civic.groups.models import Group
from tests.comments.conftest import article, field_error, fresh, main_text


def page_of(group) -> str:
    return f"/comments/test_group/{group.id}"


def last_comment(group) -> Comment:
    return db.session.scalars(select(Comment).where(Comment.resource_id == group.id)
                              .order_by(Comment.id.desc())).first()


def test_post_a_comment_and_see_it_in_the_thread(client_as, group):
    client, user = client_as("resident")
    page = client.get(page_of(group)).get_data(as_text=True)
    assert '<h2 id="comments-title">Comments (0)</h2>' in page and "No comments yet." in page
    assert '<label class="label" for="comment-body">Your comment</label>' in page
    assert "<legend class=\"label\">Your position</legend>" in page
    assert re.search(r'<input type="radio" id="comment-alignment-2" name="alignment" value="0" checked>', page)

    response = client.post(page_of(group), data={"body": "Plant **more** trees on Church Street.", "alignment": "1"})
    comment = last_comment(group)
    assert response.status_code == 302
    assert response.location.endswith(f"{page_of(group)}#comment-{comment.id}")
    response = client.get(response.location)
    text = main_text(response)
    assert "Your comment is published." in text and "Comments (1)" in text
    html = article(response, comment.id)
    assert "<strong>more</strong>" in html and '<span class="tag">In favour</span>' in html
    assert f'href="/u/{user.nickname}">{user.display_name}</a>' in html
    assert "edited" not in html
    assert fresh(Group, group.id).members_count == 1  # the resource's counter, through its hook


def test_a_failed_comment_keeps_the_text_and_says_why(client_as, group, switches):
    client, _user = client_as("resident")
    long = "word " * 1001
    response = client.post(page_of(group), data={"body": long, "alignment": "-1"})
    assert response.status_code == 200
    assert "Error: Add your comment" in response.get_data(as_text=True)
    assert "There is a problem" in main_text(response)
    assert field_error(response, "body") == "Keep your comment to 5,000 characters or fewer."
    page = response.get_data(as_text=True)
    assert f">{long}</textarea>" in page
    assert '<input type="radio" id="alignment-3" name="alignment" value="-1" checked>' in page

    switches.open = "Commenting is not open in this phase."
    response = client.post(page_of(group), data={"body": "My careful words", "alignment": "1"})
    assert response.status_code == 200
    assert "There is a problem Commenting is not open in this phase." in main_text(response)  # not about a field
    assert ">My careful words</textarea>" in response.get_data(as_text=True)
    assert last_comment(group) is None


def test_closed_commenting_replaces_the_form_and_keeps_comments_read_only(client_as, group, switches, people, post):
    client, user = client_as("resident")
    other, = people(1)
    mine, theirs = post(user, "Mine"), post(other, "Theirs")
    switches.open = "Commenting is not open in this phase."
    response = client.get(page_of(group))
    page = response.get_data(as_text=True)
    assert "Commenting is not open in this phase." in main_text(response)
    assert 'name="body"' not in page and "Reply" not in page and "Edit" not in page
    assert f"comments/{theirs.id}/vote" not in page
    assert "Votes: 0 up, 0 down" in article(response, mine.id)
    assert client.post(f"/comments/{theirs.id}/vote", data={"vote": "up"}).status_code == 302
    assert fresh(Comment, theirs.id).up_votes == 0


def test_what_anonymous_and_unconfirmed_people_see(client, client_as, group, people, post):
    author, = people(1)
    comment = post(author, "Open to all")
    response = client.get(page_of(group))
    page = response.get_data(as_text=True)
    assert "Open to all" in page and "Sign in to add a comment" in main_text(response)
    assert 'name="body"' not in page and 'aria-pressed' not in page
    response = client.post(page_of(group), data={"body": "Sneaky"})
    assert response.status_code == 302 and "/sign-in" in response.location
    assert client.post(f"/comments/{comment.id}/vote", data={"vote": "up"}).status_code == 302
    assert fresh(Comment, comment.id).up_votes == 0

    unconfirmed, _ = client_as("resident", confirmed=False)
    response = unconfirmed.get(page_of(group))
    assert "Please confirm your email address first." in main_text(response)
    assert 'name="body"' not in response.get_data(as_text=True)
    assert unconfirmed.post(page_of(group), data={"body": "Hello"}).status_code == 403
    assert last_comment(group).id == comment.id


def test_reply_on_its_own_page_and_no_deeper_than_four_levels(client_as, group, people, post):
    client, user = client_as("resident")
    author, = people(1)
    top = post(author, "Top **level**")
    response = client.get(page_of(group))
    assert f'href="/comments/{top.id}/reply">Reply' in article(response, top.id)
    page = client.get(f"/comments/{top.id}/reply")
    assert page.status_code == 200
    assert f"Reply to {author.display_name}" in main_text(page)
    assert "<strong>level</strong>" in page.get_data(as_text=True)

    response = client.post(f"/comments/{top.id}/reply", data={"body": "", "alignment": "0"})
    assert response.status_code == 200 and field_error(response, "body") == "Write your comment."

    parent = top
    for level in range(1, 4):
        response = client.post(f"/comments/{parent.id}/reply", data={"body": f"Reply {level}", "alignment": "-1"})
        parent = last_comment(group)
        assert response.status_code == 302 and response.location.endswith(f"#comment-{parent.id}")
        assert parent.depth == level
    page = client.get(page_of(group))
    assert "/reply" not in article(page, parent.id)  # the fourth level has no "Reply"
    assert page.get_data(as_text=True).count('<ol class="comment-list">') == 4
    response = client.get(f"/comments/{parent.id}/reply")
    assert response.status_code == 302 and response.location.endswith(f"#comment-{parent.id}")
    assert "four levels deep at most" in main_text(client.get(response.location))
    client.post(f"/comments/{parent.id}/reply", data={"body": "Fifth", "alignment": "0"})
    assert last_comment(group).id == parent.id


def test_edit_own_comment_shows_edited(client_as, group):
    client, user = client_as("resident")
    client.post(page_of(group), data={"body": "Frist!", "alignment": "0"})
    comment = last_comment(group)
    form = client.get(f"/comments/{comment.id}/edit").get_data(as_text=True)
    assert ">Frist!</textarea>" in form and 'value="0" checked' in form
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "First!", "alignment": "-1"})
    assert response.status_code == 302 and response.location.endswith(f"#comment-{comment.id}")
    html = article(client.get(response.location), comment.id)
    assert "First!" in html and "Against" in html
    assert re.search(r'\(edited <time datetime="[^"]+">[^<]+</time>\)', html)

    response = client.post(f"/comments/{comment.id}/edit", data={"body": " ", "alignment": "0"})
    assert response.status_code == 200 and field_error(response, "body") == "Write your comment."
    assert fresh(Comment, comment.id).body == "First!"


def test_someone_elses_comment_cannot_be_edited_or_deleted(client_as, group, people, post):
    author, = people(1)
    comment = post(author, "My words")
    for role in ("resident", "officer", "admin"):
        client, _user = client_as(role)
        page = client.get(page_of(group)).get_data(as_text=True)
        assert f"/comments/{comment.id}/edit" not in page and f"/comments/{comment.id}/delete" not in page
        assert client.get(f"/comments/{comment.id}/edit").status_code == 403
        assert client.post(f"/comments/{comment.id}/edit", data={"body": "Your words"}).status_code == 403
        assert client.get(f"/comments/{comment.id}/delete").status_code == 403
        assert client.post(f"/comments/{comment.id}/delete").status_code == 403
    stored = fresh(Comment, comment.id)
    assert stored.body == "My words" and stored.deleted_at is None


def test_delete_own_comment_leaves_a_placeholder(client_as, group, people, post):
    client, user = client_as("resident")
    other, = people(1)
    mine = post(user, "I regret this")
    answer = post(other, "A reply that stays", parent=mine)
    confirm = client.get(f"/comments/{mine.id}/delete")
    assert "Delete your comment?" in main_text(confirm) and "I regret this" in main_text(confirm)
    response = client.post(f"/comments/{mine.id}/delete")
    assert response.status_code == 302 and response.location.endswith(f"#comment-{mine.id}")
    response = client.get(response.location)
    assert "Your comment is deleted." in main_text(response)
    assert "This comment was deleted." in article(response, mine.id)
    assert "I regret this" not in response.get_data(as_text=True)
    assert "A reply that stays" in article(response, answer.id)
    assert "Comments (1)" in main_text(response)
    assert fresh(Group, group.id).members_count == 1


def test_vote_buttons_toggle_and_show_counts(client_as, group, people, post):
    client, user = client_as("resident")
    author, = people(1)
    comment = post(author, "Vote on me")
    html = article(client.get(page_of(group)), comment.id)
    assert html.count('aria-pressed="false"') == 2 and "(0)" in html
    assert 'name="vote" value="up" class="button-secondary" aria-pressed="false">Vote up' in html

    response = client.post(f"/comments/{comment.id}/vote", data={"vote": "up"})
    assert response.status_code == 302 and response.location.endswith(f"#comment-{comment.id}")
    html = article(client.get(response.location), comment.id)
    up_form = html[:html.index("Vote down")]
    assert 'value="none" class="button-secondary" aria-pressed="true">Vote up' in up_form and "(1)" in up_form
    assert "You voted up." in html

    client.post(f"/comments/{comment.id}/vote", data={"vote": "down"})  # from up to down
    assert (fresh(Comment, comment.id).up_votes, fresh(Comment, comment.id).down_votes) == (0, 1)
    client.post(f"/comments/{comment.id}/vote", data={"vote": "none"})  # the pressed button again
    html = article(client.get(page_of(group)), comment.id)
    assert html.count('aria-pressed="false"') == 2
    assert db.session.scalar(select(CommentVote).where(CommentVote.comment_id == comment.id)) is None

    assert client.post(f"/comments/{comment.id}/vote", data={"vote": "sideways"}).status_code == 302
    assert fresh(Comment, comment.id).up_votes == 0


def test_no_voting_on_your_own_comment(client_as, group):
    client, user = client_as("resident")
    client.post(page_of(group), data={"body": "Mine", "alignment": "0"})
    comment = last_comment(group)
    html = article(client.get(page_of(group)), comment.id)
    assert "aria-pressed" not in html and "Votes: 0 up, 0 down" in html
    assert client.post(f"/comments/{comment.id}/vote", data={"vote": "up"}).status_code == 403
    assert fresh(Comment, comment.id).up_votes == 0


def test_order_links(client, group, people, post):
    author, voter = people(2)
    post(author, "Old one")
    new = post(author, "New one")
    services.set_vote(voter, new, 1)
    db.session.commit()
    page = client.get(page_of(group)).get_data(as_text=True)
    assert f'href="{page_of(group)}?order=best#comments"' in page
    assert re.search(r'\?order=oldest#comments" aria-current="true"><strong>Oldest first', page)
    assert page.index("Old one") < page.index("New one")
    page = client.get(page_of(group) + "?order=best").get_data(as_text=True)
    assert re.search(r'\?order=best#comments" aria-current="true"><strong>Best rated', page)
    assert page.index("New one") < page.index("Old one")
    page = client.get(page_of(group) + "?order=newest").get_data(as_text=True)
    assert page.index("New one") < page.index("Old one")


def test_mentions_link_to_profiles_on_the_page(client_as, group, people):
    client, _user = client_as("resident")
    friend, = people(1)
    client.post(page_of(group), data={"body": f"Ask @{friend.nickname} or @nobody_knows <script>x</script>"})
    html = article(client.get(page_of(group)), last_comment(group).id)
    assert f'<a class="mention" href="/u/{friend.nickname}">@{friend.nickname}</a>' in html
    assert "@nobody_knows" in html and "/u/nobody_knows" not in html and "<script" not in html


def test_comments_of_hidden_or_unreadable_resources(client_as, group, switches, people, post):
    client, _user = client_as("resident")
    author, = people(1)
    comment = post(author, "Hello")
    switches.readable = False
    page = client.get(page_of(group)).get_data(as_text=True)
    assert "Comments (" not in page and "Hello" not in page
    assert client.get(f"/comments/{comment.id}/reply").status_code == 404
    switches.readable = True
    switches.invisible.add(group.id)
    assert client.get(page_of(group)).status_code == 404
    assert client.post(page_of(group), data={"body": "Hi"}).status_code == 404
    assert client.get(f"/comments/{comment.id}/reply").status_code == 404
    assert client.get("/comments/no_such_type/1").status_code == 404
    assert client.get("/comments/999999999/edit").status_code == 404


def test_the_page_loads_in_a_fixed_number_of_queries(client_as, group, people, count_queries):
    client, viewer = client_as("resident")
    authors = people(6)
    big = Group(slug=f"big-{group.id}", name=f"Big {group.id}", description="", members_count=0)
    db.session.add(big)
    db.session.commit()

    def fill(g, n):
        for i in range(n):
            author = authors[i % len(authors)]
            comment = services.post_comment(author, "test_group", g.id, f"Number {i} @{authors[0].nickname}", 1)
            if i % 2:
                services.reply(authors[(i + 1) % len(authors)], comment, "Agreed")
                services.set_vote(viewer, comment, 1)
        db.session.commit()

    fill(group, 3)
    fill(big, 40)
    with count_queries() as few:
        small = client.get(page_of(group))
    with count_queries() as many:
        large = client.get(page_of(big))
    assert "Comments (4)" in main_text(small) and "Comments (60)" in main_text(large)
    assert many.count == few.count, many.statements


def test_the_threads_order_links_survive_url_fors_own_names_in_the_query(client_as, group):
    client, _ = client_as("resident")
    client.post(f"/comments/test_group/{group.id}", data={"body": "First!"})
    response = client.get(f"/comments/test_group/{group.id}?endpoint=x&resource_id=999&order=newest")
    assert response.status_code == 200
    assert "endpoint=x" not in response.text and "resource_id=999" not in response.text


def test_replies_under_a_hidden_comment_are_gone_like_the_comment_itself(client_as, group, people, post):
    """Hiding a comment takes its whole subtree: every read and write of a reply below it is 404, as for the
    hidden comment itself, and nothing is written."""
    from sqlalchemy import func, update

    from civic.db import utcnow

    client, me = client_as("resident")
    (other,) = people(1)
    hidden = post(other, "Rude words")
    mine = post(me, "My reply under the rude words", parent=hidden)
    theirs = post(other, "Their answer to my reply", parent=mine)
    db.session.execute(update(Comment).where(Comment.id == hidden.id).values(hidden_at=utcnow()))
    db.session.commit()
    db.session.expire_all()
    votes_before = db.session.scalar(select(func.count()).select_from(CommentVote))
    comments_before = db.session.scalar(select(func.count()).select_from(Comment))

    for below in (mine, theirs):
        for url in (f"/comments/{below.id}/reply", f"/comments/{below.id}/edit", f"/comments/{below.id}/delete",
                    f"/moderation/report/comment/{below.id}"):
            assert client.get(url).status_code == 404, url
        for url, data in ((f"/comments/{below.id}/reply", {"body": "Still answering", "alignment": "0"}),
                          (f"/comments/{below.id}/vote", {"vote": "up"}),
                          (f"/comments/{below.id}/edit", {"body": "Changed words", "alignment": "0"}),
                          (f"/comments/{below.id}/delete", {})):
            assert client.post(url, data=data).status_code == 404, url
    assert client.get(f"/comments/{hidden.id}/reply").status_code == 404  # the hidden comment itself, alike

    assert db.session.scalar(select(func.count()).select_from(CommentVote)) == votes_before
    assert db.session.scalar(select(func.count()).select_from(Comment)) == comments_before
    db.session.expire_all()
    assert db.session.get(Comment, mine.id).body == "My reply under the rude words"
    assert db.session.get(Comment, mine.id).deleted_at is None
    page = client.get(page_of(group)).get_data(as_text=True)
    assert "My reply under the rude words" not in page and "Their answer" not in page
