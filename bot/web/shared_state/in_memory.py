"""The shared state in this process's memory: all that a single gateway needs, and what the Redis
back-end falls back to while Redis is away."""

from __future__ import annotations

import asyncio
import heapq
import json
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sanic.exceptions import WebsocketClosed
from websockets.exceptions import ConnectionClosed

from bot.web.rate_limit import SlidingWindowLimiter
from bot.web.shared_state.interface import (
    KeyedLock,
    Marks,
    Notes,
    RateLimiter,
    RememberedIds,
    Subscriber,
)

CONVERSATIONS_REMEMBERED = 10_000  # in one process's memory

T = TypeVar("T")


class InProcessLimiter:
    """rate_limit.SlidingWindowLimiter behind the shared interface."""

    def __init__(
        self, limit: int, window_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = SlidingWindowLimiter(limit, window_seconds, clock)

    async def allow(self, key: str) -> bool:
        return self.window.allow(key)

    async def exhausted(self, key: str) -> bool:
        return self.window.exhausted(key)


class InProcessLocks:
    """An asyncio lock per key, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:
                del self._holders[key]
                del self._locks[key]


class InProcessIds:
    """The latest `per_key` items of each key, for the latest keys."""

    def __init__(self, per_key: int) -> None:
        self.per_key = per_key
        self._items: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()

    def known_here(self, key: str, item: str) -> bool:
        return item in self._items.get(key, ())

    def remember_here(self, key: str, items: Iterable[str]) -> None:
        remembered = self._items.setdefault(key, OrderedDict())
        self._items.move_to_end(key)
        for item in items:
            remembered[item] = None
        while len(remembered) > self.per_key:
            remembered.popitem(last=False)
        while len(self._items) > CONVERSATIONS_REMEMBERED:
            self._items.popitem(last=False)

    async def known(self, key: str, item: str) -> bool:
        return self.known_here(key, item)

    async def remember(self, key: str, items: Iterable[str]) -> None:
        self.remember_here(key, items)


class InProcessMarks:
    """Keys marked until a moment; a mark is forgotten once its moment has passed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._queue: list[tuple[float, str]] = []  # (until, key), soonest first: what to forget

    def mark_here(self, key: str, seconds: float) -> None:
        now = self._clock()
        self._forget_passed(now)
        until = now + seconds
        if until > self._until.get(key, now):
            self._until[key] = until
            heapq.heappush(self._queue, (until, key))

    def marked_here(self, key: str) -> bool:
        return self._until.get(key, -math.inf) > self._clock()

    def _forget_passed(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            until, key = heapq.heappop(self._queue)
            if self._until.get(key) == until:
                del self._until[key]

    async def mark(self, key: str, seconds: float) -> None:
        self.mark_here(key, seconds)

    async def marked(self, key: str) -> bool:
        return self.marked_here(key)


class InProcessNotes:
    """One string per key for `ttl_seconds` after it was put, for the latest keys."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._values: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def get_here(self, key: str) -> str | None:
        kept = self._values.get(key)
        if kept is None:
            return None
        if kept[1] <= self._clock():
            del self._values[key]
            return None
        return kept[0]

    def put_here(self, key: str, value: str | None) -> None:
        self._values.pop(key, None)
        if value is not None:
            self._values[key] = (value, self._clock() + self.ttl_seconds)
        while len(self._values) > CONVERSATIONS_REMEMBERED:
            self._values.popitem(last=False)

    async def get(self, key: str) -> str | None:
        return self.get_here(key)

    async def put(self, key: str, value: str | None) -> None:
        self.put_here(key, value)


class LiveHub:
    """Publish/subscribe between sockets. This one reaches the sockets of this process only; the
    Redis one reaches every gateway's."""

    def __init__(self) -> None:
        self._channels: dict[str, set[Subscriber]] = {}

    def subscribe(self, channel: str, subscriber: Subscriber) -> None:
        self._channels.setdefault(channel, set()).add(subscriber)

    def unsubscribe(self, channel: str, subscriber: Subscriber) -> None:
        subscribers = self._channels.get(channel)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._channels[channel]

    def listening(self, channel: str) -> bool:
        """Whether a socket of this process listens to the channel."""
        return bool(self._channels.get(channel))

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """To every subscriber of the channel, in every gateway process. Who got it is known only to
        the processes that hold the sockets, so nothing is returned."""
        await self.publish_here(channel, message)

    async def publish_here(self, channel: str, message: dict[str, Any]) -> None:
        """To this process's subscribers only: for what every process feeds on its own."""
        await self._deliver(channel, json.dumps(message, ensure_ascii=False))

    async def _deliver(self, channel: str, data: str) -> None:
        for subscriber in list(self._channels.get(channel, ())):
            try:
                await subscriber.send(data)
            except (ConnectionClosed, WebsocketClosed, OSError):
                self.unsubscribe(channel, subscriber)

    async def start(self) -> None:
        """Nothing to do in one process."""

    async def close(self) -> None:
        """Nothing to do in one process."""


class SharedState:
    """The factory of limiters, locks, remembered ids and notes, and the hub. One name is one thing: asked
    twice, a name gives the same limiter (in Redis, the same keys in every process)."""

    def __init__(self, hub: LiveHub) -> None:
        self.hub = hub
        self._made: dict[tuple[str, str], Any] = {}

    def limiter(self, name: str, limit: int, window_seconds: float = 60.0) -> RateLimiter:
        """At most `limit` events per key in any `window_seconds`-long stretch of time."""
        return self._once("limiter", name, lambda: self._limiter(name, limit, window_seconds))

    def locks(self, name: str) -> KeyedLock:
        return self._once("locks", name, lambda: self._locks(name))

    def remembered(self, name: str, per_key: int) -> RememberedIds:
        """The latest `per_key` items remembered for each key."""
        return self._once("remembered", name, lambda: self._remembered(name, per_key))

    def marks(self, name: str) -> Marks:
        """Keys marked for a while (e.g. conversations ended before their time)."""
        return self._once("marks", name, lambda: self._marks(name))

    def notes(self, name: str, ttl_seconds: float) -> Notes:
        """One string per key, forgotten `ttl_seconds` after it was put."""
        return self._once("notes", name, lambda: self._notes(name, ttl_seconds))

    async def open(self) -> None:
        """Inside the running event loop, before the first request."""
        await self.hub.start()

    async def close(self) -> None:
        await self.hub.close()

    def _once(self, kind: str, name: str, make: Callable[[], T]) -> T:
        if (kind, name) not in self._made:
            self._made[kind, name] = make()
        return self._made[kind, name]

    def _limiter(self, name: str, limit: int, window_seconds: float) -> RateLimiter:
        return InProcessLimiter(limit, window_seconds)

    def _locks(self, name: str) -> KeyedLock:
        return InProcessLocks()

    def _remembered(self, name: str, per_key: int) -> RememberedIds:
        return InProcessIds(per_key)

    def _marks(self, name: str) -> Marks:
        return InProcessMarks()

    def _notes(self, name: str, ttl_seconds: float) -> Notes:
        return InProcessNotes(ttl_seconds)


def in_process_state() -> SharedState:
    """This process's memory: one gateway."""
    return SharedState(LiveHub())
