"""Percentiles: PostgreSQL's percentile_cont and the SQLite fallback give the same answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from metrics.aggregates import percentile_from_counts


@pytest.mark.parametrize(
    ("pairs", "fraction", "expected"),
    [
        ([(10, 1), (20, 1), (30, 1), (40, 1)], 0.5, 25.0),
        ([(10, 1), (20, 1), (30, 1), (40, 1)], 0.9, 37.0),
        ([(5, 3)], 0.5, 5.0),
        ([(1, 1), (100, 9)], 0.5, 100.0),
        ([(1, 9), (100, 1)], 0.9, 1.0 + 99 * 0.1),
        ([(0, 2), (10, 2)], 0.5, 5.0),
    ],
)
def test_percentile_from_counts_interpolates_like_percentile_cont(pairs, fraction, expected):
    assert percentile_from_counts(pairs, fraction) == pytest.approx(expected)


def test_percentile_of_nothing_is_none():
    assert percentile_from_counts([], 0.5) is None


def test_durations_interpolate_to_a_duration():
    pairs = [(timedelta(minutes=10), 1), (timedelta(minutes=20), 1)]
    assert percentile_from_counts(pairs, 0.5) == timedelta(minutes=15)
