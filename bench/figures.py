"""What every bench prints and how it times a page: ``Figure``, ``report``, ``percentile``, ``measure``.

A figure is one ``name value unit`` line; ``report`` prints them, then the same as a Markdown
table with the targets. ``bench/run.py`` reads those lines back from each script it runs.
"""

from __future__ import annotations

import math
import re
import statistics
import sys
import time
from dataclasses import dataclass

# What "fast enough" means for a page (ms); see DESIGN.md, performance facts.
TARGET_MEDIAN_MS = 40


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""

    def line(self) -> str:
        if self.unit == "ms":
            value = f"{self.value:.1f}"
        else:
            # Whole counts print in full: "1000000", never "1e+06".
            value = f"{self.value:g}" if isinstance(self.value, float) else str(self.value)
        return f"{self.name} {value} {self.unit}"


def report(figures: list[Figure], title: str, *, table: bool = True) -> None:
    """Every bench's output: a ``name value unit`` line per figure, then a Markdown table."""
    for figure in figures:
        print(figure.line())
    if not table:
        return
    print()
    print(title)
    print()
    print("| figure | value | unit | target |")
    print("|---|---:|---|---|")
    for figure in figures:
        name, value, unit = figure.line().split(" ", 2)
        print(f"| {name} | {value} | {unit} | {figure.target} |")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure(client, name: str, path: str, params: dict, *, requests: int, warmup: int, rows: bool = False):
    """Time one page through the test client; returns its figures and the last response.

    Warm-up requests first; the query count comes from one extra request under
    CaptureQueriesContext, so query logging does not slow the timed ones.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(path, params)
        if response.status_code != 200:
            sys.exit(f"{name}: GET {path} {params} answered {response.status_code}, not 200.")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    # Read now: the next request's request_started signal empties the query log.
    queries = len(captured.captured_queries)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, params)
        timings.append((time.perf_counter() - started) * 1000)
    figures = [
        Figure(f"{name}_median_ms", statistics.median(timings), "ms", f"≤ {TARGET_MEDIAN_MS}"),
        Figure(f"{name}_p90_ms", percentile(timings, 0.9), "ms"),
        Figure(f"{name}_queries", queries, "queries"),
    ]
    if rows:
        figures.append(Figure(f"{name}_rows", len(re.findall(rb'<td class="ref">', response.content)), "rows"))
    return figures, response
