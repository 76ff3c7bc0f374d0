"""The Redis keys of this run's prefix are deleted after each module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.bot.web.shared_state.support import REDIS_URL, RUN_PREFIX


@pytest.fixture(scope="module", autouse=True)
def redis_keys_deleted() -> Iterator[None]:
    yield
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{RUN_PREFIX}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
