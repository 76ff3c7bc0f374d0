"""Two handles on the gateway's shared state, as two gateway processes have, in either back-end (the
real Redis at TEST_REDIS_URL under a prefix of this run's own), and sockets that keep what they are sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.web.settings import GatewaySettings
from bot.web.shared_state import RedisState, create_shared_state, in_process_state

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_PREFIX = f"cbot-test-{uuid.uuid4().hex[:12]}"
BACKENDS = ["in-process", "redis"]


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
