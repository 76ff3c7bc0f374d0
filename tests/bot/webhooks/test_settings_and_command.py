"""The webhook deliverer's settings from the environment and back-off, and `python -m bot.webhooks`
(once, the polling loop, purging old delivered events, and old unsent ones when there is no helpdesk)
against a real receiver on loopback."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot import config
from bot.case_store import CaseDatabase
from bot.case_store.escalations import EscalationStore
from bot.case_store.outbox import Outbox
from bot.webhooks import Backoff, WebhookSettings, purge, sign, verify_signature
from devtools.processes import free_port
from tests.bot.case_store.support import SHANGHAI, Clock, store_at
from tests.bot.webhooks.support import SECRET, Receiver, _open

# --- configuration ---------------------------------------------------------------------------------


def test_settings_from_the_environment(tmp_path: Path) -> None:
    local = {"SECRETS_FILE": str(tmp_path / "secrets.env")}
    made = config.text("HELPDESK_WEBHOOK_SECRET", local)
    assert WebhookSettings.configured(local) == WebhookSettings(
        url="", secret=made, timeout_seconds=10.0, poll_seconds=2.0
    )
    # The helpdesk cannot be sent events signed with the former public default in its name.
    body = b'{"topic": "escalation.opened"}'
    forged = sign("local-dev-webhook-secret", 1_800_000_000, body)
    assert not verify_signature(made, 1_800_000_000, body, forged)
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
        WebhookSettings.configured({**local, "HELPDESK_WEBHOOK_TIMEOUT_SECONDS": "ten"})
    with pytest.raises(ValueError, match="more than 0"):
        WebhookSettings.configured({**local, "WEBHOOK_POLL_SECONDS": "0"})
    with pytest.raises(ValueError, match="http"):
        WebhookSettings.configured({**local, "HELPDESK_WEBHOOK_URL": "helpdesk.example/hooks"})


def test_the_helpdesk_is_reached_over_https_or_on_this_machine() -> None:
    for url in (
        "https://helpdesk.example/hooks",
        "http://127.0.0.1:9000/hooks",
        "http://127.8.9.10/hooks",
        "http://localhost/hooks",
        "http://[::1]:9000/hooks",
    ):
        assert WebhookSettings(url=url, secret=SECRET).url == url
    for url in (
        "http://helpdesk.example/hooks",
        "http://10.0.0.5/hooks",
        "http://127.0.0.1.evil.example/hooks",
        "http://localhost.evil.example/hooks",
        "ftp://helpdesk.example/hooks",
        "https:///hooks",
        "http://[::1/hooks",
    ):
        with pytest.raises(ValueError, match="https://"):
            WebhookSettings(url=url, secret=SECRET)


def test_the_production_profile_sends_over_https_only() -> None:
    production = {"ASSISTANT_PROFILE": "production", "HELPDESK_WEBHOOK_SECRET": SECRET}
    for url in ("http://127.0.0.1:9000/hooks", "http://localhost/hooks", "http://helpdesk.example/hooks"):
        with pytest.raises(ValueError, match="production profile"):
            WebhookSettings.configured({**production, "HELPDESK_WEBHOOK_URL": url})
    configured = WebhookSettings.configured(
        {**production, "HELPDESK_WEBHOOK_URL": "https://helpdesk.example/h"}
    )
    assert configured.https_only and configured.url == "https://helpdesk.example/h"
    assert WebhookSettings.configured({**production}).url == ""  # none: nothing is sent
    local = {"HELPDESK_WEBHOOK_URL": "http://127.0.0.1/h", "HELPDESK_WEBHOOK_SECRET": SECRET}
    assert not WebhookSettings.configured(local).https_only


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

ROOT = Path(__file__).resolve().parents[3]


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


def test_the_deliverer_refuses_to_start_with_a_plain_http_helpdesk(database_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.webhooks", "--once"],
        cwd=ROOT,
        env=_env(database_url, "http://helpdesk.example/hooks"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot start: HELPDESK_WEBHOOK_URL must be an https:// URL" in result.stderr


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


def test_delivered_events_are_purged_when_old_and_recent_undelivered_ones_kept(database_url: str) -> None:
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


def _written_days_ago(database_url: str, days: float, count: int, name: str) -> None:
    clock = Clock(datetime.now(SHANGHAI) - timedelta(days=days))
    with store_at(EscalationStore, database_url, clock=clock) as store:
        for n in range(count):
            _open(store, conversation_id=f"web-{name}-{n}")


def _conversations_left(database_url: str) -> list[str]:
    with store_at(Outbox, database_url) as outbox:
        return sorted(json.loads(message.payload)["conversation_id"] for message in outbox.messages())


def test_without_a_helpdesk_old_events_are_deleted_unsent(database_url: str) -> None:
    _written_days_ago(database_url, 31, 20, "old")
    _written_days_ago(database_url, 29, 1, "recent")
    result = subprocess.run(
        [sys.executable, "-m", "bot.webhooks", "--once"],
        cwd=ROOT,
        env=_env(database_url, "", WEBHOOK_KEEP_DELIVERED_DAYS="30"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert _conversations_left(database_url) == ["web-recent-0"]
    assert "purged 20 unsent event(s)" in result.stderr


def test_with_a_helpdesk_undelivered_events_wait_however_old(database_url: str) -> None:
    _written_days_ago(database_url, 90, 2, "old")
    unreachable = f"http://127.0.0.1:{free_port()}/hooks"
    result = subprocess.run(
        [sys.executable, "-m", "bot.webhooks", "--once"],
        cwd=ROOT,
        env=_env(database_url, unreachable, WEBHOOK_KEEP_DELIVERED_DAYS="30"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert _conversations_left(database_url) == ["web-old-0", "web-old-1"]
    assert "unsent" not in result.stderr


def test_without_a_helpdesk_the_outbox_stays_bounded(database_url: str) -> None:
    """Ninety days of escalations, purged daily (the deliverer does it hourly): never more than the
    retention's worth waits."""
    settings = WebhookSettings(url="", secret=SECRET, keep_delivered_days=7)
    outbox = Outbox(CaseDatabase(database_url))
    clock = Clock(datetime(2026, 1, 1, 12, tzinfo=SHANGHAI))
    most = 0
    try:
        with store_at(EscalationStore, database_url, clock=clock) as store:
            for day in range(90):
                for n in range(3):
                    _open(store, conversation_id=f"web-{day}-{n}")
                purge(outbox, settings, clock.now)
                most = max(most, outbox.undelivered_count())
                clock.advance(days=1)
    finally:
        outbox.database.close()
    assert most == 3 * 8  # the last 7 days and today
