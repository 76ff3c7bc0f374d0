"""The shared state in Redis: several gateways behind a load balancer share one Redis. Every key and
channel starts with GATEWAY_REDIS_PREFIX (`<p>` below), so deployments and test runs can share a Redis:

- `<p>:rate:<limiter>:<key>`: a sorted set of event times (Redis's own clock, so the gateways'
  clocks need not agree), trimmed, counted and added to by one Lua script; it expires one window
  after its last event;
- `<p>:lock:<name>:<key>`: a redis.asyncio lock that expires `rasa_timeout_seconds` + 15 s after
  it was taken, so a process killed while holding it frees it by then (a holder that outlives
  its lock is logged when it lets go, and frees nobody else's);
- `<p>:ids:<name>:<conversation>`: a sorted set of the client ids already answered, the latest
  100, expiring a day after the last one was added;
- `<p>:mark:<name>:<key>`: a marked key (a conversation ended before its time), a string that
  expires when the longest mark made of it does (one Lua script);
- `<p>:note:<name>:<key>`: a string, expiring when its notes say (for a conversation, the digits of
  a card number its last message ended with, so that the next one can hide the rest);
- `<p>:hub:<channel>`: pub/sub. Each process psubscribes once to `<p>:hub:*` and hands what comes
  to its own sockets; sockets cannot move, so subscribers stay in the process that holds them.

A command that meets a dead connection (Redis restarted) is sent once more on a new one. If Redis
is really gone, the chat still answers: each Redis call that fails falls back to this process alone
(a warning, at most every 30 s), and Redis is left alone for 5 s before it is tried again:
  - a limit counts in this process only, from zero: still a limit, but one per process;
  - a conversation's turn is always taken in this process first, then in Redis; without Redis it
    is this process's turn only. A resend that reaches another gateway meanwhile may then reach the
    bot twice: answering twice is better than not answering;
  - answered ids are also remembered in this process, which is asked first; so are marks: a mark
    made on another gateway while Redis is away is not seen here until it is back;
  - notes are also kept in this process, and read from it while Redis is away;
  - `publish` reaches this process's sockets only; the hub's reader listens again with back-off.
    Messages published while a reader was away are lost (pub/sub keeps nothing); they are in Rasa's
    tracker, and browsers and consoles load the transcript when they come back.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import asynccontextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio
from redis.asyncio.lock import Lock
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError, RedisError

from bot.web.shared_state.in_memory import (
    InProcessIds,
    InProcessLimiter,
    InProcessLocks,
    InProcessMarks,
    InProcessNotes,
    SharedState,
)
from bot.web.shared_state.interface import (
    KeyedLock,
    Marks,
    Notes,
    RateLimiter,
    RememberedIds,
    SharedStateUnavailable,
)
from bot.web.shared_state.redis_hub import RedisHub
from bot.web.shared_state.redis_outage import REDIS_DOWN, Outage

logger = logging.getLogger(__name__)

LOCK_MARGIN_SECONDS = 15.0
IDS_TTL_SECONDS = 24 * 3600
REDIS_TIMEOUT_SECONDS = 2.0  # one command; a vanished host must not hold a chat message for long
LOCK_POLL_SECONDS = 0.05


SLIDING_WINDOW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window_ms = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window_ms)
end
return 1
"""


# A mark for at least ARGV[1] ms: never cuts a longer one short (PTTL is -2 for no key).
LONGEST_MARK = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""


class RedisState(SharedState):
    """Shared by every gateway process that uses the same Redis and prefix."""

    def __init__(self, url: str, prefix: str, lock_timeout_seconds: float) -> None:
        super().__init__(RedisHub(self))
        self.url = url
        self.prefix = prefix
        self.lock_timeout_seconds = lock_timeout_seconds
        self.outage = Outage()
        self._client: redis.asyncio.Redis | None = None
        self._sliding_window: Any = None
        self._longest_mark: Any = None
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def client(self) -> redis.asyncio.Redis:
        if self._client is None:
            raise RuntimeError("the shared state is not open")
        return self._client

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def open(self) -> None:
        # Made here, not earlier: the client belongs to the event loop it is made in.
        self._client = redis.asyncio.from_url(
            self.url,
            decode_responses=True,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            health_check_interval=15,
            # Once more on a new connection: after Redis restarts, the pooled ones are dead.
            retry_on_error=[RedisConnectionError],
            client_name=f"{self.prefix}-gateway",
        )
        self._sliding_window = self._client.register_script(SLIDING_WINDOW)
        self._longest_mark = self._client.register_script(LONGEST_MARK)
        await super().open()

    async def close(self) -> None:
        await super().close()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._client is not None:
            await self._client.close(close_connection_pool=True)
            self._client = None

    async def sliding_window(self, key: str, limit: int, window_ms: int, event: str) -> bool:
        return bool(await self._sliding_window(keys=[key], args=[window_ms, limit, event]))

    async def longest_mark(self, key: str, milliseconds: int) -> None:
        await self._longest_mark(keys=[key], args=[milliseconds])

    def in_background(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _limiter(self, name: str, limit: int, window_seconds: float) -> RateLimiter:
        return RedisLimiter(self, name, limit, window_seconds)

    def _locks(self, name: str) -> KeyedLock:
        return RedisLocks(self, name, self.lock_timeout_seconds)

    def _remembered(self, name: str, per_key: int) -> RememberedIds:
        return RedisIds(self, name, per_key)

    def _marks(self, name: str) -> Marks:
        return RedisMarks(self, name)

    def _notes(self, name: str, ttl_seconds: float) -> Notes:
        return RedisNotes(self, name, ttl_seconds)


class RedisLimiter:
    def __init__(self, state: RedisState, name: str, limit: int, window_seconds: float) -> None:
        self._state = state
        self._name = name
        self._limit = limit
        self._window_ms = max(1, round(window_seconds * 1000))
        self._here = InProcessLimiter(limit, window_seconds)

    async def allow(self, key: str) -> bool:
        within = await self._ask(key, uuid.uuid4().hex)
        return await self._here.allow(key) if within is None else within

    async def exhausted(self, key: str) -> bool:
        within = await self._ask(key, "")
        return await self._here.exhausted(key) if within is None else not within

    async def _ask(self, key: str, event: str) -> bool | None:
        """Whether `key` is within the limit (counting `event` if it is and not ""); None without Redis."""
        state = self._state
        if not state.outage.up():
            return None
        try:
            within = await state.sliding_window(
                state.key("rate", self._name, key), self._limit, self._window_ms, event
            )
        except REDIS_DOWN as error:
            state.outage.failed(f"the {self._name} limit", error, "counting in this process only")
            return None
        state.outage.worked()
        return within


class RedisLocks:
    def __init__(self, state: RedisState, name: str, timeout_seconds: float) -> None:
        self._state = state
        self._name = name
        self._timeout = timeout_seconds
        self._here = InProcessLocks()  # this process's waiters queue here, not by polling Redis

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self._here.hold(key):
            lock = await self._take(key)
            try:
                yield
            finally:
                if lock is not None:
                    await self._give_back(lock)

    async def _take(self, key: str) -> Lock | None:
        state = self._state
        if not state.outage.up():
            return None
        lock = state.client.lock(
            state.key("lock", self._name, key),
            timeout=self._timeout,
            sleep=LOCK_POLL_SECONDS,
            thread_local=False,
            lock_class=RetriedLock,
        )
        token = uuid.uuid4().hex
        try:
            await lock.acquire(token=token)
        except asyncio.CancelledError:
            # Redis may have set the lock before the answer was lost: free it if it is ours.
            state.in_background(_release_quietly(lock, token))
            raise
        except REDIS_DOWN as error:
            state.in_background(_release_quietly(lock, token))
            state.outage.failed(f"the {self._name} lock", error, "held in this process only")
            return None
        state.outage.worked()
        return lock

    async def _give_back(self, lock: Lock) -> None:
        try:
            await lock.release()
        except LockError:  # it had expired: the turn took longer than the lock's timeout
            logger.warning("%s expired before it was released", lock.name)
        except REDIS_DOWN as error:
            self._state.outage.failed(f"the {self._name} lock", error, "it expires by itself")


class RetriedLock(Lock):
    """A lock whose SET, sent again on a new connection after the answer to the first was lost,
    may find the lock already taken by that first SET: then it is this holder's."""

    async def do_acquire(self, token: str | bytes) -> bool:
        if await super().do_acquire(token):
            return True
        mine = token.decode() if isinstance(token, bytes) else token
        return await self.redis.get(self.name) == mine


async def _release_quietly(lock: Lock, token: str) -> None:
    with suppress(*REDIS_DOWN):
        await lock.do_release(token.encode())


class RedisIds:
    def __init__(self, state: RedisState, name: str, per_key: int) -> None:
        self._state = state
        self._name = name
        self._per_key = per_key
        self._here = InProcessIds(per_key)

    async def known(self, key: str, item: str) -> bool:
        if self._here.known_here(key, item):
            return True
        state = self._state
        if not state.outage.up():
            return False
        try:
            score = await state.client.zscore(state.key("ids", self._name, key), item)
        except REDIS_DOWN as error:
            state.outage.failed(f"the {self._name} ids", error, "only this process's are known")
            return False
        state.outage.worked()
        return score is not None

    async def remember(self, key: str, items: Iterable[str]) -> None:
        items = list(items)
        self._here.remember_here(key, items)
        state = self._state
        if not items or not state.outage.up():
            return
        name = state.key("ids", self._name, key)
        now = time.time()
        try:
            async with state.client.pipeline(transaction=True) as pipe:
                pipe.zadd(name, dict.fromkeys(items, now), nx=True)
                pipe.zremrangebyrank(name, 0, -self._per_key - 1)
                pipe.expire(name, IDS_TTL_SECONDS)
                await pipe.execute()
        except REDIS_DOWN as error:
            state.outage.failed(f"the {self._name} ids", error, "remembered in this process only")
            return
        state.outage.worked()


class RedisMarks:
    def __init__(self, state: RedisState, name: str) -> None:
        self._state = state
        self._name = name
        self._here = InProcessMarks()

    async def mark(self, key: str, seconds: float) -> None:
        self._here.mark_here(key, seconds)
        state = self._state
        if not state.outage.up():
            return
        milliseconds = max(1, math.ceil(seconds * 1000))
        try:
            await state.longest_mark(state.key("mark", self._name, key), milliseconds)
        except REDIS_DOWN as error:
            state.outage.failed(f"the {self._name} marks", error, "marked in this process only")
            return
        state.outage.worked()

    async def marked(self, key: str) -> bool:
        if self._here.marked_here(key):
            return True
        state = self._state
        if not state.outage.up():
            return False
        try:
            found = await state.client.exists(state.key("mark", self._name, key))
        except REDIS_DOWN as error:
            state.outage.failed(f"the {self._name} marks", error, "only this process's are known")
            return False
        state.outage.worked()
        return bool(found)


class RedisNotes:
    def __init__(self, state: RedisState, name: str, ttl_seconds: float) -> None:
        self._state = state
        self._name = name
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._here = InProcessNotes(ttl_seconds)

    async def get(self, key: str) -> str | None:
        state = self._state
        if not state.outage.up():
            return self._here.get_here(key)
        try:
            value = await state.client.get(state.key("note", self._name, key))
        except REDIS_DOWN as error:
            state.outage.failed(f"the {self._name} notes", error, "only this process's are known")
            return self._here.get_here(key)
        state.outage.worked()
        return value

    async def put(self, key: str, value: str | None) -> None:
        self._here.put_here(key, value)
        state = self._state
        if not state.outage.up():
            return
        name = state.key("note", self._name, key)
        try:
            if value is None:
                await state.client.delete(name)
            else:
                await state.client.set(name, value, px=self._ttl_ms)
        except REDIS_DOWN as error:
            state.outage.failed(f"the {self._name} notes", error, "kept in this process only")
            return
        state.outage.worked()


def check_reachable(url: str) -> None:
    """Ping Redis once, synchronously: a gateway must not start without the Redis it was told of."""
    try:
        client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    except (RedisError, OSError, ValueError) as error:
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        raise SharedStateUnavailable(
            f"GATEWAY_REDIS_URL={shown_url(url)}: Redis cannot be reached ({reason})"
        ) from None


def shown_url(url: str) -> str:
    """The URL without its password, for logs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ""
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
    except ValueError:
        return "(unreadable URL)"
