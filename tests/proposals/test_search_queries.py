"""What residents type, over proposals, processes and groups: stemming, phrases, prefixes, operators, filters,
counts per type, highlighted and escaped snippets, a fixed number of database queries per page, and the proposals
list's own text filter on the search. (tests/search/ covers paging, counts and the parser without proposals.)"""

from __future__ import annotations

from datetime import timedelta

import pytest

from civic.db import db, utcnow
from civic.groups.models import Group
from civic.search import services
from tests.support.search import keys


@pytest.fixture
def town(make_user, make_process, make_proposal):
    """A process in CleanTech City for two wards with proposals, another in Empowering People, and groups."""
    author = make_user("resident")
    cleantech = make_process(title="Cleaner air for Bayswater", wards=["Bayswater", "Lancaster Gate"])
    people = make_process(title="Skills for everyone", programme="empowering-people")
    made = {
        "lane": make_proposal(cleantech, author, title="A protected cycle lane on Queensway", ward="Bayswater"),
        "cycling": make_proposal(cleantech, author, title="Cycling lessons for adults at the library",
                                 ward="Lancaster Gate"),
        "air": make_proposal(cleantech, author, title="Air quality sensors at every school gate",
                             body="Measure the **air quality** where children wait.", ward="Bayswater"),
        "quality": make_proposal(cleantech, author, title="Better quality pavements",
                                 body="The quality of the air matters too.", ward="Bayswater"),
        "allotments": make_proposal(people, author, title="Allotments on the Lisson Green estate",
                                    ward="Church Street"),
        "cars": make_proposal(people, author, title="Parking for cars near the market", ward="Church Street"),
        "bikes": make_proposal(people, author, title="Parking for bikes near the market", ward="Church Street",
                               answer_state="accepted"),
    }
    group = Group(slug="damp-watchers", name="Damp Watchers", description="We measure damp in homes.",
                  created_by_id=author.id)
    db.session.add(group)
    db.session.commit()
    made["group"] = group
    made["cleantech"], made["people"] = cleantech, people
    return made


def key(obj) -> str:
    return f"{ {'Proposal': 'proposal', 'Group': 'group', 'Process': 'process'}[type(obj).__name__]}:{obj.id}"


def test_words_are_matched_in_all_their_forms(town, find):
    assert set(keys(find("cycling"))) == {key(town["lane"]), key(town["cycling"])}
    assert set(keys(find("cycles"))) == {key(town["lane"]), key(town["cycling"])}
    assert keys(find("ALLOTMENT")) == [key(town["allotments"])]


def test_a_phrase_needs_its_words_together(town, find):
    assert keys(find('"air quality"')) == [key(town["air"])]
    assert set(keys(find("air quality"))) == {key(town["air"]), key(town["quality"])}


def test_a_prefix_finds_every_word_it_begins(town, find):
    assert keys(find("allot*")) == [key(town["allotments"])]
    assert set(keys(find("cycling*"))) == {key(town["lane"]), key(town["cycling"])}  # "cycling" -> stem "cycl"
    page = find("a*")
    assert page.results == []
    assert any("at least 3 letters" in n for n in page.notes)


def test_operators(town, find):
    assert keys(find("parking NOT cars")) == [key(town["bikes"])]
    assert keys(find("parking -cars")) == [key(town["bikes"])]
    assert set(keys(find("allotments OR sensors"))) == {key(town["allotments"]), key(town["air"])}
    page = find("NOT cars")
    assert page.results == [] and page.notes == ["Say what you are looking for, not only what to leave out."]


def test_titles_rank_above_bodies(make_user, make_process, make_proposal, find):
    author, process = make_user("resident"), make_process()
    in_body = make_proposal(process, author, title="Plant trees on Edgware Road",
                            body="And mend the pavements, the pavements are broken.")
    in_title = make_proposal(process, author, title="Wider pavements on Edgware Road", body="Plant trees.")
    assert keys(find("pavements")) == [key(in_title), key(in_body)]


def test_all_words_first_then_any_of_them(town, find):
    page = find("cycle lane near me")
    assert keys(page) == [key(town["lane"])] and page.all_words
    page = find("allotments walrus")
    assert keys(page) == [key(town["allotments"])]
    assert not page.all_words
    assert "Nothing had all of your words, so these results have some of them." in page.notes


def test_filters(town, find):
    assert set(keys(find("parking", ward="church-street"))) == {key(town["cars"]), key(town["bikes"])}
    assert find("parking", ward="bayswater").results == []
    # A process for some wards matches their filters; one for the whole city matches every ward.
    assert key(town["cleantech"]) in keys(find("cleaner", ward="lancaster-gate"))
    assert find("cleaner", ward="church-street").results == []
    assert key(town["people"]) in keys(find("skills", ward="church-street"))
    assert set(keys(find("parking", programme="empowering-people"))) == {key(town["cars"]), key(town["bikes"])}
    assert find("parking", programme="cleantech-city").results == []
    assert keys(find("parking", state="accepted")) == [key(town["bikes"])]
    assert keys(find("damp", type="group")) == [key(town["group"])]
    assert find("damp", type="proposal").results == []
    today = utcnow().date()
    assert len(find("parking", date_from=today - timedelta(days=1), date_to=today).results) == 2
    assert find("parking", date_from=today + timedelta(days=1)).results == []
    assert find("parking", date_to=today - timedelta(days=1)).results == []


def test_counts_per_type_ignore_the_type_filter(town, find):
    page = find("damp OR parking", type="group")
    counts = {c.name: c.count for c in page.counts}
    assert counts["group"] == 1 and counts["proposal"] == 2 and counts["process"] == 0
    assert page.total == 1 and keys(page) == [key(town["group"])]


def test_snippets_are_escaped_and_marked(make_user, make_process, make_proposal, find, client, search_index):
    proposal = make_proposal(make_process(), make_user("resident"), title="<script>alert('cycle')</script> paths",
                             body='Safer cycle paths & <b>bold</b> "quotes" near <img src=x onerror=alert(1)>')
    result = find("cycle").results[0]
    assert str(result.title) == ("&lt;script&gt;alert(&#39;<mark>cycle</mark>&#39;)&lt;/script&gt; paths")
    assert "<mark>cycle</mark> paths &amp; &lt;b&gt;bold&lt;/b&gt; &#34;quotes&#34;" in str(result.snippet)
    assert "<img" not in str(result.snippet) and "<script" not in str(result.title)
    html = client.get("/search?q=cycle").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;<mark>cycle</mark>&#39;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "onerror=alert(1)>" not in html
    data = client.get("/api/v1/search?q=cycle").get_json()
    assert data["results"][0]["title"] == "<script>alert('cycle')</script> paths"  # JSON carries plain text
    assert data["results"][0]["id"] == proposal.id


def test_a_long_text_is_cut_around_the_first_match(make_user, make_process, make_proposal, find):
    body = "Words before. " * 60 + "The heat pumps would warm the hall. " + "Words after. " * 60
    make_proposal(make_process(), make_user("resident"), title="Warmer community halls", body=body)
    snippet = str(find("pumps").results[0].snippet)
    assert snippet.startswith("…") and snippet.endswith("…") and "<mark>pumps</mark>" in snippet
    assert len(snippet) < 320


def test_the_page_loads_a_fixed_number_of_queries(make_user, make_process, make_proposal, find, count_queries):
    author = make_user("resident")
    process = make_process()
    from civic.comments import services as comments

    def add(n):
        for i in range(n):
            proposal = make_proposal(process, author, title=f"Rain garden number {i} for the estate")
            comments.post_comment(author, "proposal", proposal.id, f"A rain garden comment {i}")
        db.session.commit()
        services.drain()

    add(2)
    with count_queries() as few:
        assert len(find("rain").results) == 4
    add(10)
    with count_queries() as many:
        assert len(find("rain").results) == 20
    assert many.count == few.count


def test_proposals_list_uses_the_search(client, make_user, make_process, make_proposal, search_index):
    """Search inside lists: the proposals list's text filter finds word forms too ("cycling" -> "cycle")."""
    process = make_process()
    author = make_user("resident")
    lane = make_proposal(process, author, title="A protected cycle lane on Queensway")
    make_proposal(process, author, title="More benches on Queensway")
    services.drain()
    html = client.get(f"/processes/{process.slug}/proposals/?q=cycling").get_data(as_text=True)
    assert f'href="/proposals/{lane.id}"' in html and "More benches" not in html
    html = client.get(f"/processes/{process.slug}/proposals/?q=benches").get_data(as_text=True)
    assert "More benches" in html and "cycle lane" not in html
    html = client.get(f"/processes/{process.slug}/proposals/?q=benches+walrus").get_data(as_text=True)
    assert "More benches" not in html  # a list's filter needs every word (no "any of them" fallback)
