"""The gateway's shared state without its Redis: the chat still answered, Redis asked again after an
outage, an unreachable Redis named in one line, the gateway refusing to start, and no URL at all."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys

import pytest

from bot.config import PROJECT_ROOT
from bot.web import shared_state
from bot.web.shared_state import (
    RedisState,
    SharedState,
    SharedStateUnavailable,
    create_shared_state,
    redis_hub,
    redis_outage,
)
from devtools.processes import free_port
from tests.bot.web.shared_state.support import Listener, new_prefix, settings_for, two_processes


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

            ended = state.marks("ended")
            await ended.mark("c", 60)
            assert await ended.marked("c") and not await ended.marked("other")
            notes = state.notes("unfinished-card", 60)
            await notes.put("conv", "12")
            assert await notes.get("conv") == "12" and await notes.get("other") is None

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
