"""Issue 14, item 5: the date of birth in GOV.UK's three boxes (a month by name too), answers carried forward to the
manual check with the ward filled from the postcode, and "Error: " at the start of every title with an error."""

from __future__ import annotations

import re

from sqlalchemy import select

from civic.db import db
from civic.verification.models import VerificationRequest
from tests.support.pages import field_error, input_value, link, main_text
from tests.verification.conftest import ward


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), flags=re.S).group(1).strip()


def test_a_resident_types_the_month_as_a_word(client_as, register):
    register(("W2 1AA", "1985-03-31", "Little Venice"))
    client, user = client_as("resident", ward=None)
    page = client.get("/verify/")
    for box, complete in (("date_of_birth", "bday-day"), ("date_of_birth-month", "bday-month"),
                          ("date_of_birth-year", "bday-year")):
        assert re.search(rf'<input[^>]*id="{box}"[^>]*autocomplete="{complete}"', page.text)
    assert "<legend" in page.text and "Date of birth</legend>" in page.text
    done = client.post("/verify/", data={"postcode": "W2 1AA", "date_of_birth-day": "31",
                                         "date_of_birth-month": "March", "date_of_birth-year": "1985"},
                       follow_redirects=True)
    assert "Thank you: you are now a verified resident of Little Venice." in main_text(done)


def test_a_missing_or_impossible_date_is_named_and_the_title_says_error(client_as):
    client, _ = client_as("resident")
    page = client.post("/verify/", data={"postcode": "W2 1AA", "date_of_birth-day": "31",
                                         "date_of_birth-month": "", "date_of_birth-year": "1985"})
    assert field_error(page, "date_of_birth") == "Date of birth must include a month"
    assert title(page).startswith("Error: Verify your residency")
    assert input_value(page, "date_of_birth") == "31" and input_value(page, "date_of_birth-year") == "1985"
    page = client.post("/verify/", data={"postcode": "W2 1AA", "date_of_birth-day": "31",
                                         "date_of_birth-month": "2", "date_of_birth-year": "1985"})
    assert field_error(page, "date_of_birth") == "Date of birth must be a real date"
    page = client.post("/verify/", data={"postcode": "W2 1AA", "date_of_birth-day": "",
                                         "date_of_birth-month": "", "date_of_birth-year": ""})
    assert field_error(page, "date_of_birth") == "Enter your date of birth."
    assert client.get("/verify/").status_code == 200 and not title(client.get("/verify/")).startswith("Error")


def test_the_manual_check_carries_the_answers_and_fills_the_ward(client_as, register, sectors):
    register(("W2 1AA", "1985-03-27", "Little Venice"))
    client, user = client_as("resident", ward=None)
    refused = client.post("/verify/", data={"postcode": "w2 1ab", "date_of_birth-day": "27",
                                            "date_of_birth-month": "3", "date_of_birth-year": "1985"})
    assert "We could not find these details in the residents register." in main_text(refused)
    assert title(refused).startswith("Error: ")
    manual = client.get(link(refused, "Ask for a manual check", in_main=True))
    assert input_value(manual, "postcode") == "W2 1AB"
    assert (input_value(manual, "date_of_birth"), input_value(manual, "date_of_birth-month"),
            input_value(manual, "date_of_birth-year")) == ("27", "3", "1985")
    assert re.search(rf'<option selected value="{ward("Little Venice").id}">|<option value="{ward("Little Venice").id}"'
                     r' selected>', manual.text)
    assert "We chose Little Venice from your postcode. Change it if it is wrong." in main_text(manual)

    empty = client.post("/verify/request", data={"postcode": "W2 1AB", "ward": "", "statement": ""})
    assert title(empty).startswith("Error: Ask for a manual check")
    assert field_error(empty, "statement")

    sent = client.post("/verify/request", data={"postcode": "W2 1AB", "ward": str(ward("Little Venice").id),
                                                "date_of_birth-day": "27", "date_of_birth-month": "3",
                                                "date_of_birth-year": "1985",
                                                "statement": "I moved here in March."})
    assert sent.status_code == 302
    req = db.session.scalars(select(VerificationRequest).where(VerificationRequest.user_id == user.id)).one()
    assert (req.postcode, req.ward.name, str(req.date_of_birth)) == ("W2 1AB", "Little Venice", "1985-03-27")


def test_with_no_postcode_known_the_hint_does_not_claim_a_choice(client_as, sectors):
    client, _ = client_as("resident")
    page = client.get("/verify/request")
    assert "We chose" not in page.text
    filled = client.post("/verify/request", data={"postcode": "W2 1AB", "ward": "", "statement": "I live here."})
    assert "We chose the ward Little Venice from your postcode. Check it is right, then send your request." \
        in main_text(filled)
    assert not title(filled).startswith("Error")


def test_a_question_label_reads_your_answer_with_the_limit_written_out(client_as):
    client, _ = client_as("resident")
    page = client.post("/verify/request", data={"postcode": "W2 1AB", "ward": str(ward("Little Venice").id),
                                                "statement": "x" * 2001})
    assert field_error(page, "statement") == "Your answer must be 2,000 characters or fewer"
