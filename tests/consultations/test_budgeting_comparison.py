"""Both rules side by side (consultations/budgeting/comparison.py): the table most votes first, each rule's
funded projects, money, satisfied voters and funded line; ``flask consultations tally`` on a ``.pb`` file next to
the consultation recount; the written file passes Pabulib's own checker (the PyPI package pabulib-checker)."""

from __future__ import annotations

import pytest
from pabulib.checker import Checker

from consultations.budgeting import comparison, pabulib, rules
from consultations.budgeting.election import Election, ElectionError, Project
from consultations.cli import cli

TWO_BLOCS = dict(budget=1000, projects=[(p, 300) for p in "abcde"], ballots=[set("abc")] * 6 + [set("de")] * 4)


def test_the_comparison_lists_projects_most_votes_first_with_what_each_rule_funds():
    c = comparison.compare(**TWO_BLOCS)
    assert [row.project.id for row in c.rows] == ["a", "b", "c", "d", "e"]
    assert [row.votes for row in c.rows] == [6, 6, 6, 4, 4]
    assert [row.place for row in c.rows] == [1, 2, 3, 4, 5]
    assert [row.funded("greedy") for row in c.rows] == [True, True, True, False, False]
    assert [row.chosen["equal-shares"] for row in c.rows] == [1, 2, None, 3, None]
    greedy, shares = c.summaries["greedy"], c.summaries["equal-shares"]
    assert (greedy.funded, greedy.spent, greedy.left, greedy.satisfied, greedy.voters) == (3, 900, 100, 6, 10)
    assert (shares.funded, shares.spent, shares.satisfied, shares.satisfied_percent) == (3, 900, 10, 100)
    assert greedy.satisfied_percent == 60 and greedy.spent_percent == 90
    # The funded line: greedy funds the top three; equal shares stops at c, and funds d below the line.
    assert greedy.line == 3 and shares.line == 2
    assert c.below_line("greedy") == () and c.below_line("equal-shares") == ("d",)
    assert c.only_in("greedy") == ("c",) and c.only_in("equal-shares") == ("d",)


def test_greedy_funds_a_cheaper_project_below_its_line():
    # a (3 votes, 600) funded; b (2 votes, 500) does not fit in 400: the line is drawn before b; c (1 vote, 400)
    # still fits and is funded below the line.
    c = comparison.compare(1000, [("a", 600), ("b", 500), ("c", 400)], [{"a", "b"}, {"a", "b"}, {"a", "c"}])
    assert c.summaries["greedy"].line == 1
    assert c.below_line("greedy") == ("c",)


def test_ties_in_votes_go_by_id_as_greedy_tries_them():
    c = comparison.compare(100, [("9", 50), ("10", 50), ("2", 80)], [{"9", "10", "2"}, {"2"}])
    assert [row.project.id for row in c.rows] == ["2", "10", "9"]
    assert c.funded_ids("greedy") == ("2",)


def test_the_comparison_as_json():
    data = comparison.compare(**TWO_BLOCS).as_dict()
    assert data["budget"] == 1000 and data["voters"] == 10
    assert data["projects"][3] == {"id": "d", "name": "", "cost": 300, "votes": 4, "place": 4,
                                   "funded": {"greedy": False, "equal-shares": True},
                                   "chosen": {"greedy": None, "equal-shares": 3}}
    assert data["rules"]["equal-shares"] == {
        "funded": ["a", "b", "d"], "spent": 900, "left": 100, "voters": 10, "satisfied_voters": 10,
        "funded_line": 2, "funded_below_line": ["d"], "increases": 0, "added_by_greedy": []}
    fractional = comparison.compare("1000.50", [("a", "300.25")], [{"a"}]).as_dict()
    assert fractional["budget"] == "2001/2" and fractional["rules"]["greedy"]["left"] == "2801/4"


def test_an_election_that_cannot_be_counted_is_refused():
    with pytest.raises(ElectionError, match="not in the election: z"):
        comparison.compare(100, [("a", 10)], [{"z"}])


# --- flask consultations tally FILE.pb -----------------------------------------------------------------------

def written(tmp_path, name="budget.pb"):
    path = tmp_path / name
    pabulib.write(Election.of(1000, [Project(p, 300, name=f"Project {p}") for p in "abcde"],
                              [set("abc")] * 6 + [set("de")] * 4, meta={"description": "Two blocs"}), path)
    return path


def test_the_consultations_tally_command_recomputes_a_budget_from_its_pb_file(app, tmp_path):
    path = written(tmp_path)
    result = app.test_cli_runner().invoke(cli, ["tally", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Two blocs: 5 projects, 10 ballots, budget 1000"
    assert "Greedy (most votes first): 3 projects funded, 900 of 1000 spent (100 left)" in lines
    assert "Method of Equal Shares: 3 projects funded, 900 of 1000 spent (100 left)" in lines
    shares = result.output.split("Method of Equal Shares")[1]
    assert [line.split()[0] for line in shares.splitlines()[1:4]] == ["a", "b", "d"]
    assert "Project d" in shares and "Voters with at least one funded project they chose: 10 of 10" in shares
    one = app.test_cli_runner().invoke(cli, ["tally", str(path), "--rule", "greedy"])
    assert one.exit_code == 0 and "Equal Shares" not in one.output and "Greedy" in one.output


@pytest.mark.parametrize("args, message", [
    (["no-such-file.pb"], "No file 'no-such-file.pb'"),
    (["12"], "give its ballot file with --ballots"),
    (["budget.pb", "--ballots", "budget.pb"], "give the consultation's number"),
    (["12", "--ballots", "budget.pb", "--rule", "greedy"], "--rule is for a .pb file"),
])
def test_the_tally_command_says_what_is_wrong_with_its_arguments(app, tmp_path, monkeypatch, args, message):
    written(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = app.test_cli_runner().invoke(cli, ["tally", *args])
    assert result.exit_code == 2 and message in result.output


def test_the_tally_command_refuses_a_file_it_cannot_count_with_the_reason(app, tmp_path):
    path = tmp_path / "bad.pb"
    path.write_text("META\nkey;value\nvote_type;approval\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(cli, ["tally", str(path)])
    assert result.exit_code == 1 and "The META section has no budget." in result.output


# --- Pabulib's checker -----------------------------------------------------------------------------------------

def checked(text: str) -> dict:
    """Pabulib's checker on the text: ``{"errors": {kind: ...}, "warnings": {kind: ...}}``, each empty when none."""
    report = Checker().process_files([text])
    [key] = [k for k in report if k not in ("metadata", "summary")]
    result = report[key]["results"]
    if result == "File looks correct!":
        result = {}
    return {"errors": result.get("errors") or {}, "warnings": result.get("warnings") or {}}


DATES = {"date_begin": "01.03.2027", "date_end": "31.03.2027", "currency": "GBP", "language": "en"}


def ordered(e: Election) -> Election:
    return Election(budget=e.budget, projects=tuple(comparison.order_by_votes(e)), ballots=e.ballots, meta=e.meta)


@pytest.mark.parametrize("rule", rules.RULES)
def test_a_written_election_passes_pabulibs_checker(rule):
    e = ordered(Election.of(1000, [Project(p, 300, name=f"Project {p}", programme="Greener, safer streets",
                                           ward="Church Street") for p in "abcde"],
                            [set("abc")] * 6 + [set("de")] * 4, meta={"description": "Two blocs", **DATES}))
    text = pabulib.dumps(e, rule=rule, selected=rules.outcome(e, rule).funded)
    report = checked(text)
    assert report["errors"] == {}
    if rule == "equal-shares":
        # The completed method is none of the format's named variants: said in the comment, not verified.
        assert "rule;unknown\n" in text and "comment;#1: Method of Equal Shares" in text
        assert list(report["warnings"]) == ["rule validation skipped"]
    else:
        assert report["warnings"] == {}  # the greedy selection verified by the checker


def test_the_checker_catches_what_it_is_there_for():
    """The checker is no rubber stamp: a file without dates, or whose selection is not greedy's, fails it."""
    e = ordered(Election.of(1000, [Project(p, 300, name=p) for p in "abcde"], [set("abc")] * 6 + [set("de")] * 4))
    assert "missing meta field value" in checked(pabulib.dumps(e))["errors"]
    dated = Election(budget=e.budget, projects=e.projects, ballots=e.ballots, meta=DATES)
    wrong = checked(pabulib.dumps(dated, rule="greedy", selected=["a", "b", "d"]))
    assert "greedy rule not followed" in wrong["errors"]


def test_greedy_that_leaves_out_a_project_nobody_chose_says_so_in_the_file():
    # z (nobody voted for it) fits in the 100 left: Pabulib's plain greedy would fund it, Civic's never does.
    e = ordered(Election.of(1000, [Project(p, 300, name=p) for p in "abc"] + [Project("z", 100, name="z")],
                            [set("ab"), set("bc"), set("a")], meta=DATES))
    outcome = rules.greedy(e)
    assert "z" not in outcome.funded
    text = pabulib.dumps(e, rule="greedy", selected=outcome.funded)
    assert "rule;greedy-custom\n" in text and "never funded" in text
    report = checked(text)
    assert report["errors"] == {}
    assert set(report["warnings"]) == {"project with no votes", "greedy-custom cannot be verified"}


def test_a_budget_covering_every_project_is_marked_fully_funded():
    e = ordered(Election.of(10_000, [Project(p, 300, name=p) for p in "ab"], [set("a"), set("b")], meta=DATES))
    text = pabulib.dumps(e, selected=rules.greedy(e).funded)
    assert "fully_funded;1\n" in text and checked(text) == {"errors": {}, "warnings": {}}
    unmarked = text.replace("fully_funded;1\n", "")
    assert "all projects funded" in checked(unmarked)["errors"]
