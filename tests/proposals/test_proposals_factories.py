"""The shared factories make what they promise (others build on them)."""

from civic.spaces.services import is_open, require_phase


def test_make_process_opens_propose_support_comment_endorse(make_process, make_user, make_proposal, categories_of):
    process = make_process(support_limit=3, categories=["Cycling", "Green space"])
    for action in ("propose", "support", "comment", "endorse"):
        require_phase(process, action)
    assert not is_open(process, "answer")
    assert [c.name for c in categories_of(process)] == ["Cycling", "Green space"]
    author = make_user("resident")
    proposal = make_proposal(process, author, categories=categories_of(process)[:1])
    assert proposal.state == "published" and proposal.published_at is not None
    assert proposal.is_visible


def test_make_process_overrides_phase_actions(make_process):
    process = make_process(allow_propose=False, wards=["Bayswater"])
    assert not is_open(process, "propose")
    assert [w.name for w in process.wards] == ["Bayswater"]
    assert not process.whole_city
