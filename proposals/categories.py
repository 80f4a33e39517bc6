"""Categories of a process's proposals ("Cycling", "Green space"): officers add, rename and remove them on the
settings page; authors tag their proposals with them; the list filters by them. Changes are audit-logged."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from civic import policy
from civic.accounts.models import User
from civic.audit import audit
from civic.db import Page, db, paginate
from civic.errors import NotFound, RuleViolation
from civic.slugs import slugify
from civic.spaces.models import Process
from proposals.models import Category, execute

CATEGORY_NAME_MAX = 80
CATEGORIES_PER_PAGE = 50


def categories_for(process: Process) -> list[Category]:
    """All the process's categories, by name: the choices of the proposal form and of the list's filter."""
    return list(db.session.scalars(select(Category).where(Category.process_id == process.id)
                                   .order_by(Category.name)))


def categories_page(process: Process, page: int) -> Page:
    stmt = select(Category).where(Category.process_id == process.id).order_by(Category.name, Category.id)
    return paginate(stmt, page, CATEGORIES_PER_PAGE)


def get_category(process: Process, category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None or category.process_id != process.id:
        raise NotFound("We could not find that category.")
    return category


def _category_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise RuleViolation("Enter the category's name.", field="name")
    if len(name) > CATEGORY_NAME_MAX:
        raise RuleViolation(f"Keep the name to {CATEGORY_NAME_MAX} characters or fewer.", field="name")
    slug = slugify(name)
    if not slug:
        raise RuleViolation("Use at least one letter or digit in the name.", field="name")
    return name


def _save_category(category: Category, name: str) -> None:
    try:
        with db.session.begin_nested():
            category.name = name
            category.slug = slugify(name)
            db.session.add(category)
    except IntegrityError:
        raise RuleViolation(f"There is already a category called “{name}” in this process.", field="name") from None


def add_category(officer: User, process: Process, name: str) -> Category:
    policy.require(officer, "proposal.settings", process)
    name = _category_name(name)
    category = Category(process_id=process.id)
    _save_category(category, name)
    audit(officer, "proposal.category_add", "process", process.id, label=process.title, after={"category": name})
    return category


def rename_category(officer: User, category: Category, name: str) -> Category:
    process = db.session.get(Process, category.process_id)
    policy.require(officer, "proposal.settings", process)
    name = _category_name(name)
    old = category.name
    if name == old:
        return category
    _save_category(category, name)
    audit(officer, "proposal.category_rename", "process", category.process_id,
          label=process.title if process else "", before={"category": old}, after={"category": name})
    return category


def remove_category(officer: User, category: Category) -> None:
    """Remove a category; proposals keep everything else (their links go with it)."""
    process = db.session.get(Process, category.process_id)
    policy.require(officer, "proposal.settings", process)
    name, process_id = category.name, category.process_id
    execute(delete(Category).where(Category.id == category.id))
    db.session.expunge(category)
    audit(officer, "proposal.category_remove", "process", process_id, label=process.title if process else "",
          before={"category": name})
