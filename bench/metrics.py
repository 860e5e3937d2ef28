"""Time the lead dashboard and its drill-downs: ``python bench/metrics.py [--cases N] [--quick]``.

Runs on the benchmark databases of ``bench/database.py`` (``escdesk_bench_<N>``, seeded once and
reused). If the database has no dashboard facts yet (loaded before the metrics app wrote its
demo history, or reset since), ``metrics.demo.load`` adds escalations, flags, surveys, campaigns
and every case's facts first; later runs reuse them. Then, as ``lead.us`` (US Leads and both
offshore teams, where almost every case lives), through the test client like bench/pages.py:

- ``dashboard_30d``: the whole dashboard for the 30 days up to the load's ``as_of``;
- ``dashboard_12m``: the same for the 366 days up to it (every case of the load); both computed
  afresh on every request, and ``dashboard_12m_cached`` served by the result cache (metrics.cache);
- ``drill_*``: the first page of the cases behind a figure (received, resolved in 30 days; the
  open backlog), and ``export_trend``: one chart's CSV;
- ``rollup_rebuild_seconds``: every rollup recomputed (hourly and daily from the facts, daily of
  escalation hops), and ``rollup_refresh_24h_ms``: one incremental refresh of a day's hours (the
  facts task's share); then the metrics tables are vacuumed, as autovacuum would have.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import BENCH_SEED, load_as_of, open_bench_database, seed_bench_database  # noqa: E402
from bench.run import Figure, measure, report  # noqa: E402

QUICK_CASES = 2_000
TARGET_30D_MS = 300
TARGET_12M_MS = 800
TARGET_DRILL_MS = 50


def ensure_metrics_history() -> float | None:
    """Load the dashboards' demo history unless facts are there; the seconds it took, or None."""
    from metrics.demo import load
    from metrics.models import CaseFact

    if CaseFact.objects.exists():
        return None
    started = time.monotonic()
    load(seed=BENCH_SEED, as_of=load_as_of())
    return round(time.monotonic() - started, 1)


def rollup_rebuild_seconds() -> float:
    """Recompute every rollup (hourly and daily from the facts, daily of escalation hops) as
    ``metrics_rebuild`` does, timed: what a restore or a change of definitions costs, and a check
    that the rollups are complete."""
    from metrics.daily import daily_rebuild
    from metrics.hops import hops_rebuild
    from metrics.rollups import rollup_rebuild

    started = time.monotonic()
    rollup_rebuild()
    hops_rebuild()
    daily_rebuild()
    return round(time.monotonic() - started, 1)


def vacuum_metrics_tables() -> None:
    """VACUUM (ANALYZE) the tables the dashboard reads. A loaded database has had its rows
    written in bulk and its rollups rewritten; until vacuumed, index-only scans still visit the
    rows (the visibility map is unset). Production runs autovacuum; this server may not
    (``autovacuum = off``), so without it the bench would time a state production never stays in."""
    from django.db import connection

    from metrics.models import CaseFact, FactDay, FactHour, HopDay, Survey

    with connection.cursor() as cursor:
        for model in (CaseFact, FactHour, FactDay, HopDay, Survey):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


def rollup_refresh_ms(hours: int) -> float:
    """One incremental refresh of the latest ``hours`` hours of the rollup (what the facts task
    does after a change), timed."""
    from metrics.models import CaseFact
    from metrics.rollups import hour_of, rollup_refresh

    latest = hour_of(CaseFact.objects.order_by("-received_at").values_list("received_at", flat=True).first())
    started = time.monotonic()
    rollup_refresh([latest - timedelta(hours=h) for h in range(hours)])
    return round((time.monotonic() - started) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, help="database size (default 1,000,000; 2,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small database and few requests: keeps CI honest")
    parser.add_argument("--requests", type=int, help="timed requests per page (default 15; 5 with --quick)")
    args = parser.parse_args()
    cases = args.cases or (QUICK_CASES if args.quick else 1_000_000)
    requests = args.requests or (5 if args.quick else 15)
    warmup = 1 if args.quick else 3

    open_bench_database(cases)
    figures: list[Figure] = []
    seconds = seed_bench_database(cases)
    if seconds is not None:
        figures.append(Figure("seed_seconds", seconds, "s"))
    loaded = ensure_metrics_history()
    if loaded is not None:
        figures.append(Figure("metrics_history_seconds", loaded, "s"))

    from django.test import Client

    from metrics.models import CaseFact, FactDay, FactHour, HopDay, Survey
    from people.models import User

    figures.append(Figure("rollup_rebuild_seconds", rollup_rebuild_seconds(), "s"))
    figures.append(Figure("rollup_refresh_24h_ms", rollup_refresh_ms(24), "ms"))
    vacuum_metrics_tables()

    end = load_as_of().date()
    month = {"start": str(end - timedelta(days=29)), "end": str(end), "tz": "America/New_York"}
    year = {"start": str(end - timedelta(days=365)), "end": str(end), "tz": "America/New_York", "granularity": "week"}
    figures += [
        Figure("facts", CaseFact.objects.count(), "cases"),
        Figure("surveys", Survey.objects.count(), "surveys"),
        Figure("rollup_rows", FactHour.objects.count(), "rows"),
        Figure("daily_rollup_rows", FactDay.objects.count(), "rows"),
        Figure("hop_rollup_rows", HopDay.objects.count(), "rows"),
    ]
    client = Client()
    client.force_login(User.objects.get(username="lead.us"))
    timing = {"requests": requests, "warmup": warmup}
    targets = {
        "dashboard_30d_median_ms": f"≤ {TARGET_30D_MS}",
        "dashboard_12m_median_ms": f"≤ {TARGET_12M_MS}",
        "dashboard_30d_queries": "same for 12 months",
    }
    # Cold: every request computes every figure (the result cache off), which is what the targets
    # are about; warm: the same filters again before anything changed (served from the cache).
    import metrics.cache

    cache_seconds = metrics.cache.DASHBOARD_CACHE_SECONDS
    metrics.cache.DASHBOARD_CACHE_SECONDS = 0
    figures += measure(client, "dashboard_30d", "/metrics/", month, **timing)[0]
    figures += measure(client, "dashboard_12m", "/metrics/", year, **timing)[0]
    metrics.cache.DASHBOARD_CACHE_SECONDS = cache_seconds
    figures += measure(client, "dashboard_12m_cached", "/metrics/", year, **timing)[0]
    for key in ("received", "resolved", "backlog"):
        figures += measure(client, f"drill_{key}", f"/metrics/cases/{key}/", month, **timing)[0]
        targets[f"drill_{key}_median_ms"] = f"≤ {TARGET_DRILL_MS}"
    figures += measure(client, "export_trend", "/metrics/export/trend.csv", month, **timing)[0]
    for figure in figures:
        figure.target = targets.get(figure.name, "" if figure.name.startswith(("drill", "export")) else figure.target)
        if figure.name.endswith("_median_ms") and figure.name not in targets:
            figure.target = ""
    report(figures, f"Metrics dashboard: {cases:,} cases, {requests} timed requests per page, PostgreSQL.")


if __name__ == "__main__":
    main()
