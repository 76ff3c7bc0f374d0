"""The NLU benchmark runs (smoke mode) and prints its figures; numbers are not asserted against time."""

from __future__ import annotations

import pytest

from benchmarks import nlu
from tests.e2e.conftest import Client

pytestmark = pytest.mark.slow


def test_nlu_benchmark_smoke(assistant: Client, capsys: pytest.CaptureFixture[str]) -> None:
    summary = nlu.main(
        ["--smoke", "--url", assistant.processes.base_url, "--token", assistant.processes.token]
    )
    printed = capsys.readouterr().out
    assert "macro-F1" in printed and "/model/parse latency" in printed
    for language in ("zh", "en"):
        assert summary[f"heldout/{language}"]["examples"] == 8
        assert 0.0 <= summary[f"heldout/{language}"]["intent_macro_f1"] <= 1.0
    assert summary["parse_p95_ms"] >= summary["parse_p50_ms"] > 0
