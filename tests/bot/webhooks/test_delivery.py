"""The webhook deliverer against a real HTTP receiver on loopback (no mocks): retries with back-off,
delivered exactly once, nothing lost while the helpdesk is down or slow, two deliverers at once."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import pytest

from bot.case_store import CaseDatabase
from bot.case_store.escalations import EscalationStore
from bot.case_store.outbox import Outbox
from bot.webhooks import deliver_due
from devtools.processes import free_port
from tests.bot.case_store.support import Clock
from tests.bot.webhooks.support import Receiver, _client, _open, _settings


async def test_retries_with_back_off_until_accepted_then_never_again(
    escalations: EscalationStore, outbox: Outbox, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.webhooks")
    escalation = _open(escalations)
    now = clock.now
    rounds: list[int] = []
    gaps: list[float] = []
    with Receiver([500, 500, 500]) as receiver:
        settings = _settings(receiver.url)
        async with _client() as client:
            assert await deliver_due(outbox, settings, client, now - timedelta(seconds=1)) == 0  # not yet
            for _ in range(10):
                rounds.append(await deliver_due(outbox, settings, client, now))
                [message] = outbox.messages()
                if message.delivered_at is not None:
                    break
                assert (
                    await deliver_due(
                        outbox, settings, client, message.next_attempt_at - timedelta(seconds=0.5)
                    )
                    == 0
                )
                gaps.append((message.next_attempt_at - now).total_seconds())
                now = message.next_attempt_at
            for later in (now, now + timedelta(hours=1), now + timedelta(days=30)):
                assert await deliver_due(outbox, settings, client, later) == 0

    assert rounds == [0, 0, 0, 1]
    assert len(receiver.requests) == 4  # three refusals, one acceptance, nothing after
    [message] = outbox.messages()
    assert message.delivered_at is not None and message.attempts == 4 and message.last_error == "HTTP 500"
    for gap, expected in zip(gaps, (2, 4, 8), strict=True):
        assert expected * 0.9 <= gap <= expected * 1.1 + 0.5
    for request in receiver.requests:
        assert request.signed()
        assert request.path == "/hooks/cases"
        assert request.headers["X-Webhook-Event-Id"] == message.event_id
        assert request.headers["X-Webhook-Topic"] == "escalation.opened"
        assert request.headers["Content-Type"] == "application/json; charset=utf-8"
        assert request.json == {
            "event_id": message.event_id,
            "topic": "escalation.opened",
            "created_at": "2026-11-26T02:00:00+00:00",
            "data": escalation.as_json(),
        }
    # The log says what happened, never what the event says.
    log = caplog.text
    assert "delivered escalation.opened" in log and "HTTP 500" in log
    assert "128.50" not in log and "FamilyMart" not in log and "全家" not in log


@pytest.mark.parametrize(("status", "accepted"), [(204, True), (302, False), (404, False), (503, False)])
async def test_only_2xx_counts_as_delivered(
    escalations: EscalationStore, outbox: Outbox, clock: Clock, status: int, accepted: bool
) -> None:
    _open(escalations)
    with Receiver(then=status) as receiver:
        async with _client() as client:
            delivered = await deliver_due(outbox, _settings(receiver.url), client, clock.now)

    [message] = outbox.messages()
    assert delivered == int(accepted)
    assert (message.delivered_at is not None) is accepted
    assert message.last_error == (None if accepted else f"HTTP {status}")
    assert len(receiver.requests) == 1


async def test_a_helpdesk_that_is_down_loses_nothing(
    escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    _open(escalations, "conv-1")
    _open(escalations, "conv-2")
    port = free_port()
    settings = _settings(f"http://127.0.0.1:{port}/hooks")
    now = clock.now
    async with _client() as client:
        assert await deliver_due(outbox, settings, client, now) == 0
        first, second = outbox.messages()
        assert first.attempts == 1 and first.delivered_at is None
        assert "Connect" in (first.last_error or "") and len(first.last_error or "") <= 200
        assert first.next_attempt_at > now
        assert second.attempts == 0  # unreachable: the round stopped instead of trying every event

        assert await deliver_due(outbox, settings, client, now + timedelta(seconds=1)) == 0
        assert [m.attempts for m in outbox.messages()] == [1, 1]
        later = max(m.next_attempt_at for m in outbox.messages())
        assert await deliver_due(outbox, settings, client, later) == 0
        assert outbox.undelivered_count() == 2  # counted, never dropped

        with Receiver(port=port) as receiver:  # the helpdesk is back
            assert await deliver_due(outbox, settings, client, later + timedelta(hours=1)) == 2

    assert [m.attempts for m in outbox.messages()] == [3, 2]
    assert outbox.undelivered_count() == 0
    assert len(receiver.requests) == 2 and all(request.signed() for request in receiver.requests)


async def test_a_slow_helpdesk_times_out_and_is_retried(
    escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    _open(escalations)
    with Receiver(delay=2.0) as receiver:
        async with _client() as client:
            started = time.monotonic()
            delivered = await deliver_due(
                outbox, _settings(receiver.url, timeout_seconds=0.3), client, clock.now
            )
            elapsed = time.monotonic() - started

    [message] = outbox.messages()
    assert delivered == 0 and elapsed < 1.5
    assert message.attempts == 1 and message.delivered_at is None
    assert message.last_error == "timed out after 0.3s"


async def test_an_empty_url_sends_nothing(escalations: EscalationStore, outbox: Outbox, clock: Clock) -> None:
    _open(escalations)
    with Receiver() as receiver:
        async with _client() as client:
            assert await deliver_due(outbox, _settings(""), client, clock.now + timedelta(days=1)) == 0

    assert receiver.requests == []
    [message] = outbox.messages()
    assert message.attempts == 0 and message.delivered_at is None and message.next_attempt_at == clock.now


async def test_two_deliverers_at_once_send_each_event_once(
    database_url: str, escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    for i in range(12):
        _open(escalations, f"conv-{i}")
    other = Outbox(CaseDatabase(database_url))
    try:
        with Receiver(delay=0.02) as receiver:
            settings = _settings(receiver.url)
            async with _client() as client_a, _client() as client_b:
                delivered = await asyncio.gather(
                    deliver_due(outbox, settings, client_a, clock.now),
                    deliver_due(other, settings, client_b, clock.now),
                )
    finally:
        other.database.close()

    assert sum(delivered) == 12
    event_ids = [request.headers["X-Webhook-Event-Id"] for request in receiver.requests]
    assert sorted(event_ids) == sorted(m.event_id for m in outbox.messages())
    assert len(set(event_ids)) == 12
