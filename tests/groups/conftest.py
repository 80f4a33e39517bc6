"""Fixtures for community groups: ``make_group`` and ``make_people`` come from tests/conftest.py (on
tests/factories.py); the helpers that read group state afresh are in tests/groups/helpers.py."""
