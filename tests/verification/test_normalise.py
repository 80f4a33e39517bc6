"""Postcode and date of birth as residents type them, and the keyed hash the register stores."""

import hashlib
import hmac
from datetime import date

import pytest

from civic.errors import RuleViolation
from civic.verification import services


@pytest.mark.parametrize(("typed", "normalised"), [
    ("W2 1AA", "W2 1AA"), ("w21aa", "W2 1AA"), ("  sw1p  2ab ", "SW1P 2AB"), ("W1H 5BT", "W1H 5BT"),
    ("NW8 9LE", "NW8 9LE"), ("EC1A 1BB", "EC1A 1BB"), ("m1 1ae", "M1 1AE"), ("W10\t4AB", "W10 4AB"),
])
def test_postcodes_are_upper_case_with_one_space(typed, normalised):
    assert services.normalise_postcode(typed) == normalised


@pytest.mark.parametrize("typed", ["", "W2", "W2 1A", "12 3AB", "W2 1CA", "WWW2 1AA", "W2 1AA X", "W2-1AA",
                                   "W2 AAA", None])
def test_bad_postcodes_get_a_clear_message(typed):
    with pytest.raises(RuleViolation) as caught:
        services.normalise_postcode(typed)
    assert caught.value.message == "Enter a postcode like W2 1AA"
    assert caught.value.field == "postcode"


def test_postcode_sector():
    assert services.postcode_sector("W2 1AA") == "W2 1"
    assert services.postcode_sector("SW1X 7LY") == "SW1X 7"


@pytest.mark.parametrize("typed", ["1985-03-27", "27/03/1985", "27/3/1985", " 27/03/1985 "])
def test_dates_of_birth_in_both_formats(typed):
    assert services.normalise_date_of_birth(typed, today=date(2026, 1, 1)) == date(1985, 3, 27)


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter your date of birth like 27/3/1985."),
    ("31/02/1985", "Enter your date of birth like 27/3/1985."),
    ("03-27-1985", "Enter your date of birth like 27/3/1985."),
    ("2026-01-01", "Your date of birth must be in the past."),
    ("2030-05-05", "Your date of birth must be in the past."),
    ("2010-01-02", "You must be 16 or over to verify your residency."),
    ("1905-01-01", "Check the year of your date of birth."),
])
def test_bad_dates_of_birth(typed, message):
    with pytest.raises(RuleViolation) as caught:
        services.normalise_date_of_birth(typed, today=date(2026, 1, 1))
    assert caught.value.message == message
    assert caught.value.field == "date_of_birth"


def test_age_limits_are_inclusive():
    today = date(2026, 1, 1)
    assert services.normalise_date_of_birth("2010-01-01", today=today) == date(2010, 1, 1)  # 16 today
    assert services.normalise_date_of_birth("1906-01-01", today=today) == date(1906, 1, 1)  # 120 today


def test_hash_is_hmac_sha256_of_postcode_and_iso_date(app):
    expected = hmac.new(app.config["SECRET_KEY"].encode(), b"W2 1AA|1985-03-27", hashlib.sha256).hexdigest()
    assert services.lookup_hash("W2 1AA", date(1985, 3, 27)) == expected


def test_hash_uses_the_register_pepper_when_set(app):
    app.config["REGISTER_PEPPER"] = "another pepper"
    try:
        expected = hmac.new(b"another pepper", b"W2 1AA|1985-03-27", hashlib.sha256).hexdigest()
        assert services.lookup_hash("W2 1AA", date(1985, 3, 27)) == expected
    finally:
        app.config["REGISTER_PEPPER"] = None
