"""What every gateway process must share: rate limits, one conversation's turn, the client message
ids already answered, and publish/subscribe between sockets.

Two back-ends, chosen by GATEWAY_REDIS_URL:

- empty (the default): this process's memory, which is all a single gateway needs;
- a Redis URL: several gateways behind a load balancer share one Redis. Every key and channel
  starts with GATEWAY_REDIS_PREFIX (`<p>` below), so deployments and test runs can share a Redis:
  - `<p>:rate:<limiter>:<key>`: a sorted set of event times (Redis's own clock, so the gateways'
    clocks need not agree), trimmed, counted and added to by one Lua script; it expires one window
    after its last event;
  - `<p>:lock:<name>:<key>`: a redis.asyncio lock that expires `rasa_timeout_seconds` + 15 s after
    it was taken, so a process killed while holding it frees it by then (a holder that outlives
    its lock is logged when it lets go, and frees nobody else's);
  - `<p>:ids:<name>:<conversation>`: a sorted set of the client ids already answered, the latest
    100, expiring a day after the last one was added;
  - `<p>:hub:<channel>`: pub/sub. Each process psubscribes once to `<p>:hub:*` and hands what comes
    to its own sockets; sockets cannot move, so subscribers stay in the process that holds them.

At start, a Redis that cannot be reached stops the gateway with one line naming GATEWAY_REDIS_URL.
A command that meets a dead connection (Redis restarted) is sent once more on a new one. If Redis
is really gone, the chat still answers: each Redis call that fails falls back to this process alone
(a warning, at most every 30 s), and Redis is left alone for 5 s before it is tried again:
  - a limit counts in this process only, from zero: still a limit, but one per process;
  - a conversation's turn is always taken in this process first, then in Redis; without Redis it
    is this process's turn only. A resend that reaches another gateway meanwhile may then reach the
    bot twice: answering twice is better than not answering;
  - answered ids are also remembered in this process, which is asked first;
  - `publish` reaches this process's sockets only; the hub's reader listens again with back-off.
    Messages published while a reader was away are lost (pub/sub keeps nothing); they are in Rasa's
    tracker, and browsers and consoles load the transcript when they come back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio
from redis.asyncio.lock import Lock
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError, RedisError
from sanic.exceptions import WebsocketClosed
from websockets.exceptions import ConnectionClosed

from bot.web.rate_limit import SlidingWindowLimiter
from bot.web.settings import GatewaySettings

logger = logging.getLogger(__name__)

LOCK_MARGIN_SECONDS = 15.0
IDS_TTL_SECONDS = 24 * 3600
CONVERSATIONS_REMEMBERED = 10_000  # in one process's memory
REDIS_TIMEOUT_SECONDS = 2.0  # one command; a vanished host must not hold a chat message for long
REDIS_RETRY_AFTER_SECONDS = 5.0
OUTAGE_LOG_EVERY_SECONDS = 30.0
LOCK_POLL_SECONDS = 0.05
HUB_BACKOFF_SECONDS = (0.5, 30.0)
HUB_START_WAIT_SECONDS = 5.0
# What a Redis that went away raises.
REDIS_DOWN = (RedisError, OSError, asyncio.TimeoutError)

T = TypeVar("T")


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


class Subscriber(Protocol):
    async def send(self, data: str) -> None: ...


# --- in this process ------------------------------------------------------------------------------


class InProcessLimiter:
    """rate_limit.SlidingWindowLimiter behind the shared interface."""

    def __init__(
        self, limit: int, window_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = SlidingWindowLimiter(limit, window_seconds, clock)

    async def allow(self, key: str) -> bool:
        return self.window.allow(key)

    async def exhausted(self, key: str) -> bool:
        return self.window.exhausted(key)


class InProcessLocks:
    """An asyncio lock per key, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:
                del self._holders[key]
                del self._locks[key]


class InProcessIds:
    """The latest `per_key` items of each key, for the latest keys."""

    def __init__(self, per_key: int) -> None:
        self.per_key = per_key
        self._items: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()

    def known_here(self, key: str, item: str) -> bool:
        return item in self._items.get(key, ())

    def remember_here(self, key: str, items: Iterable[str]) -> None:
        remembered = self._items.setdefault(key, OrderedDict())
        self._items.move_to_end(key)
        for item in items:
            remembered[item] = None
        while len(remembered) > self.per_key:
            remembered.popitem(last=False)
        while len(self._items) > CONVERSATIONS_REMEMBERED:
            self._items.popitem(last=False)

    async def known(self, key: str, item: str) -> bool:
        return self.known_here(key, item)

    async def remember(self, key: str, items: Iterable[str]) -> None:
        self.remember_here(key, items)


class LiveHub:
    """Publish/subscribe between sockets. This one reaches the sockets of this process only; the
    Redis one reaches every gateway's."""

    def __init__(self) -> None:
        self._channels: dict[str, set[Subscriber]] = {}

    def subscribe(self, channel: str, subscriber: Subscriber) -> None:
        self._channels.setdefault(channel, set()).add(subscriber)

    def unsubscribe(self, channel: str, subscriber: Subscriber) -> None:
        subscribers = self._channels.get(channel)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._channels[channel]

    def listening(self, channel: str) -> bool:
        """Whether a socket of this process listens to the channel."""
        return bool(self._channels.get(channel))

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """To every subscriber of the channel, in every gateway process. Who got it is known only to
        the processes that hold the sockets, so nothing is returned."""
        await self.publish_here(channel, message)

    async def publish_here(self, channel: str, message: dict[str, Any]) -> None:
        """To this process's subscribers only: for what every process feeds on its own."""
        await self._deliver(channel, json.dumps(message, ensure_ascii=False))

    async def _deliver(self, channel: str, data: str) -> None:
        for subscriber in list(self._channels.get(channel, ())):
            try:
                await subscriber.send(data)
            except (ConnectionClosed, WebsocketClosed, OSError):
                self.unsubscribe(channel, subscriber)

    async def start(self) -> None:
        """Nothing to do in one process."""

    async def close(self) -> None:
        """Nothing to do in one process."""


class SharedState:
    """The factory of limiters, locks and remembered ids, and the hub. One name is one thing: asked
    twice, a name gives the same limiter (in Redis, the same keys in every process)."""

    def __init__(self, hub: LiveHub) -> None:
        self.hub = hub
        self._made: dict[tuple[str, str], Any] = {}

    def limiter(self, name: str, limit: int, window_seconds: float = 60.0) -> RateLimiter:
        """At most `limit` events per key in any `window_seconds`-long stretch of time."""
        return self._once("limiter", name, lambda: self._limiter(name, limit, window_seconds))

    def locks(self, name: str) -> KeyedLock:
        return self._once("locks", name, lambda: self._locks(name))

    def remembered(self, name: str, per_key: int) -> RememberedIds:
        """The latest `per_key` items remembered for each key."""
        return self._once("remembered", name, lambda: self._remembered(name, per_key))

    async def open(self) -> None:
        """Inside the running event loop, before the first request."""
        await self.hub.start()

    async def close(self) -> None:
        await self.hub.close()

    def _once(self, kind: str, name: str, make: Callable[[], T]) -> T:
        if (kind, name) not in self._made:
            self._made[kind, name] = make()
        return self._made[kind, name]

    def _limiter(self, name: str, limit: int, window_seconds: float) -> RateLimiter:
        return InProcessLimiter(limit, window_seconds)

    def _locks(self, name: str) -> KeyedLock:
        return InProcessLocks()

    def _remembered(self, name: str, per_key: int) -> RememberedIds:
        return InProcessIds(per_key)


def in_process_state() -> SharedState:
    """This process's memory: one gateway."""
    return SharedState(LiveHub())


# --- in Redis -------------------------------------------------------------------------------------


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


class RedisHub(LiveHub):
    """Subscribers stay in their process; messages go through Redis, and each process's reader hands
    them to its own subscribers."""

    def __init__(self, state: RedisState) -> None:
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


# --- the factory ----------------------------------------------------------------------------------


def create_shared_state(settings: GatewaySettings) -> SharedState:
    """The back-end the settings name; made before the event loop runs, opened (`await open()`)
    inside it. Raises SharedStateUnavailable, with a one-line reason, when Redis cannot be reached."""
    if not settings.redis_url:
        return in_process_state()
    check_reachable(settings.redis_url)
    return RedisState(
        settings.redis_url, settings.redis_prefix, settings.rasa_timeout_seconds + LOCK_MARGIN_SECONDS
    )


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
