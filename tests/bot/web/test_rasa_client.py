"""The gateway's Rasa client over real sockets: turns between servers, and a dead one passed over."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.web.rasa_client import RasaClient, RasaUnavailable
from devtools.processes import free_port


class FakeRasa(ThreadingHTTPServer):
    """Answers the REST channel with its own name; counts what it was sent."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.received: list[str] = []
        self.tokens: list[list[str]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeRasa

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append(body["message"])
        self.server.tokens.append(parse_qs(urlsplit(self.path).query).get("token", []))
        if body["message"] == "fail":
            self.send_response(500)
            self.end_headers()
            return
        reply = json.dumps([{"recipient_id": body["sender"], "text": self.server.name}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[tuple[FakeRasa, FakeRasa]]:
    pair = (FakeRasa("one"), FakeRasa("two"))
    for server in pair:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield pair
    for server in pair:
        server.shutdown()
        server.server_close()


async def _names(client: RasaClient, count: int, text: str = "hi") -> list[str]:
    return [(await client.send("someone", text, {}))[0]["text"] for _ in range(count)]


async def test_messages_take_turns_between_the_servers(servers: tuple[FakeRasa, FakeRasa]) -> None:
    client = RasaClient(f"{servers[0].url}, {servers[1].url}/", "token", 5)
    try:
        assert sorted(await _names(client, 4)) == ["one", "one", "two", "two"]
    finally:
        await client.close()


async def test_messages_carry_the_rasa_token_the_rest_channel_requires(
    servers: tuple[FakeRasa, FakeRasa],
) -> None:
    client = RasaClient(servers[0].url, "the-rasa-token", 5)
    try:
        await client.send("someone", "hi", {})
        assert servers[0].tokens == [["the-rasa-token"]]
    finally:
        await client.close()


async def test_a_server_that_refuses_connections_is_passed_over(servers: tuple[FakeRasa, FakeRasa]) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    client = RasaClient(f"{dead},{servers[0].url}", "token", 5)
    try:
        assert await _names(client, 4) == ["one"] * 4
        assert servers[0].received == ["hi"] * 4
    finally:
        await client.close()


async def test_a_request_that_reached_a_server_is_not_sent_again(servers: tuple[FakeRasa, FakeRasa]) -> None:
    client = RasaClient(f"{servers[0].url},{servers[1].url}", "token", 5)
    try:
        with pytest.raises(RasaUnavailable):
            await client.send("someone", "fail", {})
        assert servers[0].received + servers[1].received == ["fail"]
    finally:
        await client.close()


async def test_no_server_answering_is_unavailable() -> None:
    client = RasaClient(f"http://127.0.0.1:{free_port()},http://127.0.0.1:{free_port()}", "token", 5)
    try:
        with pytest.raises(RasaUnavailable, match="no rasa server answered"):
            await client.send("someone", "hi", {})
    finally:
        await client.close()
