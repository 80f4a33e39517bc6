"""The words of the school's demo data: Westminster-flavoured digital-skills and robotics courses, and the
libraries where their sessions happen."""

from __future__ import annotations

#: (ward, library and address)
LIBRARIES = (
    ("Church Street", "Church Street Library, Church Street, NW8 8EU"),
    ("Maida Vale", "Maida Vale Library, Sutherland Avenue, W9 2QT"),
    ("Marylebone", "Marylebone Library, Beaumont Street, W1G 6DQ"),
    ("Pimlico North", "Pimlico Library, Rampayne Street, SW1V 2PU"),
    ("Queen's Park", "Queen's Park Library, Harrow Road, W10 4NE"),
    ("West End", "Mayfair Library, South Audley Street, W1K 2PS"),
    ("Harrow Road", "Paddington Library, Porchester Road, W2 5DU"),
)

#: title, topic, level, audience, minutes, summary, accessibility, lessons [(title, minutes, body)], session
#: (library index, days from now, places, booked) or None, quiz on the first lesson [(question, kind, answers)]
COURSES = (
    ("Your first steps online", "digital-skills", "beginner", "older-residents", 120,
     "Learn to use a tablet or computer at your own pace: switching on, tapping and typing, and finding "
     "things on the web. No experience needed.",
     "Large-print handouts. Sessions are step-free with a hearing loop. Bring your own tablet or borrow one.",
     [("Switching on and finding your way", 15,
       "Press and hold the **power button** until the screen lights up.\n\n- Tap once to open\n- Swipe to move\n"
       "\nTake your time: nothing breaks if you tap the wrong thing."),
      ("Searching the web", 20,
       "Open the web browser and type what you are looking for, for example *Westminster libraries opening "
       "times*. Read more at [Westminster libraries](https://www.westminster.gov.uk/libraries)."),
      ("Staying in touch by video call", 25,
       "A video call lets you see family and friends. Ask a helper to set up the app the first time.")],
     (0, 6, 10, 9),
     [("What do you press to switch a tablet on?", "single",
       [("The power button", True, "Yes: press and hold it."), ("The screen", False, "Not yet: the screen is off."),
        ("The volume button", False, "That changes how loud it is.")])]),
    ("Online safety for everyone", "online-safety", "beginner", "everyone", 90,
     "Spot scam emails and texts, make strong passwords and keep your accounts safe.",
     "Captions on every video. Plain-English handouts.",
     [("Scam messages", 20, "A message that rushes you, asks for money or asks for a password is a warning sign."),
      ("Strong passwords", 20, "Three random words make a strong password: **TeapotRiverCloud**.")],
     (3, 10, 15, 4),
     [("Which of these are warning signs of a scam?", "multiple",
       [("It says you must act within an hour", True, "Yes: scammers rush you."),
        ("It asks for your bank password", True, "Yes: your bank never asks for it."),
        ("It comes from a friend you were expecting", False, "Usually safe, but check if it seems odd.")])]),
    ("Robotics workshop: build a line-following robot", "robotics", "beginner", "young-people", 180,
     "Build and program a small robot that follows a line, in a hands-on workshop for ages 11 to 16.",
     "All equipment provided. Step-free access; quiet room available.",
     [("What is a robot?", 10, "A robot **senses**, **decides** and **acts**."),
      ("Sensors and motors", 20, "A light sensor sees the line; the motors turn the wheels.")],
     (1, 8, 8, 8),  # nearly full, with a waitlist
     None),
    ("Understanding open data about your ward", "data", "intermediate", "adults", 150,
     "Find and read the council's open data about your ward: air quality, footfall and services, with "
     "spreadsheets.",
     "Screen-reader friendly spreadsheets.",
     [("What is open data?", 15, "Data anyone can use and share, published under the Open Government Licence."),
      ("Reading a spreadsheet", 30, "Rows are records, columns are what is recorded about each.")],
     (2, 14, 12, 3),
     None),
    ("Coding for beginners with Python", "coding", "beginner", "young-people", 240,
     "Write your first programs in Python: variables, loops and a small game.",
     "Laptops provided. Dyslexia-friendly fonts on request.",
     [("Your first program", 20, "Type `print(\"Hello, Westminster\")` and run it."),
      ("Loops", 25, "A loop does something many times.")],
     (4, 12, 12, 2),
     None),
    ("Digital skills for council staff: accessible documents", "digital-skills", "intermediate", "council-staff",
     60,
     "Make documents everyone can read: headings, alternative text and plain English.",
     "",
     [("Headings and structure", 15, "Use real headings, in order, so screen readers can move through them.")],
     None,
     None),
)

LEARNERS = ("Amina Hassan", "Tom Okafor", "Grace Li", "Yusuf Ahmed", "Maria Santos", "Peter Nowak", "Leila Karimi",
            "Sam Brown", "Joy Mensah", "Hugo Martin", "Nadia Rahman", "Ben Clarke")
