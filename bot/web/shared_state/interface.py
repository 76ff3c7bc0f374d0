"""What the gateway's code asks of the shared state, whichever back-end keeps it."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from typing import Protocol


class SharedStateUnavailable(Exception):
    """The configured Redis cannot be reached at start."""


class RateLimiter(Protocol):
    async def allow(self, key: str) -> bool:
        """Count one event for `key` if it is within the limit; say whether it was."""
        ...

    async def exhausted(self, key: str) -> bool:
        """Whether `key` has used up its events for now (counts nothing)."""
        ...


class KeyedLock(Protocol):
    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """`async with locks.hold(key):` one holder of `key` at a time."""
        ...


class RememberedIds(Protocol):
    async def known(self, key: str, item: str) -> bool: ...
    async def remember(self, key: str, items: Iterable[str]) -> None: ...


class Marks(Protocol):
    async def mark(self, key: str, seconds: float) -> None:
        """Mark `key` for at least the next `seconds` (a shorter mark made later cuts none short)."""
        ...

    async def marked(self, key: str) -> bool: ...


class Notes(Protocol):
    """One short string per key, forgotten after a while."""

    async def get(self, key: str) -> str | None: ...
    async def put(self, key: str, value: str | None) -> None:
        """Keep value for key (None: forget it)."""
        ...


class Subscriber(Protocol):
    async def send(self, data: str) -> None: ...
