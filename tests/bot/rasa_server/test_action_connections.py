"""The rasa server's calls to the action server reuse one connection while calls keep coming, and
open a new one after the connection has been idle for a while."""

from __future__ import annotations

import asyncio
import json

import pytest
from rasa.utils.endpoints import EndpointConfig

import bot.nlu  # noqa: F401  (what the rasa server imports: it installs the pool)
from bot.rasa_server import action_connections

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class Server:
    """A bare HTTP/1.1 server on loopback that answers `{}` and counts the connections it accepts."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self.bodies: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                self.bodies.append(await reader.readexactly(length))
                self.requests += 1
                writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


async def calls(pause_s: float) -> Server:
    server = Server()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    try:
        for _ in range(3):
            assert await endpoint.request(json={"next_action": "action_turn"}, method="post") == {}
            await asyncio.sleep(pause_s)
    finally:
        listening.close()
    return server


def test_calls_in_quick_succession_share_one_connection() -> None:
    server = asyncio.run(calls(pause_s=0.05))
    assert (server.requests, server.connections) == (3, 1)


def test_an_idle_connection_is_dropped_before_the_server_would_drop_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(action_connections, "IDLE_SECONDS", 0.2)
    server = asyncio.run(calls(pause_s=0.6))
    assert (server.requests, server.connections) == (3, 3)


# What a call to the action server carries: Chinese text, floats, None, nested lists, a big number.
TRACKER_LIKE = {
    "next_action": "action_turn",
    "sender_id": "web-测试/1",
    "tracker": {
        "events": [
            {
                "event": "user",
                "timestamp": 1796550847.794923,
                "text": "扣了 38.00 元 </script>",
                "metadata": {},
            },
            {"event": "slot", "name": "amount", "value": None},
        ],
        "latest_message": {"intent": {"name": "complain", "confidence": 0.9871234567}},
        "numbers": [0, -1, 2**53 + 1, 1e-7, 12345.678, float("inf")],
    },
}


async def sent_body(payload: dict) -> bytes:
    server = Server()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        await EndpointConfig(f"http://127.0.0.1:{port}/webhook").request(json=payload, method="post")
    finally:
        listening.close()
    return server.bodies[-1]


def test_a_call_carries_the_same_json_as_rasas_own_encoding() -> None:
    assert json.loads(asyncio.run(sent_body(TRACKER_LIKE))) == TRACKER_LIKE
