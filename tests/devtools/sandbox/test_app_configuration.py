"""The sandbox's configuration: a transactions file, faults from the environment, bad settings
stopping the start, shifting times, and transactions replaced by a control request.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from bot import config
from bot.config import PROJECT_ROOT
from devtools.sandbox import Faults, create_app
from devtools.sandbox.__main__ import main
from tests.bot.merchant_api.spec import OpenAPISpec
from tests.devtools.sandbox.conftest import spec_checked_client
from tests.devtools.sandbox.server import SandboxServer

CONTRACT_LINE = (
    "transaction_id,merchant_id,merchant_name,terminal_id,card_last4,card_type,network,amount,currency,"
    "created_at,response_code,terminal_result,reversal_status,settlement_status"
)


def test_it_loads_sandbox_transactions(tmp_path: Path, openapi: OpenAPISpec) -> None:
    csv_file = tmp_path / "fixture.csv"
    csv_file.write_text(
        "\n".join(
            [
                CONTRACT_LINE,
                "F1,123456789012345,Test Mart,ab12cd34,1111,credit,visa,9.90,CNY,2024-03-01T10:00:00+08:00,"
                "00,failed,pending,unsettled",
                "F2,123456789012345,Test Mart,AB12CD34,2222,debit,unionpay,9.90,CNY,"
                "2024-03-01T02:03:00+00:00,00,completed,none,settled",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    server = SandboxServer(workdir=tmp_path / "server", env={"SANDBOX_TRANSACTIONS": str(csv_file)}).start()
    try:
        with spec_checked_client(server, openapi, headers={"X-API-Key": server.api_key}) as client:
            params = {
                "start": "2024-03-01T09:00:00+08:00",
                "end": "2024-03-01T11:00:00+08:00",
                "amount": "9.9",
            }
            found = client.get("/v1/transactions", params={**params, "terminal_id": "AB12CD34"}).json()
            assert [t["transaction_id"] for t in found["transactions"]] == [
                "F1",
                "F2",
            ]  # times kept, not shifted
            assert found["transactions"][1]["created_at"] == "2024-03-01T02:03:00+00:00"
            assert (
                found["transactions"][0]["terminal_id"] == "AB12CD34"
                and found["transactions"][0]["rrn"] is None
            )
            assert client.get("/v1/transactions/TXN0005").status_code == 404  # not the seed
    finally:
        server.stop()


def test_faults_from_the_environment(tmp_path: Path, openapi: OpenAPISpec) -> None:
    env = {"SANDBOX_DOWN": "1", "SANDBOX_LATENCY_MS": "5", "SANDBOX_ERROR_RATE": "0.25"}
    server = SandboxServer(workdir=tmp_path, env=env).start()
    try:
        with spec_checked_client(server, openapi) as client:
            assert client.get("/_faults").json() == {"latency_ms": 5, "error_rate": 0.25, "down": True}
            assert client.get("/health").status_code == 503
    finally:
        server.stop()


def test_without_a_key_of_its_own_it_takes_the_merchant_api_key_of_the_assistant(tmp_path: Path) -> None:
    """So the local profile's lookups get in, and the former public default `sandbox-key` does not."""
    local = {"SECRETS_FILE": str(tmp_path / "secrets.env")}
    server = SandboxServer(workdir=tmp_path, env=local, api_key="").start()
    try:
        merchant_key = config.text("MERCHANT_API_KEY", {**os.environ, **local})
        for key, status in (("sandbox-key", 401), (merchant_key, 200)):
            answer = httpx.get(f"{server.base_url}/v1/transactions/TXN0005", headers={"X-API-Key": key})
            assert answer.status_code == status, key
    finally:
        server.stop()


def test_a_bad_transactions_file_stops_the_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,amount\n1,2\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "devtools.sandbox", "--port", "1", "--db", f"sqlite:///{tmp_path / 'x.db'}"],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), "SANDBOX_TRANSACTIONS": str(bad)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "header must be" in result.stderr


@pytest.mark.parametrize(
    "environ",
    [
        {"SANDBOX_DOWN": "maybe"},
        {"SANDBOX_ERROR_RATE": "lots"},
        {"SANDBOX_LATENCY_MS": "-5"},
        {"SANDBOX_SHIFT_TO_NOW": "2"},
    ],
)
def test_bad_settings_stop_the_start(environ: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", "sqlite://"], environ) == 2
    assert "sandbox:" in capsys.readouterr().err


def test_shifting_is_on_for_the_seed_and_off_for_a_file_unless_asked(tmp_path: Path) -> None:
    now = datetime(2030, 5, 6, 12, 0, tzinfo=timezone.utc)
    seeded = create_app("sqlite://", None, "k", Faults(), now=now).ctx.database
    assert now - seeded.get("TXN0033").created_at == timedelta(minutes=60, seconds=41)
    unshifted = create_app("sqlite://", None, "k", Faults(), shift_times=False, now=now).ctx.database
    assert unshifted.get("TXN0033").created_at.isoformat() == "2025-11-25T20:47:19+08:00"
    csv_file = tmp_path / "one.csv"
    csv_file.write_text(
        CONTRACT_LINE + "\nF1,M1,Mart,AB12CD34,1111,credit,visa,9.90,CNY,2024-03-01T10:00:00+08:00,"
        "00,failed,pending,unsettled\n",
        encoding="utf-8",
    )
    kept = create_app("sqlite://", csv_file, "k", Faults(), now=now).ctx.database
    assert kept.get("F1").created_at.year == 2024
    moved = create_app("sqlite://", csv_file, "k", Faults(), shift_times=True, now=now).ctx.database
    assert now - moved.get("F1").created_at == timedelta(hours=1)
    for database in (seeded, unshifted, kept, moved):
        database.dispose()


def test_faults_from_env_parse_and_refuse() -> None:
    assert Faults.from_env({}).to_json() == {"latency_ms": 0, "error_rate": 0.0, "down": False}
    parsed = Faults.from_env(
        {"SANDBOX_LATENCY_MS": "250", "SANDBOX_ERROR_RATE": "0.1", "SANDBOX_DOWN": "true"}
    )
    assert parsed.to_json() == {"latency_ms": 250, "error_rate": 0.1, "down": True}
    for bad in ({"SANDBOX_ERROR_RATE": "1.5"}, {"SANDBOX_LATENCY_MS": "soon"}, {"SANDBOX_DOWN": "2"}):
        with pytest.raises(ValueError):
            Faults.from_env(bad)


def test_the_transactions_are_replaced_by_a_control_request(tmp_path: Path, openapi: OpenAPISpec) -> None:
    server = SandboxServer(workdir=tmp_path).start()
    try:
        with spec_checked_client(server, openapi, headers={"X-API-Key": server.api_key}) as client:
            assert client.get("/v1/transactions/TXN0005").status_code == 200
            rows = (
                CONTRACT_LINE + "\nR1,123456789012345,Test Mart,AB12CD34,1111,credit,visa,9.90,CNY,"
                "2024-03-01T10:00:00+08:00,00,failed,pending,unsettled\n"
            )
            # The spec checker reads JSON bodies only; this one is CSV.
            control = httpx.Client(base_url=server.base_url, timeout=5, headers={"Content-Type": "text/csv"})
            answer = control.put("/_transactions", content=rows.encode())
            assert answer.status_code == 200 and answer.json() == {"loaded": 1}
            assert client.get("/v1/transactions/R1").json()["created_at"].startswith("2024-03-01T")
            assert client.get("/v1/transactions/TXN0005").status_code == 404
            refused = control.put("/_transactions", content=b"not,the,header\n")
            assert refused.status_code == 400 and "header" in refused.json()["message"]
            assert client.get("/v1/transactions/R1").status_code == 200  # a refused body changes nothing
    finally:
        server.stop()
