"""The counter-code form: what staff typed, and the counter code it asks for or what is wrong with it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.config import settings as bot_settings
from bot.qr.counter_codes import counter_code_hours, parse_local_time
from bot.web.staff.texts import pair

MAX_COUNTER_HOURS = 168.0
_AMOUNT = re.compile(r"\d{1,10}(?:\.\d{1,2})?")
_TOO_PRECISE = re.compile(r"\d+\.\d{3,}")

Problems = list[tuple[str, str]]


@dataclass(frozen=True)
class CounterForm:
    """What staff typed, as typed (the form is shown again with it when something is wrong)."""

    terminal_id: str = ""
    amount: str = ""
    time: str = ""
    hours: str = ""


@dataclass(frozen=True)
class CounterRequest:
    terminal_id: str
    amount: Decimal
    transaction_time: datetime
    valid_for: timedelta


def parse_counter_form(
    form: CounterForm, terminal_ids: set[str], now: datetime
) -> tuple[CounterRequest | None, Problems]:
    """The counter code asked for, or the problems with the form (each in Chinese and English)."""
    problems: Problems = []
    terminal_id = form.terminal_id.strip().upper()
    if terminal_id not in terminal_ids:
        problems.append(pair("choose_terminal"))
    amount = _amount(form.amount, problems)
    moment = _moment(form.time, now, problems)
    hours = _hours(form.hours, problems)
    if problems or amount is None or moment is None or hours is None:
        return None, problems
    return CounterRequest(terminal_id, amount, moment, timedelta(hours=hours)), []


def _amount(typed: str, problems: Problems) -> Decimal | None:
    max_amount = bot_settings().policy.max_amount
    typed = typed.strip().lstrip("¥￥").strip()
    if not typed:
        problems.append(pair("enter_amount"))
    elif typed.startswith("-"):
        problems.append(pair("amount_above_zero"))
    elif _TOO_PRECISE.fullmatch(typed):
        problems.append(pair("amount_too_precise"))
    elif not _AMOUNT.fullmatch(typed):
        problems.append(pair("amount_not_a_number"))
    elif Decimal(typed) <= 0:
        problems.append(pair("amount_above_zero"))
    elif Decimal(typed) > max_amount:
        problems.append(pair("amount_too_high", limit=max_amount))
    else:
        return Decimal(typed)
    return None


def _moment(typed: str, now: datetime, problems: Problems) -> datetime | None:
    if not typed.strip():
        problems.append(pair("enter_time"))
        return None
    try:
        moment = parse_local_time(typed)
    except (ValueError, OverflowError):
        problems.append(pair("time_unreadable"))
        return None
    days = bot_settings().policy.max_transaction_age_days
    if moment > now + timedelta(minutes=1):
        problems.append(pair("time_in_future"))
        return None
    if moment < now - timedelta(days=days):
        problems.append(pair("time_too_old", days=days))
        return None
    return moment


def _hours(typed: str, problems: Problems) -> float | None:
    try:
        hours: float | None = float(typed) if typed.strip() else counter_code_hours()
    except ValueError:
        hours = None
    limit = max(MAX_COUNTER_HOURS, counter_code_hours())
    if hours is None or not math.isfinite(hours) or not 0 < hours <= limit:
        problems.append(pair("hours_out_of_range", limit=limit))
        return None
    return hours
