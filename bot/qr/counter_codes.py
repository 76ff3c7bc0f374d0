"""Counter codes: the time a merchant types, and how long such a code works."""

from __future__ import annotations

from datetime import datetime

from bot import config
from bot.config import settings


def counter_code_hours() -> float:
    """How long a counter code works (QR_COUNTER_CODE_HOURS, 24 by default)."""
    return config.number("QR_COUNTER_CODE_HOURS")


def parse_local_time(value: str) -> datetime:
    """A time typed by an operator or a merchant: ISO 8601, in the business time zone if it has none."""
    moment = datetime.fromisoformat(value.strip().replace("/", "-"))
    return moment if moment.tzinfo else moment.replace(tzinfo=settings().default_timezone)
