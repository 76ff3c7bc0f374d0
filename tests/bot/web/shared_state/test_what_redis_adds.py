"""What Redis adds to the gateway's shared state: publishing here only, a stuck lock holder freed after
the timeout, keys that expire, connections dropped by Redis replaced or listened on again, and a
conversation ended on one gateway ended on the other."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import redis

from bot.case_store import CaseDatabase
from bot.web import shared_state
from bot.web.chat import ChatService
from bot.web.shared_state import RedisState, RetriedLock, create_shared_state
from tests.bot.case_store.support import migrated_sqlite
from tests.bot.web.shared_state.support import (
    REDIS_URL,
    Listener,
    new_prefix,
    settings_for,
    two_processes,
    until,
)
from tests.bot.web.test_chat import Browser, Rasa, hello


async def test_listening_and_publish_here_stay_in_their_process() -> None:
    async with two_processes("redis") as (a, b):
        here, there = Listener(), Listener()
        a.hub.subscribe("queue", here)
        b.hub.subscribe("queue", there)
        assert a.hub.listening("queue") and not a.hub.listening("customer:c1")
        await a.hub.publish_here("queue", {"type": "queue"})
        assert here.got == [{"type": "queue"}]
        await asyncio.sleep(0.3)
        assert there.got == []


async def test_a_holder_that_never_lets_go_is_freed_after_the_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with two_processes("redis", lock_timeout=1.0) as (a, b):
        stuck = a.locks("conversation").hold("c")  # a process that hangs (or dies) holding the turn
        await stuck.__aenter__()
        loop = asyncio.get_running_loop()
        started = loop.time()
        taken = b.locks("conversation").hold("c")
        await asyncio.wait_for(taken.__aenter__(), 5)
        assert 0.8 <= loop.time() - started < 4

        key = f"{b.prefix}:lock:conversation:c"
        with caplog.at_level(logging.WARNING, logger=shared_state.__name__):
            await stuck.__aexit__(None, None, None)  # late: neither an error nor the end of b's turn
        assert "expired" in caplog.text
        assert await b.client.exists(key)
        await taken.__aexit__(None, None, None)
        assert not await b.client.exists(key)


async def test_keys_expire() -> None:
    rasa_timeout = 7.0
    prefix = new_prefix()
    state = create_shared_state(
        settings_for(
            GATEWAY_REDIS_URL=REDIS_URL,
            GATEWAY_REDIS_PREFIX=prefix,
            GATEWAY_RASA_TIMEOUT_SECONDS=str(rasa_timeout),
        )
    )
    assert isinstance(state, RedisState) and state.lock_timeout_seconds > rasa_timeout
    await state.open()
    try:
        async with state.locks("conversation").hold("c"):
            ttl = await state.client.pttl(f"{prefix}:lock:conversation:c")
            assert rasa_timeout * 1000 < ttl <= state.lock_timeout_seconds * 1000
        await state.limiter("messages", 5, window_seconds=60).allow("k")
        assert 0 < await state.client.pttl(f"{prefix}:rate:messages:k") <= 60_000
        await state.remembered("answered", 100).remember("conv", ["m1"])
        assert 0 < await state.client.ttl(f"{prefix}:ids:answered:conv") <= 24 * 3600
        await state.marks("ended").mark("conv", 3600)
        assert 3_590_000 < await state.client.pttl(f"{prefix}:mark:ended:conv") <= 3_600_000
        await state.notes("unfinished-card", 600).put("conv", "12")
        assert 0 < await state.client.pttl(f"{prefix}:note:unfinished-card:conv") <= 600_000
    finally:
        await state.close()


def gateway_clients(prefix: str, *, pubsub: bool = True) -> list[str]:
    """The ids of the gateways' connections to Redis: their hub readers', or the others."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return [
            str(entry["id"])
            for entry in client.client_list()
            if entry.get("name") == f"{prefix}-gateway" and (int(entry.get("psub", 0)) > 0) == pubsub
        ]
    finally:
        client.close()


def pubsub_clients(prefix: str) -> list[str]:
    return gateway_clients(prefix)


def kill_clients(ids: list[str]) -> None:
    killer = redis.Redis.from_url(REDIS_URL)
    try:
        for client_id in ids:
            killer.client_kill_filter(_id=client_id)
    finally:
        killer.close()


async def test_a_dropped_connection_is_replaced_at_once() -> None:
    """As after a restart of Redis: the pooled connections are dead, and the next command must not
    fall back to this process alone."""
    async with two_processes("redis") as (a, b):
        la, lb = a.limiter("messages", 2), b.limiter("messages", 2)
        assert await la.allow("k")
        kill_clients(gateway_clients(a.prefix, pubsub=False))
        assert await la.allow("k")
        assert not await lb.allow("k")
        assert a.outage.up() and b.outage.up()


async def test_a_lock_taken_by_a_set_whose_answer_was_lost_is_the_holder_s() -> None:
    async with two_processes("redis") as (a, _b):
        key = f"{a.prefix}:lock:retried"
        lock = RetriedLock(a.client, key, timeout=5)
        await a.client.set(key, "first-try-token")  # the first SET went through, its answer did not
        assert await lock.do_acquire(b"first-try-token")
        assert not await lock.do_acquire(b"someone-else")


async def test_the_hub_listens_again_after_redis_drops_it() -> None:
    async with two_processes("redis") as (a, b):
        customer = Listener()
        b.hub.subscribe("customer:c", customer)
        readers = pubsub_clients(a.prefix)
        assert len(readers) == 2  # one per process
        kill_clients(readers)

        n = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not customer.got:  # what is published while no reader listens is lost
            assert loop.time() < deadline, "the hub did not listen again"
            await a.hub.publish("customer:c", {"n": n})
            n += 1
            await asyncio.sleep(0.1)
        await until(lambda: len(pubsub_clients(a.prefix)) == 2)
        first = customer.got[-1]["n"]
        for m in range(n, n + 10):
            await a.hub.publish("customer:c", {"n": m})
        await until(lambda: customer.got[-1]["n"] == n + 9)
        assert [got["n"] for got in customer.got] == list(range(first, n + 10))


async def test_a_conversation_ended_on_one_gateway_is_ended_on_the_other(tmp_path: Path) -> None:
    case_store_url = migrated_sqlite(tmp_path)
    settings = settings_for(CASE_STORE_URL=case_store_url)
    async with two_processes("redis") as (a, b):
        database = CaseDatabase(case_store_url)
        first, second = ChatService(settings, a, database), ChatService(settings, b, database)
        try:
            for chat in (first, second):
                await chat.rasa.close()
                chat.rasa = Rasa()
            mine = Browser(hello(), {"type": "new_conversation"})
            await first.serve(mine, "10.0.0.1")
            old, new = (welcome["session"] for welcome in mine.of_type("welcome"))
            leaked = Browser(hello(session=old))
            await second.serve(leaked, "10.9.9.9")
            assert leaked.of_type("welcome")[0]["session"] not in (old, new)
            assert [frame["code"] for frame in leaked.of_type("notice")] == ["session_ended"]
            back = Browser(hello(session=new))
            await second.serve(back, "10.0.0.1")
            assert back.of_type("welcome")[0]["session"] == new and back.of_type("notice") == []
        finally:
            await first.close()
            await second.close()
            database.close()
