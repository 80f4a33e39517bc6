"""Participatory budgeting's counting core (issue 19): the greedy rule and the Method of Equal Shares with its
completion, checked by hand on small elections and against pabutools (the research community's implementation)
project for project on generated ones; the Pabulib ``.pb`` file, read back by pabutools' parser and by ours; and
``flask consultations tally`` on a file."""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction

import pytest
from click.testing import CliRunner
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, parse_pabulib
from pabutools.election import Project as PabuProject
from pabutools.fractions import frac
from pabutools.rules import (
    completion_by_rule_combination,
    exhaustion_by_budget_increase,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)

from consultations.budgeting import pabulib, rules
from consultations.budgeting.cli import tally, tally_file
from consultations.budgeting.election import Election, ElectionError, Project


def election(budget, projects, ballots, **meta):
    return Election.of(budget, projects, [set(b) for b in ballots], meta=meta)


# --- by hand -------------------------------------------------------------------------------------------------

def test_greedy_funds_most_votes_first_and_skips_what_does_not_fit():
    # a (3 votes) takes 600 of 1000; b (2 votes, 500) no longer fits and is skipped; c (1 vote, 400) still fits.
    e = election(1000, [("a", 600), ("b", 500), ("c", 400)], [{"a", "b"}, {"a", "b"}, {"a", "c"}])
    outcome = rules.greedy(e)
    assert outcome.funded == ("a", "c")
    assert outcome.spent == 1000 and outcome.left == 0
    assert outcome.satisfied_voters == 3


def test_greedy_breaks_a_tie_by_id_in_character_order():
    # "10" comes before "9" in the order of characters: with room for one, "10" is funded.
    e = election(100, [("9", 100), ("10", 100)], [{"9"}, {"10"}])
    assert rules.greedy(e).funded == ("10",)


def test_equal_shares_gives_the_minority_its_share_where_greedy_gives_the_majority_everything():
    # 6 voters want a, b, c; 4 want d, e; each costs 300, the budget is 1000 (100 a voter).
    e = election(1000, [(p, 300) for p in "abcde"], [set("abc")] * 6 + [set("de")] * 4)
    greedy = rules.greedy(e)
    assert greedy.funded == ("a", "b", "c")
    assert greedy.satisfied_voters == 6
    # Equal shares: a costs the 6 supporters 50 each (rho 1/6) against d's 75 from 4 (rho 1/4): a (tie with b and
    # c, a's id first), then b with their last 50 each; c is then out of their reach; d at 75 each from the 4;
    # e needs 300 from the 4, who have 25 each left. 100 remains, and nothing costs so little: no completion.
    shares = rules.equal_shares(e)
    assert shares.funded == ("a", "b", "d")
    assert (shares.spent, shares.left, shares.increases, shares.added_by_greedy) == (900, 100, 0, ())
    assert shares.satisfied_voters == 10


def test_completion_raises_the_shared_budget_until_the_outcome_leaves_no_room():
    # 4 voters, budget 2500 (625 each). 1 (600) and 2 (800) are both approved by the same two voters, 4 (1400) by
    # one. Round 1: 1 and 2 both cost their voters rho 1/2; the tie goes to "1" (300 each, 325 left), and 2 (400
    # each) is out of reach. Raised 10% (687.5 each): 387.5 left after 1, still short of 400. Raised 20% (750
    # each): 450 left, 2 is bought too, and 1100 left cannot pay for 4: the completion stops there.
    e = election(2500, [("1", 600), ("2", 800), ("4", 1400)], [{"1", "2"}, {"4"}, set(), {"2", "1"}])
    plain = rules.equal_shares(e, complete=False)
    assert plain.funded == ("1",) and plain.spent == 600
    completed = rules.equal_shares(e)
    assert completed.funded == ("1", "2")
    assert completed.increases == 2 and completed.added_by_greedy == ()
    assert completed.satisfied_voters == 2 and completed.voters == 4


def test_completion_stops_before_a_project_over_the_budget_and_greedy_spends_the_rest():
    # Budget 300 (75 each for 4 voters). b costs 400, more than the whole budget, and all 4 approve it; c (300) has
    # 3 supporters, a (100) one. Nothing is affordable until the shared budget is raised 40% (105 each): then b is
    # the cheapest for its voters (rho 1/4 against c's 1/3), and buying it would overspend the real budget, so the
    # completion keeps the outcome of the third raise (nothing) and greedy spends the 300: b does not fit, c does.
    e = election(300, [("a", 100), ("b", 400), ("c", 300)], [{"b", "c"}, {"b", "c"}, {"a", "b"}, {"b", "c"}])
    outcome = rules.equal_shares(e)
    assert outcome.increases == 3
    assert outcome.funded == ("c",) and outcome.added_by_greedy == ("c",)
    assert "b" not in rules.greedy(e).funded


def test_the_increases_are_bounded():
    # a (400) with two supporters needs 200 each: the shared budget must be doubled (10 raises of 10%), and then
    # buying it overspends; b (300) with one supporter would need tripling. The ninth raise's outcome is kept
    # (nothing), then greedy: a does not fit, b does.
    e = election(300, [("a", 400), ("b", 300)], [{"a"}, {"b"}, {"a"}])
    outcome = rules.equal_shares(e)
    assert outcome.increases == rules.MAX_INCREASES - 1
    assert outcome.funded == ("b",) and outcome.added_by_greedy == ("b",)


def test_nobody_approved_means_never_funded_and_no_voters_means_nothing():
    e = election(1000, [("a", 100), ("b", 100)], [{"a"}])
    assert rules.greedy(e).funded == ("a",)
    assert rules.equal_shares(e).funded == ("a",)
    empty = election(1000, [("a", 100)], [])
    assert rules.greedy(empty).funded == () and rules.equal_shares(empty).funded == ()
    assert rules.equal_shares(empty).satisfied_voters == 0


def test_compare_summarises_both_rules():
    e = election(1000, [(p, 300) for p in "abcde"], [set("abc")] * 6 + [set("de")] * 4)
    both = rules.compare(e)
    assert list(both) == ["greedy", "equal-shares"]
    assert both["greedy"].as_dict() == {
        "rule": "greedy", "funded": ["a", "b", "c"], "spent": 900, "left": 100, "budget": 1000, "voters": 10,
        "satisfied_voters": 6, "increases": 0, "added_by_greedy": []}
    assert both["equal-shares"].as_dict()["funded"] == ["a", "b", "d"]
    assert both["equal-shares"].as_dict()["satisfied_voters"] == 10


@pytest.mark.parametrize("bad, message", [
    (lambda: Project("a", 0), "more than zero"),
    (lambda: Project("a,b", 10), "without commas"),
    (lambda: Project("a", 1.5), "exact number"),
    (lambda: Project("a", "1e400"), "too large"),
    (lambda: election(100, [("a", 10), ("a", 20)], []), "unique"),
    (lambda: election(100, [("a", 10)], [{"z"}]), "Ballot 1 approves projects that are not in the election: z"),
    (lambda: election(-1, [], []), "negative"),
])
def test_an_election_that_cannot_be_counted_says_why(bad, message):
    with pytest.raises(ElectionError, match=message):
        bad()


# --- against pabutools ---------------------------------------------------------------------------------------

def as_pabutools(e: Election, *, approved_only: bool = False):
    projects = {p.id: PabuProject(p.id, frac(p.cost)) for p in e.projects}
    votes = e.approvals()
    kept = [projects[i] for i in projects if votes[i] or not approved_only]
    instance = Instance(kept, budget_limit=frac(e.budget))
    profile = ApprovalProfile([ApprovalBallot([projects[i] for i in sorted(b)]) for b in e.ballots])
    return instance, profile


def pabutools_greedy(e):
    instance, profile = as_pabutools(e)
    votes = e.approvals()
    # pabutools funds projects nobody approved when money is left (after all the others); Civic never does.
    return tuple(p.name for p in greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat) if votes[p.name])


def pabutools_equal_shares(e):
    instance, profile = as_pabutools(e)
    return tuple(p.name for p in method_of_equal_shares(instance, profile, sat_class=Cost_Sat))


def pabutools_completed(e):
    """Civic's completion in pabutools' words: the budget raised by steps until the outcome overspends or leaves
    no room (over the approved projects: the others are out of every rule), then greedy by votes."""
    instance, profile = as_pabutools(e, approved_only=True)
    budget = frac(e.budget)
    step = budget * frac(rules.INCREASE_STEP.numerator, rules.INCREASE_STEP.denominator)
    outcome = completion_by_rule_combination(
        instance, profile, [exhaustion_by_budget_increase, greedy_utilitarian_welfare],
        [{"rule": method_of_equal_shares, "rule_params": {"sat_class": Cost_Sat}, "budget_step": step,
          "budget_bound": budget + rules.MAX_INCREASES * step},
         {"sat_class": Cost_Sat}])
    return tuple(p.name for p in outcome)


def generated(seed: int) -> Election:
    """A seeded random election: sizes from tiny to a few hundred voters; costs from a few round values (ties) or
    anything, some over the whole budget; ballots partly copied from a few blocs (ties and cohesive groups)."""
    rng = random.Random(seed)
    m = rng.randint(1, 14)
    budget = rng.choice([1000, 5000, 12345, 100_000])
    round_costs = rng.random() < 0.5
    projects = []
    for i in range(m):
        if rng.random() < 0.1:
            cost = budget + rng.randint(1, budget)  # more than the budget
        elif round_costs:
            cost = budget // rng.choice([2, 4, 5, 10])
        else:
            cost = rng.randint(1, budget)
        projects.append(Project(str(i + 1), cost))
    popularity = [rng.random() for _ in projects]
    blocs = [{p.id for p in projects if rng.random() < 0.4} for _ in range(3)]
    ballots = []
    for _ in range(rng.choice([0, 1, 3, 10, 40, 200])):
        if rng.random() < 0.4:
            ballots.append(rng.choice(blocs))
        else:
            ballots.append({p.id for p, w in zip(projects, popularity, strict=True) if rng.random() < w * 0.6})
    return Election.of(budget, projects, ballots)


SEEDS = range(120)


@pytest.mark.parametrize("seed", SEEDS)
def test_greedy_matches_pabutools(seed):
    e = generated(seed)
    assert rules.greedy(e).funded == pabutools_greedy(e)


@pytest.mark.parametrize("seed", SEEDS)
def test_equal_shares_matches_pabutools(seed):
    e = generated(seed)
    assert rules.equal_shares(e, complete=False).funded == pabutools_equal_shares(e)


@pytest.mark.parametrize("seed", SEEDS)
def test_equal_shares_with_completion_matches_pabutools(seed):
    e = generated(seed)
    assert rules.equal_shares(e).funded == pabutools_completed(e)


def test_the_generated_elections_have_what_the_comparison_is_for():
    """Ties, money left by the plain method, completions that raise and that add by greedy, projects over the
    budget: each occurs among the seeds, or the comparison above proves less than it says."""
    seen = Counter()
    for seed in SEEDS:
        e = generated(seed)
        plain, completed = rules.equal_shares(e, complete=False), rules.equal_shares(e)
        votes = Counter(v for v in e.approvals().values() if v)
        seen["greedy tie"] += any(n > 1 for n in votes.values())
        seen["cost tie"] += len({p.cost for p in e.projects}) < len(e.projects)
        seen["money left"] += plain.left > 0 and not rules._Counting(e).exhaustive(
            [e.project_ids.index(i) for i in plain.funded], e.budget)
        seen["raised"] += completed.increases > 0
        seen["added by greedy"] += bool(completed.added_by_greedy)
        seen["over the budget"] += any(p.cost > e.budget for p in e.projects)
        seen["different outcomes"] += rules.greedy(e).funded != completed.funded
    assert all(seen[k] >= 5 for k in ("greedy tie", "cost tie", "money left", "raised", "added by greedy",
                                      "over the budget", "different outcomes")), seen


def test_a_tie_in_equal_shares_goes_the_way_pabutools_breaks_it():
    # Two identical projects with identical supporters: rho ties exactly; pabutools takes the first by name, and
    # so does Civic ("10" < "9"); only one fits.
    e = election(100, [("9", 100), ("10", 100)], [{"9", "10"}] * 4)
    assert rules.equal_shares(e, complete=False).funded == pabutools_equal_shares(e) == ("10",)


# --- the Pabulib file ----------------------------------------------------------------------------------------

def sample() -> Election:
    return election(2500, [Project("1", 600, "Benches; Church Street", "St James's", "Greener streets"),
                           Project("2", Fraction(1601, 2), "Cycle hangars"), Project("4", 1400)],
                    [{"1", "2"}, {"4"}, set(), {"2", "1"}, {"4", "1"}],
                    description="Westminster 2027, St James's", instance="2027", subunit="St James's")


def test_a_written_file_is_read_by_pabutools_as_the_same_election(tmp_path):
    e = sample()
    path = tmp_path / "budget.pb"
    pabulib.write(e, path, rule="equal-shares", selected=["1", "2"])
    instance, profile = parse_pabulib(str(path))
    assert instance.budget_limit == 2500
    assert {p.name: p.cost for p in instance} == {"1": 600, "2": Fraction(1601, 2), "4": 1400}
    assert Counter(frozenset(p.name for p in b) for b in profile) == Counter(e.ballots)
    assert instance.meta["rule"] == "unknown" and instance.meta["num_votes"] == "5"
    assert instance.meta["subunit"] == "St James's"
    names = {p.name: instance.project_meta[p] for p in instance}
    assert names["1"]["name"] == "Benches; Church Street" and names["1"]["votes"] == "3"
    assert names["1"]["selected"] == "1" and names["4"]["selected"] == "0"
    assert names["1"]["categories"] == {"Greener streets"}
    assert tuple(p.name for p in method_of_equal_shares(instance, profile, sat_class=Cost_Sat)) == \
        rules.equal_shares(e, complete=False).funded


def test_a_written_file_round_trips_through_the_reader(tmp_path):
    e = sample()
    path = tmp_path / "budget.pb"
    pabulib.write(e, path)
    back = pabulib.read(path)
    assert back.budget == e.budget and back.projects == e.projects
    assert Counter(back.ballots) == Counter(e.ballots)
    assert back.meta["description"] == "Westminster 2027, St James's"
    assert rules.compare(back) == rules.compare(e)


def test_the_file_is_anonymised():
    # Voters are numbered in the order of their ballots' contents, not the order they voted in.
    first = election(100, [("a", 10), ("b", 10)], [{"b"}, {"a"}, {"a", "b"}])
    again = election(100, [("a", 10), ("b", 10)], [{"a", "b"}, {"b"}, {"a"}])
    text = pabulib.dumps(first)
    assert text == pabulib.dumps(again)
    votes = text.split("VOTES\n", 1)[1].splitlines()
    assert votes == ["voter_id;vote", "1;a", "2;a,b", "3;b"]


@pytest.mark.parametrize("text, message", [
    ("META\nkey;value\nbudget;10\nvote_type;ordinal\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n1;1\n",
     "Only approval elections"),
    ("META\nkey;value\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n", "no budget"),
    ("META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n1;7\n",
     "not in the election: 7"),
    ("META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;five\n",
     "Line 7: The cost of project 1 .five. is not a number"),
    ("META\nkey;value\nbudget;10\nvote_type;approval\nnum_votes;2\nPROJECTS\nproject_id;cost\n1;5\nVOTES\n"
     "voter_id;vote\n1;1\n", "num_votes 2 but VOTES has 1"),
])
def test_a_file_that_cannot_be_read_says_why(text, message):
    with pytest.raises(pabulib.PabulibError, match=message):
        pabulib.loads(text)


def test_the_reader_takes_pabulibs_own_layout():
    # Spaces after the semicolons, a comma for the decimal point, choose-1 votes, a BOM.
    text = ("\ufeffMETA\nkey; value\ndescription; Example\nbudget; 2500,5\nvote_type; choose-1\nPROJECTS\n"
            "project_id; cost; category\n1; 600; culture, education\n2; 800; None\nVOTES\nvoter_id; vote\n1; 1\n2; 2\n")
    e = pabulib.loads(text)
    assert e.budget == Fraction(5001, 2)
    assert e.projects == (Project("1", 600, programme="culture"), Project("2", 800))
    assert e.ballots == (frozenset({"1"}), frozenset({"2"}))


# --- flask consultations tally -------------------------------------------------------------------------------

def test_tally_prints_both_rules_from_a_file(tmp_path):
    path = tmp_path / "budget.pb"
    pabulib.write(election(1000, [(p, 300) for p in "abcde"], [set("abc")] * 6 + [set("de")] * 4,
                           description="Two blocs"), path)
    result = CliRunner().invoke(tally, [str(path)])
    assert result.exit_code == 0, result.output
    greedy, shares = result.output.split("\n\n")[1:]
    assert greedy.startswith("Greedy (most votes first): 3 projects funded, 900 of 1000 spent (100 left)")
    assert [line.split()[0] for line in greedy.splitlines()[1:4]] == ["a", "b", "c"]
    assert "Voters with at least one funded project they chose: 6 of 10 (60%)" in greedy
    assert shares.startswith("Method of Equal Shares: 3 projects funded")
    assert [line.split()[0] for line in shares.splitlines()[1:4]] == ["a", "b", "d"]
    assert "10 of 10 (100%)" in shares
    assert shares.rstrip().endswith("Completion: none needed")
    assert tally_file(path) == rules.compare(pabulib.read(path))


def test_tally_one_rule(tmp_path):
    path = tmp_path / "budget.pb"
    pabulib.write(election(1000, [(p, 300) for p in "abcde"], [set("abc")] * 6 + [set("de")] * 4), path)
    result = CliRunner().invoke(tally, [str(path), "--rule", "greedy"])
    assert result.exit_code == 0
    assert "Greedy" in result.output and "Equal Shares" not in result.output
    assert list(tally_file(path, "equal-shares")) == ["equal-shares"]


def test_tally_says_what_the_completion_did(tmp_path):
    path = tmp_path / "budget.pb"
    pabulib.write(election(2500, [("1", 600), ("2", 800), ("4", 1400)], [{"1", "2"}, {"4"}, set(), {"2", "1"}]),
                  path)
    result = CliRunner().invoke(tally, [str(path), "--rule", "equal-shares"])
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == ("  Completion: the shared budget raised 2 of at most 10 times by 10% of "
                                              "the budget; then greedy added nothing")


def test_tally_refuses_a_bad_file_with_the_reason(tmp_path):
    path = tmp_path / "bad.pb"
    path.write_text("META\nkey;value\nvote_type;approval\n", encoding="utf-8")
    result = CliRunner().invoke(tally, [str(path)])
    assert result.exit_code == 1
    assert "The META section has no budget." in result.output
    assert CliRunner().invoke(tally, [str(path), "--rule", "random"]).exit_code == 2


def test_rhos_closer_than_floating_point_can_tell_are_decided_exactly():
    # c = 10**20; six voters with c each. w (4 voters, cost 4(c - 1)) goes first (rho 1/4) and leaves p with 1.
    # Then a (r1, r2) has rho 1/2 and b (r1, r2, p) has rho (c - 1) / 2c, less by 1 / 2c: the same double as 1/2,
    # and a's id comes first, but b is cheaper for its voters and is bought before a.
    c = 10**20
    e = election(6 * c, [("a", c), ("b", c), ("w", 4 * (c - 1))],
                 [{"a", "b"}, {"a", "b"}, {"b", "w"}, {"w"}, {"w"}, {"w"}])
    assert float(Fraction(c - 1, 2 * c)) == 0.5
    assert rules.equal_shares(e, complete=False).funded == ("w", "b", "a") == pabutools_equal_shares(e)
    assert rules._estimate(3, [(1.0, 3)]) is None  # 1 each from 3 payers is exactly the cost: too close to call


def larger(seed: int) -> Election:
    """1,500 voters over 25 projects, popularity skewed: many classes of money, many rounds."""
    rng = random.Random(seed)
    projects = [Project(str(i + 1), rng.randrange(5_000, 120_001, 500)) for i in range(25)]
    popularity = [rng.paretovariate(1.5) for _ in projects]
    ballots = [{p.id for p in rng.choices(projects, popularity, k=rng.randint(1, 6))} for _ in range(1_500)]
    return Election.of(rng.choice([300_000, 600_000]), projects, ballots)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_larger_elections_match_pabutools(seed):
    e = larger(seed)
    plain, completed = rules.equal_shares(e, complete=False), rules.equal_shares(e)
    assert len(plain.funded) >= 4 and completed.increases > 0
    assert plain.funded == pabutools_equal_shares(e)
    assert completed.funded == pabutools_completed(e)
    assert rules.greedy(e).funded == pabutools_greedy(e)


def test_tally_runs_as_flask_consultations_tally(tmp_path):
    """As the consultations manifest will register it: in the ``consultations`` command group of the app."""
    from flask import Flask
    from flask.cli import AppGroup

    path = tmp_path / "budget.pb"
    pabulib.write(election(1000, [(p, 300) for p in "abcde"], [set("abc")] * 6 + [set("de")] * 4), path)
    app = Flask("budgeting_cli_test")
    group = AppGroup("consultations")
    group.add_command(tally)
    app.cli.add_command(group)
    result = app.test_cli_runner().invoke(args=["consultations", "tally", str(path), "--rule", "equal-shares"])
    assert result.exit_code == 0, result.output
    assert "Method of Equal Shares: 3 projects funded, 900 of 1000 spent (100 left)" in result.output
