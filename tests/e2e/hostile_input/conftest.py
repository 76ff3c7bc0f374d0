"""A gateway of the hostile-input tests' own, and the corpus run through it once: package-scoped, so
that both are made once for the four modules, which run in the order of the former single module."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import pytest_asyncio

from tests.e2e.conftest import Client
from tests.e2e.extra_gateway import extra_gateway
from tests.e2e.hostile_input.corpus_run import Run, _log_sizes, _session, _sessions


@pytest.fixture(scope="package")
def gateway(assistant: Client) -> Iterator[str]:
    """A gateway of these modules' own, in front of the session's rasa server: its rate limits are
    raised, so that a fast script neither hits them nor eats the shared gateway's per-address budget
    that other modules' tests need (the limits themselves are tested in test_gateway.py). Its log is
    in the work directory with the other processes' logs."""
    limits = {"GATEWAY_SESSION_MESSAGES_PER_MINUTE": "1000", "GATEWAY_ADDRESS_MESSAGES_PER_MINUTE": "5000"}
    with extra_gateway(assistant.processes, assistant.processes.workdir, **limits) as url:
        yield url


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def run(assistant: Client, gateway: str) -> Run:
    """The whole corpus through the gateway, three sessions at a time."""
    workdir = assistant.processes.workdir
    result = Run(
        log_offsets=_log_sizes(workdir), gateway_log=workdir / f"gateway-{gateway.rsplit(':', 1)[1]}.log"
    )
    sessions = _sessions()
    for first in range(0, len(sessions), 3):
        await asyncio.gather(
            *(_session(gateway, items, lang, result) for items, lang in sessions[first : first + 3])
        )
    return result
