"""How many messages a session or an address may send in a minute."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most `limit` events per key in any `window_seconds`-long stretch of time."""

    def __init__(
        self, limit: int, window_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one event for `key` if it is within the limit; say whether it was."""
        if self.exhausted(key):
            return False
        now = self._clock()
        self._events[key].append(now)
        if len(self._events) > 10_000:
            self._forget_idle(now)
        return True

    def exhausted(self, key: str) -> bool:
        """Whether `key` has used up its events for now (counts nothing)."""
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window_seconds:
            events.popleft()
        return len(events) >= self.limit

    def keys_counted(self) -> int:
        """How many keys are counted now: idle ones are forgotten, so memory stays bounded."""
        return len(self._events)

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, e in self._events.items() if not e or e[-1] <= now - self.window_seconds]
        for key in idle:
            del self._events[key]
