"""The load benchmark runs (smoke mode, against the session's servers) and prints figures that parse;
no time is asserted. Sync on purpose, and free of Playwright: the benchmark runs its own event loop."""

from __future__ import annotations

import re

import pytest

from benchmarks import load
from tests.e2e.conftest import Client

pytestmark = pytest.mark.slow


def test_load_benchmark_smoke(assistant: Client, capsys: pytest.CaptureFixture[str]) -> None:
    processes = assistant.processes
    summary = load.main(
        [
            "--smoke",
            "--gateway-url",
            ",".join(processes.gateway_urls),
            "--sandbox-url",
            processes.sandbox_url,
            "--sandbox-key",
            processes.sandbox_key,
            "--case-store-url",
            processes.case_store_url,
            "--rasa-url",
            processes.base_url,
            "--token",
            processes.token,
        ]
    )
    printed = capsys.readouterr().out

    assert load.HEADER in printed
    row = next(line for line in printed.splitlines() if line.startswith(f"{load.EXTERNAL} "))
    name, transport, conversations, messages, per_s, msgs_per_s, p50, p95, p99, errors, wall = row.split()
    assert (name, transport) == (load.EXTERNAL, load.WEBSOCKET)
    # Two messages a complaint (the facts, the card's last 4), three when the goods are asked about.
    assert conversations == "2/2" and 4 <= int(messages) <= 6 and int(errors) == 0, printed
    assert float(per_s) > 0 and float(msgs_per_s) > 0 and float(wall) > 0
    assert float(p99) >= float(p95) >= float(p50) > 0
    assert "vanilla" not in row and not any(line.startswith("vanilla ") for line in printed.splitlines())
    assert "memory not measured" in printed

    # Customer 0 complains about TXN0005 (a refund ticket), customer 1 about TXN0001 (no charge).
    loss = re.search(r"lost: (\d+) of (\d+) conversations, (\d+) of (\d+) tickets", printed)
    assert loss is not None, printed
    assert loss.groups() == ("0", "2", "0", "1"), printed

    figures = summary["targets"][load.EXTERNAL]
    assert figures["conversations_completed"] == figures["conversations_started"] == 2
    assert figures["errors"] == 0 and figures["peak_memory"] is None
    assert figures["loss_check"]["problems"] == []
    assert summary["vanilla_training_s"] is None
