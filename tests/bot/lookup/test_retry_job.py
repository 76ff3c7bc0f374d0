"""The retry job as the operator runs it: `python -m bot.lookup.retry_job` in a process of its own."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.case_store import CaseDatabase, CaseStore, PendingDraft, Ticket, upgrade
from bot.config import PROJECT_ROOT
from bot.lookup.complaint import CaseResult
from bot.lookup.retry_job import describe
from bot.merchant_api import MerchantAPI, Transaction
from tests.bot.case_store.support import SHANGHAI
from tests.devtools.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    server = SandboxServer(workdir=tmp_path_factory.mktemp("retry-sandbox")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def txn0005(sandbox: SandboxServer) -> Transaction:
    """TXN0005 as the sandbox serves it, its time shifted to the run."""

    async def fetch() -> Transaction:
        async with MerchantAPI(sandbox.base_url, sandbox.api_key) as api:
            return await api.get("TXN0005")

    return asyncio.run(fetch())


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    upgrade(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[CaseStore]:
    case_store = CaseStore(CaseDatabase(store_url), business_timezone=SHANGHAI)
    yield case_store
    case_store.database.close()


def waiting(store: CaseStore, t: Transaction, conversation_id: str = "conv-cli") -> Ticket:
    """A complaint about t recorded while the merchant API was down."""
    return store.open_pending_lookup(
        PendingDraft(
            conversation_id=conversation_id,
            language="zh",
            amount=t.amount,
            window_start=t.created_at - timedelta(minutes=5),
            window_end=t.created_at + timedelta(minutes=5),
            terminal_id=t.terminal_id,
        )
    )


def environment(sandbox: SandboxServer, store_url: str) -> dict[str, str]:
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("MERCHANT_API", "CASE_"))
    }
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        MERCHANT_API_URL=sandbox.base_url,
        MERCHANT_API_KEY=sandbox.api_key,
        CASE_STORE_URL=store_url,
        TIMELINES_FILE=str(PROJECT_ROOT / "timelines.yml"),
    )
    return env


def retry_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.lookup.retry_job", *args]


def test_once_completes_the_waiting_lookups_and_exits(
    sandbox: SandboxServer, txn0005: Transaction, store_url: str, store: CaseStore
) -> None:
    pending = waiting(store, txn0005)

    done = subprocess.run(
        retry_command("--once"),
        cwd=PROJECT_ROOT,
        env=environment(sandbox, store_url),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    case = store.get(pending.number)
    assert (case.kind, case.status, case.outcome, case.transaction_id) == (
        "refund",
        "open",
        "refund_ticket",
        "TXN0005",
    )
    assert case.former_number == pending.number and case.expected_by is not None
    assert (
        f"completed {pending.number} -> refund_ticket (reversal_pending), ticket {case.number}" in done.stderr
    )
    assert "round done: 1 lookup(s) completed" in done.stderr
    assert store.pending_lookups() == []


def test_once_keeps_the_lookup_waiting_while_the_api_is_down(
    sandbox: SandboxServer, txn0005: Transaction, store_url: str, store: CaseStore
) -> None:
    pending = waiting(store, txn0005)
    sandbox.set_faults(down=True)
    try:
        done = subprocess.run(
            retry_command("--once"),
            cwd=PROJECT_ROOT,
            env=environment(sandbox, store_url),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        sandbox.heal()

    assert done.returncode == 0, done.stderr
    ticket = store.get(pending.number)
    assert (ticket.status, ticket.lookup_attempts) == ("waiting_for_lookup", 1)
    assert "round done: 0 lookup(s) completed" in done.stderr


def test_a_broken_store_fails_once_with_status_1(sandbox: SandboxServer, tmp_path: Path) -> None:
    never_migrated = f"sqlite:///{tmp_path / 'empty.db'}"
    done = subprocess.run(
        retry_command("--once"),
        cwd=PROJECT_ROOT,
        env=environment(sandbox, never_migrated),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "retry round failed" in done.stderr


def test_sigterm_stops_the_loop_cleanly(
    sandbox: SandboxServer, txn0005: Transaction, store_url: str, store: CaseStore, tmp_path: Path
) -> None:
    pending = waiting(store, txn0005)
    log = tmp_path / "retry.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            retry_command("--interval", "3600"),
            cwd=PROJECT_ROOT,
            env=environment(sandbox, store_url),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "round done" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "round done: 1 lookup(s) completed" in log.read_text()
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        # It was waiting out a one-hour interval: the signal ends the wait at once.
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "SIGTERM: stopping after the round in progress" in log.read_text()
    assert log.read_text().rstrip().endswith("stopped")
    assert store.get(pending.number).status == "open"


def test_a_bad_configuration_stops_it_at_start(
    sandbox: SandboxServer, store_url: str, tmp_path: Path
) -> None:
    env = environment(sandbox, store_url)
    env["TIMELINES_FILE"] = str(tmp_path / "missing.yml")
    done = subprocess.run(
        retry_command("--once"), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "cannot start: timelines: cannot read" in done.stderr


@pytest.mark.parametrize("interval", ["0", "-5", "soon"])
def test_the_interval_must_be_a_positive_number(interval: str) -> None:
    done = subprocess.run(
        retry_command("--interval", interval), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "--interval" in done.stderr


def test_describe_names_the_lookup_the_case_and_the_date(txn0005: Transaction) -> None:
    result = CaseResult(
        "refund_ticket",
        "reversal_pending",
        "RF-20261126-0003-X",
        txn0005,
        date(2026, 12, 1),
        "LK-20261126-0003-P",
    )
    assert describe(result) == (
        "LK-20261126-0003-P -> refund_ticket (reversal_pending), ticket RF-20261126-0003-X, "
        "transaction TXN0005, expected by 2026-12-01"
    )
    assert describe(CaseResult("no_charge", "declined", None, None, None, "LK-20261126-0004-Q")) == (
        "LK-20261126-0004-Q -> no_charge (declined)"
    )
