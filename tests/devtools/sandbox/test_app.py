"""The sandbox over real HTTP on loopback; every answer is checked against openapi.yaml."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from bot.config import PROJECT_ROOT
from devtools.sandbox import Faults, create_app
from devtools.sandbox.__main__ import main
from devtools.sandbox.app import _loopback, get_faults
from tests.bot.merchant_api.spec import OpenAPISpec
from tests.devtools.sandbox.conftest import spec_checked_client
from tests.devtools.sandbox.server import SandboxServer

CONTRACT_LINE = (
    "transaction_id,merchant_id,merchant_name,terminal_id,card_last4,card_type,network,amount,currency,"
    "created_at,response_code,terminal_result,reversal_status,settlement_status"
)


def window(http: httpx.Client, transaction_id: str, minutes: int = 30) -> dict[str, str]:
    at = datetime.fromisoformat(http.get(f"/v1/transactions/{transaction_id}").json()["created_at"])
    return {
        "start": (at - timedelta(minutes=minutes)).isoformat(),
        "end": (at + timedelta(minutes=minutes)).isoformat(),
    }


def raw_error(response: httpx.Response, openapi: OpenAPISpec) -> str:
    """The error code of an answer outside the described routes, checked against the Error schema."""
    openapi.validate(response.json(), openapi.component("Error"), f"{response.request.method} {response.url}")
    return response.json()["error"]


# --- reading -----------------------------------------------------------------------------------------


def test_health_needs_no_key(seeded_server: SandboxServer, openapi: OpenAPISpec) -> None:
    with spec_checked_client(seeded_server, openapi) as anonymous:
        assert anonymous.get("/health").json() == {"status": "ok"}


def test_a_transaction_as_json(http: httpx.Client) -> None:
    body = http.get("/v1/transactions/TXN0014").json()
    assert body["amount"] == "158.00" and body["rrn"] is None and body["voucher_no"] is None
    assert body["created_at"].endswith("+08:00") and body["merchant_name"] == "同仁堂药店(王府井店)"


def test_search_by_terminal_amount_and_keys(http: httpx.Client) -> None:
    params = {**window(http, "TXN0018", 10), "terminal_id": "31570043", "amount": "50"}
    found = http.get("/v1/transactions", params=params).json()["transactions"]
    assert [t["transaction_id"] for t in found] == ["TXN0017", "TXN0018", "TXN0019", "TXN0020"]
    target = found[1]
    for key in ("card_last4", "rrn", "voucher_no"):
        narrowed = http.get("/v1/transactions", params={**params, key: target[key]}).json()["transactions"]
        assert narrowed == [target], key


def test_search_by_merchant_name(http: httpx.Client) -> None:
    params = {**window(http, "TXN0005"), "merchant_name": "全家", "amount": "128.50"}
    found = http.get("/v1/transactions", params=params).json()["transactions"]
    assert [t["transaction_id"] for t in found] == ["TXN0005"]


@pytest.mark.parametrize(
    "params",
    [
        {"end": "2025-11-24T16:00:00+08:00"},
        {"start": "2025-11-24T15:00:00+08:00"},
        {"start": "2025-11-24T15:00:00", "end": "2025-11-24T16:00:00"},
        {"start": "yesterday", "end": "2025-11-24T16:00:00+08:00"},
        {"start": "2025-11-24T16:00:00+08:00", "end": "2025-11-24T15:00:00+08:00"},
        {"start": "2025-10-01T00:00:00+08:00", "end": "2025-11-24T15:00:00+08:00"},
        {"amount": "128.505"},
        {"amount": "-1"},
        {"amount": "¥128"},
        {"terminal_id": "1029-3847"},
        {"card_last4": "38210"},
        {"rrn": "123"},
        {"voucher_no": "81394"},
        {"merchant_name": ""},
        {"last4": "3821"},
    ],
)
def test_bad_search_parameters_are_400(http: httpx.Client, params: dict[str, str]) -> None:
    base = {"start": "2025-11-24T15:00:00+08:00", "end": "2025-11-24T16:00:00+08:00"}
    response = http.get(
        "/v1/transactions", params=params if {"start", "end"} & set(params) else {**base, **params}
    )
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


def test_a_repeated_parameter_is_400(http: httpx.Client) -> None:
    base = "/v1/transactions?start=2025-11-24T15%3A00%3A00%2B08%3A00&end=2025-11-24T16%3A00%3A00%2B08%3A00"
    assert http.get(f"{base}&card_last4=3821&card_last4=1234").status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/transactions?start=2025-11-24T15:00:00Z&end=2025-11-24T16:00:00Z"),
        ("GET", "/v1/transactions/TXN0005"),
        ("POST", "/v1/transactions/TXN0005/reversal-push"),
        ("POST", "/v1/transactions/TXN0005/refunds"),
    ],
)
@pytest.mark.parametrize("key", [None, "wrong-key", ""])
def test_every_api_route_needs_the_key(
    seeded_server: SandboxServer, openapi: OpenAPISpec, method: str, path: str, key: str | None
) -> None:
    headers = {} if key is None else {"X-API-Key": key}
    with spec_checked_client(seeded_server, openapi, headers=headers) as client:
        response = client.request(
            method, path, json={"amount": "1.00", "reason": "x"} if "refunds" in path else None
        )
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


def test_unknown_transaction_is_404(http: httpx.Client) -> None:
    response = http.get("/v1/transactions/TXN9999")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_unknown_route_and_method_answer_json_errors(
    seeded_server: SandboxServer, openapi: OpenAPISpec
) -> None:
    with httpx.Client(base_url=seeded_server.base_url, headers={"X-API-Key": seeded_server.api_key}) as raw:
        assert raw_error(raw.get("/v1/nothing/here"), openapi) == "not_found"
        response = raw.put("/v1/transactions/TXN0005")
        assert response.status_code == 405 and raw_error(response, openapi) == "method_not_allowed"


# --- acting ------------------------------------------------------------------------------------------


def test_reversal_push(http: httpx.Client) -> None:
    accepted = http.post("/v1/transactions/TXN0029/reversal-push")
    assert accepted.status_code == 202 and accepted.json()["status"] == "accepted"
    for done in ("TXN0004", "TXN0012"):
        refused = http.post(f"/v1/transactions/{done}/reversal-push")
        assert refused.status_code == 409 and refused.json()["error"] == "no_pending_reversal"
    assert http.post("/v1/transactions/TXN9999/reversal-push").status_code == 404


def test_reversal_push_is_idempotent_by_key(http: httpx.Client) -> None:
    headers = {"Idempotency-Key": "push-TXN0030"}
    first = http.post("/v1/transactions/TXN0030/reversal-push", headers=headers).json()
    assert http.post("/v1/transactions/TXN0030/reversal-push", headers=headers).json() == first
    other = http.post("/v1/transactions/TXN0013/reversal-push", headers=headers)
    assert other.status_code == 409 and other.json()["error"] == "idempotency_conflict"


def test_refunds(http: httpx.Client) -> None:
    created = http.post("/v1/transactions/TXN0016/refunds", json={"amount": "12000", "reason": "冲正失败"})
    assert created.status_code == 201
    assert created.json()["amount"] == "12000.00" and created.json()["status"] == "accepted"
    too_much = http.post("/v1/transactions/TXN0016/refunds", json={"amount": "800.01", "reason": "rest"})
    assert too_much.status_code == 422 and too_much.json()["error"] == "amount_exceeds_transaction"
    declined = http.post("/v1/transactions/TXN0003/refunds", json={"amount": "1.00", "reason": "x"})
    assert declined.status_code == 409 and declined.json()["error"] == "not_charged"
    refunded = http.post("/v1/transactions/TXN0027/refunds", json={"amount": "1.00", "reason": "x"})
    assert refunded.status_code == 409 and refunded.json()["error"] == "already_refunded"
    missing = http.post("/v1/transactions/TXN9999/refunds", json={"amount": "1.00", "reason": "x"})
    assert missing.status_code == 404


def test_refund_is_idempotent_by_key(http: httpx.Client) -> None:
    headers = {"Idempotency-Key": "refund-TXN0009"}
    body = {"amount": "260.00", "reason": "duplicate"}
    first = http.post("/v1/transactions/TXN0009/refunds", json=body, headers=headers)
    again = http.post("/v1/transactions/TXN0009/refunds", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    changed = http.post("/v1/transactions/TXN0009/refunds", json={**body, "amount": "1.00"}, headers=headers)
    assert changed.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 12.5, "reason": "x"},
        {"amount": "0", "reason": "x"},
        {"amount": "1.005", "reason": "x"},
        {"amount": "1.00"},
        {"amount": "1.00", "reason": "  "},
        {"amount": "1.00", "reason": "x" * 501},
        {"amount": "1.00", "reason": "x", "currency": "CNY"},
        ["1.00", "x"],
    ],
)
def test_bad_refund_bodies_are_400(http: httpx.Client, body: object) -> None:
    response = http.post("/v1/transactions/TXN0012/refunds", json=body)
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


def test_a_body_that_is_not_json_is_400(http: httpx.Client) -> None:
    response = http.post(
        "/v1/transactions/TXN0012/refunds", content=b"{amount:", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


# --- faults and the request log ----------------------------------------------------------------------


def test_faults_are_read_and_changed_at_run_time(http: httpx.Client, seeded_server: SandboxServer) -> None:
    assert http.get("/_faults").json() == {"latency_ms": 0, "error_rate": 0.0, "down": False}
    assert http.post("/_faults", json={"down": True}).json() == {
        "latency_ms": 0,
        "error_rate": 0.0,
        "down": True,
    }
    assert http.get("/v1/transactions/TXN0005").status_code == 503
    unavailable = http.get("/health")
    assert unavailable.status_code == 503 and unavailable.json()["error"] == "unavailable"
    assert http.get("/_faults").status_code == 200  # the controls themselves never fail
    http.post("/_faults", json={"down": False})
    assert http.get("/v1/transactions/TXN0005").status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"latency_ms": -1}, {"latency_ms": 1.5}, {"error_rate": 2}, {"down": "yes"}, {"slow": True}, [1]],
)
def test_bad_fault_settings_are_400_and_change_nothing(http: httpx.Client, body: object) -> None:
    before = http.get("/_faults").json()
    assert http.post("/_faults", json=body).status_code == 400
    assert http.get("/_faults").json() == before


def test_latency_is_added(http: httpx.Client) -> None:
    http.post("/_faults", json={"latency_ms": 300})
    started = time.monotonic()
    assert http.get("/v1/transactions/TXN0005").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_error_rate_fails_a_share(http: httpx.Client) -> None:
    http.post("/_faults", json={"error_rate": 0.5})
    statuses = {http.get("/v1/transactions/TXN0005").status_code for _ in range(30)}
    assert statuses == {200, 503}


def test_the_request_log(http: httpx.Client, seeded_server: SandboxServer) -> None:
    assert http.delete("/_requests").status_code == 204
    http.get(
        "/v1/transactions", params={"start": "2025-11-24T15:00:00+08:00", "end": "2025-11-24T16:00:00+08:00"}
    )
    http.post("/_faults", json={"down": True})
    http.get("/v1/transactions/TXN0005")
    log = http.get("/_requests").json()["requests"]
    assert [(r["method"], r["path"]) for r in log] == [
        ("GET", "/v1/transactions"),
        ("GET", "/v1/transactions/TXN0005"),
    ]
    assert log[0]["query"] == {"start": ["2025-11-24T15:00:00+08:00"], "end": ["2025-11-24T16:00:00+08:00"]}


async def test_the_controls_answer_loopback_only() -> None:
    app = SimpleNamespace(ctx=SimpleNamespace(faults=Faults()))
    outside = await _loopback(get_faults)(SimpleNamespace(ip="192.0.2.7", app=app))
    inside = await _loopback(get_faults)(SimpleNamespace(ip="127.0.0.1", app=app))
    assert (outside.status, inside.status) == (403, 200)


# --- configuration -----------------------------------------------------------------------------------


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
