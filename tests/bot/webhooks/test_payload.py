"""What the helpdesk receives from the webhook deliverer on loopback: Chinese text intact, ticket
changes, and signatures a helpdesk can check, tampering and replays refused."""

from __future__ import annotations

import time

import pytest

from bot.case_store import CaseStore
from bot.case_store.escalations import EscalationStore
from bot.case_store.outbox import Outbox
from bot.webhooks import build_request, deliver_due, sign, verify_signature
from tests.bot.case_store.support import SHANGHAI, Clock, refund_draft, store_at
from tests.bot.webhooks.support import SECRET, SUMMARY_ZH, Receiver, _client, _open, _settings

# --- the payload -----------------------------------------------------------------------------------


async def test_chinese_text_arrives_intact(
    escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    escalation = _open(escalations, summary_agent="顾客说：“付款失败，但是钱扣了。”")
    with Receiver() as receiver:
        async with _client() as client:
            assert await deliver_due(outbox, _settings(receiver.url), client, clock.now) == 1

    [request] = receiver.requests
    assert SUMMARY_ZH.encode("utf-8") in request.body  # UTF-8 as is, not \u escapes
    data = request.json["data"]
    assert data["summary_customer"] == SUMMARY_ZH
    assert data["summary_agent"] == "顾客说：“付款失败，但是钱扣了。”"
    assert data["facts"]["merchant_name"] == "全家 FamilyMart 徐汇店"
    assert data == escalation.as_json()
    assert request.signed()


async def test_ticket_changes_are_delivered(database_url: str, outbox: Outbox, clock: Clock) -> None:
    with store_at(CaseStore, database_url, business_timezone=SHANGHAI, clock=clock) as cases:
        ticket = cases.open_ticket(refund_draft())
    with Receiver() as receiver:
        async with _client() as client:
            assert await deliver_due(outbox, _settings(receiver.url), client, clock.now) == 1

    [request] = receiver.requests
    assert request.headers["X-Webhook-Topic"] == "ticket.changed"
    data = request.json["data"]
    assert (data["number"], data["status"], data["amount"]) == (ticket.number, "open", "128.50")
    assert b"4821" not in request.body


# --- signatures ------------------------------------------------------------------------------------


def test_signature_verifies_and_tampering_does_not(escalations: EscalationStore, outbox: Outbox) -> None:
    _open(escalations)
    [message] = outbox.messages()
    timestamp = int(time.time())
    body, headers = build_request(message, SECRET, timestamp)
    signature = headers["X-Webhook-Signature"]

    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert signature == sign(SECRET, str(timestamp), body)
    assert verify_signature(SECRET, headers["X-Webhook-Timestamp"], body, signature)
    assert verify_signature(SECRET, timestamp, body, signature, tolerance_seconds=300)

    tampered = body.replace(b'"status":"waiting"', b'"status":"resolved"')
    assert tampered != body
    assert not verify_signature(SECRET, timestamp, tampered, signature)
    assert not verify_signature("another-secret", timestamp, body, signature)
    assert not verify_signature(SECRET, timestamp + 1, body, signature)  # a replay with a new timestamp
    assert not verify_signature(
        SECRET, timestamp, body, signature, tolerance_seconds=300, now=timestamp + 301
    )
    assert not verify_signature(SECRET, "yesterday", body, signature)
    assert not verify_signature(SECRET, timestamp, body, signature.upper())


def test_the_replay_window_cannot_be_skipped(escalations: EscalationStore, outbox: Outbox) -> None:
    _open(escalations)
    [message] = outbox.messages()
    an_hour_ago = int(time.time()) - 3600
    body, headers = build_request(message, SECRET, an_hour_ago)
    signature = headers["X-Webhook-Signature"]
    assert not verify_signature(SECRET, an_hour_ago, body, signature)  # five minutes unless told
    assert not verify_signature(SECRET, an_hour_ago + 7200, body, signature)  # nor from the future
    assert verify_signature(SECRET, an_hour_ago, body, signature, tolerance_seconds=4000)
    now = an_hour_ago + 299
    assert verify_signature(SECRET, an_hour_ago, body, signature, now=now)
    assert not verify_signature(SECRET, an_hour_ago, body, signature, now=now + 2)
    for window in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="replay window"):
            verify_signature(SECRET, an_hour_ago, body, signature, tolerance_seconds=window)
