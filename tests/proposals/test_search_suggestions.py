""""Did you mean ...?" (issue #14 item 9): a near-miss spelling is corrected from the index's own terms, on both
backends, never from a hidden or unpublished proposal's words, and only when the search found too little."""

from __future__ import annotations

from civic.moderation import services as moderation
from civic.search import suggest
from tests.support.search import keys


def test_a_near_miss_suggests_the_index_word(make_user, make_process, make_proposal, find):
    author = make_user("resident")
    proposal = make_proposal(make_process(), author, title="Covered bicycle storage on Harrow Road",
                             body="Secure racks for residents' bikes.")
    page = find("bicylce")
    assert page.results == [] and page.suggestion == "bicycle"
    assert keys(find(page.suggestion)) == [f"proposal:{proposal.id}"]
    # Nothing with every word (only "storage" is known): still suggested, the known word kept as typed.
    relaxed = find("Bicylce storage")
    assert not relaxed.all_words and relaxed.suggestion == "Bicycle storage"
    assert find("storrage").suggestion == "storage"
    assert find("xqzvbn").suggestion is None  # nothing near it


def test_no_suggestion_when_results_are_found(make_user, make_process, make_proposal, find):
    author = make_user("resident")
    make_proposal(make_process(), author, title="Covered bicycle storage on Harrow Road")
    assert find("bicycle").suggestion is None
    assert find("bicycle storage").suggestion is None
    assert find("bicycle OR bicylce").suggestion is None  # found things with all it asked for


def test_no_suggestion_from_hidden_or_draft_proposals(make_user, make_process, make_proposal, find):
    author, officer = make_user("resident"), make_user("officer")
    process = make_process()
    shown = make_proposal(process, author, title="A bicycle hangar for Westbourne Park")
    assert find("bicylce").suggestion == "bicycle"
    moderation.hide(officer, "proposal", shown.id, "Spam")
    assert find("bicycle").results == []
    assert find("bicylce").suggestion is None  # its words left the vocabulary with it
    make_proposal(process, author, title="Secret tandem workshop plan", state="draft")
    assert find("tandme").suggestion is None


def test_the_page_and_the_api_offer_the_corrected_query(client, make_user, make_process, make_proposal, find):
    author = make_user("resident")
    make_proposal(make_process(), author, title="Covered bicycle storage on Harrow Road")
    find("bicycle")  # commits and drains
    html = client.get("/search?q=bicylce+storage").get_data(as_text=True)
    assert 'Did you mean <a href="/search?q=bicycle+storage">bicycle storage</a>?' in html
    assert "Did you mean" not in client.get("/search?q=bicycle").get_data(as_text=True)
    assert client.get("/api/v1/search?q=bicylce").get_json()["suggestion"] == "bicycle"
    assert client.get("/api/v1/search?q=bicycle").get_json()["suggestion"] is None


def test_edits_are_one_step_away():
    found = suggest.edits("bicylce")
    assert {"bicycle", "bicyle", "bicylcle", "bicylse"} <= found and "bicylce" not in found
    assert "bicylec" in found and "bcylce" in found
    assert all(abs(len(w) - len("bicylce")) <= 1 for w in found)
