"""Every parser that reads a customer's text stays within one second of CPU and 200 MB per call, on
inputs built to make it work hard (the parser-ceiling benchmark's smoke run).

Each entry point is measured in a probe process with a memory limit of its own, so an input that
explodes turns this test red instead of taking the machine down. CPU time (the probe's and its Duckling
worker's) rather than wall time, so that a busy machine does not make the test flaky.
"""

from __future__ import annotations

import pytest

from benchmarks.parser_ceiling import ENTRY_POINTS, known_family, measure, random_inputs

CPU_SECONDS = 1.0
EXTRA_MB = 200
# The benchmark's own seed, so every run measures the same inputs; the benchmark searches further.
INPUTS = known_family() + random_inputs(150, seed=20261204)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_one_call_stays_under_the_ceiling_whatever_the_paste(entry: str) -> None:
    rows = measure(entry, INPUTS)
    assert len(rows) == len(INPUTS)
    busiest = max(rows, key=lambda r: r.cpu_seconds)
    biggest = max(rows, key=lambda r: r.mb)
    assert busiest.cpu_seconds < CPU_SECONDS, (busiest.cpu_seconds, busiest.text[:80])
    assert biggest.mb < EXTRA_MB, (biggest.mb, biggest.text[:80])


def test_the_known_family_is_parsed_by_bounding_the_work_not_by_stopping_the_worker() -> None:
    family = known_family()
    rows = measure("extract_facts", family)
    assert not [r.text[:40] for r in rows if r.worker_failed]
