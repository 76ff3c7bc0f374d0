"""The webhook deliverer's settings from the environment and back-off, and `python -m bot.webhooks`
(once, the polling loop, purging old delivered events) against a real receiver on loopback."""

from __future__ import annotations

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
from bot.case_store.escalations import EscalationStore
from bot.case_store.outbox import Outbox
from bot.webhooks import Backoff, WebhookSettings, sign, verify_signature
from tests.bot.case_store.support import SHANGHAI, store_at
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
