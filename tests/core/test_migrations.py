"""The models and the migration head agree, on SQLite and on PostgreSQL."""

import importlib

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select

import civic.models  # noqa: F401
from civic.app import DOMAIN_PACKAGES
from civic.db import Base, db
from civic.migrate import alembic_config
from civic.spaces.models import Programme, Ward


def _all_models():
    for name in DOMAIN_PACKAGES:
        try:
            importlib.import_module(f"{name}.models")
        except ModuleNotFoundError:
            continue


def test_models_match_migration_head():
    _all_models()
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_database_is_at_the_single_head():
    script = ScriptDirectory.from_config(alembic_config(db.engine))
    assert len(script.get_heads()) == 1, "migrations must form one linear history"
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    assert current == script.get_current_head()


def test_reference_data_is_loaded():
    wards = db.session.scalars(select(Ward.name).order_by(Ward.name)).all()
    assert len(wards) == 18
    assert "Knightsbridge & Belgravia" in wards and "Queen's Park" in wards
    assert db.session.scalars(select(Programme.name).order_by(Programme.position)).all() == [
        "Extraordinary Experiences", "Innovative Economy", "Empowering People", "CleanTech City"]
