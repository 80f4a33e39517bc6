"""A participatory budget's results after close (consultations/budget_results.py): both rules side by side with
the funded line, charts with their tables; officers pick the official rule (audit-logged; funded projects
follow; followers of the source proposals told); each heading's election as a Pabulib .pb file (the page and the
API), valid for Pabulib's checker and recounted to the same outcome by ``flask consultations tally``; ward budgets
counted separately."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pabulib.checker import Checker
from sqlalchemy import func, select

from civic.audit import AuditEntry
from civic.db import db, utcnow
from civic.errors import RuleViolation
from civic.notifications import services as notifications
from consultations import budget_results, budgets
from consultations.budgeting import pabulib, rules
from consultations.cli import cli
from consultations.models import Budget, BudgetProject
from tests.factories import ward_named
from tests.notifications.conftest import kinds_of
from tests.proposals import factories as proposal_factories
from tests.support.pages import main_text


def make_budget(officer, process, *, by_ward=False, amounts=None, projects=(), rule="knapsack", **extra):
    """A published budget open now; ``projects``: (title, cost, ward name or None)."""
    now = utcnow()
    ward_amounts = {ward_named(w).id: a for w, a in (amounts or {}).items()}
    budget = budgets.create(officer, budgets.Details(
        title=extra.pop("title", "Westminster budget 2027"), introduction="", process_slug=process.slug,
        opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=8), total=extra.pop("total", "1000"),
        by_ward=by_ward, ward_amounts=ward_amounts, rule=rule, min_projects=1, **extra))
    for title, cost, ward in projects:
        budgets.add_project(officer, budget, budgets.ProjectDetails(
            title=title, cost=cost, ward_id=ward_named(ward).id if ward else None))
    budgets.publish(officer, budget)
    budget.consultation.opens_at = now - timedelta(hours=1)
    db.session.commit()
    return budget


def ids_of(budget) -> dict[str, int]:
    return {p.title: p.id for p in budgets.projects(budget)}


def vote(budget, people, titles):
    ids = ids_of(budget)
    for person in people:
        budgets.cast(person, budget, [ids[t] for t in titles])


def close(budget):
    budget.consultation.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


@pytest.fixture
def two_blocs(make_user, make_people, make_process):
    """1,000 to share; five projects at 300; six verified residents choose A, B, C and four choose D, E. Greedy
    funds A, B, C (6 of 10 voters have a funded project they chose); Equal Shares A, B, D (10 of 10)."""
    officer = make_user("officer")
    budget = make_budget(officer, make_process(allow_vote=True),
                         projects=[(f"Project {t}", "300", None) for t in "ABCDE"])
    ward = ward_named("Church Street").id
    vote(budget, make_people(6, roles=["verified"], ward_id=ward), ["Project A", "Project B", "Project C"])
    vote(budget, make_people(4, roles=["verified"], ward_id=ward), ["Project D", "Project E"])
    return budget, officer


def funded_titles(budget) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(BudgetProject.title).where(BudgetProject.budget_id == budget.id,
                                                                    BudgetProject.funded_at.is_not(None))))


def test_before_the_close_nobody_sees_an_outcome(client_as, two_blocs):
    budget, officer = two_blocs
    client, _ = client_as("officer")
    page = client.get(f"/budgets/{budget.id}/results")
    assert page.status_code == 200 and "counted after voting closes" in main_text(page)
    assert "Project A" not in main_text(page)
    heading = budget.headings[0].id
    assert client.get(f"/budgets/{budget.id}/results/{heading}.pb").status_code == 409
    assert client.get(f"/api/v1/budgets/{budget.id}/results").status_code == 409
    refused = client.post(f"/budgets/{budget.id}/outcome", data={"rule": "greedy"}, follow_redirects=True)
    assert "The outcome rule is chosen after voting closes." in main_text(refused)
    with pytest.raises(RuleViolation, match="after voting closes"):  # the service says so too
        budget_results.choose_rule(officer, budget, "greedy")
    assert db.session.get(Budget, budget.id).outcome_rule is None


def test_the_outcome_of_both_rules_side_by_side(two_blocs):
    """D and E tie under Equal Shares (as many voters, the same cost): D, made first, wins, whatever the numbers'
    widths (ids are padded, so "099" comes before "100" as 99 before 100)."""
    budget, _officer = two_blocs
    close(budget)
    [part] = budget_results.outcome(budget)
    c = part.comparison
    title = {pid: part.project(pid).title for pid in c.election.project_ids}
    assert [title[i] for i in c.funded_ids("greedy")] == ["Project A", "Project B", "Project C"]
    assert [title[i] for i in c.funded_ids("equal-shares")] == ["Project A", "Project B", "Project D"]
    assert c.summaries["greedy"].satisfied == 6 and c.summaries["equal-shares"].satisfied == 10
    assert c.summaries["greedy"].spent == c.summaries["equal-shares"].spent == 900
    assert len(c.election.ballots) == 10


def test_the_results_page_compares_the_rules_with_charts_and_tables(client_as, two_blocs):
    budget, _officer = two_blocs
    close(budget)
    client, _ = client_as("resident")
    page = client.get(f"/budgets/{budget.id}/results")
    assert page.status_code == 200
    text = main_text(page)
    assert "The council has not yet chosen the official outcome" in text
    assert "6 of 10 (60%)" in text and "10 of 10 (100%)" in text
    assert "£900 (90%)" in text and "£100" in text
    assert "Only Greedy: most votes first funds: Project C" in text
    assert "Only Method of Equal Shares funds: Project D" in text
    html = page.get_data(as_text=True)
    # The funded line (greedy's until officers pick) after the third project; charts described by their tables.
    rows = re.findall(r'<tr(?: class="(funded|funded-line)")?>', html.split('budget-results"')[1].split("<tbody>")[1])
    assert rows[:5] == ["funded", "funded", "funded", "funded-line", ""]
    for svg in re.findall(r"<svg[^>]*>", html):
        table = re.search(r'aria-describedby="([^"]+)"', svg).group(1)
        assert f'id="{table}"' in html
    assert ".pb" in text and "Choose the official outcome" not in text  # residents do not choose


def test_officers_choose_the_official_rule_and_the_funded_projects_follow(client_as, two_blocs):
    budget, _officer = two_blocs
    close(budget)
    client, officer = client_as("officer")
    page = client.get(f"/budgets/{budget.id}/results")
    assert "Choose the official outcome" in main_text(page)
    done = client.post(f"/budgets/{budget.id}/outcome", data={"rule": "equal_shares"})
    assert done.status_code == 302
    assert funded_titles(budget) == {"Project A", "Project B", "Project D"}
    assert db.session.get(Budget, budget.id).outcome_rule == "equal_shares"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "budget.choose_outcome",
                                                        AuditEntry.object_id == budget.id)).one()
    assert entry.actor_id == officer.id and entry.after["rule"] == "equal_shares" and entry.before["rule"] is None
    page = client.get(f"/budgets/{budget.id}/results")
    assert "The official outcome is the one chosen by Method of Equal Shares" in main_text(page)
    assert "funded below the line" in main_text(page)  # D, below C, which Equal Shares does not fund
    # Picked again: greedy's projects instead, recorded again.
    client.post(f"/budgets/{budget.id}/outcome", data={"rule": "greedy"})
    assert funded_titles(budget) == {"Project A", "Project B", "Project C"}
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "budget.choose_outcome", AuditEntry.object_id == budget.id)) == 2


def test_an_unknown_rule_is_refused_beside_the_field(client_as, two_blocs):
    budget, _officer = two_blocs
    close(budget)
    client, _ = client_as("officer")
    for data in ({"rule": "random"}, {}):
        page = client.post(f"/budgets/{budget.id}/outcome", data=data)
        assert page.status_code == 200
        assert "Choose greedy or the Method of Equal Shares." in main_text(page)
        assert 'id="rule-error"' in page.get_data(as_text=True)
    assert db.session.get(Budget, budget.id).outcome_rule is None


def test_residents_cannot_choose_the_rule(client_as, two_blocs):
    budget, _officer = two_blocs
    close(budget)
    client, _ = client_as("verified")
    assert client.post(f"/budgets/{budget.id}/outcome", data={"rule": "greedy"}).status_code == 403
    anonymous, _ = client_as("anonymous")
    assert anonymous.post(f"/budgets/{budget.id}/outcome", data={"rule": "greedy"}).status_code in (302, 401)
    assert db.session.get(Budget, budget.id).outcome_rule is None


def checker_errors(text: str) -> dict:
    report = Checker().process_files([text])
    [key] = [k for k in report if k not in ("metadata", "summary")]
    result = report[key]["results"]
    return {} if result == "File looks correct!" else (result.get("errors") or {})


@pytest.mark.parametrize("rule", ["greedy", "equal_shares"])
def test_the_pb_export_is_valid_and_recounts_to_the_pages_outcome(app, client_as, two_blocs, tmp_path, rule):
    budget, officer = two_blocs
    close(budget)
    budget_results.choose_rule(officer, budget, rule)
    db.session.commit()
    client, _ = client_as("anonymous")
    heading = budget.headings[0].id
    response = client.get(f"/budgets/{budget.id}/results/{heading}.pb")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "attachment" in response.headers["Content-Disposition"] and ".pb" in response.headers["Content-Disposition"]
    assert "license" in response.headers["Link"]
    text = response.get_data(as_text=True)
    assert checker_errors(text) == {}
    # Anonymised: nothing about a voter but the ballot; the projects by their site numbers, most votes first.
    ids = ids_of(budget)
    election = pabulib.loads(text)
    assert tuple(int(i) for i in election.project_ids[:3]) == tuple(ids[f"Project {t}"] for t in "ABC")
    assert election.meta["date_end"] == budget_results._uk_date(budget.consultation.closes_at)
    assert "St James" not in text and "@example.org" not in text
    selected = {int(line.split(";")[0]) for line in text.split("PROJECTS\n")[1].split("VOTES")[0].splitlines()[1:]
                if line.split(";")[-1] == "1"}
    page_funded = {p.id for p in budgets.projects(budget) if p.funded_at is not None}
    assert selected == page_funded
    # The round trip: flask consultations tally on the file gives the page's outcome, rule for rule.
    path = tmp_path / "budget.pb"
    path.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(cli, ["tally", str(path)])
    assert result.exit_code == 0, result.output
    [part] = budget_results.outcome(budget)
    for key, heading_line in (("greedy", "Greedy (most votes first)"), ("equal-shares", "Method of Equal Shares")):
        block = result.output.split(heading_line)[1].split("\n\n")[0].splitlines()
        printed = [line.split()[0] for line in block[1:] if line.startswith("    ")]
        assert tuple(printed) == part.comparison.funded_ids(key)
        outcome = part.comparison.outcomes[key]
        assert f"{outcome.spent} of 1000 spent" in block[0]
    assert rules.compare(election) == {k: v for k, v in part.comparison.outcomes.items()}


def test_the_api_gives_the_results_and_the_file(client_as, two_blocs):
    budget, officer = two_blocs
    close(budget)
    budget_results.choose_rule(officer, budget, "equal_shares")
    db.session.commit()
    client, _ = client_as("anonymous")
    data = client.get(f"/api/v1/budgets/{budget.id}/results").get_json()
    assert data["official_rule"] == "equal_shares"
    [heading] = data["headings"]
    ids = ids_of(budget)
    assert heading["amount"] == "1000" and heading["voters"] == 10
    assert heading["rules"]["equal_shares"]["funded"] == [ids["Project A"], ids["Project B"], ids["Project D"]]
    assert heading["rules"]["greedy"]["satisfied_voters"] == 6
    assert heading["rules"]["equal_shares"]["spent"] == "900"
    assert heading["rules"]["equal_shares"]["funded_below_line"] == [ids["Project D"]]
    assert heading["projects"][0] == {"id": ids["Project A"], "title": "Project A", "cost": "300", "votes": 6,
                                      "place": 1, "funded": {"greedy": True, "equal_shares": True}}
    pb = client.get(heading["pabulib"].replace("http://localhost", ""))
    assert pb.status_code == 200 and pb.get_data(as_text=True).startswith("META\n")
    assert client.get(f"/api/v1/budgets/{budget.id}/results/999999/pabulib").status_code == 404
    assert client.get("/api/v1/budgets/999999/results").status_code == 404


def test_each_wards_money_is_its_own_election(make_user, make_people, make_process, client_as, app, tmp_path):
    officer = make_user("officer")
    budget = make_budget(officer, make_process(allow_vote=True), by_ward=True,
                         amounts={"Church Street": "600", "Bayswater": "500"},
                         projects=[("Church A", "300", "Church Street"), ("Church B", "300", "Church Street"),
                                   ("Church C", "300", "Church Street"), ("Bays A", "400", "Bayswater"),
                                   ("Bays B", "200", "Bayswater")])
    church, bays = ward_named("Church Street").id, ward_named("Bayswater").id
    vote(budget, make_people(3, roles=["verified"], ward_id=church), ["Church A", "Church B"])
    vote(budget, make_people(2, roles=["verified"], ward_id=church), ["Church C"])
    vote(budget, make_people(2, roles=["verified"], ward_id=bays), ["Bays B"])
    vote(budget, make_people(1, roles=["verified"], ward_id=bays), ["Bays A"])
    close(budget)
    parts = {p.title: p for p in budget_results.outcome(budget)}
    assert set(parts) == {"Church Street", "Bayswater"}
    c, b = parts["Church Street"].comparison, parts["Bayswater"].comparison
    assert (c.election.budget, len(c.election.ballots)) == (600, 5)
    assert (b.election.budget, len(b.election.ballots)) == (500, 3)
    name = {pid: parts["Church Street"].project(pid).title for pid in c.election.project_ids}
    assert [name[i] for i in c.funded_ids("greedy")] == ["Church A", "Church B"]
    assert [name[i] for i in c.funded_ids("equal-shares")] == ["Church A", "Church C"]
    client, _ = client_as("anonymous")
    text = main_text(client.get(f"/budgets/{budget.id}/results"))
    assert "Church Street: £600" in text and "Bayswater: £500" in text
    heading = parts["Bayswater"].heading.id
    pb = client.get(f"/budgets/{budget.id}/results/{heading}.pb").get_data(as_text=True)
    assert "subunit;Bayswater\n" in pb and "budget;500\n" in pb and "num_votes;3\n" in pb
    assert checker_errors(pb) == {}


def test_followers_of_a_source_proposal_are_told_once_when_it_is_funded(make_user, make_people, make_process,
                                                                       client_as):
    officer, follower, author = make_user("officer"), make_user(), make_user()
    process = make_process(allow_vote=True)
    proposal = proposal_factories.proposal(process, author, title="Trees on Church Street",
                                           answer_state="accepted", answer_text="Yes")
    budget = make_budget(officer, process, projects=[("Benches", "300", None), ("Lights", "800", None)])
    project = db.session.get(BudgetProject, ids_of(budget)["Benches"])
    project.source_type, project.source_id = "proposal", proposal.id
    notifications.follow(follower, "proposal", proposal.id)
    db.session.commit()
    vote(budget, make_people(3, roles=["verified"], ward_id=ward_named("Church Street").id), ["Benches"])
    close(budget)
    budget_results.choose_rule(officer, budget, "greedy")
    db.session.commit()
    assert kinds_of(follower) == ["budget_project_funded"]
    budget_results.choose_rule(officer, budget, "equal_shares")  # still funded: nobody is told twice
    db.session.commit()
    assert kinds_of(follower) == ["budget_project_funded"]
    client, _ = client_as("anonymous")
    assert "Funded in the Westminster budget 2027" in main_text(client.get(f"/proposals/{proposal.id}"))
    # The budget's page leads to the results.
    assert f"/budgets/{budget.id}/results" in client.get(f"/budgets/{budget.id}").get_data(as_text=True)


def test_the_demo_has_a_budget_per_programme_and_one_closed_with_results_under_both_rules(app, client_as):
    from civic.cli import seed_demo_data
    from civic.spaces.models import Programme
    from consultations import demo, services

    seed_demo_data(password="demo password for tests")
    db.session.commit()
    made = {b.consultation.title: b for b in db.session.scalars(select(Budget))}
    assert set(made) == {spec[0] for spec in demo.BUDGETS.values()}
    programmes = {b.consultation.process.programme_id for b in made.values()}
    assert programmes == set(db.session.scalars(select(Programme.id)))
    closed = made[demo.BUDGETS[demo.CLOSED_BUDGET][0]]
    assert [services.status(b.consultation) for b in made.values()].count("closed") == 1
    assert services.status(closed.consultation) == "closed" and closed.consultation.turnout == 60
    assert closed.outcome_rule == "equal_shares"
    [part] = budget_results.outcome(closed)
    greedy, shares = part.comparison.funded_ids("greedy"), part.comparison.funded_ids("equal-shares")
    assert greedy != shares
    assert part.comparison.summaries["equal-shares"].satisfied > part.comparison.summaries["greedy"].satisfied
    assert {p.id for p in budgets.projects(closed) if p.funded_at} == {int(i) for i in shares}
    client, _ = client_as("anonymous")
    page = client.get(f"/budgets/{closed.id}/results")
    assert page.status_code == 200 and "The official outcome is the one chosen by Method of Equal Shares" in \
        main_text(page)
    assert "Completion: the shared money was raised once by a tenth of the budget. Then 0 projects were added" in \
        main_text(page)
    demo.seed()  # again: nothing more
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Budget)) == 4


def test_the_open_data_catalogue_lists_each_parts_pb_file_once_closed(client, two_blocs):
    budget, _officer = two_blocs
    heading = budget.headings[0].id
    address = f"/budgets/{budget.id}/results/{heading}.pb"
    assert address not in client.get("/open-data/catalog.jsonld").get_data(as_text=True)  # open: not yet
    close(budget)
    catalogue = client.get("/open-data/catalog.jsonld").get_data(as_text=True)
    assert address in catalogue and "the anonymised election (Pabulib .pb)" in catalogue


def test_a_project_hidden_by_moderation_keeps_its_votes_but_not_its_name(client_as, two_blocs):
    budget, _officer = two_blocs
    close(budget)
    project = db.session.get(BudgetProject, ids_of(budget)["Project A"])
    project.hidden_at = utcnow()
    db.session.get(BudgetProject, ids_of(budget)["Project D"]).hidden_at = utcnow()  # in "where the rules differ"
    db.session.commit()
    client, _ = client_as("anonymous")
    page = main_text(client.get(f"/budgets/{budget.id}/results"))
    assert "Project A" not in page and "Project D" not in page and "(hidden by moderation)" in page
    pb = client.get(f"/budgets/{budget.id}/results/{budget.headings[0].id}.pb").get_data(as_text=True)
    assert "Project A" not in pb and re.search(rf"\n0*{project.id};300;6;None;", pb)
    data = client.get(f"/api/v1/budgets/{budget.id}/results").get_json()
    assert data["headings"][0]["projects"][0] == {"id": project.id, "title": None, "cost": "300", "votes": 6,
                                                  "place": 1, "funded": {"greedy": True, "equal_shares": True}}


def test_election_ids_are_padded_so_that_character_order_is_number_order():
    from types import SimpleNamespace

    ids = budget_results.election_ids([SimpleNamespace(id=99), SimpleNamespace(id=100), SimpleNamespace(id=7)])
    assert ids == {99: "099", 100: "100", 7: "007"}
    assert sorted(ids.values()) == [ids[7], ids[99], ids[100]]


def _results_statements(client, count_queries, budget_id: int) -> tuple[int, int]:
    """(statements of the first view, which counts; of the second, which reads the counted results)."""
    counts = []
    for _ in range(2):
        db.session.expunge_all()
        with count_queries() as counted:
            assert client.get(f"/budgets/{budget_id}/results").status_code == 200
        counts.append(counted.count)
    return counts[0], counts[1]


def test_the_results_page_runs_a_fixed_number_of_statements(client, make_user, make_people, make_process,
                                                            count_queries):
    officer, ward = make_user("officer"), ward_named("Church Street").id
    few = make_budget(officer, make_process(allow_vote=True), total="100000",
                      projects=[(f"Few {k}", "1000", None) for k in range(3)])
    lots = make_budget(officer, make_process(allow_vote=True), total="100000",
                       projects=[(f"Lots {k}", str(1000 + k), None) for k in range(40)])
    vote(few, make_people(2, roles=["verified"], ward_id=ward), ["Few 0"])
    voters = make_people(12, roles=["verified"], ward_id=ward)
    for n, person in enumerate(voters):
        budgets.cast(person, lots, [ids_of(lots)[f"Lots {k}"] for k in range(n, n + 5)])
    close(few)
    close(lots)
    first, again = _results_statements(client, count_queries, lots.id)
    assert (first, again) == _results_statements(client, count_queries, few.id)
    assert again < first  # counted once: the second view reads no ballot
