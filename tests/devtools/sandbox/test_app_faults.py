"""The sandbox's faults (down, latency, error rate) changed at run time, the request log, and its
controls answering loopback only.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import httpx
import pytest

from devtools.sandbox import Faults
from devtools.sandbox.app import _loopback, get_faults
from tests.devtools.sandbox.server import SandboxServer


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
