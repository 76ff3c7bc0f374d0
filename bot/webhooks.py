"""Deliver the case store's outbox (escalations, ticket changes) to the helpdesk by signed webhooks.

`python -m bot.webhooks [--once]`

Every WEBHOOK_POLL_SECONDS (2 by default), or once with `--once`, each due outbox event is POSTed to
HELPDESK_WEBHOOK_URL, oldest first. Configuration: HELPDESK_WEBHOOK_URL (an https:// URL; http://
only to this machine (localhost, 127.0.0.1, ::1), and never in the production profile; empty: nothing
is sent, and events are deleted unsent after WEBHOOK_KEEP_DELIVERED_DAYS), HELPDESK_WEBHOOK_SECRET,
HELPDESK_WEBHOOK_TIMEOUT_SECONDS (10 by default), WEBHOOK_POLL_SECONDS, CASE_STORE_URL. SIGTERM or
Ctrl-C stops it after the round in progress.

The request (for the helpdesk)
------------------------------
    POST <HELPDESK_WEBHOOK_URL>
    Content-Type: application/json; charset=utf-8
    X-Webhook-Event-Id:  <event id, 32 hex digits; the same on every retry of the event>
    X-Webhook-Topic:     escalation.opened | escalation.claimed | escalation.resolved |
                         escalation.handed_back | ticket.changed | conversation.erased
    X-Webhook-Timestamp: <Unix time in seconds when this attempt was signed>
    X-Webhook-Signature: sha256=<hex>

    {"event_id": "...", "topic": "...", "created_at": "<ISO 8601, UTC>", "data": {...}}

The body is UTF-8 JSON (Chinese as is, not \\u-escaped). `data` is the escalation or the ticket as
plain JSON (times ISO 8601 in UTC, amounts as strings). `conversation.erased` says that a customer's
conversation was erased at their request (`python -m bot.privacy erase`): `data` is
{"conversation_id", "tickets": [numbers], "erased_at"}; delete what you hold of that conversation and
its escalations, and keep of those tickets only the complaint's facts (see the README, "Personal data").

Verifying a request: compute HMAC-SHA256 with the shared secret (HELPDESK_WEBHOOK_SECRET) as key over
the bytes `<X-Webhook-Timestamp>.<raw request body>` (the timestamp header's text, a dot, then the body
exactly as received, before any JSON parsing), hex-encode it, and compare `sha256=<that hex>` with
X-Webhook-Signature in constant time; reject timestamps more than a few minutes from your clock
(replays). `verify_signature` below does exactly this, always with a replay window (5 minutes unless
told otherwise), e.g. in Python:

    verify_signature(secret, request.headers["X-Webhook-Timestamp"], request.body,
                     request.headers["X-Webhook-Signature"])

Delivery: any 2xx answer marks the event delivered, and it is never sent again. Anything else (another
status, redirects included; a timeout; a refused connection) is retried after 2, 4, 8 ... seconds
(with ±10% jitter) up to 10 minutes between attempts, for as long as it takes: while a helpdesk is
configured, events are not dropped (delivered ones are deleted after WEBHOOK_KEEP_DELIVERED_DAYS, and one
still undelivered after RETENTION_TRANSCRIPT_DAYS by the retention job). Without a helpdesk, unsent
events are deleted after WEBHOOK_KEEP_DELIVERED_DAYS. When the helpdesk cannot be reached at all
(connection failure, timeout) the round stops there and the other events wait for the next one. If a
2xx answer is lost on the way back the event
is sent again with the same event id, so receivers should ignore event ids they have already handled.
A failing event does not hold back the ones after it, so events can arrive out of order: the
escalation's status and times and the ticket's `updated_at` tell which state is the newest.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import httpx

from bot import config
from bot.case_store import CaseDatabase
from bot.case_store.escalation_models import OutboxMessage
from bot.case_store.outbox import Outbox
from bot.profile import PRODUCTION, exit_if_unsafe, profile
from bot.rounds import run_rounds

logger = logging.getLogger("bot.webhooks")

DEFAULT_TIMEOUT_SECONDS = float(config.default("HELPDESK_WEBHOOK_TIMEOUT_SECONDS"))
DEFAULT_POLL_SECONDS = float(config.default("WEBHOOK_POLL_SECONDS"))
DEFAULT_BATCH = 100  # events per round at most, so a round ends and the loop can notice a stop
DEFAULT_KEEP_DELIVERED_DAYS = float(config.default("WEBHOOK_KEEP_DELIVERED_DAYS"))
PURGE_EVERY_SECONDS = 3600.0
# A claimed event is not handed to another deliverer until the attempt has surely ended (sent or timed out).
LEASE_MARGIN = timedelta(seconds=30)
SIGNATURE_PREFIX = "sha256="
# How far a request's signed timestamp may be from the receiver's clock; older ones are replays.
REPLAY_WINDOW_SECONDS = 300.0


@dataclass(frozen=True)
class WebhookSettings:
    """Where and how to deliver; an empty url means: deliver nothing."""

    secret: str
    url: str = ""
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    poll_seconds: float = DEFAULT_POLL_SECONDS
    # Delivered events are deleted after this many days; undelivered ones too when there is no url.
    keep_delivered_days: float = DEFAULT_KEEP_DELIVERED_DAYS
    # The production profile: https:// only, even to this machine.
    https_only: bool = False

    def __post_init__(self) -> None:
        problem = _url_problem(self.url, self.https_only) if self.url else None
        if problem:
            raise ValueError(problem)
        if not self.secret:
            raise ValueError("HELPDESK_WEBHOOK_SECRET must not be empty")
        if not self.timeout_seconds > 0 or not self.poll_seconds > 0:
            raise ValueError("the webhook timeout and poll interval must be more than 0 seconds")
        if not self.keep_delivered_days > 0:
            raise ValueError("WEBHOOK_KEEP_DELIVERED_DAYS must be more than 0")

    @classmethod
    def configured(cls, env: config.Env | None = None) -> WebhookSettings:
        """HELPDESK_WEBHOOK_URL, HELPDESK_WEBHOOK_SECRET, HELPDESK_WEBHOOK_TIMEOUT_SECONDS,
        WEBHOOK_POLL_SECONDS and WEBHOOK_KEEP_DELIVERED_DAYS (the process's variables unless given)."""
        return cls(
            url=config.text("HELPDESK_WEBHOOK_URL", env),
            secret=config.text("HELPDESK_WEBHOOK_SECRET", env),
            timeout_seconds=config.number("HELPDESK_WEBHOOK_TIMEOUT_SECONDS", env),
            poll_seconds=config.number("WEBHOOK_POLL_SECONDS", env),
            keep_delivered_days=config.number("WEBHOOK_KEEP_DELIVERED_DAYS", env),
            https_only=profile(env) == PRODUCTION,
        )


def _url_problem(url: str, https_only: bool) -> str | None:
    """Why the helpdesk URL may not be used, or None. The events carry customers' facts and summaries:
    in plain http they may only stay on this machine."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if host and parts.scheme == "https":
        return None
    if host and parts.scheme == "http":
        if https_only:
            return "HELPDESK_WEBHOOK_URL must be an https:// URL in the production profile"
        if _loopback(host):
            return None
    return "HELPDESK_WEBHOOK_URL must be an https:// URL (http:// only to localhost, 127.0.0.1 or ::1)"


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait after the n-th failed attempt: first, first*factor, ... up to max, with jitter."""

    first_seconds: float = 2.0
    factor: float = 2.0
    max_seconds: float = 600.0
    jitter: float = 0.1  # ± this fraction, so events that failed together are not retried together

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """The wait after `attempts` failed attempts (1 for the first failure)."""
        exponent = min(max(attempts - 1, 0), 64)  # beyond that the cap has long been reached
        base = min(self.max_seconds, self.first_seconds * self.factor**exponent)
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return min(self.max_seconds, base * spread)


DEFAULT_BACKOFF = Backoff()


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    """The X-Webhook-Signature value: `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>`."""
    message = f"{timestamp}.".encode("ascii") + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes,
    signature: str,
    *,
    tolerance_seconds: float = REPLAY_WINDOW_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `signature` is the sender's for this timestamp and raw body, and the timestamp is
    within `tolerance_seconds` of `now` (the current Unix time by default). There is no way to skip
    the window: a signature without it could be replayed for ever."""
    if not tolerance_seconds > 0:
        raise ValueError("the replay window must be more than 0 seconds")
    try:
        sent_at = int(str(timestamp))
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, str(timestamp), body), signature)


def build_request(message: OutboxMessage, secret: str, timestamp: int) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one delivery attempt of `message`."""
    envelope = {
        "event_id": message.event_id,
        "topic": message.topic,
        "created_at": message.created_at.astimezone(timezone.utc).isoformat(),
        "data": json.loads(message.payload),
    }
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Webhook-Event-Id": message.event_id,
        "X-Webhook-Topic": message.topic,
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": sign(secret, timestamp, body),
    }
    return body, headers


async def deliver_due(
    store: Outbox,
    settings: WebhookSettings,
    client: httpx.AsyncClient,
    now: datetime,
    *,
    backoff: Backoff = DEFAULT_BACKOFF,
    limit: int = DEFAULT_BATCH,
    rng: random.Random | None = None,
) -> int:
    """Send the events due at `now`, oldest first (at most `limit`); returns how many were delivered.

    `now` is the outbox's time (due rows, back-off); the signature's timestamp is the wall clock's,
    which is what receivers compare it with.
    """
    if not settings.url:
        return 0
    lease = timedelta(seconds=settings.timeout_seconds) + LEASE_MARGIN
    started = time.monotonic()
    delivered = 0
    for _ in range(limit):
        current = now + timedelta(seconds=time.monotonic() - started)
        message = await asyncio.to_thread(store.claim_next, current, lease)
        if message is None:
            break
        body, headers = build_request(message, settings.secret, int(time.time()))
        reachable = True
        try:
            response = await asyncio.wait_for(
                client.post(settings.url, content=body, headers=headers, timeout=settings.timeout_seconds),
                settings.timeout_seconds,
            )
        except (httpx.TimeoutException, asyncio.TimeoutError):
            error, reachable = f"timed out after {settings.timeout_seconds:g}s", False
        except (httpx.TransportError, OSError) as exc:
            error, reachable = _describe(exc), False
        except Exception as exc:  # any failed attempt must get its back-off, or it is retried at once
            error = _describe(exc)
        else:
            if 200 <= response.status_code < 300:
                finished = now + timedelta(seconds=time.monotonic() - started)
                await asyncio.to_thread(store.mark_delivered, message, finished)
                delivered += 1
                logger.info(
                    "delivered %s %s (attempt %d, HTTP %d)",
                    message.topic,
                    message.event_id,
                    message.attempts,
                    response.status_code,
                )
                continue
            error = f"HTTP {response.status_code}"
        wait = backoff.delay(message.attempts, rng)
        finished = now + timedelta(seconds=time.monotonic() - started)
        await asyncio.to_thread(store.mark_failed, message, error, finished + timedelta(seconds=wait))
        logger.warning(
            "delivery of %s %s failed (attempt %d): %s; next attempt in %.1fs",
            message.topic,
            message.event_id,
            message.attempts,
            error,
            wait,
        )
        if not reachable:
            break  # the helpdesk is unreachable: the other events wait for the next round
    return delivered


def _describe(exc: BaseException) -> str:
    """A short reason for last_error and the log (exception messages here carry no payload)."""
    detail = str(exc).strip()
    return f"{type(exc).__name__}: {detail}"[:200] if detail else type(exc).__name__


async def run(settings: WebhookSettings, *, once: bool, url: str | None = None) -> int:
    """Deliver rounds until stopped (or one round with `once`); returns the exit status."""
    try:
        database = CaseDatabase(url)
    except Exception as exc:  # configuration: a bad database URL
        logger.error("cannot start: %s", exc)
        return 2
    outbox = Outbox(database)
    if not settings.url:
        logger.warning(
            "HELPDESK_WEBHOOK_URL is empty: nothing is sent, events are deleted unsent after %g days",
            settings.keep_delivered_days,
        )
    try:
        async with httpx.AsyncClient(timeout=settings.timeout_seconds, follow_redirects=False) as client:
            purged_at = -math.inf

            async def deliver_round() -> bool:
                nonlocal purged_at
                now = datetime.now(timezone.utc)
                delivered = await deliver_due(outbox, settings, client, now)
                if time.monotonic() - purged_at >= PURGE_EVERY_SECONDS:
                    purged_at = time.monotonic()
                    await asyncio.to_thread(purge, outbox, settings, now)
                return delivered >= DEFAULT_BATCH  # a full round: more are probably due now

            return await run_rounds(deliver_round, once=once, interval=settings.poll_seconds, what="delivery")
    finally:
        database.close()


def purge(outbox: Outbox, settings: WebhookSettings, now: datetime) -> None:
    """Delete the events delivered more than the retention ago, and, with no helpdesk to send them
    to, the ones written that long ago: otherwise every escalation and ticket change would pile up."""
    kept_since = now - timedelta(days=settings.keep_delivered_days)
    purged = outbox.purge_delivered(kept_since)
    if purged:
        logger.info("purged %d event(s) delivered before %s", purged, kept_since.date())
    if not settings.url:
        unsent = outbox.purge_undelivered(kept_since)
        if unsent:
            logger.info("purged %d unsent event(s) written before %s: no helpdesk", unsent, kept_since.date())


def main(argv: Sequence[str] | None = None) -> int:
    """Read the flags and the settings and run; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bot.webhooks", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    args = parser.parse_args(argv)
    exit_if_unsafe()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # httpx logs every request's URL at INFO; the helpdesk URL may carry a token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = WebhookSettings.configured()
    except ValueError as exc:
        logger.error("cannot start: %s", exc)
        return 2
    return asyncio.run(run(settings, once=args.once))


if __name__ == "__main__":
    sys.exit(main())
