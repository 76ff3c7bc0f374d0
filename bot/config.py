"""Every setting read from the environment, each with its one default, and nothing else reads it.

`VARIABLES` lists them all: the ones the product reads here, and the ones only the scripts, Rasa
itself (the endpoints files) or the development tools read, so that `.env.example`, the README's
table and this list can be checked against each other (tests/bot/test_config.py). Everything else
asks this module: `text`, `integer`, `number`, `path`, or the settings built from them.

The secrets (`SECRETS`) have no default here, since one would be public: an unset secret in the
local profile is the one made for the checkout in SECRETS_FILE (bot/local_secrets.py), and in the
production profile it stays empty, which bot/profile.py refuses.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot import local_secrets

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Env = Mapping[str, str]
Reader = Literal["product", "scripts", "devtools"]


@dataclass(frozen=True)
class Variable:
    name: str
    default: str
    # Who reads it: the product through this module, the shell scripts and endpoints files (Rasa
    # reads those), or only the development tools (the sandbox, the test harness).
    reader: Reader = "product"
    # A secret has no default in the repository (one there would be public): unset, the local
    # profile makes a random one in SECRETS_FILE, and the production profile refuses to start.
    secret: bool = False


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        # The profile and the secrets (bot/profile.py checks them).
        Variable("ASSISTANT_PROFILE", "local"),
        Variable("RASA_TOKEN", "", secret=True),
        Variable("GATEWAY_SECRET", "", secret=True),
        Variable("HELPDESK_WEBHOOK_SECRET", "", secret=True),
        Variable("MERCHANT_API_KEY", "", secret=True),
        Variable("SECRETS_FILE", "var/secrets.env"),
        # The conversation.
        Variable("DEFAULT_TIMEZONE", "Asia/Shanghai"),
        Variable("DEFAULT_LANGUAGE", "zh"),
        Variable("POLICY_FILE", "policy.yml"),
        Variable("TIMELINES_FILE", "timelines.yml"),
        Variable("MERCHANT_API_URL", "http://127.0.0.1:8090"),
        Variable("CASE_STORE_URL", "sqlite:///var/cases.db"),
        # The gateway.
        Variable("GATEWAY_HOST", "127.0.0.1"),
        Variable("GATEWAY_PORT", "8000"),
        Variable("GATEWAY_PUBLIC_URL", ""),
        Variable("GATEWAY_ALLOWED_ORIGINS", ""),
        Variable("RASA_PORT", "5005"),
        Variable("RASA_URL", ""),
        Variable("GATEWAY_RASA_TIMEOUT_SECONDS", "60"),
        Variable("GATEWAY_MAX_MESSAGE_CHARS", "2000"),
        Variable("GATEWAY_SESSION_MESSAGES_PER_MINUTE", "20"),
        Variable("GATEWAY_ADDRESS_MESSAGES_PER_MINUTE", "60"),
        Variable("GATEWAY_SESSION_DAYS", "30"),
        Variable("GATEWAY_SCANS_PER_MINUTE", "20"),
        Variable("GATEWAY_FAILED_SCANS_PER_HOUR", "10"),
        Variable("GATEWAY_MERCHANT_SESSION_HOURS", "8"),
        Variable("GATEWAY_MERCHANT_LOGIN_FAILURES", "10"),
        Variable("GATEWAY_MERCHANT_LOGIN_WINDOW_MINUTES", "15"),
        Variable("GATEWAY_AGENT_SESSION_HOURS", "8"),
        Variable("GATEWAY_AGENT_LOGIN_FAILURES", "10"),
        Variable("GATEWAY_AGENT_LOGIN_WINDOW_MINUTES", "15"),
        Variable("GATEWAY_SUPPORT_POLL_SECONDS", "2"),
        Variable("GATEWAY_REDIS_URL", ""),
        Variable("GATEWAY_REDIS_PREFIX", "cbot"),
        Variable("QR_COUNTER_CODE_HOURS", "24"),
        Variable("POSTER_FONT", ""),
        # The hand-over and the helpdesk.
        Variable("SUPPORT_HOURS", "09:00-21:00"),
        Variable("SUPPORT_DAYS", "mon-sun"),
        Variable("SUPPORT_TIMEZONE", ""),
        Variable("SUPPORT_AGENT_LANGUAGE", "zh"),
        Variable("SUPPORT_PHONE", ""),
        Variable("HELPDESK_WEBHOOK_URL", ""),
        Variable("HELPDESK_WEBHOOK_TIMEOUT_SECONDS", "10"),
        Variable("WEBHOOK_POLL_SECONDS", "2"),
        Variable("WEBHOOK_KEEP_DELIVERED_DAYS", "30"),
        # Personal data: how long each kind is kept (bot/privacy; the README says why these).
        Variable("RETENTION_TRANSCRIPT_DAYS", "180"),
        Variable("RETENTION_ESCALATION_DAYS", "180"),
        Variable("RETENTION_TICKET_DAYS", "540"),
        Variable("RETENTION_TICKET_FACTS_DAYS", "1825"),
        # Rasa's tracker store: the endpoints files give them to Rasa; bot/privacy reads it too.
        Variable("TRACKER_STORE_DIALECT", "sqlite"),
        Variable("TRACKER_STORE_DB", "var/tracker.db"),
        Variable("TRACKER_STORE_URL", ""),
        # Read by scripts/, the endpoints files and Rasa's own servers.
        Variable("RASA_SERVERS", "", "scripts"),
        Variable("ACTION_PORT", "5055"),
        Variable("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook", "scripts"),
        Variable("MODEL_PATH", "models/current.tar.gz", "scripts"),
        Variable("ENDPOINTS_FILE", "endpoints.yml", "scripts"),
        Variable("LOCK_STORE_HOST", "", "scripts"),
        Variable("LOCK_STORE_PORT", "6379", "scripts"),
        Variable("LOCK_STORE_DB", "0", "scripts"),
        Variable("LOCK_STORE_PASSWORD", "", "scripts"),
        Variable("LOCK_STORE_KEY_PREFIX", "cbot", "scripts"),
        Variable("SANIC_HOST", "127.0.0.1"),
        Variable("SANIC_PROXIES_COUNT", "", "scripts"),
        Variable("SANIC_REAL_IP_HEADER", "", "scripts"),
        Variable("RUN_SANDBOX", "", "scripts"),
        Variable("CHROMIUM", "/usr/bin/chromium", "scripts"),
        # Read only by the development tools (devtools/, the tests).
        Variable("SANDBOX_PORT", "8090", "devtools"),
        Variable("SANDBOX_DB", "sqlite:///var/sandbox.db", "devtools"),
        Variable("SANDBOX_API_KEY", "", "devtools"),
        Variable("SANDBOX_TRANSACTIONS", "", "devtools"),
        Variable("SANDBOX_LATENCY_MS", "0", "devtools"),
        Variable("SANDBOX_ERROR_RATE", "0", "devtools"),
        Variable("SANDBOX_DOWN", "0", "devtools"),
        Variable("SANDBOX_SHIFT_TO_NOW", "", "devtools"),
        Variable("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test", "devtools"),
        Variable("TEST_REDIS_URL", "redis://127.0.0.1:6379/0", "devtools"),
    )
}


class ConfigError(ValueError):
    """A variable is set to something that cannot be its kind of value."""


def default(name: str) -> str:
    """The variable's one default (what an unset or blank variable means)."""
    return VARIABLES[name].default


SECRETS = tuple(v.name for v in VARIABLES.values() if v.secret)


def text(name: str, env: Env | None = None) -> str:
    """The variable's value without surrounding blanks; its default when unset or blank, and for an
    unset secret in the local profile, the one made for this checkout (bot/local_secrets.py)."""
    value = (os.environ if env is None else env).get(name, "").strip()
    if not value and VARIABLES[name].secret and text("ASSISTANT_PROFILE", env).lower() == "local":
        return local_secret(name, env)
    return value or default(name)


def local_secret(name: str, env: Env | None = None) -> str:
    """The local profile's own value of a secret, from SECRETS_FILE (made when missing)."""
    file = path("SECRETS_FILE", env)
    try:
        return local_secrets.load(file, SECRETS)[name]
    except local_secrets.LocalSecretsError as error:
        raise ConfigError(f"SECRETS_FILE: {error}") from None


def integer(name: str, env: Env | None = None) -> int:
    value = text(name, env)
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None


def number(name: str, env: Env | None = None) -> float:
    value = text(name, env)
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None


def path(name: str, env: Env | None = None) -> Path:
    """A file named by the variable, relative to the project's directory unless absolute."""
    return PROJECT_ROOT / text(name, env)


def zone(name: str, env: Env | None = None) -> ZoneInfo:
    value = text(name, env)
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be a time zone such as Asia/Shanghai, not {value!r}") from None


def case_store_url(env: Env | None = None) -> str:
    """The case store's SQLAlchemy URL."""
    return text("CASE_STORE_URL", env)


@dataclass(frozen=True)
class ComplaintPolicy:
    max_transaction_age_days: int
    max_amount: Decimal


@dataclass(frozen=True)
class Settings:
    default_timezone: ZoneInfo
    default_language: str
    policy: ComplaintPolicy


def load_policy(policy_file: Path) -> ComplaintPolicy:
    """Read the operator's policy file."""
    complaint = yaml.safe_load(policy_file.read_text(encoding="utf-8"))["complaint"]
    return ComplaintPolicy(
        max_transaction_age_days=int(complaint["max_transaction_age_days"]),
        max_amount=Decimal(str(complaint["max_amount"])),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The conversation's settings, read once per process."""
    return Settings(
        default_timezone=zone("DEFAULT_TIMEZONE"),
        default_language=text("DEFAULT_LANGUAGE"),
        policy=load_policy(path("POLICY_FILE")),
    )
