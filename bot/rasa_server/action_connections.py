"""The rasa server's connections to the action server, kept open between calls.

Rasa 3.6 opens a new aiohttp session, and with it a new TCP connection, for every call to the
action server (`EndpointConfig.request`), and closes it after the answer. `install()` gives every
such session one shared connection pool that outlives it (`connector_owner=False`), so that the
next call reuses an idle connection.

An idle connection is dropped after IDLE_SECONDS, well before the action server closes it (Sanic,
which serves rasa-sdk, closes idle connections after 5 s): a call never goes out on a connection
the server is closing.

A call's body (the tracker and the domain, about 60 kB) is written by ujson, which Rasa and Sanic
already depend on: `json.dumps` of it was 4.5% of the rasa server's time under load, and ujson takes
half as long. It writes the same JSON but for spacing and `\\/`, and refuses what `json.dumps`
refuses (a datetime, a set) with the same TypeError.
"""

from __future__ import annotations

import asyncio
import weakref

import aiohttp
import ujson
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

IDLE_SECONDS = 2.0
CONNECTIONS_PER_HOST = 100

_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.TCPConnector] = (
    weakref.WeakKeyDictionary()
)


def _pool() -> aiohttp.TCPConnector | None:
    """The running event loop's connection pool (a pool belongs to its loop); none outside a loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    pool = _pools.get(loop)
    if pool is None or pool.closed:
        pool = aiohttp.TCPConnector(limit_per_host=CONNECTIONS_PER_HOST, keepalive_timeout=IDLE_SECONDS)
        _pools[loop] = pool
    return pool


def session(self: EndpointConfig) -> aiohttp.ClientSession:
    """Rasa's `EndpointConfig.session`, on the shared pool."""
    pool = _pool()
    auth = None
    if self.basic_auth:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
    return aiohttp.ClientSession(
        headers=self.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=pool,
        connector_owner=pool is None,
        json_serialize=ujson.dumps,
    )


def install() -> None:
    """Keep connections open in this process's rasa server."""
    EndpointConfig.session = session  # type: ignore[method-assign]
