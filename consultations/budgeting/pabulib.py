"""The Pabulib ``.pb`` file of an election: the participatory-budgeting research library's format.

A UTF-8 text file of three sections, each a title line (``META``, ``PROJECTS``, ``VOTES``), a header line and rows,
fields separated by semicolons. The file written here is anonymised: voters are numbered 1, 2, 3 ... after the
ballots are put in a fixed order (by the ids they approve), so neither a voter's identity nor the order of voting
can be read from it. Only approval elections are read and written (``vote_type`` ``approval``; ``choose-1`` is
read as approval too).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

from consultations.budgeting.election import Election, ElectionError, Money, Project, money

#: META keys Pabulib requires; those the writer does not compute come from ``Election.meta`` or these defaults.
DEFAULT_META = {"description": "Participatory budget", "country": "United Kingdom", "unit": "Westminster",
                "instance": "1"}
#: Written by the writer from the election itself; a value of the same name in ``Election.meta`` is ignored.
COMPUTED = ("num_projects", "num_votes", "budget", "vote_type", "rule", "fully_funded")
#: The order of META keys in the format's description (pabulib.org/format; the checker warns about another).
#: Keys not listed come after these, in alphabetical order.
META_ORDER = ("description", "country", "unit", "district", "subunit", "instance", "num_projects", "num_votes",
              "budget", "vote_type", "rule", "date_begin", "date_end", "min_length", "max_length", "min_sum_cost",
              "max_sum_cost", "language", "currency", "fully_funded", "comment")
#: Pabulib's name of each rule. The Method of Equal Shares completed as Civic completes it (budget raised by
#: steps, then greedy) is none of the format's named variants (``equalshares`` is the method alone,
#: ``equalshares/add1`` another completion), so the file says ``unknown`` and describes it in ``comment``.
RULE_NAMES = {"greedy": "greedy", "equal-shares": "unknown"}
EQUAL_SHARES_COMMENT = ("#1: Method of Equal Shares with cost utilities, completed by raising the shared budget "
                        "by steps of 10% of the budget (at most 10 times) while the outcome fits the budget, then "
                        "greedily by votes, ties by project_id in character order (as pabutools)")
GREEDY_UNAPPROVED_COMMENT = "#1: greedy by votes, a project nobody voted for is never funded"


class PabulibError(ElectionError):
    """A ``.pb`` file that cannot be read: the message names the line."""


def amount_text(amount: Money) -> str:
    """Money as Pabulib writes it: ``1500``, ``1500.5``; a fraction with no finite decimal form is refused."""
    amount = Fraction(amount)
    if amount.denominator == 1:
        return str(amount.numerator)
    denominator, places = amount.denominator, 0
    while denominator % 10 == 0 or denominator % 2 == 0 or denominator % 5 == 0:
        for factor in (2, 5):
            if denominator % factor == 0:
                denominator //= factor
        places += 1
    if denominator != 1:
        raise ElectionError(f"The amount {amount} has no finite decimal form.")
    text = f"{amount.numerator * 10 ** places // amount.denominator:0{places + 1}d}"
    whole, decimals = text[:-places], text[-places:]
    sign = "-" if amount < 0 else ""
    return f"{sign}{whole.lstrip('-') or '0'}.{decimals}".rstrip("0").rstrip(".")


def _clean(text: str) -> str:
    """A field on one line (Pabulib readers split lines before fields)."""
    return " ".join(str(text).split())


def _rule_meta(election: Election, rule: str, chosen: set[str]) -> dict[str, str]:
    """The ``rule`` (and ``comment``) META of the file. Pabulib's ``greedy`` funds, after the projects with votes,
    those nobody voted for while money is left; Civic's never does, so when a project without votes would fit in
    what the funded ones leave, the file says ``greedy-custom`` with a comment saying why."""
    if rule == "equal-shares":
        return {"rule": RULE_NAMES[rule], "comment": EQUAL_SHARES_COMMENT}
    votes = election.approvals()
    left = election.budget - election.cost_of(chosen)
    for project in election.projects:
        if not votes[project.id] and project.id not in chosen and project.cost <= left:
            return {"rule": "greedy-custom", "comment": GREEDY_UNAPPROVED_COMMENT}
    return {"rule": RULE_NAMES[rule]}


def dumps(election: Election, *, rule: str = "greedy", selected: Iterable[str] = ()) -> str:
    """The election as ``.pb`` text. ``rule`` is the official outcome rule (``greedy`` or ``equal-shares``) and
    ``selected`` the projects it funded (written in the ``selected`` column, 1 or 0) when given.

    Projects are written in the election's order: pass them most votes first (ties by id), as a results table
    lists them and as Pabulib's checker replays greedy. ``date_begin``/``date_end`` (``DD.MM.YYYY``), which
    Pabulib requires, ``min_length``, ``max_length``, ``currency`` and the like come from ``Election.meta``."""
    if rule not in RULE_NAMES:
        raise ElectionError(f"Unknown rule {rule!r}.")
    chosen = set(selected)
    unknown = chosen - set(election.project_ids)
    if unknown:
        raise ElectionError(f"Selected projects that are not in the election: {', '.join(sorted(unknown))}.")
    meta: dict[str, str] = {**DEFAULT_META, **{k: v for k, v in election.meta.items() if k not in COMPUTED}}
    meta.update(num_projects=str(len(election.projects)), num_votes=str(len(election.ballots)),
                budget=amount_text(election.budget), vote_type="approval")
    meta.update(_rule_meta(election, rule, chosen))
    if election.projects and election.cost_of(election.project_ids) <= election.budget:
        meta["fully_funded"] = "1"  # the money covers every project: said, as the format asks
    ordered_meta = {k: meta.pop(k) for k in META_ORDER if k in meta}
    ordered_meta.update(sorted(meta.items()))
    votes = election.approvals()

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    out.write("META\n")
    writer.writerow(["key", "value"])
    for key, value in ordered_meta.items():
        writer.writerow([_clean(key), _clean(value)])
    out.write("PROJECTS\n")
    columns = ["project_id", "cost", "votes"]
    columns += [column for column, attr in (("name", "name"), ("category", "programme"))
                if any(getattr(p, attr) for p in election.projects)]
    if chosen:
        columns.append("selected")
    if any(p.ward for p in election.projects):
        columns.append("district")
    writer.writerow(columns)
    for project in election.projects:
        row = {"project_id": project.id, "cost": amount_text(project.cost), "votes": str(votes[project.id]),
               "name": _clean(project.name) or "None",
               "category": _clean(project.programme.replace(",", " ")) or "None",
               "district": _clean(project.ward) or "None", "selected": "1" if project.id in chosen else "0"}
        writer.writerow([row[c] for c in columns])
    out.write("VOTES\n")
    writer.writerow(["voter_id", "vote"])
    order = {project_id: i for i, project_id in enumerate(election.project_ids)}
    ballots = sorted((sorted(ballot, key=order.__getitem__) for ballot in election.ballots),
                     key=lambda ids: [order[i] for i in ids])
    for number, ids in enumerate(ballots, start=1):
        writer.writerow([str(number), ",".join(ids)])
    return out.getvalue()


def write(election: Election, path: str | Path, **options) -> None:
    Path(path).write_text(dumps(election, **options), encoding="utf-8")


def loads(text: str) -> Election:
    """An election from ``.pb`` text. Project labels are read from ``name``, ``category`` (the programme; the
    first one when several are listed) and ``district`` (the ward; ``ward`` or ``neighborhood`` in older files);
    voter ids and other columns are not kept."""
    meta: dict[str, str] = {}
    projects: list[Project] = []
    ballots: list[frozenset[str]] = []
    section, header = "", []
    rows = csv.reader(text.lstrip("\ufeff").splitlines(), delimiter=";")
    for row in rows:
        line = rows.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        title = row[0].strip().lower()
        if title in ("meta", "projects", "votes") and len(row) == 1:
            section = title
            header = [h.strip() for h in next(rows, [])]
            if section == "meta" and header[:2] != ["key", "value"]:
                raise PabulibError(f"Line {rows.line_num}: the META header must be key;value.")
            if section == "projects" and not {"project_id", "cost"} <= set(header):
                raise PabulibError(f"Line {rows.line_num}: PROJECTS needs the columns project_id and cost.")
            if section == "votes" and "vote" not in header:
                raise PabulibError(f"Line {rows.line_num}: VOTES needs the column vote.")
            continue
        if not section:
            raise PabulibError(f"Line {line}: data before the META section.")
        if len(row) > len(header):
            raise PabulibError(f"Line {line}: {len(row)} fields where the header has {len(header)}.")
        fields = {key: value.strip() for key, value in zip(header, row, strict=False)}
        if section == "meta":
            meta[fields["key"]] = fields.get("value", "")
        elif section == "projects":
            label = {c: "" if fields.get(c, "").lower() == "none" else fields.get(c, "")
                     for c in ("name", "category", "district", "ward", "neighborhood")}
            try:
                projects.append(Project(id=fields["project_id"], cost=fields["cost"], name=label["name"],
                                        programme=label["category"].split(",")[0].strip(),
                                        ward=label["district"] or label["ward"] or label["neighborhood"]))
            except ElectionError as e:
                raise PabulibError(f"Line {line}: {e}") from None
        else:
            vote = fields.get("vote", "")
            ballots.append(frozenset(i.strip() for i in vote.split(",") if i.strip()))
    for key in ("budget", "vote_type"):
        if key not in meta:
            raise PabulibError(f"The META section has no {key}.")
    if meta["vote_type"] not in ("approval", "choose-1"):
        raise PabulibError(f"Only approval elections can be counted, not vote_type {meta['vote_type']}.")
    if "num_votes" in meta and meta["num_votes"].isdigit() and int(meta["num_votes"]) != len(ballots):
        raise PabulibError(f"META says num_votes {meta['num_votes']} but VOTES has {len(ballots)} ballots.")
    kept = {k: v for k, v in meta.items() if k not in COMPUTED}
    try:
        return Election(budget=money(meta["budget"], "budget"), projects=tuple(projects), ballots=tuple(ballots),
                        meta=kept)
    except ElectionError as e:
        raise PabulibError(str(e)) from None


def read(path: str | Path) -> Election:
    return loads(Path(path).read_text(encoding="utf-8-sig"))
