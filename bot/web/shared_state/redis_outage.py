"""Whether Redis is worth asking now: after a failure it is left alone for a while, and the outage is
logged when it starts (at most every 30 s) and when it ends."""

from __future__ import annotations

import asyncio
import logging
import time

from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

REDIS_RETRY_AFTER_SECONDS = 5.0
OUTAGE_LOG_EVERY_SECONDS = 30.0
# What a Redis that went away raises.
REDIS_DOWN = (RedisError, OSError, asyncio.TimeoutError)


class Outage:
    """Whether Redis is worth asking now; says when it goes away and when it is back."""

    def __init__(self) -> None:
        self._retry_at = 0.0
        self._since: float | None = None
        self._logged_at = -OUTAGE_LOG_EVERY_SECONDS

    def up(self) -> bool:
        return time.monotonic() >= self._retry_at

    def failed(self, what: str, error: BaseException, instead: str) -> None:
        now = time.monotonic()
        self._retry_at = now + REDIS_RETRY_AFTER_SECONDS
        if self._since is None:
            self._since = now
        if now - self._logged_at >= OUTAGE_LOG_EVERY_SECONDS:
            self._logged_at = now
            logger.warning(
                "Redis unavailable for %s (%s: %s): %s", what, type(error).__name__, error, instead
            )

    def worked(self) -> None:
        if self._since is not None:
            logger.warning("Redis reachable again after %.0f s", time.monotonic() - self._since)
            self._since = None
            self._logged_at = -OUTAGE_LOG_EVERY_SECONDS
