"""The sandbox over real HTTP on loopback, reading: health, transactions and searches, the key, errors.

Every answer is checked against openapi.yaml.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from tests.bot.merchant_api.spec import OpenAPISpec
from tests.devtools.sandbox.conftest import spec_checked_client
from tests.devtools.sandbox.server import SandboxServer


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
