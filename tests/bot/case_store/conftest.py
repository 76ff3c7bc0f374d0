"""Case store tests run on a SQLite file and on a fresh PostgreSQL database per test."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from bot.case_store import CaseDatabase, CaseStore, upgrade
from bot.case_store.escalations import EscalationStore
from bot.case_store.outbox import Outbox
from devtools.processes import TEST_POSTGRES_URL
from tests.bot.case_store.support import SHANGHAI, Clock

# The same server the production profile's tests use (TEST_POSTGRES_URL; these machines run one).
PG_ADMIN_URL = TEST_POSTGRES_URL


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An autocommit engine on the PostgreSQL server; a failure saying how to point elsewhere if none."""
    engine = create_engine(
        PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the server: say where it was looked for
        engine.dispose()
        safe = make_url(PG_ADMIN_URL).render_as_string(hide_password=True)
        pytest.fail(f"PostgreSQL not reachable at {safe} (set TEST_POSTGRES_URL): {exc}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_database(pg_admin: Engine) -> Iterator[Callable[..., str]]:
    """Makes fresh databases (cases_test_<random>), optionally copies of a template; drops them after."""
    created: list[str] = []

    def create(template: str | None = None) -> str:
        name = _create_database(pg_admin, template)
        created.append(name)
        return _pg_url(name)

    yield create
    _drop_databases(pg_admin, created)


@pytest.fixture(scope="session")
def pg_template(pg_admin: Engine) -> Iterator[str]:
    """A PostgreSQL database migrated once, copied for each test that needs the schema."""
    name = _create_database(pg_admin, None)
    try:
        upgrade(_pg_url(name))
        yield name
    finally:
        _drop_databases(pg_admin, [name])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once, copied for each test that needs the schema."""
    path = tmp_path_factory.mktemp("template") / "cases.db"
    upgrade(f"sqlite:///{path}")
    return path


def _pg_url(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _create_database(admin: Engine, template: str | None) -> str:
    name = f"cases_test_{uuid.uuid4().hex[:16]}"
    with admin.connect() as connection:
        connection.execute(
            text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        )
    return name


def _drop_databases(admin: Engine, names: list[str]) -> None:
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that uses a database runs on both."""
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'cases.db'}"
    return request.getfixturevalue("pg_database")()


@pytest.fixture
def migrated_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database at the newest migration (a copy of a template migrated once per session)."""
    if backend == "sqlite":
        path = tmp_path / "cases.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    template = request.getfixturevalue("pg_template")
    return request.getfixturevalue("pg_database")(template)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def store(migrated_url: str, clock: Clock) -> Iterator[CaseStore]:
    case_store = CaseStore(CaseDatabase(migrated_url), business_timezone=SHANGHAI, clock=clock)
    yield case_store
    case_store.database.close()


@pytest.fixture
def escalations(migrated_url: str, clock: Clock) -> Iterator[EscalationStore]:
    store = EscalationStore(CaseDatabase(migrated_url), clock=clock)
    yield store
    store.database.close()


@pytest.fixture
def outbox(migrated_url: str) -> Iterator[Outbox]:
    store = Outbox(CaseDatabase(migrated_url))
    yield store
    store.database.close()
