"""A real sandbox server for the client tests; every exchange of the clients is checked against the spec."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from bot.merchant_api import MerchantAPI
from tests.bot.merchant_api.spec import OpenAPISpec, RecordingTransport
from tests.devtools.sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def spec() -> OpenAPISpec:
    return OpenAPISpec()


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    server = SandboxServer(workdir=tmp_path_factory.mktemp("client-sandbox")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    """The running sandbox, healthy and with an empty request log; healed again afterwards."""
    sandbox_server.heal()
    sandbox_server.clear_requests()
    yield sandbox_server
    sandbox_server.heal()


@pytest.fixture
def exchanges() -> list[tuple[httpx.Request, httpx.Response]]:
    return []


@pytest.fixture
def make_api(
    sandbox: SandboxServer, spec: OpenAPISpec, exchanges: list[tuple[httpx.Request, httpx.Response]]
) -> Iterator[Callable[..., MerchantAPI]]:
    """Builds clients of the sandbox (fast retries); afterwards all their exchanges must match the spec."""

    def make(**options: Any) -> MerchantAPI:
        settings: dict[str, Any] = {"retries": 2, "backoff": 0.01, "api_key": sandbox.api_key}
        settings.update(options)
        api_key = settings.pop("api_key")
        return MerchantAPI(sandbox.base_url, api_key, transport=RecordingTransport(exchanges), **settings)

    yield make
    for request, response in exchanges:
        spec.check_request(request, values=False)  # the client uses declared paths and parameters only
        spec.check_exchange(request, response)
