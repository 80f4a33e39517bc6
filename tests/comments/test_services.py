"""Comment rules, through the services."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select, update

from civic.accounts.models import User
from civic.comments import services
from civic.comments.models import Comment, CommentVote
from civic.db import db, utcnow
from civic.errors import NotFound, PermissionDenied, RuleViolation
from civic.groups.models import Group
from tests.comments.conftest import fresh


def test_post_a_comment_counts_it_and_tells_the_core(people, group, switches, published):
    (ann,) = people(1)
    comment = services.post_comment(ann, "test_group", group.id, "  We need **more** trees.  ", 1)
    assert (comment.body, comment.alignment, comment.depth, comment.parent_id) == ("We need **more** trees.", 1, 0,
                                                                                   None)
    assert comment.author_id == ann.id and comment.edited_at is None and comment.deleted_at is None
    assert switches.deltas == [(group.id, 1)]
    assert fresh(Group, group.id).members_count == 1  # the hook's counter, moved in SQL
    assert published == []  # events are sent after the commit
    db.session.commit()
    assert [(name, subject) for name, subject, _ in published] == [("comment.created", comment)]
    assert published[0][2] == {"resource_type": "test_group", "resource_id": group.id}


@pytest.mark.parametrize(("body", "message"), [
    ("", "Write your comment."),
    ("   \n ", "Write your comment."),
    ("x" * 5001, "Your comment is 5,001 characters long. Keep it to 5,000 or fewer."),
])
def test_a_comment_needs_one_to_five_thousand_characters(people, group, body, message):
    (ann,) = people(1)
    with pytest.raises(RuleViolation) as refused:
        services.post_comment(ann, "test_group", group.id, body)
    assert (refused.value.message, refused.value.field) == (message, "body")
    assert services.post_comment(ann, "test_group", group.id, "y" * 5000).body == "y" * 5000


def test_alignment_must_be_known(people, group):
    (ann,) = people(1)
    with pytest.raises(RuleViolation) as refused:
        services.post_comment(ann, "test_group", group.id, "Hello", 3)
    assert refused.value.field == "alignment"
    assert [services.post_comment(ann, "test_group", group.id, "Hi", a).alignment for a in (-1, 0, 1)] == [-1, 0, 1]


def test_who_may_comment(people, group, switches, make_user):
    (ann,) = people(1)
    unconfirmed = make_user("resident", confirmed=False)
    with pytest.raises(PermissionDenied, match="confirm your email"):
        services.post_comment(unconfirmed, "test_group", group.id, "Hello")

    switches.open = "Commenting is not open in this phase."
    with pytest.raises(RuleViolation, match="^Commenting is not open in this phase.$"):
        services.post_comment(ann, "test_group", group.id, "Hello")
    switches.open = False  # a hook that only says no gets a general message
    with pytest.raises(RuleViolation, match="Commenting is closed here."):
        services.post_comment(ann, "test_group", group.id, "Hello")

    switches.open = True
    switches.invisible.add(group.id)
    with pytest.raises(NotFound):
        services.post_comment(ann, "test_group", group.id, "Hello")
    with pytest.raises(NotFound):
        services.post_comment(ann, "no_such_type", group.id, "Hello")
    with pytest.raises(NotFound):
        services.post_comment(ann, "test_group", 10**9, "Hello")
    assert switches.deltas == []
    assert db.session.scalar(select(func.count()).select_from(Comment).where(Comment.resource_id == group.id)) == 0


def test_a_closed_phase_refuses_through_the_hook_and_keeps_comments_readable(people, make_process):
    (ann, bob) = people(2)
    process = make_process(commenting=True)
    first = services.post_comment(ann, "test_process", process.id, "Before the phase closed")
    services.set_vote(bob, first, 1)
    # The phase that allows comments ends: the process moves on to "Decisions" without commenting.
    process.phases[1].set_actions(process.phases[1].actions - {"comment"})
    db.session.flush()
    for attempt in (lambda: services.post_comment(ann, "test_process", process.id, "Too late"),
                    lambda: services.reply(bob, first, "Too late"),
                    lambda: services.edit_comment(ann, first, "Changed"),
                    lambda: services.delete_comment(ann, first),
                    lambda: services.set_vote(bob, first, 0)):
        with pytest.raises(RuleViolation, match=r"^Commenting is not open in this phase \(Decisions\)\."):
            attempt()
    thread = services.thread("test_process", process.id, bob)
    assert thread.readable and not thread.open
    assert thread.may_comment.startswith("Commenting is not open in this phase (Decisions).")
    [node] = thread.comments
    assert node.html == "<p>Before the phase closed</p>\n" and node.up_votes == 1 and node.my_vote == 1
    assert not (node.can_reply or node.can_vote or node.can_change)


def test_replies_go_four_levels_deep_and_no_further(people, post, published):
    ann, bob = people(2)
    top = post(ann, "Level one")
    chain = [top]
    for level in range(2, 5):
        chain.append(post(bob if level % 2 == 0 else ann, f"Level {level}", parent=chain[-1]))
    assert [c.depth for c in chain] == [0, 1, 2, 3]
    assert [c.parent_id for c in chain] == [None, chain[0].id, chain[1].id, chain[2].id]
    with pytest.raises(RuleViolation, match="four levels deep at most"):
        services.reply(bob, chain[3], "Level five")
    replied = [(s.id, d["parent"].id) for name, s, d in published if name == "comment.replied"]
    assert replied == [(chain[1].id, chain[0].id), (chain[2].id, chain[1].id), (chain[3].id, chain[2].id)]

    [root] = services.thread("test_group", top.resource_id, bob).comments
    node, depths = root, []
    while node:
        depths.append((node.depth, node.can_reply))
        node = node.replies[0] if node.replies else None
    assert depths == [(0, True), (1, True), (2, True), (3, False)]


def test_edit_own_comment_marks_it_edited(people, post, make_user):
    ann, bob = people(2)
    comment = post(ann, "Frist thought", alignment=0)
    assert services.edit_comment(ann, comment, "First thought", 1) is True
    assert (comment.body, comment.alignment) == ("First thought", 1)
    assert comment.edited_at is not None and utcnow() - comment.edited_at < timedelta(minutes=1)
    [node] = services.thread("test_group", comment.resource_id, ann).comments
    assert node.edited_at == comment.edited_at and node.alignment == "In favour"


def test_saving_unchanged_words_is_not_an_edit(people, post):
    (ann,) = people(1)
    comment = post(ann, "Same")
    assert services.edit_comment(ann, comment, "Same ", None) is False
    assert comment.edited_at is None


def test_nobody_edits_or_deletes_someone_elses_words(people, post, make_user):
    ann, bob = people(2)
    comment = post(ann, "Mine")
    for user in (bob, make_user("officer"), make_user("admin")):
        with pytest.raises(PermissionDenied, match="only change your own comments"):
            services.edit_comment(user, comment, "Theirs")
        with pytest.raises(PermissionDenied, match="only change your own comments"):
            services.delete_comment(user, comment)
    comment = fresh(Comment, comment.id)
    assert comment.body == "Mine" and comment.deleted_at is None


def test_delete_leaves_a_placeholder_and_replies_in_place(people, post, group, switches):
    ann, bob = people(2)
    first = post(ann, "Delete me")
    answer = post(bob, "An answer", parent=first)
    second = post(bob, "Another")
    assert fresh(Group, group.id).members_count == 3

    assert services.delete_comment(ann, first) is True
    assert services.delete_comment(ann, first) is False  # a second click changes nothing
    stored = fresh(Comment, first.id)
    assert stored.deleted_at is not None and stored.body == "This comment was deleted."
    assert switches.deltas == [(group.id, 1)] * 3 + [(group.id, -1)]
    assert fresh(Group, group.id).members_count == 2

    thread = services.thread("test_group", group.id, bob)
    assert thread.total == 2
    assert [(n.id, n.state, str(n.html)) for n in thread.comments] == [
        (first.id, "deleted", "This comment was deleted."), (second.id, "visible", "<p>Another</p>\n")]
    assert [(n.id, n.state) for n in thread.comments[0].replies] == [(answer.id, "visible")]
    assert not thread.comments[0].can_vote and not thread.comments[0].can_reply
    with pytest.raises(RuleViolation, match="deleted, so it cannot be answered"):
        services.reply(bob, stored, "Still there?")
    with pytest.raises(RuleViolation, match="deleted, so it cannot be edited"):
        services.edit_comment(ann, stored, "Back again")


def test_hidden_comments_show_as_one_placeholder_with_their_subtree(people, post, group):
    ann, bob = people(2)
    kept = post(ann, "Kept")
    hidden = post(bob, "Rude words")
    below = post(ann, "Replying to rude words", parent=hidden)
    post(bob, "Deeper", parent=below)
    db.session.execute(update(Comment).where(Comment.id == hidden.id).values(hidden_at=utcnow()))
    thread = services.thread("test_group", group.id, ann)
    assert thread.total == 1
    assert [(n.id, n.state, str(n.html), n.replies) for n in thread.comments] == [
        (kept.id, "visible", "<p>Kept</p>\n", []),
        (hidden.id, "hidden", "This comment was hidden by moderation.", [])]
    assert "Rude" not in str(thread.comments[1].as_dict())
    with pytest.raises(NotFound):
        services.get_comment(ann, hidden.id)


def test_comments_are_shown_only_where_readable(people, post, group, switches):
    (ann,) = people(1)
    post(ann, "Hello")
    switches.readable = False
    thread = services.thread("test_group", group.id, ann)
    assert not thread.readable and thread.comments == [] and thread.total == 0
    with pytest.raises(RuleViolation, match="Comments are not shown here."):
        services.post_comment(ann, "test_group", group.id, "Hello again")
    assert not services.thread("test_group", 10**9, ann).readable
    assert not services.thread("unknown_type", group.id, ann).readable


# Votes ------------------------------------------------------------------------------------------------------


def counts(comment: Comment) -> tuple[int, int, int]:
    """(up_votes, down_votes, vote rows), read afresh."""
    c = fresh(Comment, comment.id)
    rows = db.session.scalar(select(func.count()).select_from(CommentVote).where(CommentVote.comment_id == c.id))
    return c.up_votes, c.down_votes, rows


def test_votes_toggle_and_move_between_up_and_down(people, post):
    ann, bob, cy = people(3)
    comment = post(ann, "Vote on me")
    assert services.vote(bob, comment, 1) == 1
    assert counts(comment) == (1, 0, 1)
    assert services.vote(bob, comment, 1) == 0  # the same way again takes it back
    assert counts(comment) == (0, 0, 0)
    assert services.vote(bob, comment, 1) == 1
    assert services.vote(bob, comment, -1) == -1  # up to down moves both counters
    assert counts(comment) == (0, 1, 1)
    assert services.vote(cy, comment, -1) == -1
    assert counts(comment) == (0, 2, 2)
    assert services.vote(bob, comment, -1) == 0
    assert counts(comment) == (0, 1, 1)


def test_set_vote_is_idempotent(people, post):
    ann, bob = people(2)
    comment = post(ann, "Vote on me")
    assert [services.set_vote(bob, comment, 1) for _ in range(3)] == [1, 1, 1]
    assert counts(comment) == (1, 0, 1)
    assert services.set_vote(bob, comment, -1) == -1
    assert counts(comment) == (0, 1, 1)
    assert [services.set_vote(bob, comment, 0) for _ in range(2)] == [0, 0]
    assert counts(comment) == (0, 0, 0)
    with pytest.raises(RuleViolation):
        services.set_vote(bob, comment, 2)


def test_authors_cannot_vote_on_their_own_comments(people, post, make_user):
    (ann,) = people(1)
    comment = post(ann, "Vote for me")
    with pytest.raises(PermissionDenied, match="cannot vote on your own comment"):
        services.vote(ann, comment, 1)
    unconfirmed = make_user("resident", confirmed=False)
    with pytest.raises(PermissionDenied, match="confirm your email"):
        services.vote(unconfirmed, comment, 1)
    assert counts(comment) == (0, 0, 0)
    [node] = services.thread("test_group", comment.resource_id, ann).comments
    assert not node.can_vote and node.can_change


def test_deleted_comments_take_no_votes(people, post):
    ann, bob = people(2)
    comment = post(ann, "Going")
    services.delete_comment(ann, comment)
    with pytest.raises(RuleViolation, match="deleted"):
        services.vote(bob, comment, 1)


def test_the_thread_knows_the_viewers_votes(people, post, group):
    ann, bob = people(2)
    first, second = post(ann, "One"), post(ann, "Two")
    services.set_vote(bob, first, 1)
    services.set_vote(bob, second, -1)
    assert [n.my_vote for n in services.thread("test_group", group.id, bob).comments] == [1, -1]
    assert [n.my_vote for n in services.thread("test_group", group.id, ann).comments] == [0, 0]


# Order ------------------------------------------------------------------------------------------------------


def test_orders_apply_to_top_level_comments_and_replies_stay_oldest_first(people, post, group):
    ann, *voters = people(4)
    start = utcnow() - timedelta(hours=1)
    a = post(ann, "A: oldest, score 1")
    b = post(ann, "B: middle, score 2")
    c = post(ann, "C: newest, score 1")
    replies = [post(voters[0], f"reply {i}", parent=a) for i in range(3)]
    for i, comment in enumerate((a, b, c, *replies)):
        comment.created_at = start + timedelta(minutes=i)
    db.session.flush()
    for voter, comment, value in [(voters[0], a, 1), (voters[0], b, 1), (voters[1], b, 1), (voters[0], c, 1),
                                  (voters[1], replies[2], 1), (voters[2], replies[2], 1)]:
        services.set_vote(voter, comment, value)

    def order(name):
        t = services.thread("test_group", group.id, ann, order=name)
        reply_ids = [r.id for r in next(n for n in t.comments if n.id == a.id).replies]
        return [n.id for n in t.comments], reply_ids

    oldest_replies = [r.id for r in replies]
    assert order("oldest") == ([a.id, b.id, c.id], oldest_replies)
    assert order("newest") == ([c.id, b.id, a.id], oldest_replies)
    assert order("best") == ([b.id, a.id, c.id], oldest_replies)  # ties: the older first
    assert order("nonsense") == order("oldest")
    assert services.thread("test_group", group.id, ann, order="nonsense").order == "oldest"


# Mentions and safety ----------------------------------------------------------------------------------------


def test_mentions_link_existing_people_only(people, post, group, published):
    ann, bob = people(2, "talker")
    gone, = people(1, "gone")
    gone.deleted_at = utcnow()
    db.session.commit()
    comment = post(ann, f"Thanks @{bob.nickname} and @{ann.nickname}. Not @nobody_here, "
                        f"not @{gone.nickname}, not `@{bob.nickname}` in code, not mail@{bob.nickname}.org. "
                        f"Shouting @{bob.nickname.upper()} works.")
    [node] = services.thread("test_group", group.id, bob).comments
    html = str(node.html)
    link = f'<a class="mention" href="/u/{bob.nickname}">@{bob.nickname}</a>'
    assert html.count(link) == 1
    assert f'<a class="mention" href="/u/{bob.nickname}">@{bob.nickname.upper()}</a>' in html
    assert f'<a class="mention" href="/u/{ann.nickname}">@{ann.nickname}</a>' in html
    assert "@nobody_here" in html and "/u/nobody_here" not in html
    assert f"@{gone.nickname}" in html and f"/u/{gone.nickname}" not in html
    assert f"<code>@{bob.nickname}</code>" in html and f"mail@{bob.nickname}.org" in html
    [(subject, data)] = [(s, d) for name, s, d in published if name == "comment.mentioned"]
    assert subject is comment and data["users"] == [bob]  # existing, not the author


def test_an_edit_tells_only_newly_mentioned_people(people, post, published):
    ann, bob, cy = people(3)
    comment = post(ann, f"Hello @{bob.nickname}")
    published.clear()
    services.edit_comment(ann, comment, f"Hello @{bob.nickname} and @{cy.nickname}")
    db.session.commit()  # events are sent after the commit
    assert [(name, d["users"]) for name, _s, d in published if name == "comment.mentioned"] == [
        ("comment.mentioned", [cy])]
    assert [name for name, _s, _d in published] == ["comment.mentioned", "comment.edited"]


class _Tags(HTMLParser):
    """Every tag and attribute a browser would see."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("body", [
    "<script>alert('x')</script> @{nick}",
    "[click](javascript:alert(1)) @{nick}",
    '<a href="javascript:alert(1)">x</a> @{nick}',
    "[click](JaVaScRiPt:alert(1)) @{nick}",
    '[t](https://example.org "@{nick}\\" onmouseover=\\"alert(1)") and @{nick}',
    "<img src=x onerror=alert(1)> @{nick}",
    "@{nick}<script>alert(1)</script>",
    '@{nick}"><script>alert(1)</script>',
    "&lt;script&gt; @{nick} &amp; <b>x</b>",
])
def test_bodies_cannot_inject_markup(people, post, group, body):
    ann, bob = people(2)
    post(ann, body.format(nick=bob.nickname))
    html = str(services.thread("test_group", group.id, ann).comments[0].html)
    tags = _Tags(html).tags
    assert {t for t, _ in tags} <= {"p", "a", "code", "strong", "em"}, html
    for tag, attrs in tags:
        assert not [name for name in attrs if name.startswith("on")], html
        assert not (attrs.get("href") or "").lower().startswith("javascript"), html
    mentions = [a for t, a in tags if t == "a" and a.get("class") == "mention"]
    assert mentions == [{"class": "mention", "href": f"/u/{bob.nickname}"}]
    assert "<script" not in html


def test_a_mention_inside_a_link_title_stays_text(people, post, group):
    ann, bob = people(2)
    post(ann, f'[docs](https://example.org "see @{bob.nickname}")')
    html = str(services.thread("test_group", group.id, ann).comments[0].html)
    assert html.count("<a ") == 1 and 'class="mention"' not in html
    assert f'title="see @{bob.nickname}"' in html


def test_headings_in_comments_do_not_break_the_page_outline(people, post, group):
    (ann,) = people(1)
    post(ann, "# Big\n\n## Smaller\n\ntext")
    html = str(services.thread("test_group", group.id, ann).comments[0].html)
    assert "<h" not in html
    assert "<p><strong>Big</strong></p>" in html and "<p><strong>Smaller</strong></p>" in html


# Queries ----------------------------------------------------------------------------------------------------


def _fill(group, authors, n):
    """n comments (some replies, all mentioning someone who exists and someone who does not), half voted on."""
    made = []
    for i in range(n):
        parent = made[-1] if made and i % 3 == 2 and made[-1].depth < 3 else None
        made.append(Comment(resource_type="test_group", resource_id=group.id, author_id=authors[i % len(authors)].id,
                            parent_id=parent.id if parent else None, depth=parent.depth + 1 if parent else 0,
                            body=f"Comment {i} for @{authors[(i + 1) % len(authors)].nickname} and @ghost_{i}",
                            alignment=(i % 3) - 1, up_votes=0, down_votes=0))
        db.session.add(made[-1])
        db.session.flush()
    for c in made[::2]:
        if c.author_id != authors[0].id:
            services.set_vote(authors[0], c, 1)
    db.session.commit()


def test_a_thread_loads_in_a_fixed_number_of_queries(people, group, count_queries):
    authors = people(7)
    big = Group(slug=f"big-{group.id}", name=f"Big {group.id}", description="", members_count=0)
    db.session.add(big)
    _fill(group, authors[:3], 5)
    _fill(big, authors, 60)

    def measure(g):
        db.session.expunge_all()  # nothing cached: every comment and author comes from the database
        viewer = db.session.get(User, authors[0].id)
        with count_queries() as counted:
            t = services.thread("test_group", g.id, viewer, order="best")
        return t, counted

    small, few = measure(group)
    large, many = measure(big)
    assert (small.total, large.total) == (5, 60)
    assert sum(1 for n in large.comments for _ in [n]) < 60  # some are replies: it is a tree
    assert many.count == few.count <= 5, many.statements


def test_the_services_refuse_every_write_below_a_hidden_comment(people, post, group):
    ann, bob = people(2)
    hidden = post(bob, "Rude words")
    below = post(ann, "Replying to rude words", parent=hidden)
    deeper = post(bob, "Deeper", parent=below)
    db.session.execute(update(Comment).where(Comment.id == hidden.id).values(hidden_at=utcnow()))
    db.session.commit()
    db.session.expire_all()

    for comment in (below, deeper):
        assert services.hidden_in_thread(comment)
        with pytest.raises(NotFound):
            services.get_comment(ann, comment.id)
    with pytest.raises(RuleViolation, match="hidden by moderation"):
        services.reply(ann, deeper, "Still answering")
    with pytest.raises(RuleViolation, match="hidden by moderation"):
        services.set_vote(ann, deeper, 1)
    with pytest.raises(RuleViolation, match="hidden by moderation"):
        services.edit_comment(ann, below, "New words")
    with pytest.raises(RuleViolation, match="hidden by moderation"):
        services.delete_comment(ann, below)
    assert not services.hidden_in_thread(post(ann, "Elsewhere"))
