"""The QR benchmark runs (smoke mode) and prints the versions and the smallest readable scales."""

from __future__ import annotations

import pytest

from benchmarks import qr


def test_qr_benchmark_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    summary = qr.main(["--smoke", "--base", "https://chat.example.cn"])
    printed = capsys.readouterr().out
    assert "3-M" in printed and "px/module" in printed
    assert summary["versions"] == {"terminal": "3-M", "counter": "3-M"}
    smallest = summary["smallest_scale"]
    rendered, camera = smallest["as rendered"], smallest["as a camera sees it"]
    assert rendered is not None and camera is not None and 1 <= rendered <= camera <= 8
