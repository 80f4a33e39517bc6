"""Fixtures for the Urban Data School's tests, on ``tests/skills_school/factories.py``:
``make_course(instructor, ...)``, ``make_lesson``, ``make_quiz``, ``make_session``; ``instructor`` and
``learner`` (people with those roles)."""

from __future__ import annotations

import pytest

from tests.conftest import handed
from tests.skills_school import factories

make_course = handed(factories.course, "make_course")
make_lesson = handed(factories.lesson, "make_lesson")
make_quiz = handed(factories.quiz, "make_quiz")
make_session = handed(factories.session, "make_session")


@pytest.fixture
def instructor(make_user):
    return make_user("instructor")


@pytest.fixture
def learner(make_user):
    return make_user("resident")
