"""What one target's load records (each customer's conversation, each phase's latencies and
errors), and how its two phases run: one customer at a time, then N at once."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from itertools import count
from typing import Any

from benchmarks.load.resources import cpu_seconds, family_cpu_ticks
from benchmarks.stats import percentile

TOTAL = "total"


def progress(message: str) -> None:
    """A line on stderr, so that stdout holds the report alone."""
    print(f"[load] {message}", file=sys.stderr, flush=True)


@dataclass
class Sent:
    """One message a customer sent."""

    client_id: str
    text: str
    answered: bool = False
    as_stored: str | None = None  # what the bot got (the ack's text, when the gateway masked some)


@dataclass
class Conversation:
    """One simulated customer's conversation."""

    customer: int
    transaction_id: str | None
    language: str
    conversation_id: str | None = None
    sent: list[Sent] = field(default_factory=list)
    completed: bool = False
    case: dict[str, Any] | None = None


@dataclass
class Load:
    """What happened to one target's customers."""

    target: str
    transport: str
    users: int = 1  # customers at once
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    conversations: list[Conversation] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(problem)

    def figures(self) -> dict[str, Any]:
        latencies = self.latencies_ms
        completed = sum(c.completed for c in self.conversations)
        wall = self.wall_s or float("inf")
        return {
            "transport": self.transport,
            "users": self.users,
            "conversations_started": len(self.conversations),
            "conversations_completed": completed,
            "messages": len(latencies),
            "conversations_per_s": completed / wall,
            "messages_per_s": len(latencies) / wall,
            "p50_ms": statistics.median(latencies) if latencies else 0.0,
            "p95_ms": percentile(latencies, 0.95) if latencies else 0.0,
            "p99_ms": percentile(latencies, 0.99) if latencies else 0.0,
            "errors": self.errors,
            "wall_s": self.wall_s,
        }


@dataclass
class Settings:
    single_customers: int  # the 1-user phase's, one at a time
    customers: int  # the N-user phase's
    concurrency: int  # N
    duration_limit: float
    message_timeout: float
    warm_up: bool


async def drive(
    customers: int, concurrency: int, duration_limit: float, customer: Callable[[int], Awaitable[None]]
) -> float:
    """customer(i) for each i below `customers`, `concurrency` at a time, none started after the
    duration limit; the wall time in seconds."""
    started = time.perf_counter()
    deadline = started + duration_limit
    numbers = count()

    async def worker() -> None:
        while time.perf_counter() < deadline:
            i = next(numbers)
            if i >= customers:
                return
            await customer(i)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, customers)))))
    return time.perf_counter() - started


@dataclass
class Phases:
    """One target's two measured phases, and its processes' CPU time over the N-user one."""

    single: Load  # one customer at a time
    concurrent: Load  # N customers at a time
    cpu_s: dict[str, float] | None = None  # CPU seconds by process name; None: not measured

    @property
    def conversations(self) -> list[Conversation]:
        return self.single.conversations + self.concurrent.conversations

    def cpu_ms_per_message(self) -> dict[str, float] | None:
        """Each process's CPU milliseconds per message answered in the N-user phase, and their total."""
        messages = len(self.concurrent.latencies_ms)
        if self.cpu_s is None or not messages:
            return None
        per_message = {name: seconds * 1000 / messages for name, seconds in self.cpu_s.items()}
        return {**per_message, TOTAL: sum(per_message.values())}


# A customer: customer(load, i) has customer number i talk, recording what happens in `load`.
Customer = Callable[[Load, int], Awaitable[None]]


async def run_phases(
    target: str, transport: str, settings: Settings, customer: Customer, pids: dict[str, int] | None
) -> Phases:
    """The 1-user phase's customers one at a time, then the N-user phase's (numbered on from there),
    with the CPU time of the processes in `pids` read right before and right after the latter."""
    limit = settings.duration_limit
    single = Load(target, transport, users=1)
    progress(f"{target}: 1 user, {settings.single_customers} customer(s) one at a time")
    single.wall_s = await drive(settings.single_customers, 1, limit, partial(customer, single))

    users = max(1, min(settings.concurrency, settings.customers))
    concurrent = Load(target, transport, users=users)
    first = settings.single_customers
    progress(f"{target}: {users} users, {settings.customers} customers")
    before = family_cpu_ticks(pids or {})
    concurrent.wall_s = await drive(
        settings.customers, users, limit, lambda i: customer(concurrent, first + i)
    )
    cpu_s = cpu_seconds(before, family_cpu_ticks(pids)) if pids else None
    return Phases(single, concurrent, cpu_s)
