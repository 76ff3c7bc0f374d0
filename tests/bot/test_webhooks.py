"""The webhook deliverer against a real HTTP receiver on loopback (no mocks): retries with back-off,
delivered exactly once, signatures a helpdesk can check, nothing lost while the helpdesk is down."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.case_store import CaseDatabase, CaseStore, upgrade
from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import EscalationStore
from bot.case_store.outbox import Outbox
from bot.webhooks import (
    DEFAULT_SECRET,
    Backoff,
    WebhookSettings,
    build_request,
    deliver_due,
    sign,
    verify_signature,
)
from devtools.processes import free_port
from tests.bot.case_store.support import SHANGHAI, Clock, refund_draft, store_at

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-webhook-secret"
SUMMARY_ZH = "顾客在全家 FamilyMart 徐汇店付款 128.50 元，终端显示失败但已扣款。"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body.decode("utf-8"))

    def signed(self, secret: str = SECRET) -> bool:
        return verify_signature(
            secret,
            self.headers["X-Webhook-Timestamp"],
            self.body,
            self.headers["X-Webhook-Signature"],
            tolerance_seconds=300,
        )


class Receiver:
    """A helpdesk stand-in: answers the scripted statuses in turn (then `then`), records every request."""

    def __init__(
        self, statuses: list[int] | None = None, *, then: int = 200, delay: float = 0.0, port: int = 0
    ):
        self.requests: list[Received] = []
        self._statuses = list(statuses or [])
        self._then = then
        self._delay = delay
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver._record(Received(self.path, dict(self.headers.items()), body))
                if receiver._delay:
                    time.sleep(receiver._delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/cases"

    def _record(self, request: Received) -> int:
        with self._lock:
            self.requests.append(request)
            return self._statuses.pop(0) if self._statuses else self._then

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    upgrade(url)
    return url


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def outbox(database_url: str) -> Iterator[Outbox]:
    store = Outbox(CaseDatabase(database_url))
    yield store
    store.database.close()


@pytest.fixture
def escalations(database_url: str, clock: Clock) -> Iterator[EscalationStore]:
    store = EscalationStore(CaseDatabase(database_url), clock=clock)
    yield store
    store.database.close()


def _open(store: EscalationStore, conversation_id: str = "conv-1", **overrides: Any) -> Escalation:
    values: dict[str, Any] = {
        "conversation_id": conversation_id,
        "reason": "repeated_failures",
        "language": "zh",
        "facts": {"amount": "128.50", "terminal_id": "10293847", "merchant_name": "全家 FamilyMart 徐汇店"},
        "lookup": None,
        "ticket_number": None,
        "summary_customer": SUMMARY_ZH,
        "summary_agent": "Paid CNY 128.50 at FamilyMart Xuhui; terminal said failed, card charged.",
    }
    values.update(overrides)
    return store.open(**values)


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(trust_env=False)  # loopback: no proxy from the environment


def _settings(url: str, **overrides: Any) -> WebhookSettings:
    return WebhookSettings(**{"url": url, "secret": SECRET, "timeout_seconds": 5.0, **overrides})


# --- retries and delivered exactly once ------------------------------------------------------------


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


# --- configuration ---------------------------------------------------------------------------------


def test_settings_from_the_environment() -> None:
    assert WebhookSettings.configured({}) == WebhookSettings(
        url="", secret=DEFAULT_SECRET, timeout_seconds=10.0, poll_seconds=2.0
    )
    assert DEFAULT_SECRET == "local-dev-webhook-secret"
    assert WebhookSettings.configured(
        {
            "HELPDESK_WEBHOOK_URL": " https://helpdesk.example/hooks ",
            "HELPDESK_WEBHOOK_SECRET": "s",
            "HELPDESK_WEBHOOK_TIMEOUT_SECONDS": "3.5",
            "WEBHOOK_POLL_SECONDS": "0.5",
        }
    ) == WebhookSettings(
        url="https://helpdesk.example/hooks", secret="s", timeout_seconds=3.5, poll_seconds=0.5
    )
    with pytest.raises(ValueError, match="HELPDESK_WEBHOOK_TIMEOUT_SECONDS"):
        WebhookSettings.configured({"HELPDESK_WEBHOOK_TIMEOUT_SECONDS": "ten"})
    with pytest.raises(ValueError, match="more than 0"):
        WebhookSettings.configured({"WEBHOOK_POLL_SECONDS": "0"})
    with pytest.raises(ValueError, match="http"):
        WebhookSettings.configured({"HELPDESK_WEBHOOK_URL": "helpdesk.example/hooks"})


def test_back_off_doubles_up_to_ten_minutes_with_a_little_jitter() -> None:
    backoff = Backoff()
    rng = random.Random(1)
    for attempts, expected in ((1, 2), (2, 4), (3, 8), (4, 16), (9, 512)):
        assert expected * 0.9 <= backoff.delay(attempts, rng) <= expected * 1.1
    assert all(backoff.delay(n, rng) <= 600 for n in (10, 11, 50, 10_000))
    assert backoff.delay(10_000, rng) >= 540
    assert len({round(backoff.delay(3, rng), 6) for _ in range(20)}) > 1  # jittered
    assert Backoff(jitter=0).delay(3) == 8


# --- python -m bot.webhooks -------------------------------------------------------------------------


def _env(database_url: str, webhook_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.lower().endswith("_proxy")}
    env.update(
        PYTHONPATH=str(ROOT),
        CASE_STORE_URL=database_url,
        HELPDESK_WEBHOOK_URL=webhook_url,
        HELPDESK_WEBHOOK_SECRET=SECRET,
        **extra,
    )
    return env


def test_once_delivers_what_is_due_and_exits(database_url: str) -> None:
    with store_at(
        EscalationStore, database_url
    ) as store:  # the real clock: due for the deliverer's real clock
        _open(store)
    with Receiver() as receiver:
        result = subprocess.run(
            [sys.executable, "-m", "bot.webhooks", "--once"],
            cwd=ROOT,
            env=_env(database_url, receiver.url),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 0, result.stderr
    assert len(receiver.requests) == 1 and receiver.requests[0].signed()
    assert "delivered escalation.opened" in result.stderr
    assert "128.50" not in result.stderr and "全家" not in result.stderr and receiver.url not in result.stderr


def test_the_loop_polls_until_stopped(database_url: str) -> None:
    with Receiver() as receiver:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.webhooks"],
            cwd=ROOT,
            env=_env(database_url, receiver.url, WEBHOOK_POLL_SECONDS="0.2"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            time.sleep(1.0)  # running, nothing to send yet
            with store_at(EscalationStore, database_url) as store:
                _open(store)  # written while the deliverer runs: the next poll sends it
            deadline = time.monotonic() + 20
            while not receiver.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    assert process.returncode == 0, stderr
    assert len(receiver.requests) == 1
    assert "stopping after the round in progress" in stderr and "stopped" in stderr


def test_delivered_events_are_purged_when_old_and_undelivered_ones_never(database_url: str) -> None:
    with store_at(EscalationStore, database_url) as store:
        for n in range(3):
            _open(store, conversation_id=f"web-purge-{n}")
    with store_at(Outbox, database_url) as outbox:
        long_ago = datetime.now(SHANGHAI) - timedelta(days=31)
        old = outbox.claim_next(datetime.now(SHANGHAI), timedelta(minutes=1))
        recent = outbox.claim_next(datetime.now(SHANGHAI), timedelta(minutes=1))
        assert old is not None and recent is not None
        assert outbox.mark_delivered(old, long_ago) and outbox.mark_delivered(recent, datetime.now(SHANGHAI))
    result = subprocess.run(
        [sys.executable, "-m", "bot.webhooks", "--once"],
        cwd=ROOT,
        env=_env(database_url, "", WEBHOOK_KEEP_DELIVERED_DAYS="30"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    with store_at(Outbox, database_url) as outbox:
        left = {message.id: message.delivered_at for message in outbox.messages()}
    assert old.id not in left and recent.id in left and left[recent.id] is not None
    assert [delivered for delivered in left.values() if delivered is None], "an undelivered event was purged"
    assert "purged 1 event(s)" in result.stderr
