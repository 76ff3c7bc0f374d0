"""When the customer can expect their money or their answer, from the operator's `timelines.yml`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args
from zoneinfo import ZoneInfo

import holidays
import yaml

from bot.config import PROJECT_ROOT
from bot.merchant_api.models import Transaction

if TYPE_CHECKING:
    # Only for annotations: bot.lookup.decision imports this module.
    from bot.lookup.outcomes import Outcome

DEFAULT_TIMELINES_FILE = PROJECT_ROOT / "timelines.yml"

# Working days are those of mainland China, whatever zone the customer writes from, so a moment
# becomes a date on Beijing's clock before any counting.
CHINA_TZ = ZoneInfo("Asia/Shanghai")

Unit = Literal["working_days", "calendar_days"]
UNITS: tuple[str, ...] = get_args(Unit)
NETWORKS = ("unionpay", "visa", "mastercard")
CARD_TYPES = ("debit", "credit")
DEFAULT = "default"

REVERSAL = "reversal"
HOLD_RELEASE = "hold_release"
MERCHANT_REFUND = "merchant_refund"
CORRECTION = "correction"
DISPUTE = "dispute"
DISPUTE_DUPLICATE = "dispute_duplicate"
DISPUTE_FIRST_ANSWER = "dispute_first_answer"
WINDOW_NAMES = (
    REVERSAL,
    HOLD_RELEASE,
    MERCHANT_REFUND,
    CORRECTION,
    DISPUTE,
    DISPUTE_DUPLICATE,
    DISPUTE_FIRST_ANSWER,
)

# Which window the bot quotes for each concluded case (the "quote" column of the domain notes).
# Outcomes missing here (charge_succeeded, escalated) get no date.
_WINDOW_FOR_CASE: dict[tuple[str, str], str] = {
    ("no_charge", "declined"): HOLD_RELEASE,
    ("reversal_in_progress", "reversal_completed"): REVERSAL,
    ("reversal_in_progress", "refunded"): MERCHANT_REFUND,
    ("refund_ticket", "reversal_pending"): REVERSAL,
    ("refund_ticket", "reversal_failed"): CORRECTION,
    ("refund_ticket", "no_reversal"): CORRECTION,
    ("refund_ticket", "duplicate"): MERCHANT_REFUND,
    ("dispute_ticket", "duplicate"): DISPUTE_DUPLICATE,
}


class TimelineFileError(ValueError):
    """The operator's timelines file is missing a figure or has one that cannot be right."""


@dataclass(frozen=True)
class Window:
    """A typical span of days, optionally with a worst case, in working or calendar days."""

    shortest: int
    longest: int
    worst: int | None = None
    unit: Unit = "working_days"

    def until(self, start: date, *, worst: bool = False) -> date:
        """The last day of the window that opens on `start`."""
        days = self.worst if worst and self.worst is not None else self.longest
        if self.unit == "calendar_days":
            return start + timedelta(days=days)
        return add_working_days(start, days)


@dataclass(frozen=True)
class TimelineTable:
    """Every window and limit of the operator's file, resolved by network and card type."""

    windows: Mapping[str, Mapping[tuple[str, str], Window]]
    max_auto_amount: Decimal
    reversal_window_days: int
    correction_window_days: int
    duplicate_window_minutes: int

    def window(self, name: str, network: str | None = None, card_type: str | None = None) -> Window:
        """The window `name` for a card, falling back to the network's, then the general default."""
        by_card = self.windows[name]
        for key in _fallbacks(network, card_type):
            if key in by_card:
                return by_card[key]
        raise KeyError(f"timelines: no {name} window for {network}/{card_type}")


def _fallbacks(network: str | None, card_type: str | None) -> tuple[tuple[str | None, str | None], ...]:
    # Most specific first: the network's card type, the network, the card type anywhere, anything.
    return ((network, card_type), (network, DEFAULT), (DEFAULT, card_type), (DEFAULT, DEFAULT))


# --- calendar -----------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _china_calendar(year: int) -> holidays.HolidayBase:
    # One instance per year and only asked about its own year, so it never expands (mutates) after
    # creation and can be shared.
    return holidays.country_holidays("CN", years=year)


def is_working_day(day: date) -> bool:
    """Mainland China: not a weekend or public holiday, or a make-up working day (调休上班)."""
    return _china_calendar(day.year).is_working_day(day)


def add_working_days(start: date, days: int) -> date:
    """The day `days` working days after `start` (before it when negative); `start` itself never counts."""
    step = timedelta(days=1 if days >= 0 else -1)
    day = start
    for _ in range(abs(days)):
        day += step
        while not is_working_day(day):
            day += step
    return day


def china_date(moment: datetime) -> date:
    """The calendar date in mainland China of a moment; a naive moment is taken as Beijing time."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(CHINA_TZ).date()


# --- quotes -------------------------------------------------------------------------------------


def window_name(outcome: Outcome | str, reason: str) -> str | None:
    """Which window of the file the bot quotes for a concluded case, or None when it quotes none."""
    if outcome == "dispute_ticket" and reason != "duplicate":
        # The customer hears from a person by this date; the network's deadline (DISPUTE) is the
        # agent's to watch, not a date to promise.
        return DISPUTE_FIRST_ANSWER
    return _WINDOW_FOR_CASE.get((outcome, reason))


def expected_by(
    outcome: Outcome | str,
    reason: str,
    transaction: Transaction | None,
    start: date,
    table: TimelineTable,
    *,
    worst: bool = False,
) -> date | None:
    """The upper date the bot quotes ("usually by ...") for a case whose window opens on `start`."""
    name = window_name(outcome, reason)
    if name is None:
        return None
    network = transaction.network if transaction is not None else None
    card_type = transaction.card_type if transaction is not None else None
    return table.window(name, network, card_type).until(start, worst=worst)


def quote(
    outcome: Outcome | str,
    reason: str,
    transaction: Transaction | None,
    table: TimelineTable,
    *,
    today: date,
    claimed_day: date | None = None,
    reversal_day: date | None = None,
) -> date | None:
    """The date to put in the case result, each window started where it really starts."""
    if window_name(outcome, reason) is None:
        return None
    if outcome == "refund_ticket" or window_name(outcome, reason) == DISPUTE_FIRST_ANSWER:
        # The merchant pushes the reversal, refunds or corrects, and our team answers a dispute, from
        # the day the ticket is opened.
        start = today
    elif outcome == "reversal_in_progress" and reason == "reversal_completed" and reversal_day is not None:
        start = reversal_day
    elif transaction is not None:
        start = china_date(transaction.created_at)
    else:
        # A dispute about a payment the lookup did not find: the customer's own date is all there is.
        start = claimed_day if claimed_day is not None else today
    typical = expected_by(outcome, reason, transaction, start, table)
    if typical is not None and typical < today:
        # Quoting a day already gone as "usually by" would read as a broken promise; the worst case
        # may still lie ahead. If it does not, the caller sees a past date and can say so.
        late = expected_by(outcome, reason, transaction, start, table, worst=True)
        if late is not None and late >= today:
            return late
    return typical


# --- the operator's file ------------------------------------------------------------------------


def load_table(path: Path | str = DEFAULT_TIMELINES_FILE) -> TimelineTable:
    """Read and check the operator's timelines file."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TimelineFileError(f"timelines: cannot read {path}: {error}") from error
    return parse_table(raw)


def parse_table(raw: Any) -> TimelineTable:
    """Check the parsed YAML of a timelines file and build the table from it."""
    if not isinstance(raw, Mapping):
        raise TimelineFileError("timelines: the file must be a mapping with `limits` and `windows`")
    limits = _mapping(raw.get("limits"), "limits")
    windows_raw = _mapping(raw.get("windows"), "windows")
    windows = {name: _window_family(windows_raw.get(name), f"windows.{name}") for name in WINDOW_NAMES}
    table = TimelineTable(
        windows=windows,
        max_auto_amount=_amount(limits.get("max_auto_amount"), "limits.max_auto_amount"),
        reversal_window_days=_limit(limits, "reversal_window_days"),
        correction_window_days=_limit(limits, "correction_window_days"),
        duplicate_window_minutes=_limit(limits, "duplicate_window_minutes"),
    )
    # Fail at start-up, not in the middle of a conversation, when a card has no window to quote.
    for name in WINDOW_NAMES:
        for network in NETWORKS:
            for card_type in CARD_TYPES:
                try:
                    table.window(name, network, card_type)
                except KeyError as error:
                    raise TimelineFileError(error.args[0]) from None
    return table


def _limit(limits: Mapping[str, Any], key: str) -> int:
    return _count(limits.get(key), f"limits.{key}")


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TimelineFileError(f"timelines: {where} is missing or not a mapping")
    return value


def _count(value: Any, where: str) -> int:
    # bool is an int in Python; `yes` in YAML must not become one day.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TimelineFileError(f"timelines: {where} must be a whole number, not {value!r}")
    return value


def _amount(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise TimelineFileError(f"timelines: {where} must be an amount in yuan, not {value!r}") from error
    if value is None or isinstance(value, bool) or not amount.is_finite() or amount <= 0:
        raise TimelineFileError(f"timelines: {where} must be a positive amount in yuan, not {value!r}")
    return amount


def _window_family(value: Any, where: str) -> dict[tuple[str, str], Window]:
    family: dict[tuple[str, str], Window] = {}
    for network, by_network in _mapping(value, where).items():
        if network not in (*NETWORKS, DEFAULT):
            raise TimelineFileError(f"timelines: {where}.{network} is not a network (or `default`)")
        if _is_leaf(by_network):
            family[(network, DEFAULT)] = _window(by_network, f"{where}.{network}")
            continue
        for card_type, leaf in _mapping(by_network, f"{where}.{network}").items():
            if card_type not in (*CARD_TYPES, DEFAULT):
                raise TimelineFileError(f"timelines: {where}.{network}.{card_type} is not a card type")
            family[(network, card_type)] = _window(leaf, f"{where}.{network}.{card_type}")
    return family


def _is_leaf(value: Any) -> bool:
    return isinstance(value, Mapping) and "typical" in value


def _window(value: Any, where: str) -> Window:
    leaf = _mapping(value, where)
    unknown = set(leaf) - {"typical", "worst", "unit"}
    if unknown:
        raise TimelineFileError(f"timelines: {where} has unknown keys {sorted(unknown)}")
    typical = leaf.get("typical")
    if isinstance(typical, list) and len(typical) == 2:
        shortest = _count(typical[0], f"{where}.typical")
        longest = _count(typical[1], f"{where}.typical")
    else:
        shortest = longest = _count(typical, f"{where}.typical")
    if shortest > longest:
        raise TimelineFileError(f"timelines: {where}.typical runs backwards: {typical!r}")
    worst = leaf.get("worst")
    if worst is not None:
        worst = _count(worst, f"{where}.worst")
        if worst < longest:
            raise TimelineFileError(f"timelines: {where}.worst ({worst}) is shorter than typical ({longest})")
    unit = leaf.get("unit", "working_days")
    if unit not in UNITS:
        raise TimelineFileError(f"timelines: {where}.unit must be one of {', '.join(UNITS)}, not {unit!r}")
    return Window(shortest=shortest, longest=longest, worst=worst, unit=unit)
