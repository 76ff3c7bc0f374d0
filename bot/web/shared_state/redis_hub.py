"""Publish/subscribe through Redis: each gateway process psubscribes once to `<p>:hub:*` and hands
what comes to its own sockets."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Protocol

from bot.web.shared_state.in_memory import LiveHub
from bot.web.shared_state.redis_outage import REDIS_DOWN, Outage

if TYPE_CHECKING:
    import redis.asyncio

logger = logging.getLogger(__name__)

HUB_BACKOFF_SECONDS = (0.5, 30.0)
HUB_START_WAIT_SECONDS = 5.0


class HubConnection(Protocol):
    """What the hub needs of the state that makes it (RedisState): its client, keys and outage."""

    outage: Outage

    @property
    def client(self) -> redis.asyncio.Redis: ...

    def key(self, *parts: str) -> str: ...


class RedisHub(LiveHub):
    """Subscribers stay in their process; messages go through Redis, and each process's reader hands
    them to its own subscribers."""

    def __init__(self, state: HubConnection) -> None:
        super().__init__()
        self._state = state
        self._reader: asyncio.Task[None] | None = None
        self._live: asyncio.Event | None = None

    def _redis_channel(self, channel: str) -> str:
        return self._state.key("hub", channel)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        data = json.dumps(message, ensure_ascii=False)
        state = self._state
        if state.outage.up():
            try:
                await state.client.publish(self._redis_channel(channel), data)
            except REDIS_DOWN as error:
                state.outage.failed("publishing", error, "delivered in this process only")
            else:
                state.outage.worked()
                if self._live is not None and self._live.is_set():
                    return  # this process's reader delivers it here too, in order
        await self._deliver(channel, data)

    async def start(self) -> None:
        self._live = asyncio.Event()
        self._reader = asyncio.create_task(self._read(self._live), name="shared-state-hub")
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._live.wait(), HUB_START_WAIT_SECONDS)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None

    async def _read(self, live: asyncio.Event) -> None:
        """Hand what Redis publishes to this process's subscribers, for as long as the process runs."""
        start = self._redis_channel("")
        pattern = _glob_escaped(start) + "*"
        delay, longest = HUB_BACKOFF_SECONDS
        lost = False
        while True:
            pubsub = self._state.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(pattern)
                live.set()
                if lost:
                    logger.warning("hub listening to Redis again")
                    lost = False
                delay = HUB_BACKOFF_SECONDS[0]
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None and message.get("type") == "pmessage":
                        await self._hand_out(message["channel"][len(start) :], message["data"])
            except REDIS_DOWN as error:
                live.clear()
                lost = True
                logger.warning(
                    "hub lost Redis (%s: %s): listening again in %.1f s", type(error).__name__, error, delay
                )
            except Exception:  # whatever else: the reader must outlive it
                live.clear()
                lost = True
                logger.exception("hub reader failed: listening again in %.1f s", delay)
            finally:
                with suppress(Exception):
                    await pubsub.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)

    async def _hand_out(self, channel: str, data: str) -> None:
        try:
            await self._deliver(channel, data)
        except Exception:  # one subscriber's failure must not stop the reader
            logger.exception("message on %s not delivered", channel)


def _glob_escaped(text: str) -> str:
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)
