"""The production lock store on the real Redis, used by several "rasa servers" (store instances with
their own connections) at once: tickets stay unique, and one conversation's turns never overlap."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import redis
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server.lock_store import AtomicRedisLockStore
from devtools.processes import TEST_REDIS_URL


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"locktest{secrets.token_hex(4)}"
    yield name
    client = redis.Redis.from_url(TEST_REDIS_URL)
    keys = list(client.scan_iter(match=f"{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


def new_store(prefix: str) -> AtomicRedisLockStore:
    parts = urlsplit(TEST_REDIS_URL)
    config = EndpointConfig(
        url=parts.hostname,
        port=parts.port or 6379,
        db=int(parts.path.strip("/") or 0),
        password=parts.password,
        key_prefix=prefix,
        type="bot.rasa_server.lock_store.AtomicRedisLockStore",
    )
    return AtomicRedisLockStore(config)


def test_tickets_drawn_at_once_from_several_servers_are_all_different(prefix: str) -> None:
    stores = [new_store(prefix) for _ in range(4)]
    start = threading.Barrier(32)

    def draw(index: int) -> int:
        start.wait()
        return stores[index % len(stores)].issue_ticket("conversation-1", 60)

    with ThreadPoolExecutor(max_workers=32) as pool:
        tickets = list(pool.map(draw, range(32)))
    assert len(set(tickets)) == 32
    lock = stores[0].get_lock("conversation-1")
    assert lock is not None and len(lock.tickets) == 32


def test_one_conversations_turns_never_overlap_across_servers(prefix: str) -> None:
    turns: list[tuple[float, float]] = []

    def server(index: int) -> None:
        store = new_store(prefix)

        async def turn() -> None:
            async with store.lock("conversation-2", lock_lifetime=30, wait_time_in_seconds=0.01):
                started = time.monotonic()
                await asyncio.sleep(0.02)
                turns.append((started, time.monotonic()))

        async def several() -> None:
            await asyncio.gather(*(turn() for _ in range(4)))

        asyncio.run(several())

    threads = [threading.Thread(target=server, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(turns) == 16
    ordered = sorted(turns)
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(ordered)), (
        "two turns overlapped"
    )
    assert new_store(prefix).get_lock("conversation-2") is None  # the last turn tidied up


def test_a_finished_ticket_leaves_the_others_waiting(prefix: str) -> None:
    first, second = new_store(prefix), new_store(prefix)
    mine = first.issue_ticket("conversation-3", 60)
    theirs = second.issue_ticket("conversation-3", 60)
    first.cleanup("conversation-3", mine)
    lock = second.get_lock("conversation-3")
    assert lock is not None and not lock.is_locked(theirs)
    second.cleanup("conversation-3", theirs)
    assert first.get_lock("conversation-3") is None
