"""Demo data for consultations (``flask civic seed-demo``, idempotent, found by title): one consultation open now
with a question of each kind, and one closed with its ballots counted, so the results, charts and files show;
and a participatory budget for each of the four programmes, three open now and one closed with its ballots and
the official outcome chosen, so the results of both rules show (:func:`seed_budgets`)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from civic.accounts import roles
from civic.accounts.models import User, UserRole
from civic.db import db, utcnow
from civic.spaces import services as spaces
from civic.spaces.models import Process, Programme
from consultations import ballots, budget_results, budgets, kinds, results
from consultations.models import Budget, Consultation, Option, Question

SEED = 16
OPEN_TITLE = "How should we spend the Church Street Green budget?"
CLOSED_TITLE = "Which streets first for the new cycle lanes?"

QUESTIONS = {
    OPEN_TITLE: [
        ("single", "Should Church Street Green stay open after dark?", 1, 1,
         ["Yes, until 10 pm", "Yes, until 8 pm", "No, close at dusk as now"]),
        ("multiple", "Which facilities would you use?", 1, 3,
         ["Outdoor gym", "Table tennis", "Community garden beds", "Drinking fountain", "More benches"]),
        ("ranked", "Put these improvements in your order of preference", 1, 3,
         ["Better lighting", "New trees", "A play area for under-fives", "Public toilets"]),
    ],
    CLOSED_TITLE: [
        ("ranked", "Rank the streets for the first cycle lanes", 4, None,
         ["Edgware Road", "Harrow Road", "Marylebone Road", "Praed Street"]),
        ("single", "Should the lanes be separated from traffic by kerbs?", 1, 1, ["Yes", "No", "Not sure"]),
    ],
}


def _consultation(title: str, opens, closes, created_by: int | None) -> Consultation:
    consultation = Consultation(title=title, opens_at=opens, closes_at=closes, state="published",
                                published_at=opens - timedelta(days=1), created_by_id=created_by,
                                introduction="The council wants to know what residents think. **Every verified "
                                             "resident** can take part; the ballot is secret.")
    for n, (kind, question, low, high, options) in enumerate(QUESTIONS[title]):
        kinds.get(kind)
        q = Question(kind=kind, title=question, min_choices=low, max_choices=high, position=n)
        q.options = [Option(text=t, position=k) for k, t in enumerate(options)]
        consultation.questions.append(q)
    db.session.add(consultation)
    db.session.flush()
    return consultation


def seed() -> None:
    seed_consultations()
    seed_budgets()


def seed_consultations() -> None:
    titles = set(db.session.scalars(select(Consultation.title).where(Consultation.title.in_(QUESTIONS))))
    officer = db.session.scalar(select(User.id).where(User.nickname == "demo_officer"))
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    if OPEN_TITLE not in titles:
        _consultation(OPEN_TITLE, now - timedelta(days=3), now + timedelta(days=21), officer)
    if CLOSED_TITLE not in titles:
        closed = _consultation(CLOSED_TITLE, now - timedelta(days=40), now + timedelta(hours=1), officer)
        _vote(closed)  # while it is open, as the ballots were; then it closed ten days ago
        closed.closes_at = now - timedelta(days=10)
        db.session.flush()
        results.count_closed(now)


def _vote(consultation: Consultation) -> None:
    """Ballots from the demo's verified residents (never the demo accounts people sign in with)."""
    rng = random.Random(SEED)
    voters = list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == roles.VERIFIED, User.nickname.not_like("demo\\_%", escape="\\"))
        .order_by(User.id).limit(60)))
    for voter in voters:
        rows = {}
        for q in consultation.questions:
            ids = [o.id for o in q.options]
            rng.shuffle(ids)
            if q.kind == "ranked":
                rows[q.id] = [(o, n) for n, o in enumerate(ids[:rng.randint(q.min_choices, len(ids))], start=1)]
            else:
                rows[q.id] = [(ids[0], None)]
        ballots._into_the_box(consultation, rows, {"user_id": voter.id, "ward_id": voter.ward_id,
                                                   "channel": "online",
                                                   "voted_at": consultation.opens_at + timedelta(days=2)})
    db.session.expire(consultation)


# Participatory budgets ----------------------------------------------------------------------------------------

#: programme slug -> (budget title, money, [(project, cost, description)]); the first is closed with its results.
BUDGETS = {
    "cleantech-city": ("CleanTech City budget 2026", "150000", [
        ("Solar panels on Church Street Library", "45000", "Panels on the library roof; the savings fund its events."),
        ("Cycle hangars on Lisson Grove", "20000", "Six secure hangars, twelve bicycles each."),
        ("Air quality sensors near schools", "25000", "Sensors at ten school gates, the readings open to all."),
        ("Electric cargo bike library", "30000", "Cargo bikes lent to residents and small businesses."),
        ("Tree pits on Edgware Road", "40000", "Twenty new street trees with rain gardens around them."),
        ("Repair café in Paddington", "15000", "Monthly repair sessions with tools and volunteers."),
        ("Green roof on a bus shelter trail", "35000", "Planted roofs on eight bus shelters."),
        ("Water refill stations", "12000", "Six drinking fountains in parks and squares."),
        ("Community composting hubs", "18000", "Three hubs for food waste from flats without gardens."),
    ]),
    "extraordinary-experiences": ("Extraordinary Experiences budget 2027", "120000", [
        ("Open-air cinema in Paddington Recreation Ground", "30000", "Eight summer evenings of free films."),
        ("Murals on Harrow Road underpasses", "25000", "Local artists paint four underpasses."),
        ("Heritage trail of Marylebone", "20000", "Plaques and a free audio guide."),
        ("Street piano festival", "10000", "Ten pianos in squares for a month."),
        ("Lighting for St John's Wood church gardens", "35000", "Warm, low lighting for evening walks."),
    ]),
    "innovative-economy": ("Innovative Economy budget 2027", "100000", [
        ("Pop-up shops for new traders", "30000", "Empty units lent to start-ups for three months."),
        ("Free co-working desks in libraries", "25000", "Forty desks with fast broadband."),
        ("Market stall grants on Church Street", "20000", "Stall, licence and training for new traders."),
        ("Coding club for adults", "15000", "Evening classes in three community centres."),
    ]),
    "empowering-people": ("Empowering People budget 2027", "90000", [
        ("Digital help desks in community centres", "25000", "Volunteers help with forms, email and video calls."),
        ("Laptops to lend for job seekers", "20000", "A hundred laptops lent for three months at a time."),
        ("Accessible benches on high streets", "15000", "Benches with arms and backs every 100 metres."),
        ("Youth council participation fund", "20000", "Young residents decide how to spend it."),
        ("Health walks for older residents", "10000", "Weekly guided walks with a trained leader."),
    ]),
}
CLOSED_BUDGET = "cleantech-city"
#: Ballots of the closed budget: (number of voters, the projects they chose, by position in the list above).
#: A large bloc wants the big projects, smaller groups want the small ones: greedy and Equal Shares differ.
CLOSED_BLOCS = ((22, (0, 4, 6)), (14, (0, 4, 3)), (10, (1, 3)), (8, (5, 8)), (6, (2, 7)))


def _budget_process(programme, now):
    """The programme's process for its budget: a process of its own, with a voting phase running now."""
    title = f"Participatory budget: {programme.name}"
    process = db.session.scalar(select(Process).where(Process.title == title))
    if process is None:
        process = spaces.create_process(
            None, title=title, subtitle="Residents choose the projects the council funds",
            description="The council puts money behind the programme, and residents choose which costed projects "
                        "it funds. Every verified resident can vote; the ballot is secret.",
            programme_slug=programme.slug, phases=[{
                "title": "Voting on the budget", "starts_at": now - timedelta(days=60),
                "ends_at": now + timedelta(days=60), "actions": ["vote", "comment"],
                "description": "Choose the projects you want, within the money."}], published=True)
    return process


def seed_budgets() -> None:
    officer = db.session.scalar(select(User).where(User.nickname == "demo_officer"))
    if officer is None:
        return
    existing = set(db.session.scalars(select(Consultation.title).join(Budget, Budget.consultation_id
                                                                      == Consultation.id)))
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    programmes = {p.slug: p for p in db.session.scalars(select(Programme))}
    for slug, (title, money, projects) in BUDGETS.items():
        if title in existing or slug not in programmes:
            continue
        process = _budget_process(programmes[slug], now)
        closed = slug == CLOSED_BUDGET
        budget = budgets.create(officer, budgets.Details(
            title=title, introduction="Choose the projects you want the council to fund, within the money. "
                                      "Your ballot is secret; you get a receipt.",
            process_slug=process.slug, opens_at=now - timedelta(days=40 if closed else 3),
            closes_at=now + timedelta(days=21), total=money, rule="knapsack", min_projects=1))
        for name, cost, description in projects:
            budgets.add_project(officer, budget, budgets.ProjectDetails(
                title=name, description=description, cost=cost, programme_id=programmes[slug].id))
        budgets.publish(officer, budget)
        if closed:
            _budget_ballots(budget)
            budget.consultation.closes_at = now - timedelta(days=10)
            db.session.flush()
            results.count_closed(now)
            budget_results.choose_rule(officer, budget, "equal_shares")


def _budget_ballots(budget) -> None:
    """The closed budget's ballots, from the demo's verified residents (never the accounts people sign in with),
    in blocs (see CLOSED_BLOCS), written straight into the box as the paper count would."""
    projects = budgets.projects(budget)
    question = budget.headings[0].question_id
    wanted = sum(n for n, _ids in CLOSED_BLOCS)
    voters = list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == roles.VERIFIED, User.nickname.not_like("demo\\_%", escape="\\"))
        .order_by(User.id).limit(wanted)))
    blocs = [ids for n, ids in CLOSED_BLOCS for _ in range(n)]
    for voter, ids in zip(voters, blocs, strict=False):
        rows = {question: [(projects[i].option_id, None) for i in ids]}
        ballots._into_the_box(budget.consultation, rows, {
            "user_id": voter.id, "ward_id": voter.ward_id, "channel": "online",
            "voted_at": budget.consultation.opens_at + timedelta(days=2)})
    db.session.expire(budget.consultation)
