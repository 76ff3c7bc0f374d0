"""The production profile's own tests: they need its two gateways, rasa servers and action servers on
PostgreSQL and Redis, which the session's `assistant` runs when ASSISTANT_PROFILE=production
(scripts/test.sh runs them so; PostgreSQL and Redis from TEST_POSTGRES_URL and TEST_REDIS_URL)."""

from __future__ import annotations

import pytest

from bot.profile import PRODUCTION, profile
from tests.e2e.conftest import Client


@pytest.fixture(scope="session")
def cluster(assistant: Client) -> Client:
    if profile() != PRODUCTION:
        pytest.skip("the production profile's tests run with ASSISTANT_PROFILE=production (scripts/test.sh)")
    assert assistant.processes.copies >= 2
    return assistant
