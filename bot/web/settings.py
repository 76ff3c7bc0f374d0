"""The gateway's settings, read through bot.config."""

from __future__ import annotations

from dataclasses import dataclass

from bot import config
from bot.privacy.settings import retention_periods
from bot.profile import PRODUCTION, profile


@dataclass(frozen=True)
class GatewaySettings:
    rasa_url: str
    rasa_token: str
    secret: str
    # Pages of other sites that may embed the widget ("https://shop.example"); the gateway's
    # own origin is always allowed.
    allowed_origins: frozenset[str]
    max_message_chars: int
    session_messages_per_minute: int
    address_messages_per_minute: int
    session_days: int
    rasa_timeout_seconds: float
    case_store_url: str
    # Scanning: codes resolved per address and minute, and failed ones (guessing) per hour.
    scans_per_minute: int
    failed_scans_per_hour: int
    # Merchant pages: how long a staff sign-in lasts, and failed sign-ins allowed per address.
    merchant_session_hours: float
    merchant_login_failures: int
    merchant_login_window_minutes: float
    # Support console: how long an agent's sign-in lasts, failed sign-ins allowed per address, and
    # how often the queue is read again for the consoles (and an open console checks its session).
    agent_session_hours: float
    agent_login_failures: int
    agent_login_window_minutes: float
    support_poll_seconds: float
    # Where phones reach the gateway (what new codes point to); empty: the address a page was asked on.
    public_url: str
    # State the gateway processes share (rate limits, conversation locks, live messages): a Redis
    # URL ("redis://127.0.0.1:6379/0") for several processes; empty: this process's memory. Every
    # key and channel starts with the prefix, so deployments and test runs can share one Redis.
    redis_url: str
    redis_prefix: str
    # Staff session cookies are `Secure` even on a plain-http request: in production TLS ends at
    # the load balancer, so a request's scheme cannot tell.
    staff_cookies_secure: bool
    # How many days a chat is kept (the retention job deletes it then); the widget tells the customer.
    transcript_retention_days: int

    @classmethod
    def configured(cls, env: config.Env | None = None) -> GatewaySettings:
        """The gateway's settings from the process's variables (or `env`), through bot.config."""
        rasa_url = config.text("RASA_URL", env) or f"http://127.0.0.1:{config.integer('RASA_PORT', env)}"
        origins = config.text("GATEWAY_ALLOWED_ORIGINS", env)
        return cls(
            rasa_url=rasa_url.rstrip("/"),
            rasa_token=config.text("RASA_TOKEN", env),
            secret=config.text("GATEWAY_SECRET", env),
            allowed_origins=frozenset(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
            max_message_chars=config.integer("GATEWAY_MAX_MESSAGE_CHARS", env),
            session_messages_per_minute=config.integer("GATEWAY_SESSION_MESSAGES_PER_MINUTE", env),
            address_messages_per_minute=config.integer("GATEWAY_ADDRESS_MESSAGES_PER_MINUTE", env),
            session_days=config.integer("GATEWAY_SESSION_DAYS", env),
            rasa_timeout_seconds=config.number("GATEWAY_RASA_TIMEOUT_SECONDS", env),
            case_store_url=config.case_store_url(env),
            scans_per_minute=config.integer("GATEWAY_SCANS_PER_MINUTE", env),
            failed_scans_per_hour=config.integer("GATEWAY_FAILED_SCANS_PER_HOUR", env),
            merchant_session_hours=config.number("GATEWAY_MERCHANT_SESSION_HOURS", env),
            merchant_login_failures=config.integer("GATEWAY_MERCHANT_LOGIN_FAILURES", env),
            merchant_login_window_minutes=config.number("GATEWAY_MERCHANT_LOGIN_WINDOW_MINUTES", env),
            agent_session_hours=config.number("GATEWAY_AGENT_SESSION_HOURS", env),
            agent_login_failures=config.integer("GATEWAY_AGENT_LOGIN_FAILURES", env),
            agent_login_window_minutes=config.number("GATEWAY_AGENT_LOGIN_WINDOW_MINUTES", env),
            support_poll_seconds=config.number("GATEWAY_SUPPORT_POLL_SECONDS", env),
            public_url=config.text("GATEWAY_PUBLIC_URL", env).rstrip("/"),
            redis_url=config.text("GATEWAY_REDIS_URL", env),
            redis_prefix=config.text("GATEWAY_REDIS_PREFIX", env),
            staff_cookies_secure=profile(env) == PRODUCTION,
            transcript_retention_days=retention_periods(env).transcript_days,
        )
