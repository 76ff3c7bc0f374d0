"""Shared pieces of the escalation tests: an escalation opened with typical facts, callers released
together in threads, and the outbox's topics and payloads."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import EscalationStore
from bot.case_store.outbox import Outbox
from tests.bot.case_store.support import SHANGHAI

T = TypeVar("T")

FACTS = {
    "transaction_time": datetime(2026, 11, 26, 9, 31, tzinfo=SHANGHAI),
    "amount": "128.50",
    "terminal_id": "10293847",
    "merchant_name": "全家 FamilyMart 徐汇店",
}
LOOKUP = {"outcome": "escalated", "transaction_id": None, "candidates": 2}


def _open(store: EscalationStore, conversation_id: str = "conv-1", **overrides: Any) -> Escalation:
    values: dict[str, Any] = {
        "conversation_id": conversation_id,
        "reason": "customer_asked",
        "language": "zh",
        "facts": FACTS,
        "lookup": LOOKUP,
        "ticket_number": "es 20261126 0003 l",
        "summary_customer": "您在全家徐汇店 128.50 元的付款已转交人工客服。",
        "summary_agent": "Customer reports a failed POS payment of CNY 128.50 at FamilyMart Xuhui.",
    }
    values.update(overrides)
    return store.open(**values)


def _all_at_once(work: Callable[[int], T], callers: int) -> list[T | BaseException]:
    """work(i) in `callers` threads released together; each caller's result or exception."""
    barrier = threading.Barrier(callers, timeout=30)

    def run(index: int) -> T:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=callers) as pool:
        futures = [pool.submit(run, i) for i in range(callers)]
        outcomes: list[T | BaseException] = []
        for future in futures:
            exc = future.exception(timeout=60)
            outcomes.append(exc if exc is not None else future.result())
        return outcomes


def _topics(outbox: Outbox) -> list[str]:
    return [message.topic for message in outbox.messages()]


def _payloads(outbox: Outbox, topic: str) -> list[dict[str, Any]]:
    return [json.loads(message.payload) for message in outbox.messages(topic=topic)]
