"""The load benchmark runs (smoke mode, against the session's servers, whose process ids it is given)
and prints figures that parse; no time is asserted. Sync on purpose, and free of Playwright: the
benchmark runs its own event loop."""

from __future__ import annotations

import re

import pytest

from benchmarks import load
from tests.e2e.conftest import Client

pytestmark = pytest.mark.slow


def section(printed: str, title: str) -> list[str]:
    """The lines of the report from the one that starts with `title` to the next blank line."""
    lines = printed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_load_benchmark_smoke(assistant: Client, capsys: pytest.CaptureFixture[str]) -> None:
    processes = assistant.processes
    pids = ",".join(f"{name}={pid}" for name, pid in processes.pids().items())
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
            "--pids",
            pids,
        ]
    )
    printed = capsys.readouterr().out
    lines = printed.splitlines()

    # One row per phase: 1 customer alone, then 2 at once. Two messages a complaint (the facts, the
    # card's last 4), three when the goods are asked about.
    assert load.HEADER in printed
    rows = [line.split() for line in section(printed, load.HEADER)[1:] if line.startswith(load.EXTERNAL)]
    assert [row[:3] for row in rows] == [
        [load.EXTERNAL, load.WEBSOCKET, "1"],
        [load.EXTERNAL, load.WEBSOCKET, "2"],
    ]
    for row, customers in zip(rows, ("1/1", "2/2"), strict=True):
        _, _, _, conversations, messages, per_s, msgs_per_s, p50, p95, p99, errors, wall = row
        assert conversations == customers and int(errors) == 0, printed
        assert 2 * int(customers[0]) <= int(messages) <= 3 * int(customers[0]), printed
        assert float(per_s) > 0 and float(msgs_per_s) > 0 and float(wall) > 0
        assert float(p99) >= float(p95) >= float(p50) > 0
    assert not any(line.startswith("vanilla ") for line in lines)
    figures = summary["targets"][load.EXTERNAL]
    assert figures["one_user"]["users"] == 1 and figures["one_user"]["messages"] >= 1
    assert (
        figures["concurrent"]["conversations_completed"]
        == figures["concurrent"]["conversations_started"]
        == 2
    )
    assert figures["one_user"]["errors"] == figures["concurrent"]["errors"] == 0

    # The comparison: no vanilla bot, so no ratio; what is ours alone is there, nothing lost.
    width = load.LABEL_WIDTH
    comparison = {row[:width].strip(): row[width:].strip() for row in section(printed, "Against the vanilla")}
    assert comparison["p50 @1 user"] == comparison["p50 @2 users"] == comparison["CPU/msg"] == "-", printed
    assert comparison["lost conv + tickets"] == "0 (≤0) ✓", printed
    assert float(comparison["largest rasa RSS, MB"].split()[0]) > 0, printed
    ratios = summary["ratios"][load.EXTERNAL]
    assert ratios["lost"]["value"] == 0 and ratios["lost"]["met"] is True
    assert ratios["p50_1_user"]["value"] is None and ratios["throughput_n_users"]["value"] is None

    # CPU per message of each server process the benchmark was given, over the 2-user phase.
    cpu_rows = {row[:width].strip(): row[width:].split() for row in section(printed, "CPU per message")[3:]}
    assert set(processes.pids()) <= set(cpu_rows), printed
    assert float(cpu_rows["rasa"][0]) > 0 and float(cpu_rows["gateway"][0]) > 0, printed
    assert float(cpu_rows[load.TOTAL][0]) >= float(cpu_rows["rasa"][0]) + float(cpu_rows["gateway"][0])
    cpu = figures["cpu_ms_per_message"]
    assert cpu["rasa"] > 0 and cpu["gateway"] > 0
    total_ms = sum(figures["cpu_s"].values()) * 1000 / figures["concurrent"]["messages"]
    assert cpu[load.TOTAL] == pytest.approx(total_ms)
    assert figures["peak_memory"]["rasa"]["mb"] > 0 and "memory not measured" not in printed

    # Customer 0 (the 1-user phase) complains about TXN0005 (a refund ticket), customers 1 and 2 about
    # TXN0001 (no charge) and TXN0006 (a refund ticket): the loss check covers both phases.
    loss = re.search(r"lost: (\d+) of (\d+) conversations, (\d+) of (\d+) tickets", printed)
    assert loss is not None, printed
    assert loss.groups() == ("0", "3", "0", "2"), printed
    assert figures["loss_check"]["problems"] == []
    assert (
        figures["loss_check"]["messages"]
        == figures["one_user"]["messages"] + figures["concurrent"]["messages"]
    )
    assert summary["vanilla_training_s"] is None
