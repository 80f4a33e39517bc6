"""The demo's words: Westminster's wards and streets, residents' names, the three processes, proposal ideas,
the sentences proposals and comments are made of, and the officers' answers.

Only data: ``proposals.demo`` (the seeder) combines them with a fixed random seed.
"""

from __future__ import annotations

from typing import Any

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
