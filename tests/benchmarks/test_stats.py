"""The percentile every benchmark reports its p95 and p99 with: nearest rank, on unsorted input."""

from __future__ import annotations

from benchmarks.stats import percentile


def test_nearest_rank_of_unsorted_values() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.95) == 5.0
    assert percentile(values, 1.0) == 5.0


def test_a_single_value_is_every_percentile() -> None:
    assert percentile([7.0], 0.99) == 7.0
