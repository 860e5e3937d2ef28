"""Time the SLA sweep and the "breaching soonest" queue: ``python bench/sla.py [--cases N] [--due N] [--quick]``.

Runs on the benchmark databases of ``bench/database.py`` (``escdesk_bench_<N>``, about a tenth
of the cases open on running SLA clocks, seeded once and reused). Every sweep runs at the
load's ``as_of``, the instant its SLA history was swept up to, so the data decides what is
due, not the wall clock:

- a tick with nothing due: the cost of a sweep that finds no work (beat runs it every minute);
- a tick with ``--due`` timers newly due: that many running timers (unpaused ones first) get a
  due time a minute before ``as_of`` in one UPDATE, the sweep breaches them (timeline entries,
  notifications, priority raises), and afterwards the timers and cases are put back as they
  were, so every run starts from the same state. Timeline and audit rows the sweep appended
  stay (both are append-only); its notifications are deleted;
- the queue sorted by "breaching soonest" (``/cases/?sort=sla`` as lead.us), like
  ``bench/pages.py`` measures pages.

``--scaling`` runs the due tick on 10,000, 100,000 and 1,000,000 cases (one database each,
seeded on first use; the million takes several minutes) and prints how it grows. Output: one
``name value unit`` line per figure, then a Markdown table with the targets.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Both need ROOT on the path first.
from bench.database import load_as_of, open_bench_database, seed_bench_database  # noqa: E402
from bench.run import Figure, measure, percentile, report  # noqa: E402

QUICK_CASES = 2_000
QUICK_DUE = 100
SCALING_SIZES = (10_000, 100_000, 1_000_000)
TARGET_DUE_MS = 1_000
TARGET_IDLE_MS = 50
TARGET_QUEUE_MS = 40


def open_share_figures() -> list[Figure]:
    from cases.choices import OPEN_STATUSES
    from cases.models import Case, SlaTimer

    total = Case.objects.count()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    n_open = open_cases.count()
    running = SlaTimer.objects.running()
    on_clock = running.filter(case__status__in=OPEN_STATUSES).values("case").distinct().count()
    return [
        Figure("cases_total", total, "cases"),
        Figure("open_cases_share", round(100 * n_open / total, 1), "%", "≈ 10"),
        Figure("open_cases_on_running_timers", on_clock, "cases", f"= {n_open} open"),
        Figure("running_timers", running.count(), "timers"),
        Figure("running_unpaused_timers", running.filter(paused_at__isnull=True).count(), "timers"),
    ]


def tick_idle(now: datetime, *, runs: int) -> list[Figure]:
    """A sweep at ``now`` with nothing due, ``runs`` times; exits if there was something due."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.sla_sweep import sla_sweep

    # The first sweep checks there is nothing to do (and counts its queries); then one warm-up.
    with CaptureQueriesContext(connection) as captured:
        result = sla_sweep(now=now)
    if result.warned or result.breached:
        sys.exit(f"A sweep at {now.isoformat()} still found work ({result}); the load is not swept up to as_of.")
    sla_sweep(now=now)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        sla_sweep(now=now)
        timings.append((time.perf_counter() - started) * 1000)
    return [
        Figure("sweep_idle_median_ms", statistics.median(timings), "ms", f"≤ {TARGET_IDLE_MS}"),
        Figure("sweep_idle_p90_ms", percentile(timings, 0.9), "ms"),
        Figure("sweep_idle_queries", len(captured.captured_queries), "queries"),
    ]


def _pick_running(now: datetime, due: int) -> list[tuple]:
    """``due`` running timers spread over the table, the same ones every run: unpaused ones
    first; a small database may need some paused ones too, which are unpaused for the tick."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id, case_id, due_at, breached_at, paused_at FROM cases_slatimer
            WHERE met_at IS NULL AND stopped_at IS NULL AND started_at < %s
            ORDER BY paused_at IS NOT NULL, md5(id::text) LIMIT %s
            """,
            [now - timedelta(hours=1), due],
        )
        return cursor.fetchall()


def _make_due(now: datetime, timers: list[tuple]) -> tuple[list[tuple], int]:
    """Move the timers' due time a minute before ``now`` (one UPDATE); what to put back after."""
    from django.db import connection, transaction

    case_ids = sorted({row[1] for row in timers})
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id, priority, version, updated_at FROM cases_case WHERE id = ANY(%s)", [case_ids])
        cases = cursor.fetchall()
        cursor.execute("SELECT coalesce(max(id), 0) FROM people_notification")
        last_notification = cursor.fetchone()[0]
        cursor.execute(
            "UPDATE cases_slatimer SET due_at = %s, breached_at = NULL, paused_at = NULL WHERE id = ANY(%s)",
            [now - timedelta(minutes=1), [row[0] for row in timers]],
        )
    return cases, last_notification


def _put_back(timers: list[tuple], cases: list[tuple], last_notification: int) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE cases_slatimer AS t SET due_at = v.due_at, breached_at = v.breached_at, paused_at = v.paused_at
            FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::timestamptz[])
                AS v(id, due_at, breached_at, paused_at)
            WHERE t.id = v.id
            """,
            [[r[0] for r in timers], [r[2] for r in timers], [r[3] for r in timers], [r[4] for r in timers]],
        )
        cursor.execute(
            """
            UPDATE cases_case AS c SET priority = v.priority, version = v.version, updated_at = v.updated_at
            FROM unnest(%s::bigint[], %s::varchar[], %s::integer[], %s::timestamptz[])
                AS v(id, priority, version, updated_at)
            WHERE c.id = v.id
            """,
            [[r[0] for r in cases], [r[1] for r in cases], [r[2] for r in cases], [r[3] for r in cases]],
        )
        cursor.execute("DELETE FROM people_notification WHERE id > %s", [last_notification])


def tick_due(now: datetime, *, due: int, runs: int) -> list[Figure]:
    """A sweep at ``now`` with ``due`` timers newly due, ``runs`` times, each from the same state."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.sla_sweep import sla_sweep

    timers = _pick_running(now, due)
    if len(timers) < due:
        sys.exit(f"Only {len(timers)} running timers to make due; ask for --due {len(timers)} or fewer.")
    timings, queries, batches = [], 0, 0
    for run in range(runs + 1):
        cases, last_notification = _make_due(now, timers)
        try:
            if run == 0:
                # The first run counts queries (query logging would slow the timed ones).
                with CaptureQueriesContext(connection) as captured:
                    result = sla_sweep(now=now)
                queries, batches = len(captured.captured_queries), result.batches
            else:
                started = time.perf_counter()
                result = sla_sweep(now=now)
                timings.append((time.perf_counter() - started) * 1000)
        finally:
            _put_back(timers, cases, last_notification)
        if result.breached != due:
            sys.exit(f"The sweep breached {result.breached} timers, not the {due} made due.")
    return [
        Figure(f"sweep_due_{due}_median_ms", statistics.median(timings), "ms", f"≤ {TARGET_DUE_MS}"),
        Figure(f"sweep_due_{due}_p90_ms", percentile(timings, 0.9), "ms"),
        Figure(f"sweep_due_{due}_queries", queries, "queries"),
        Figure(f"sweep_due_{due}_batches", batches, "batches"),
    ]


def queue_by_sla(*, requests: int, warmup: int) -> list[Figure]:
    from django.test import Client

    from people.models import User

    client = Client()
    client.force_login(User.objects.get(username="lead.us"))
    figures, _ = measure(client, "queue_sla", "/cases/", {"sort": "sla"}, rows=True, requests=requests, warmup=warmup)
    for figure in figures:
        if figure.name == "queue_sla_median_ms":
            figure.target = f"≤ {TARGET_QUEUE_MS}"
    return figures


def scaling(due: int, runs: int) -> None:
    """The due tick at each size, each in its own process (Django holds one database per process)."""
    rows = []
    for size in SCALING_SIZES:
        command = [sys.executable, __file__, "--cases", str(size), "--due", str(due), "--runs", str(runs)]
        output = subprocess.run([*command, "--tick-only"], check=True, capture_output=True, text=True).stdout
        rows.append((size, dict(re.findall(r"^(\S+) (\S+) \S+$", output, re.MULTILINE))))
        print(output, end="", flush=True)
    print()
    print(f"Sweep tick with {due:,} timers newly due, by database size (median of {runs} runs, PostgreSQL):")
    print()
    print("| cases | running timers | seed s | idle tick ms | due tick ms | due tick p90 ms | queries |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size, values in rows:
        print(
            f"| {size:,} | {values.get('running_timers', '?')} | {values.get('seed_seconds', 'reused')} "
            f"| {values.get('sweep_idle_median_ms')} | {values.get(f'sweep_due_{due}_median_ms')} "
            f"| {values.get(f'sweep_due_{due}_p90_ms')} | {values.get(f'sweep_due_{due}_queries')} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, help=f"database size (default 100,000; {QUICK_CASES:,} with --quick)")
    parser.add_argument("--due", type=int, help=f"timers made due for the due tick (default 1,000; {QUICK_DUE} quick)")
    parser.add_argument("--quick", action="store_true", help="small database, fewer runs: keeps CI honest")
    parser.add_argument("--runs", type=int, help="timed due ticks (default 5; 3 with --quick)")
    parser.add_argument("--requests", type=int, help="timed queue requests (default 30; 10 with --quick)")
    parser.add_argument("--scaling", action="store_true", help="the due tick at 10k, 100k and 1M cases")
    parser.add_argument("--tick-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    due = args.due or (QUICK_DUE if args.quick else 1_000)
    runs = args.runs or (3 if args.quick else 5)
    if args.scaling:
        scaling(due, runs)
        return
    cases = args.cases or (QUICK_CASES if args.quick else 100_000)
    requests = args.requests or (10 if args.quick else 30)

    open_bench_database(cases)
    figures: list[Figure] = []
    seeded = seed_bench_database(cases)
    if seeded is not None:
        figures.append(Figure("seed_seconds", seeded, "s"))
    now = load_as_of()
    figures += open_share_figures()
    figures += tick_idle(now, runs=10 if args.quick else 20)
    figures += tick_due(now, due=due, runs=runs)
    if not args.tick_only:
        figures += queue_by_sla(requests=requests, warmup=2 if args.quick else 5)

    title = f"Escalation Desk SLA benchmark: {cases:,} cases, sweeps at the load's as_of ({now:%Y-%m-%d %H:%M} UTC)."
    report(figures, title, table=not args.tick_only)


if __name__ == "__main__":
    main()
