"""Alembic environment: the engine comes from Civic (``flask civic migrate``) or the environment."""

import importlib
import importlib.util

from alembic import context

import civic.models  # noqa: F401 - registers every core table on Base.metadata
from civic.app import DOMAIN_PACKAGES
from civic.config import from_environment
from civic.db import Base, make_engine

for _package in DOMAIN_PACKAGES:  # each domain's tables, where it has any
    if importlib.util.find_spec(f"{_package}.models") is not None:
        importlib.import_module(f"{_package}.models")

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(from_environment()["DATABASE_URL"])
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
