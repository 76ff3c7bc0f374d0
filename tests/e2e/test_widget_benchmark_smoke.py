"""The widget benchmark runs (smoke mode) and prints its figures; no time is asserted."""

from __future__ import annotations

import pytest

from benchmarks import widget
from tests.e2e.conftest import Client

pytestmark = pytest.mark.slow


def test_widget_benchmark_smoke(assistant: Client, capsys: pytest.CaptureFixture[str]) -> None:
    summary = widget.main(["--smoke", "--url", assistant.processes.gateway_url])
    printed = capsys.readouterr().out
    assert "gzip" in printed and "usable input" in printed
    assert set(summary["sizes"]) == {"widget.js", "widget.css"}
    assert summary["total_gzip"] == sum(size["gzip"] for size in summary["sizes"].values()) > 0
    assert set(summary["ready_ms"]) == {case.name for case in widget.CASES}
    for figures in summary["ready_ms"].values():
        assert figures["loads"] == 3
        assert figures["max"] >= figures["p95"] >= figures["p50"] > 0
