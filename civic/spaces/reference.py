"""Reference data shipped with Civic: the 18 Westminster wards (2022 boundaries) and the four
SMART City programmes. The first migration loads them; ``flask civic seed-demo`` checks them."""

WARDS = (
    "Abbey Road", "Bayswater", "Church Street", "Harrow Road", "Hyde Park", "Knightsbridge & Belgravia",
    "Lancaster Gate", "Little Venice", "Maida Vale", "Marylebone", "Pimlico North", "Pimlico South",
    "Queen's Park", "Regent's Park", "St James's", "Vincent Square", "West End", "Westbourne",
)

PROGRAMMES = (
    ("extraordinary-experiences", "Extraordinary Experiences",
     "Culture, heritage and public space: a city people want to visit, live and play in."),
    ("innovative-economy", "Innovative Economy",
     "Businesses, skills and jobs: an economy where new ideas can start and grow."),
    ("empowering-people", "Empowering People",
     "Digital inclusion, health and participation: everyone able to take part."),
    ("cleantech-city", "CleanTech City",
     "Clean air, low energy and less waste: technology for a healthier city."),
)


def slugify(name: str) -> str:
    out = []
    for ch in name.lower().replace("&", "and"):
        if ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")
