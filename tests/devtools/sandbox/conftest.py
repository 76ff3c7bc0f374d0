"""A running sandbox whose every answer is checked against the OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.bot.merchant_api.spec import OpenAPISpec
from tests.devtools.sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def openapi() -> OpenAPISpec:
    return OpenAPISpec()


@pytest.fixture(scope="session")
def seeded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    server = SandboxServer(workdir=tmp_path_factory.mktemp("sandbox")).start()
    try:
        yield server
    finally:
        server.stop()


def spec_checked_client(server: SandboxServer, openapi: OpenAPISpec, **options: object) -> httpx.Client:
    """A plain HTTP client of the server that checks every exchange against the spec."""

    def check(response: httpx.Response) -> None:
        response.read()
        openapi.check_exchange(response.request, response)

    return httpx.Client(base_url=server.base_url, timeout=5, event_hooks={"response": [check]}, **options)


@pytest.fixture
def http(seeded_server: SandboxServer, openapi: OpenAPISpec) -> Iterator[httpx.Client]:
    """Client with the right API key; the server healed before and after."""
    seeded_server.heal()
    with spec_checked_client(seeded_server, openapi, headers={"X-API-Key": seeded_server.api_key}) as client:
        yield client
    seeded_server.heal()
