"""A customer arrives by a merchant's QR code (contract 6): what the code already tells (the
terminal; at the counter, also the amount and the time) is never asked for."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from bot.parsing.terminal import parse_terminal_id

# The time a merchant types at the counter is to the minute; the lookup searches around it.
COUNTER_TIME_MARGIN = timedelta(minutes=5)


def _counter_facts(qr: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """The amount and time slots of a counter code (the time on the customer's clock), or nothing
    if the code carries none."""
    try:
        amount = Decimal(str(qr["amount"])).quantize(Decimal("0.01"))
        when = datetime.fromisoformat(str(qr["transaction_time"]))
    except (KeyError, InvalidOperation, ValueError):
        return {}
    if not amount.is_finite() or amount <= 0 or when.tzinfo is None:
        return {}
    when = when.astimezone(zone)
    return {
        "amount": f"{amount:.2f}",
        "transaction_time": when.isoformat(timespec="minutes"),
        "transaction_window_start": (when - COUNTER_TIME_MARGIN).isoformat(timespec="minutes"),
        "transaction_window_end": (when + COUNTER_TIME_MARGIN).isoformat(timespec="minutes"),
        "transaction_time_exact": True,
    }


def qr_fact_slots(qr: Any, zone: ZoneInfo) -> dict[str, Any]:
    """The slots a QR context fills; empty when it names no usable terminal."""
    if not isinstance(qr, dict):
        return {}
    terminal_id = parse_terminal_id(str(qr.get("terminal_id", "")), bare_ok=True)
    if not terminal_id:
        return {}
    merchant = str(qr.get("merchant_name") or "").strip()[:100]
    slots: dict[str, Any] = {"terminal_id": terminal_id, "merchant_name": merchant or None}
    if qr.get("kind") == "counter" or "amount" in qr:
        slots.update(_counter_facts(qr, zone))
    return slots
