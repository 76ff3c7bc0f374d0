"""The gateway's shared state in both back-ends. Two handles on it, as two gateway processes have,
must see the same limits, turns, answered ids and messages: in Redis two clients (the real Redis
at TEST_REDIS_URL, under a prefix of this run's own, deleted afterwards), in one process the same
state twice. Then what Redis adds: expiry, a dropped connection, no Redis at all."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import redis

from bot.config import PROJECT_ROOT
from bot.web import shared_state
from bot.web.settings import GatewaySettings
from bot.web.shared_state import (
    RedisState,
    RetriedLock,
    SharedState,
    SharedStateUnavailable,
    create_shared_state,
    in_process_state,
    redis_hub,
    redis_outage,
)
from devtools.processes import free_port

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_PREFIX = f"cbot-test-{uuid.uuid4().hex[:12]}"
BACKENDS = ["in-process", "redis"]


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


def settings_for(**environ: str) -> GatewaySettings:
    return GatewaySettings.configured(environ)


def new_prefix() -> str:
    return f"{RUN_PREFIX}:{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def two_processes(backend: str, lock_timeout: float | None = None) -> AsyncIterator[Any]:
    """Two handles on one shared state: (a, b)."""
    if backend == "in-process":
        state = in_process_state()
        await state.open()
        try:
            yield state, state
        finally:
            await state.close()
        return
    prefix = new_prefix()
    if lock_timeout is None:
        made = [
            create_shared_state(settings_for(GATEWAY_REDIS_URL=REDIS_URL, GATEWAY_REDIS_PREFIX=prefix))
            for _ in range(2)
        ]
    else:
        made = [RedisState(REDIS_URL, prefix, lock_timeout) for _ in range(2)]
    a, b = made
    assert isinstance(a, RedisState) and isinstance(b, RedisState)
    await a.open()
    try:
        await b.open()
        try:
            yield a, b
        finally:
            await b.close()
    finally:
        await a.close()


class Listener:
    """A socket that keeps what it is sent."""

    def __init__(self) -> None:
        self.got: list[Any] = []

    async def send(self, data: str) -> None:
        self.got.append(json.loads(data))


class GoneSocket:
    async def send(self, data: str) -> None:
        raise OSError("gone")


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "not in time"
        await asyncio.sleep(0.02)


# --- both back-ends -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_limit_is_counted_across_processes(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        la, lb = a.limiter("messages", 3), b.limiter("messages", 3)
        assert await la.allow("k") and await lb.allow("k") and await la.allow("k")
        assert await lb.exhausted("k") and await la.exhausted("k")
        assert not await lb.allow("k") and not await la.allow("k")
        assert await lb.allow("another key")
        assert await a.limiter("another limiter", 3).allow("k")

        quiet = b.limiter("asked only", 1)
        for _ in range(3):
            assert not await quiet.exhausted("k")  # asking counts nothing
        assert await quiet.allow("k") and await quiet.exhausted("k")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_window_slides(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        la, lb = a.limiter("short", 2, window_seconds=1.0), b.limiter("short", 2, window_seconds=1.0)
        assert await la.allow("k")
        await asyncio.sleep(0.6)
        assert await lb.allow("k") and not await la.allow("k")
        await asyncio.sleep(0.6)  # the first event has left the window, the second has not
        assert await lb.allow("k") and not await la.allow("k")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_one_turn_at_a_time_across_processes(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        la, lb = a.locks("conversation"), b.locks("conversation")
        events: list[str] = []

        async def second_turn() -> None:
            async with lb.hold("c1"):
                events.append("second")

        async with la.hold("c1"):
            waiting = asyncio.create_task(second_turn())
            async with lb.hold("c2"):  # another conversation does not wait
                pass
            await asyncio.sleep(0.3)
            assert not waiting.done()
            events.append("first done")
        await asyncio.wait_for(waiting, 5)
        assert events == ["first done", "second"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_waiter_that_gives_up_leaves_the_turn_free(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        la, lb = a.locks("conversation"), b.locks("conversation")

        async def turn() -> None:
            async with lb.hold("c"):
                pass

        async with la.hold("c"):
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(turn(), 0.3)  # a browser that went away meanwhile
        await asyncio.wait_for(turn(), 2)
        await asyncio.wait_for(turn(), 2)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_answered_id_is_known_to_the_other_process(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        ra, rb = a.remembered("answered", 5), b.remembered("answered", 5)
        await ra.remember("conv", {"m1"})
        assert await rb.known("conv", "m1") and await ra.known("conv", "m1")
        assert not await rb.known("conv", "m2")
        assert not await rb.known("other conv", "m1")
        assert not await b.remembered("other name", 5).known("conv", "m1")
        for n in range(2, 9):
            await ra.remember("conv", [f"m{n}"])
        await ra.remember("conv", [])
        assert [n for n in range(1, 9) if await rb.known("conv", f"m{n}")] == [4, 5, 6, 7, 8]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_published_message_reaches_the_channel_s_sockets_everywhere_in_order(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        customer, elsewhere, publisher_side = Listener(), Listener(), Listener()
        b.hub.subscribe("customer:c1", customer)
        b.hub.subscribe("customer:c2", elsewhere)
        a.hub.subscribe("customer:c1", publisher_side)  # the publisher's own process listens too
        sent = [{"type": "agent", "text": f"您好 {n}", "n": n} for n in range(30)]
        for message in sent:
            await a.hub.publish("customer:c1", message)
        await until(lambda: len(customer.got) >= 30 and len(publisher_side.got) >= 30)
        await asyncio.sleep(0.2)
        assert customer.got == sent
        assert publisher_side.got == sent  # once each
        assert elsewhere.got == []

        b.hub.unsubscribe("customer:c1", customer)
        await a.hub.publish("customer:c1", {"n": "after"})
        await until(lambda: len(publisher_side.got) == 31)
        await asyncio.sleep(0.2)
        assert len(customer.got) == 30


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_socket_that_is_gone_is_dropped(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        live = Listener()
        b.hub.subscribe("agents:c", GoneSocket())
        b.hub.subscribe("agents:c", live)
        await a.hub.publish("agents:c", {"n": 1})
        await until(lambda: live.got == [{"n": 1}])
        b.hub.unsubscribe("agents:c", live)
        assert not b.hub.listening("agents:c")


# --- what Redis adds ------------------------------------------------------------------------------


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


async def test_without_redis_the_chat_still_gets_answers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(redis_hub, "HUB_START_WAIT_SECONDS", 0.2)
    state = RedisState(f"redis://127.0.0.1:{free_port()}/0", new_prefix(), 5.0)  # nothing listens
    with caplog.at_level(logging.WARNING, logger=shared_state.__name__):
        await state.open()
        try:
            limiter = state.limiter("messages", 2)
            assert await limiter.allow("k") and await limiter.allow("k")
            assert not await limiter.allow("k") and await limiter.exhausted("k")  # still a limit here

            locks = state.locks("conversation")
            events: list[str] = []

            async def second_turn() -> None:
                async with locks.hold("c"):
                    events.append("second")

            async with locks.hold("c"):
                waiting = asyncio.create_task(second_turn())
                await asyncio.sleep(0.1)
                events.append("first done")
            await asyncio.wait_for(waiting, 2)
            assert events == ["first done", "second"]

            answered = state.remembered("answered", 100)
            await answered.remember("conv", ["m1"])
            assert await answered.known("conv", "m1") and not await answered.known("conv", "m2")

            customer = Listener()
            state.hub.subscribe("customer:c", customer)
            await state.hub.publish("customer:c", {"n": 1})
            assert customer.got == [{"n": 1}]
        finally:
            await asyncio.wait_for(state.close(), 5)
    outage_lines = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(outage_lines) == 1  # said once, not for every call
    assert any("hub lost Redis" in r.getMessage() for r in caplog.records)


async def test_redis_is_asked_again_after_an_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_outage, "REDIS_RETRY_AFTER_SECONDS", 0.0)
    async with two_processes("redis") as (a, b):
        la, lb = a.limiter("messages", 2), b.limiter("messages", 2)
        a.outage.failed("a test", ConnectionError("pretend"), "counting here")
        assert await la.allow("k") and await lb.allow("k")
        assert not await la.allow("k")  # both counted in Redis: a is back on it


def test_an_unreachable_redis_is_named_in_one_line() -> None:
    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    with pytest.raises(SharedStateUnavailable) as refused:
        create_shared_state(settings_for(GATEWAY_REDIS_URL=url))
    message = str(refused.value)
    assert "GATEWAY_REDIS_URL" in message and "\n" not in message
    assert "hunter2" not in message and "127.0.0.1" in message


def test_the_gateway_refuses_to_start_without_its_redis() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "ASSISTANT_"))}
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        GATEWAY_PORT=str(free_port()),
        GATEWAY_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.web"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "GATEWAY_REDIS_URL" in lines[0], done.stderr


def test_no_redis_url_means_this_process() -> None:
    state = create_shared_state(settings_for())
    assert type(state) is SharedState
    assert state.limiter("x", 1) is state.limiter("x", 1)
