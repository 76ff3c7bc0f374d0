"""Applies the case store's Alembic migrations from code, tests and the CLI."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot import config as settings
from bot.case_store.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = MIGRATIONS_DIR.parent / "alembic.ini"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the database at `url` (CASE_STORE_URL or the default when None)."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url or settings.case_store_url()
    config.attributes["configure_logging"] = False  # leave the caller's logging alone
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database's schema up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Take the database's schema down to `revision` (base: no tables)."""
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at, None when it has never been migrated."""
    engine = make_engine(url or settings.case_store_url())
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
