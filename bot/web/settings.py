"""The gateway's settings, from the environment, with safe defaults for local use."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_SECRET = "local-dev-gateway-secret"


@dataclass(frozen=True)
class GatewaySettings:
    rasa_url: str
    rasa_token: str
    secret: str
    # Pages of other sites that may embed the widget ("https://shop.example"); the gateway's
    # own origin is always allowed.
    allowed_origins: frozenset[str]
    max_message_chars: int = 2000
    session_messages_per_minute: int = 20
    address_messages_per_minute: int = 60
    session_days: int = 30
    rasa_timeout_seconds: float = 60.0
    case_store_url: str = "sqlite:///var/cases.db"
    # Scanning: codes resolved per address and minute, and failed ones (guessing) per hour.
    scans_per_minute: int = 20
    failed_scans_per_hour: int = 10
    # Merchant pages: how long a staff sign-in lasts, and failed sign-ins allowed per address.
    merchant_session_hours: float = 8.0
    merchant_login_failures: int = 10
    merchant_login_window_minutes: float = 15.0
    # Support console: how long an agent's sign-in lasts, failed sign-ins allowed per address, and
    # how often the queue is read again for the consoles.
    agent_session_hours: float = 8.0
    agent_login_failures: int = 10
    agent_login_window_minutes: float = 15.0
    support_poll_seconds: float = 2.0
    # Where phones reach the gateway (what new codes point to); empty: the address a page was asked on.
    public_url: str = ""
    # State the gateway processes share (rate limits, conversation locks, live messages): a Redis
    # URL ("redis://127.0.0.1:6379/0") for several processes; empty: this process's memory. Every
    # key and channel starts with the prefix, so deployments and test runs can share one Redis.
    redis_url: str = ""
    redis_prefix: str = "cbot"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> GatewaySettings:
        rasa_port = environ.get("RASA_PORT", "5005")
        origins = environ.get("GATEWAY_ALLOWED_ORIGINS", "")
        return cls(
            rasa_url=environ.get("RASA_URL", f"http://127.0.0.1:{rasa_port}").rstrip("/"),
            rasa_token=environ.get("RASA_TOKEN", "local-dev-token"),
            secret=environ.get("GATEWAY_SECRET", DEFAULT_SECRET),
            allowed_origins=frozenset(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
            max_message_chars=int(environ.get("GATEWAY_MAX_MESSAGE_CHARS", "2000")),
            session_messages_per_minute=int(environ.get("GATEWAY_SESSION_MESSAGES_PER_MINUTE", "20")),
            address_messages_per_minute=int(environ.get("GATEWAY_ADDRESS_MESSAGES_PER_MINUTE", "60")),
            session_days=int(environ.get("GATEWAY_SESSION_DAYS", "30")),
            rasa_timeout_seconds=float(environ.get("GATEWAY_RASA_TIMEOUT_SECONDS", "60")),
            case_store_url=environ.get("CASE_STORE_URL", "sqlite:///var/cases.db"),
            scans_per_minute=int(environ.get("GATEWAY_SCANS_PER_MINUTE", "20")),
            failed_scans_per_hour=int(environ.get("GATEWAY_FAILED_SCANS_PER_HOUR", "10")),
            merchant_session_hours=float(environ.get("GATEWAY_MERCHANT_SESSION_HOURS", "8")),
            merchant_login_failures=int(environ.get("GATEWAY_MERCHANT_LOGIN_FAILURES", "10")),
            merchant_login_window_minutes=float(environ.get("GATEWAY_MERCHANT_LOGIN_WINDOW_MINUTES", "15")),
            agent_session_hours=float(environ.get("GATEWAY_AGENT_SESSION_HOURS", "8")),
            agent_login_failures=int(environ.get("GATEWAY_AGENT_LOGIN_FAILURES", "10")),
            agent_login_window_minutes=float(environ.get("GATEWAY_AGENT_LOGIN_WINDOW_MINUTES", "15")),
            support_poll_seconds=float(environ.get("GATEWAY_SUPPORT_POLL_SECONDS", "2")),
            public_url=environ.get("GATEWAY_PUBLIC_URL", "").strip().rstrip("/"),
            redis_url=environ.get("GATEWAY_REDIS_URL", "").strip(),
            redis_prefix=environ.get("GATEWAY_REDIS_PREFIX", "").strip() or "cbot",
        )
