import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from bot.case_store import CaseStore, current_revision, downgrade, head_revision, upgrade
from bot.case_store.__main__ import main
from bot.case_store.models import metadata
from bot.config import case_store_url
from tests.bot.case_store.support import SHANGHAI, refund_draft, store_at

ROOT = Path(__file__).resolve().parents[3]
TABLES = {"tickets", "ticket_events", "ticket_sequences"}


def _tables(url: str) -> set[str]:
    engine = create_engine(url, future=True)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_round_trip(database_url: str) -> None:
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert current_revision(database_url) == head_revision()
    assert _tables(database_url) >= TABLES
    downgrade(database_url, "base")
    assert current_revision(database_url) is None
    assert not _tables(database_url) & TABLES
    upgrade(database_url)
    assert _tables(database_url) >= TABLES


def test_migrations_match_the_models(migrated_url: str) -> None:
    engine = create_engine(migrated_url, future=True)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASE_STORE_URL", raising=False)
    assert case_store_url() == "sqlite:///var/cases.db"
    monkeypatch.setenv("CASE_STORE_URL", "postgresql+psycopg2://cases@db/cases")
    assert case_store_url() == "postgresql+psycopg2://cases@db/cases"


def _cli(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASE_STORE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.case_store", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_upgrade_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'cases.db'}"
    upgraded = _cli("upgrade", url=url, cwd=tmp_path)  # the real `python -m bot.case_store`
    assert upgraded.returncode == 0, upgraded.stderr
    assert head_revision() in upgraded.stdout
    with store_at(CaseStore, url, business_timezone=SHANGHAI) as store:
        ticket = store.open_ticket(refund_draft())

    assert main(["--url", url, "show", ticket.number.lower()]) == 0
    shown = capsys.readouterr().out
    assert ticket.number in shown
    assert "open" in shown and "2026-12-03" in shown and "**** 4821" in shown

    assert main(["--url", url, "show", ticket.number, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["amount"] == "128.50"

    assert main(["--url", url, "show", "RF-20990101-0001-Z"]) == 1
    assert "no ticket" in capsys.readouterr().err


def test_cli_default_database_is_var_cases_db(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CASE_STORE_URL"}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "bot.case_store", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "cases.db").exists()


def test_cli_show_before_upgrade_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--url", f"sqlite:///{tmp_path / 'empty.db'}", "show", "RF-20261126-0001-V"]) == 2
    assert "python -m bot.case_store upgrade" in capsys.readouterr().err
