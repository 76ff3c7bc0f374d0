"""The sandbox over real HTTP on loopback, acting: reversal pushes and refunds, idempotent by key.

Every answer is checked against openapi.yaml.
"""

from __future__ import annotations

import httpx
import pytest


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
