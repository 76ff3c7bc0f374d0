"""The SQLite files of customers' data are their owner's alone (0600, in a 0700 directory we make),
whatever the umask of the process that opens them first, and the scripts start every process with a
private umask."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.case_store import CaseDatabase, CaseStore, upgrade
from bot.config import PROJECT_ROOT
from bot.private_files import make_private, sqlite_file
from devtools.sandbox.database import SandboxDatabase
from tests.bot.case_store.support import SHANGHAI, refund_draft


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A process that would make every file readable (and writable) by anyone."""
    before = os.umask(0)
    yield
    os.umask(before)


def test_the_case_store_file_is_made_private_with_its_directory(tmp_path: Path, open_umask: None) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'cases.db'}"
    upgrade(url)
    with CaseDatabase(url) as database:
        CaseStore(database, business_timezone=SHANGHAI).open_ticket(refund_draft())
        wal, shm = (tmp_path / "var" / f"cases.db-{suffix}" for suffix in ("wal", "shm"))
        assert wal.exists() and shm.exists()
        assert (mode(tmp_path / "var" / "cases.db"), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    assert mode(tmp_path / "var") == 0o700


def test_a_database_left_readable_by_an_older_version_is_made_private(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    path = tmp_path / "cases.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    (tmp_path / "cases.db-wal").write_bytes(b"")
    (tmp_path / "cases.db-wal").chmod(0o664)

    CaseDatabase(f"sqlite:///{path}").close()

    assert mode(path) == mode(tmp_path / "cases.db-wal") == 0o600
    assert mode(tmp_path) == 0o755  # a directory we did not make is left as it was


def test_the_sandbox_database_is_private_too(tmp_path: Path, open_umask: None) -> None:
    sandbox = SandboxDatabase(f"sqlite:///{tmp_path / 'sandbox.db'}")
    sandbox.reset([])
    sandbox.engine.dispose()
    assert mode(tmp_path / "sandbox.db") == 0o600


def test_only_sqlite_files_are_touched() -> None:
    assert sqlite_file("postgresql://postgres@127.0.0.1/test") is None
    assert sqlite_file("sqlite://") is None and sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("sqlite:////srv/var/cases.db") == Path("/srv/var/cases.db")


def test_an_existing_database_keeps_its_contents(tmp_path: Path) -> None:
    path = tmp_path / "kept.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (42)")
    make_private(path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT x FROM t").fetchall() == [(42,)]


def test_the_scripts_start_everything_with_a_private_umask_and_var() -> None:
    done = subprocess.run(
        ["bash", "-c", 'source scripts/common.sh && umask && stat -c %a "$ROOT/var"'],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stdout.split() == ["0077", "700"]
