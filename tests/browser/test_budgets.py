"""A verified resident chooses projects of a participatory budget in Chromium: the live total is recalculated as
boxes are ticked, in an aria-live region (what a screen reader announces), over the budget said at once; then the
review step and the receipt. Every page passes axe-core, has one h1 and does not scroll sideways at 320 px."""

from __future__ import annotations

import pytest

from civic.db import db
from tests.browser.conftest import sign_in
from tests.browser.test_pages import NARROW
from tests.browser.test_spaces import check

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


PROJECTS = (("Trees on Edgware Road", "40000"), ("A play street", "30000"), ("Water fountains", "10000"))


def _budget() -> int:
    """An open city-wide budget of £60,000 with three projects, in a process that opens voting (the core's
    factories; the rows as tests/consultations/budget_factories.py writes them)."""
    from datetime import timedelta
    from decimal import Decimal

    from civic.db import utcnow
    from consultations.models import Budget, BudgetHeading, BudgetProject, Consultation, Option, Question
    from tests import factories

    now = utcnow()
    process = factories.process(allow_vote=True, commit=False)
    consultation = Consultation(title="Browser budget 2027", opens_at=now - timedelta(days=1),
                                closes_at=now + timedelta(days=7), state="published",
                                published_at=now - timedelta(days=2), process_id=process.id)
    question = Question(kind="budget", title="City", options=[Option(text=t, position=n)
                                                              for n, (t, _c) in enumerate(PROJECTS)])
    consultation.questions.append(question)
    made = Budget(consultation=consultation, total=Decimal("60000"))
    made.headings.append(BudgetHeading(amount=Decimal("60000"), question=question))
    db.session.add_all([consultation, made])
    db.session.flush()
    for n, (title, cost) in enumerate(PROJECTS):
        db.session.add(BudgetProject(budget_id=made.id, heading_id=made.headings[0].id,
                                     option_id=question.options[n].id, title=title, cost=Decimal(cost), position=n,
                                     latitude=51.52 + n / 1000, longitude=-0.17))
    db.session.commit()
    return made.id


@pytest.fixture
def budget_id(live_server) -> int:
    from consultations.models import Budget, BudgetProject

    with live_server.app.app_context():
        budget_id = _budget()
        yield budget_id
        consultation = db.session.get(Budget, budget_id).consultation
        process = consultation.process
        db.session.execute(BudgetProject.__table__.delete().where(BudgetProject.budget_id == budget_id))
        db.session.delete(consultation)
        db.session.delete(process)
        db.session.commit()


def test_the_live_total_is_announced_and_the_ballot_is_cast(new_context, budget_id):  # noqa: F811 - the fixture
    problems: list[str] = []
    _context, page, _watch = new_context(viewport=NARROW)
    sign_in(page, "verified")
    page.goto(f"/budgets/{budget_id}")
    page.wait_for_load_state()
    check(page, problems)
    region = page.locator("[data-budget-total]")
    assert region.get_attribute("aria-live") == "polite"
    page.get_by_label("Trees on Edgware Road — £40,000").check()
    assert "you have chosen £40,000 of £60,000 (£20,000 left)" in region.inner_text()
    page.get_by_label("A play street — £30,000").check()
    assert "you have chosen £70,000 of £60,000 (£0 left). Over the budget by £10,000." in region.inner_text()
    page.get_by_label("A play street — £30,000").uncheck()
    page.get_by_label("Water fountains — £10,000").check()
    assert "you have chosen £50,000 of £60,000 (£10,000 left)" in region.inner_text()
    page.get_by_role("button", name="Review my choice").click()
    page.wait_for_load_state()
    check(page, problems)
    assert page.get_by_text("Your ballot is final.").count() == 1
    page.get_by_role("button", name="Cast my ballot").click()
    page.wait_for_load_state()
    check(page, problems)
    assert page.get_by_role("heading", name="Your ballot is cast").count() == 1
    assert not problems, "\n".join(problems)
