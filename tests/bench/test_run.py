"""``bench/run.py``: it reads back what each bench prints and puts every size in one table."""

from __future__ import annotations

import contextlib
import io

from bench.figures import Figure, report
from bench.run import BENCHES, Result, parse_output, print_table, qualified


def printed(figures: list[Figure]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        report(figures, "A bench")
    return out.getvalue()


def test_a_bench_report_reads_back_as_the_same_figures_with_their_targets():
    figures = [
        Figure("queue_page_median_ms", 12.345, "ms", "≤ 40"),
        Figure("cases_total", 1_000_000, "cases"),
        Figure("verify_s", 0.25, "s", "≤ 30 at 1,000,000"),
    ]

    parsed = parse_output("# a note on stderr's side\n" + printed(figures))

    assert [(f.name, f.value, f.unit, f.target) for f in parsed] == [
        ("queue_page_median_ms", 12.3, "ms", "≤ 40"),
        ("cases_total", 1_000_000, "cases", ""),
        ("verify_s", 0.25, "s", "≤ 30 at 1,000,000"),
    ]


def test_the_table_has_a_column_per_size_and_names_say_bench_and_size():
    small = Result("pages", 100_000, [Figure("queue_page_median_ms", 9.0, "ms", "≤ 40")], 1.0)
    large = Result("pages", 1_000_000, [Figure("queue_page_median_ms", 11.5, "ms", "≤ 40")], 1.0)
    once = Result("routing", None, [Figure("routed_per_second", 410.0, "cases/s")], 1.0)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_table([small, large, once], [100_000, 1_000_000], "All")

    lines = out.getvalue().splitlines()
    assert "| bench | figure | 100,000 cases | 1,000,000 cases | unit | target |" in lines
    assert "| pages | queue_page_median_ms | 9.0 | 11.5 | ms | ≤ 40 |" in lines
    assert "| routing | routed_per_second | 410 |  | cases/s |  |" in lines
    assert qualified(large, large.figures[0]) == "pages.1m.queue_page_median_ms"
    assert qualified(once, once.figures[0]) == "routing.routed_per_second"


def test_every_bench_the_issues_name_is_listed_and_its_script_is_in_the_tree():
    names = [bench.name for bench in BENCHES]
    for name in ("pages", "sla", "escalations", "routing", "compliance", "audit", "api", "metrics", "outbox", "load"):
        assert name in names
        assert next(b for b in BENCHES if b.name == name).script.exists(), name
