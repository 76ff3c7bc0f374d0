"""Checks that a parsed fact can be right; each returns None or the reason it cannot."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from bot.parsing.terminal import TERMINAL_ID_LENGTH
from bot.parsing.time import TimeWindow

TIME_IN_FUTURE = "time_in_future"
TIME_TOO_OLD = "time_too_old"
AMOUNT_NOT_POSITIVE = "amount_not_positive"
AMOUNT_OVER_LIMIT = "amount_over_limit"
TERMINAL_ID_SHAPE = "terminal_id_shape"

# Clocks on phones and terminals drift; a few minutes ahead is not "the future".
_CLOCK_SKEW = timedelta(minutes=5)


def check_transaction_time(window: TimeWindow, now: datetime, max_age_days: int) -> str | None:
    """A transaction happened in the past, within the window the bot handles."""
    if window.start > now + _CLOCK_SKEW:
        return TIME_IN_FUTURE
    if window.end < now - timedelta(days=max_age_days):
        return TIME_TOO_OLD
    return None


def check_amount(amount: Decimal, max_amount: Decimal) -> str | None:
    """A charge is positive and not above the bot's limit."""
    if amount <= 0:
        return AMOUNT_NOT_POSITIVE
    if amount > max_amount:
        return AMOUNT_OVER_LIMIT
    return None


def check_terminal_id(terminal_id: str) -> str | None:
    """A terminal ID (ISO 8583 field 41) is 8 letters or digits."""
    if len(terminal_id) != TERMINAL_ID_LENGTH or not terminal_id.isalnum() or not terminal_id.isascii():
        return TERMINAL_ID_SHAPE
    return None
