"""The conversation benchmark runs (smoke mode) and prints its table; numbers are not asserted
against time."""

from __future__ import annotations

import pytest

from benchmarks import conversation
from tests.e2e.conftest import Client

pytestmark = pytest.mark.slow


def test_conversation_benchmark_smoke(assistant: Client, capsys: pytest.CaptureFixture[str]) -> None:
    summary = conversation.main(
        [
            "--smoke",
            "--url",
            assistant.processes.base_url,
            "--sandbox-url",
            assistant.processes.sandbox_url,
            "--token",
            assistant.processes.token,
            "--sandbox-key",
            assistant.processes.sandbox_key,
        ]
    )
    printed = capsys.readouterr().out
    assert "p95 ms" in printed and conversation.ASSISTANT in printed
    assert "vanilla rasa init" in printed and "skipped" in printed
    assert summary["vanilla"] is None
    single, concurrent = summary["assistant"]["single"], summary["assistant"]["concurrent"]
    assert single["users"] == 1 and concurrent["users"] > 1
    for figures in (single, concurrent):
        assert figures["errors"] == 0
        # Two messages a complaint (the facts, the card's last 4), three when the goods are asked about.
        assert 2 * figures["conversations"] <= figures["messages"] <= 3 * figures["conversations"]
        assert figures["conversations"] > 0
        assert figures["max_ms"] >= figures["p95_ms"] >= figures["p50_ms"] > 0
