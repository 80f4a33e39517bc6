"""Demo data for proposals: three processes with proposals, supports, comments, endorsements and answers.

``seed()`` is called by ``flask civic seed-demo`` after the core's demo accounts and groups exist. It is
idempotent: residents are found by nickname and a process (with everything in it) is only loaded when a
process with its title's address does not exist yet. Everything is generated from word lists with a fixed
random seed, so two runs on empty databases give the same data, and inserted in bulk (a few hundred rows per
statement), so it takes well under a few seconds.

The three processes (dates relative to the day of seeding):

- CleanTech City, *now in its supports phase* (ideas and supports open, a support limit of 10, a
  threshold of 20);
- Empowering People, *now in its answers phase* (official answers: accepted with a cost, rejected,
  evaluating);
- Extraordinary Experiences, *upcoming* (its proposals phase opens in ten days, for three wards).

Counters (``supports_count``, ``comments_count``, ``endorsements_count``, comment votes and support budgets)
are computed from the rows inserted, so they always equal them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from civic.accounts import roles
from civic.accounts.models import User, UserRole
from civic.comments.models import Comment, CommentVote
from civic.db import db, utcnow
from civic.groups.models import Group
from civic.spaces import services as spaces
from civic.spaces.models import Process, Ward
from proposals import participation
from proposals.models import (
    Category,
    Endorsement,
    Proposal,
    ProposalCategoryLink,
    Support,
    SupportBudget,
)

SEED = 2026
RESIDENTS = 60

# Westminster's wards: a point near the middle (for the map), streets and places people would name.
WARD_PLACES: dict[str, tuple[tuple[float, float], tuple[str, ...], tuple[str, ...]]] = {
    "Abbey Road": ((51.5340, -0.1810), ("Abbey Road", "Boundary Road", "Loudoun Road", "Hall Road"),
                   ("St John's Wood library", "the Abbey Centre", "the Abbey Road zebra crossing")),
    "Bayswater": ((51.5125, -0.1895), ("Queensway", "Westbourne Grove", "Moscow Road", "Inverness Terrace"),
                  ("Whiteleys", "Bayswater station", "St Matthew's church hall")),
    "Church Street": ((51.5225, -0.1705), ("Church Street", "Lisson Grove", "Penfold Street", "Bell Street"),
                      ("Church Street market", "Church Street library", "the Lisson Green estate")),
    "Harrow Road": ((51.5265, -0.2035), ("Harrow Road", "Elgin Avenue", "Shirland Road", "Fernhead Road"),
                    ("the Stowe Centre", "the Beethoven Centre", "the Mozart estate")),
    "Hyde Park": ((51.5145, -0.1665), ("Sussex Gardens", "Connaught Street", "Seymour Place", "Edgware Road"),
                  ("Marble Arch", "the Hyde Park estate", "Paddington station forecourt")),
    "Knightsbridge & Belgravia": ((51.4975, -0.1560),
                                  ("Elizabeth Street", "Motcomb Street", "Ebury Street", "Sloane Street"),
                                  ("Belgrave Square", "Eaton Square", "Victoria coach station")),
    "Lancaster Gate": ((51.5110, -0.1790),
                       ("Craven Terrace", "Leinster Gardens", "Westbourne Terrace", "Craven Road"),
                       ("Lancaster Gate station", "the Italian Gardens", "Craven Road shops")),
    "Little Venice": ((51.5225, -0.1850), ("Warwick Avenue", "Clifton Gardens", "Formosa Street", "Blomfield Road"),
                      ("the canal basin at Little Venice", "Warwick Avenue station", "the Warwick estate")),
    "Maida Vale": ((51.5285, -0.1925),
                   ("Lauderdale Road", "Randolph Avenue", "Sutherland Avenue", "Castellain Road"),
                   ("Paddington Recreation Ground", "Maida Vale library", "Maida Vale station")),
    "Marylebone": ((51.5195, -0.1525),
                   ("Marylebone High Street", "Baker Street", "Marylebone Lane", "Paddington Street"),
                   ("Marylebone library", "Paddington Street Gardens", "Marylebone station")),
    "Pimlico North": ((51.4920, -0.1430), ("Warwick Way", "Belgrave Road", "Tachbrook Street", "Cambridge Street"),
                      ("Tachbrook Street market", "Victoria station", "Warwick Square")),
    "Pimlico South": ((51.4870, -0.1375), ("Lupus Street", "Claverton Street", "Grosvenor Road", "Moreton Street"),
                      ("the Churchill Gardens estate", "Pimlico library", "St George's Square")),
    "Queen's Park": ((51.5305, -0.2085), ("Kilburn Lane", "Ilbert Street", "Fourth Avenue", "Lancefield Street"),
                     ("Queen's Park library", "the Queen's Park estate", "Queen's Park Gardens")),
    "Regent's Park": ((51.5285, -0.1640), ("Park Road", "Ivor Place", "Allitsen Road", "Gloucester Place"),
                      ("Dorset Square", "the Lisson Grove estate", "St John's Wood Church Grounds")),
    "St James's": ((51.5065, -0.1310), ("the Strand", "Whitehall", "Haymarket", "Villiers Street"),
                   ("Trafalgar Square", "Covent Garden piazza", "Charing Cross station")),
    "Vincent Square": ((51.4945, -0.1335), ("Horseferry Road", "Regency Street", "Rochester Row", "Page Street"),
                       ("Vincent Square", "Westminster City School", "the Regency Street community hall")),
    "West End": ((51.5130, -0.1365), ("Berwick Street", "Wardour Street", "Great Portland Street", "Poland Street"),
                 ("Soho Square", "Berwick Street market", "Golden Square")),
    "Westbourne": ((51.5215, -0.1985),
                   ("Westbourne Park Road", "Porchester Road", "Great Western Road", "Brindley Road"),
                   ("Westbourne Park station", "Porchester Hall", "the Westbourne Park family centre")),
}

FIRST_NAMES = (
    "Amara", "Ben", "Chloe", "Dev", "Eleanor", "Farah", "George", "Hannah", "Idris", "Jess", "Kwame", "Layla",
    "Marcus", "Niamh", "Oliver", "Priya", "Rhys", "Sofia", "Tom", "Yusuf", "Zara", "Aisha", "Callum", "Daisy",
    "Ewan", "Grace", "Harvey", "Imogen", "Joseph", "Leah",
)
LAST_NAMES = (
    "Ahmed", "Barker", "Clarke", "Davies", "Evans", "Fraser", "Green", "Hussain", "Iqbal", "Jones", "Khan",
    "Lewis", "Morgan", "Nowak", "Okafor", "Patel", "Quinn", "Roberts", "Singh", "Taylor", "Walker", "Young",
)

PROCESSES: tuple[dict[str, Any], ...] = (
    {
        "key": "cleantech",
        "programme": "cleantech-city",
        "title": "CleanTech City: your ideas for cleaner air and greener streets",
        "subtitle": "Propose and support SMART projects that cut pollution, energy use and waste in your ward.",
        "description": (
            "Westminster has some of the most polluted streets in the country, and some of the most inventive "
            "residents. Tell us what would make the air cleaner, the streets greener and our buildings use less "
            "energy where you live.\n\n"
            "- **Ideas and supports:** publish a proposal for your ward and support up to 10 proposals.\n"
            "- **Evaluation and answers:** officers assess every proposal that reaches 20 supports and answer "
            "each one publicly.\n\n"
            "The council has set aside **£1.5 million** for the projects residents choose."),
        "wards": None,
        "phases": (("Ideas and supports", -21, 24, ("propose", "support", "comment", "endorse"),
                    "Write proposals for your ward and support the ones you want (up to 10)."),
                   ("Evaluation and answers", 24, 60, ("comment", "answer"),
                    "Officers assess the proposals with ward councillors and answer each one.")),
        "settings": {"support_limit": 10, "threshold": 20, "verified_only": True},
        "categories": ("Air quality", "Cycling and walking", "Energy", "Green space", "Sensors and data",
                       "Waste and recycling"),
        "proposals": 110,
        "supports_per_resident": (2, 10),
    },
    {
        "key": "empowering",
        "programme": "empowering-people",
        "title": "Empowering People: digital inclusion in every ward",
        "subtitle": "Ideas so that everyone in Westminster can get online, stay healthy and take part.",
        "description": (
            "One resident in ten in Westminster has never used the internet, and many more struggle with "
            "online forms, appointments and benefits. We asked which projects would help most.\n\n"
            "Proposals and supports are closed. **Officers are now answering every proposal**: accepted "
            "proposals show their cost and when they will be delivered."),
        "wards": None,
        "phases": (("Proposals", -110, -75, ("propose", "comment", "endorse"),
                    "Residents wrote proposals."),
                   ("Supports", -75, -40, ("support", "comment", "endorse"),
                    "Verified residents supported up to 5 proposals."),
                   ("Official answers", -40, 20, ("comment", "answer"),
                    "Officers answer each proposal: accepted, rejected or still being evaluated.")),
        "settings": {"support_limit": 5, "threshold": 15, "verified_only": True},
        "categories": ("Accessibility", "Community spaces", "Connectivity", "Digital skills", "Health",
                       "Older residents"),
        "proposals": 90,
        "supports_per_resident": (1, 5),
    },
    {
        "key": "experiences",
        "programme": "extraordinary-experiences",
        "title": "Extraordinary Experiences: public spaces and culture for 2027",
        "subtitle": "Coming soon: ideas for squares, markets and streets in the West End, St James's and "
                    "Marylebone.",
        "description": (
            "Millions of people visit the West End every year, and thousands of us live here. How should our "
            "squares, markets and streets change so they work for residents and visitors alike?\n\n"
            "The proposals phase opens soon. Until then, talk to your neighbours and your community group."),
        "wards": ("Marylebone", "St James's", "West End"),
        "phases": (("Proposals", 10, 45, ("propose", "comment", "endorse"),
                    "Residents of the three wards write proposals."),
                   ("Supports", 45, 75, ("support", "comment", "endorse"),
                    "Verified residents of the three wards support up to 8 proposals."),
                   ("Official answers", 75, 120, ("comment", "answer"),
                    "Officers answer each proposal.")),
        "settings": {"support_limit": 8, "threshold": 25, "verified_only": True, "ward_only": True},
        "categories": ("Culture", "Markets", "Public squares", "Street life"),
        "proposals": 0,
        "supports_per_resident": (0, 0),
    },
)

# Ideas: a title with {street}/{place}/{ward}, what would be done, and the categories it belongs to.
IDEAS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "cleantech": (
        ("Air quality sensors outside the schools on {street}",
         "fit low-cost sensors for nitrogen dioxide and fine particles at the school gates and publish the "
         "readings every hour", ("Air quality", "Sensors and data")),
        ("Solar panels on the roof of {place}",
         "cover the flat roof with solar panels and use the electricity in the building first", ("Energy",)),
        ("Secure cycle hangars for the residents of {street}",
         "put two or three lockable cycle hangars in parking bays, rented at a low price", ("Cycling and walking",)),
        ("A school street with timed closures on {street}",
         "close the street to through traffic for half an hour at the start and end of the school day",
         ("Air quality", "Cycling and walking")),
        ("Smart bins that tell the council when they are full on {street}",
         "replace the street bins with sensor bins so crews empty them when they are full, not on a fixed round",
         ("Waste and recycling", "Sensors and data")),
        ("Electric cargo bike deliveries for the shops of {street}",
         "set up a shared micro-hub where deliveries arrive by van once a day and go the last mile by cargo bike",
         ("Air quality", "Cycling and walking")),
        ("Rain gardens and street trees to cool {street}",
         "dig rain gardens into the wide pavement and plant trees that shade the bus stops in summer",
         ("Green space",)),
        ("A live air quality display at {place}",
         "put up a screen that shows today's air quality and the cleaner routes to walk", ("Sensors and data",)),
        ("Food waste collections for the flats around {street}",
         "give every flat a kitchen caddy and add weekly food waste collections from the bin stores",
         ("Waste and recycling",)),
        ("Electric vehicle charging in the lamp posts of {street}",
         "convert the lamp posts to slow chargers so residents without a driveway can charge overnight",
         ("Energy", "Air quality")),
        ("A pocket park on the unused corner of {street}",
         "turn the empty corner into a small park with planting, seating and a water fountain", ("Green space",)),
        ("Heat pumps for the community hall at {place}",
         "replace the old gas boiler with an air-source heat pump and insulate the loft", ("Energy",)),
        ("Noise sensors to map night-time noise around {place}",
         "install a handful of noise sensors and publish a monthly map of night-time noise",
         ("Sensors and data",)),
        ("A repair café and tool library near {place}",
         "open a monthly repair café with volunteers and a library of tools to borrow",
         ("Waste and recycling",)),
        ("Wider pavements and more benches on {street}",
         "widen the narrow pavement where people queue for the bus and add benches every hundred metres",
         ("Cycling and walking",)),
        ("Anti-idling sensors at the taxi rank on {street}",
         "add signs and sensors that remind drivers to switch off their engines while they wait",
         ("Air quality", "Sensors and data")),
        ("Green roofs on the bus shelters of {street}",
         "plant sedum roofs on the bus shelters to catch rain and give insects a home", ("Green space",)),
        ("Water refill stations at {place}",
         "install drinking water fountains with bottle refill taps so fewer plastic bottles are bought",
         ("Waste and recycling",)),
    ),
    "empowering": (
        ("Free digital skills drop-in sessions at {place}",
         "run weekly drop-in sessions where volunteers help with email, online forms and video calls",
         ("Digital skills",)),
        ("Free Wi-Fi in the community rooms of {place}",
         "install free Wi-Fi in the community rooms so residents can study, apply for jobs and see a doctor "
         "online", ("Connectivity", "Community spaces")),
        ("A laptop and tablet loan scheme for {ward}",
         "lend refurbished laptops and tablets, with data, for up to three months at a time",
         ("Connectivity", "Digital skills")),
        ("A step-free routes map for {ward}, kept up to date by residents",
         "publish a map of step-free routes and broken lifts that residents can update from their phones",
         ("Accessibility",)),
        ("Telecare sensors so older residents of {street} can live independently",
         "offer discreet sensors that alert a relative or carer when something is wrong at home",
         ("Older residents", "Health")),
        ("A coding club for young people at {place}",
         "start an after-school coding and robotics club run with the Urban Data School",
         ("Digital skills",)),
        ("Health check kiosks in {place}",
         "put a blood pressure and weight kiosk in the library with a nurse one morning a week", ("Health",)),
        ("Digital champions in every block on {street}",
         "train one volunteer digital champion in every block who neighbours can knock on for help",
         ("Digital skills", "Community spaces")),
        ("A community hub with printers and scanners near {place}",
         "open a small hub where residents can print, scan and send documents for free",
         ("Community spaces", "Connectivity")),
        ("Online safety workshops for older residents in {ward}",
         "run friendly workshops on scams, passwords and online banking for older residents",
         ("Older residents", "Digital skills")),
        ("Fibre broadband for the council homes on {street}",
         "bring full-fibre broadband into the council blocks with a social tariff for low-income households",
         ("Connectivity",)),
        ("Hearing loops at the counters of {place}",
         "fit hearing loops and clear signs at every public counter", ("Accessibility",)),
        ("A volunteer tech help line for the residents of {ward}",
         "set up a phone line staffed by volunteers who talk people through their technology problems",
         ("Older residents", "Digital skills")),
        ("Plain-English council forms tested with residents of {ward}",
         "rewrite the most used council forms in plain English and test them with residents",
         ("Accessibility",)),
        ("Exercise classes streamed from {place}",
         "stream gentle exercise classes from the community centre for people who cannot leave home",
         ("Health", "Older residents")),
    ),
}

OPENINGS = (
    "I have lived in {ward} for {years} years.",
    "As a parent in {ward}, I see this every day.",
    "Our tenants' association has talked about this for a long time.",
    "I walk along {street} every morning.",
    "Many of my neighbours on {street} have asked for this.",
    "I run a small business on {street}.",
    "I volunteer at {place} and hear about this all the time.",
)
PROBLEMS: dict[str, tuple[str, ...]] = {
    "Air quality": ("The air at rush hour is thick with exhaust fumes.",
                    "Children breathe some of the dirtiest air in London on their way to school."),
    "Cycling and walking": ("There is nowhere safe to leave a bike, so people do not cycle.",
                            "The pavements are crowded and people step into the road."),
    "Energy": ("Energy bills have doubled and the building wastes heat all winter.",
               "The roof is sunny all day and does nothing."),
    "Green space": ("There is hardly any green space nearby and the street gets very hot in summer.",
                    "Rainwater floods the pavement after every storm."),
    "Sensors and data": ("Nobody really knows how bad the problem is, because nothing is measured.",
                         "Residents complain, but there is no data to show when and where it happens."),
    "Waste and recycling": ("The bins overflow at weekends and foxes do the rest.",
                            "Far too much goes to landfill that could be repaired or recycled."),
    "Accessibility": ("Broken lifts and steps cut disabled residents off from the rest of the ward.",
                      "Many residents cannot use council services as they are designed today."),
    "Community spaces": ("There is nowhere nearby to get help without an appointment.",
                         "The community rooms are empty most of the week."),
    "Connectivity": ("Many households cannot afford broadband, and phone data runs out quickly.",
                     "Children do their homework on a parent's phone."),
    "Digital skills": ("Many residents struggle with online forms, and the phone queues are long.",
                       "People miss out on jobs and benefits because everything is online now."),
    "Health": ("The GP surgery is overstretched and many checks never happen.",
               "People wait too long before they see anyone about their health."),
    "Older residents": ("Many older residents live alone and their families worry about them.",
                        "Older neighbours are targeted by scams and lose confidence online."),
}
BENEFITS = (
    "It would make a real difference to the people who live here, not only to visitors.",
    "It is cheap compared with what we lose by doing nothing.",
    "Other London boroughs have tried something similar with good results.",
    "It would also create a few local jobs and volunteering opportunities.",
    "It fits the council's SMART City goals of an inclusive, innovative and participatory city.",
)
MEASURES = (
    "A six-month trial would show whether it works before it is rolled out.",
    "We could measure the difference with the council's open data and a citizen sensing campaign.",
    "Residents could report each month on what changed.",
    "The results should be published so other wards can learn from them.",
)
CLOSINGS = (
    "Please support it if you agree!",
    "I am happy to help organise this with neighbours.",
    "Comments and improvements are very welcome.",
    "Let me know in the comments what you think.",
    "",
)
COMMENTS: dict[int, tuple[str, ...]] = {
    1: ("Great idea: {street} really needs this.",
        "I support this, especially for the children walking to school.",
        "We tried something like it on our estate and it worked well.",
        "Yes please. I would volunteer to help.",
        "This would make a big difference to older residents."),
    -1: ("I am not sure this is the best use of money: the pavements need repairing first.",
         "It sounds good, but who will maintain it in five years' time?",
         "I worry this will take parking spaces that disabled residents rely on.",
         "This has been tried before and it was vandalised within a month."),
    0: ("How much would this cost to run each year?",
        "Has the council tried this anywhere else in Westminster?",
        "Could this be combined with the works already planned on {street}?",
        "Would it be open to people from neighbouring wards too?"),
}
REPLIES = (
    "Good point. The running costs should be part of the answer.",
    "Camden ran a similar trial last year; the report is online.",
    "Agreed, and it could start small on one block.",
    "I think the maintenance could be shared with the residents' association.",
    "Thanks, that is a fair worry. The proposal could say more about it.",
    "I asked our ward councillor and they are interested.",
)
ACCEPTED = (
    "Thank you for this proposal. We will include it in next year's delivery plan of the programme. "
    "Officers will contact the author to agree the details.",
    "Accepted. This fits the council's digital inclusion strategy and will be funded from this process's "
    "budget. We will publish progress updates here.",
)
DELIVERY = (
    "A six-month trial starts in the spring, then a decision on rolling it out.",
    "Delivered in two stages over the next financial year.",
    "Procurement in the autumn; in place by the end of the year.",
)
REJECTED = (
    "Thank you for this proposal. We cannot take it forward: the building is not owned by the council, and the "
    "owner has declined.",
    "Thank you. A national scheme already covers this from next year, so funding it here would duplicate it.",
    "We looked at this carefully, but the cost is far above this process's budget for a single ward.",
)
EVALUATING = (
    "Officers are assessing this proposal with the ward councillors and the housing team. We expect to answer "
    "within six weeks.",
    "We are checking the costs with two suppliers and will answer as soon as we have their quotes.",
)


def seed() -> None:
    """Load the demo processes that are missing (idempotent)."""
    rng = random.Random(SEED)
    wards = {w.name: w for w in db.session.scalars(select(Ward))}
    if not wards:
        return
    residents = _residents(rng, wards)
    staff = {u.nickname: u for u in db.session.scalars(
        select(User).where(User.nickname.in_(("demo_verified", "demo_organiser", "demo_officer"))))}
    groups = list(db.session.scalars(select(Group).order_by(Group.id).limit(2)))
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    for spec in PROCESSES:
        if db.session.scalar(select(Process.id).where(Process.slug == spaces.slugify(spec["title"]))) is not None:
            continue
        process = _process(spec, now)
        categories = _categories(process, spec)
        if spec["proposals"]:
            _Loader(random.Random(f"{SEED}-{spec['key']}"), spec, process, categories, wards, residents,
                    staff, groups, now).run()
    db.session.flush()
    _notifications()


def _notifications() -> None:
    """The demo resident follows a few answered, talked-about proposals and has their news (idempotent)."""
    from civic.notifications import services as notifications
    from civic.notifications.models import Follow, Notification

    resident = db.session.scalar(select(User).where(User.nickname == "demo_resident"))
    if resident is None or db.session.scalar(select(Follow.id).where(Follow.user_id == resident.id)):
        return
    chosen = db.session.scalars(select(Proposal).where(
        Proposal.state == "published", Proposal.answer_state != "not_answered", Proposal.comments_count > 0)
        .order_by(Proposal.comments_count.desc(), Proposal.id).limit(3)).all()
    for proposal in chosen:
        notifications.follow(resident, "proposal", proposal.id)
        notifications.handle("proposal.answered", proposal, officer_id=proposal.answered_by_id)
        for comment in db.session.scalars(select(Comment).where(
                Comment.resource_type == "proposal", Comment.resource_id == proposal.id,
                Comment.hidden_at.is_(None), Comment.deleted_at.is_(None))
                .order_by(Comment.created_at.desc()).limit(2)):
            notifications.handle("comment.created", comment, resource_type="proposal", resource_id=proposal.id)
    # Demo history: nothing of it is to be mailed; the oldest half is read.
    mine = db.session.scalars(select(Notification.id).where(Notification.user_id == resident.id)
                              .order_by(Notification.id)).all()
    db.session.execute(update(Notification).where(Notification.emailed_at.is_(None)).values(emailed_at=utcnow()))
    db.session.execute(update(Notification).where(Notification.id.in_(mine[: len(mine) // 2]))
                       .values(read_at=utcnow()))
    notifications.discard_after_commit(db.session())


def _residents(rng: random.Random, wards: dict[str, Ward]) -> list[tuple[int, int]]:
    """About 60 confirmed, verified demo residents without a password: (user id, ward id) pairs."""
    names = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    names = names[:RESIDENTS]
    nicknames = [f"{f}_{last}".lower() for f, last in names]
    existing = {u.nickname: u for u in db.session.scalars(select(User).where(User.nickname.in_(nicknames)))}
    ward_ids = [wards[name].id for name in sorted(wards)]
    rows = []
    for (first, last), nickname in zip(names, nicknames, strict=True):
        ward_id = ward_ids[rng.randrange(len(ward_ids))]
        if nickname not in existing:
            rows.append({"nickname": nickname, "display_name": f"{first} {last}",
                         "email": f"{first}.{last}@residents.civic.localhost".lower(),
                         "email_confirmed_at": utcnow() - timedelta(days=200), "password_hash": None,
                         "ward_id": ward_id})
    if rows:
        ids = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows).all()
        db.session.execute(insert(UserRole), [{"user_id": i, "role": roles.VERIFIED} for i in ids])
    users = db.session.execute(select(User.id, User.ward_id).where(User.nickname.in_(nicknames))
                               .order_by(User.id)).all()
    return [(uid, ward_id or ward_ids[0]) for uid, ward_id in users]


def _process(spec: dict[str, Any], now: datetime) -> Process:
    phases = []
    for title, start, end, actions, description in spec["phases"]:
        phase = {"title": title, "description": description, "starts_at": now + timedelta(days=start),
                 "ends_at": now + timedelta(days=end)}
        phase.update({f"allow_{a}": True for a in actions})
        phases.append(phase)
    process = spaces.create_process(None, title=spec["title"], subtitle=spec["subtitle"],
                                    description=spec["description"], programme_slug=spec["programme"],
                                    ward_names=spec["wards"], phases=phases, published=True)
    process.published_at = now + timedelta(days=min(p[1] for p in spec["phases"]) - 14)
    settings = participation.get_or_create_settings(process)
    for name, value in spec["settings"].items():
        setattr(settings, name, value)
    db.session.flush()
    return process


def _categories(process: Process, spec: dict[str, Any]) -> dict[str, int]:
    rows = [{"process_id": process.id, "slug": spaces.slugify(name), "name": name} for name in spec["categories"]]
    ids = db.session.scalars(insert(Category).returning(Category.id, sort_by_parameter_order=True), rows).all()
    return dict(zip(spec["categories"], ids, strict=True))


class _Loader:
    """Proposals, supports, endorsements, comments and answers of one process, in bulk."""

    def __init__(self, rng: random.Random, spec: dict[str, Any], process: Process, categories: dict[str, int],
                 wards: dict[str, Ward], residents: list[tuple[int, int]], staff: dict[str, User],
                 groups: list[Group], now: datetime) -> None:
        self.rng, self.spec, self.process, self.categories = rng, spec, process, categories
        self.wards, self.residents, self.staff, self.groups, self.now = wards, residents, staff, groups, now
        propose = next(p for p in spec["phases"] if "propose" in p[3])
        self.propose_from = now + timedelta(days=propose[1])
        self.propose_until = min(now, now + timedelta(days=propose[2])) - timedelta(hours=2)
        self.ward_by_id = {w.id: name for name, w in wards.items()}

    def _between(self, start: datetime, end: datetime) -> datetime:
        span = max(60, int((end - start).total_seconds()))
        return start + timedelta(seconds=self.rng.randrange(span))

    def run(self) -> None:
        proposals = self._proposals()
        visible = [p for p in proposals if p["state"] == "published"]
        supports = self._supports(visible)
        endorsements = self._endorsements(visible)
        comments = self._comments(visible)
        self._answers(visible)
        self._counters(proposals, supports, endorsements, comments)

    # Proposals ------------------------------------------------------------------------------------------

    def _text(self, template: str, ward: str, street: str, place: str) -> str:
        return template.format(ward=ward, street=street, place=place, years=self.rng.randrange(3, 40))

    def _proposals(self) -> list[dict[str, Any]]:
        rng, ideas = self.rng, IDEAS[self.spec["key"]]
        authors = [uid for uid, _ward in self.residents]
        extra_authors = [self.staff[n].id for n in ("demo_verified", "demo_organiser") if n in self.staff]
        ward_names = sorted(self.wards)
        rows, titles, links = [], set(), []
        while len(rows) < self.spec["proposals"]:
            ward = ward_names[rng.randrange(len(ward_names))]
            (lat, lon), streets, places = WARD_PLACES[ward]
            street, place = rng.choice(streets), rng.choice(places)
            title_t, plan, cats = ideas[rng.randrange(len(ideas))]
            title = self._text(title_t, ward, street, place)
            title = title[0].upper() + title[1:]
            if title in titles or not 15 <= len(title) <= 150:
                continue
            titles.add(title)
            problem = rng.choice(PROBLEMS[cats[0]])
            body = "\n\n".join(filter(None, (
                f"{self._text(rng.choice(OPENINGS), ward, street, place)} {problem}",
                f"**What I propose:** {plan}.",
                f"{rng.choice(BENEFITS)} {rng.choice(MEASURES)}",
                rng.choice(CLOSINGS))))
            published = self._between(self.propose_from, self.propose_until)
            n = len(rows)
            author = extra_authors[n % len(extra_authors)] if extra_authors and n % 25 == 3 else rng.choice(authors)
            state = "published"
            if self.spec["key"] == "cleantech" and n % 40 == 17:
                state = "withdrawn"
            if self.spec["key"] == "cleantech" and n % 55 == 8 and extra_authors:
                state, author = "draft", extra_authors[0]
            located = rng.random() < 0.8
            rows.append({
                "process_id": self.process.id, "author_id": author, "title": title, "body": body,
                "ward_id": self.wards[ward].id,
                "latitude": round(lat + rng.uniform(-0.004, 0.004), 6) if located else None,
                "longitude": round(lon + rng.uniform(-0.006, 0.006), 6) if located else None,
                "address": f"{street}, London" if located else "",
                "state": state, "answer_state": "not_answered", "answer_text": "", "answer_delivery": "",
                "created_at": published - timedelta(minutes=rng.randrange(5, 300)),
                "published_at": None if state == "draft" else published,
                "withdrawn_at": published + timedelta(days=2) if state == "withdrawn" else None,
                "supports_count": 0, "comments_count": 0, "endorsements_count": 0,
            })
            links.append([c for c in cats if c in self.categories])
        ids = db.session.scalars(insert(Proposal).returning(Proposal.id, sort_by_parameter_order=True), rows).all()
        link_rows = []
        for pid, row, cats in zip(ids, rows, links, strict=True):
            row["id"] = pid
            link_rows += [{"proposal_id": pid, "category_id": self.categories[c]} for c in cats]
        if link_rows:
            db.session.execute(insert(ProposalCategoryLink), link_rows)
        return rows

    # Supports and endorsements --------------------------------------------------------------------------

    def _support_window(self) -> tuple[datetime, datetime]:
        phase = next(p for p in self.spec["phases"] if "support" in p[3])
        return self.now + timedelta(days=phase[1]), min(self.now, self.now + timedelta(days=phase[2]))

    def _supports(self, visible: list[dict[str, Any]]) -> dict[int, list[datetime]]:
        rng = self.rng
        low, high = self.spec["supports_per_resident"]
        start, end = self._support_window()
        weights = [rng.paretovariate(1.3) for _ in visible]
        rows, budgets = [], []
        published = {p["id"]: p["published_at"] for p in visible}
        given: dict[int, list[datetime]] = defaultdict(list)
        for uid, _ward in self.residents:
            want = rng.randint(low, high)
            chosen: set[int] = set()
            for _ in range(want * 4):
                if len(chosen) >= want:
                    break
                proposal = rng.choices(visible, weights)[0]
                if proposal["author_id"] != uid:
                    chosen.add(proposal["id"])
            for pid in sorted(chosen):
                at = self._between(max(start, published[pid]), end)
                rows.append({"proposal_id": pid, "user_id": uid, "process_id": self.process.id, "counted": True,
                             "created_at": at})
                given[pid].append(at)
            if chosen:
                budgets.append({"process_id": self.process.id, "user_id": uid, "used": len(chosen)})
        if rows:
            db.session.execute(insert(Support), rows)
            db.session.execute(insert(SupportBudget), budgets)
        return given

    def _endorsements(self, visible: list[dict[str, Any]]) -> dict[int, int]:
        rng = self.rng
        rows = []
        count: dict[int, int] = defaultdict(int)
        for proposal in rng.sample(visible, k=min(len(visible), len(visible) // 4)):
            endorsers = rng.sample(self.residents, k=rng.randint(1, 4))
            for uid, _ward in endorsers:
                rows.append({"proposal_id": proposal["id"], "user_id": uid, "endorser_key": f"u:{uid}",
                             "created_at": self._between(proposal["published_at"], self.now)})
                count[proposal["id"]] += 1
            if self.groups and rng.random() < 0.3:
                group = rng.choice(self.groups)
                if group.created_by_id:
                    rows.append({"proposal_id": proposal["id"], "user_id": group.created_by_id,
                                 "group_id": group.id, "endorser_key": f"g:{group.id}",
                                 "created_at": self._between(proposal["published_at"], self.now)})
                    count[proposal["id"]] += 1
        if rows:
            db.session.execute(insert(Endorsement), rows)
        return count

    # Comments -------------------------------------------------------------------------------------------

    def _comments(self, visible: list[dict[str, Any]]) -> dict[int, int]:
        rng = self.rng
        count: dict[int, int] = defaultdict(int)
        people = [uid for uid, _ward in self.residents]
        top, meta = [], []
        for proposal in rng.sample(visible, k=min(len(visible), max(1, len(visible) // 3))):
            street = WARD_PLACES[self.ward_by_id[proposal["ward_id"]]][1][0]
            for _ in range(rng.randint(1, 4)):
                alignment = rng.choice((1, 1, 1, 0, 0, -1))
                at = self._between(proposal["published_at"], self.now)
                top.append({"resource_type": "proposal", "resource_id": proposal["id"], "parent_id": None,
                            "depth": 0, "author_id": rng.choice(people), "alignment": alignment, "created_at": at,
                            "body": rng.choice(COMMENTS[alignment]).format(street=street),
                            "up_votes": 0, "down_votes": 0})
                meta.append(proposal["id"])
                count[proposal["id"]] += 1
        if not top:
            return count
        top_ids = db.session.scalars(insert(Comment).returning(Comment.id, sort_by_parameter_order=True),
                                     top).all()
        parents = list(zip(top_ids, top, meta, strict=True))
        for depth in (1, 2):
            replies, reply_meta = [], []
            for parent_id, parent, pid in parents:
                if rng.random() < (0.45 if depth == 1 else 0.3):
                    at = self._between(parent["created_at"], max(self.now, parent["created_at"]))
                    replies.append({"resource_type": "proposal", "resource_id": pid, "parent_id": parent_id,
                                    "depth": depth, "author_id": rng.choice(people), "alignment": 0,
                                    "created_at": at, "body": rng.choice(REPLIES), "up_votes": 0,
                                    "down_votes": 0})
                    reply_meta.append(pid)
                    count[pid] += 1
            if not replies:
                break
            ids = db.session.scalars(insert(Comment).returning(Comment.id, sort_by_parameter_order=True),
                                     replies).all()
            parents = list(zip(ids, replies, reply_meta, strict=True))
        self._votes([(cid, row["author_id"]) for cid, row in zip(top_ids, top, strict=True)], people)
        return count

    def _votes(self, comments: list[tuple[int, int]], people: list[int]) -> None:
        rng = self.rng
        rows = []
        tally: dict[int, list[int]] = {}
        for cid, author in comments:
            up = down = 0
            for uid in rng.sample([p for p in people if p != author], k=rng.randint(0, 6)):
                value = 1 if rng.random() < 0.75 else -1
                rows.append({"comment_id": cid, "user_id": uid, "value": value})
                up, down = up + (value == 1), down + (value == -1)
            if up or down:
                tally[cid] = [up, down]
        if rows:
            db.session.execute(insert(CommentVote), rows)
            db.session.execute(update(Comment), [{"id": cid, "up_votes": up, "down_votes": down}
                                                 for cid, (up, down) in tally.items()])

    # Official answers -----------------------------------------------------------------------------------

    def _answers(self, visible: list[dict[str, Any]]) -> None:
        answer = next((p for p in self.spec["phases"] if "answer" in p[3]), None)
        if answer is None or answer[1] > 0:
            return  # answering has not started in this process
        rng = self.rng
        officer = self.staff.get("demo_officer")
        start = self.now + timedelta(days=answer[1])
        rows = []
        for n, proposal in enumerate(sorted(visible, key=lambda p: p["id"])):
            kind = ("accepted", "rejected", "evaluating", "evaluating", "not_answered", "accepted", "rejected",
                    "not_answered", "evaluating", "not_answered")[n % 10]
            if kind == "not_answered":
                continue
            row = {"id": proposal["id"], "answer_state": kind, "answered_at": self._between(start, self.now),
                   "answered_by_id": officer.id if officer else None, "answer_cost": None, "answer_delivery": ""}
            if kind == "accepted":
                row["answer_text"] = rng.choice(ACCEPTED)
                row["answer_cost"] = Decimal(rng.randrange(4, 250) * 1000)
                row["answer_delivery"] = rng.choice(DELIVERY)
            else:
                row["answer_text"] = rng.choice(REJECTED if kind == "rejected" else EVALUATING)
            rows.append(row)
        if rows:
            db.session.execute(update(Proposal), rows)

    # Counters -------------------------------------------------------------------------------------------

    def _counters(self, proposals: list[dict[str, Any]], supports: dict[int, list[datetime]],
                  endorsements: dict[int, int], comments: dict[int, int]) -> None:
        threshold = self.spec["settings"].get("threshold", 0)
        rows = []
        for p in proposals:
            given = sorted(supports.get(p["id"], []))
            reached = given[threshold - 1] if threshold and len(given) >= threshold else None
            if given or endorsements.get(p["id"]) or comments.get(p["id"]):
                rows.append({"id": p["id"], "supports_count": len(given),
                             "endorsements_count": endorsements.get(p["id"], 0),
                             "comments_count": comments.get(p["id"], 0), "threshold_reached_at": reached})
        if rows:
            db.session.execute(update(Proposal), rows)
