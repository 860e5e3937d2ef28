"""Time the compliance review queue and the obligation sweep: ``python bench/compliance.py [--cases N] [--quick]``.

Runs on the benchmark databases of ``bench/database.py`` (``escdesk_bench_<N>``, seeded once and
reused). If the database holds fewer than ``--flags`` flags awaiting review, open cases are
flagged in bulk (Reg E disputes in review, two obligations each, due over the coming weeks)
until it does; later runs reuse them. Then:

- ``review_queue``: the review queue as compliance.rev (median, p90, queries), like bench/pages.py;
- ``obligation_sweep_idle``: a sweep tick with nothing due;
- ``obligation_sweep_due``: a tick with ``--due`` obligations newly due (their due times moved a
  minute into the past in one UPDATE), then put back as they were. Timeline and audit rows the
  sweep appends stay (both are append-only); its notifications are deleted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import open_bench_database, seed_bench_database  # noqa: E402
from bench.run import Figure, measure, percentile, report  # noqa: E402

QUICK_CASES = 2_000
TARGET_QUEUE_MS = 50
TARGET_DUE_MS = 1_000
# Marks the flags this script adds (the demo data has flags of its own, with other timings).
BENCH_EVIDENCE = "0" * 64


def ensure_flags(wanted: int) -> int:
    """Bulk-create Reg E flags in review (two obligations each) until ``wanted`` exist."""
    from django.utils import timezone

    from cases.choices import OPEN_STATUSES
    from cases.models import Case
    from compliance.models import Obligation, RegulatoryFlag
    from people.models import User

    have = RegulatoryFlag.objects.filter(status="in_review", evidence_hash=BENCH_EVIDENCE).count()
    if have >= wanted:
        return 0
    now = timezone.now()
    agent = User.objects.get(username="agent.manila")
    cases = list(
        Case.objects.filter(status__in=OPEN_STATUSES)
        .exclude(flags__isnull=False)
        .order_by("pk")
        .values_list("pk", "customer__jurisdiction")[: wanted - have]
    )
    flags = RegulatoryFlag.objects.bulk_create(
        [
            RegulatoryFlag(
                case_id=case_id,
                kind="unauthorized_transfer",
                facts={
                    "notice_date": "2026-11-02",
                    "transfer_date": "2026-11-01",
                    "amount": "100.00",
                    "notice_form": "oral",
                    "leg": "fiat",
                },
                status="in_review",
                raised_by=agent,
                raised_at=now - timedelta(days=3),
                submitted_by=agent,
                submitted_at=now - timedelta(days=2, minutes=i % 1440),
                evidence_hash=BENCH_EVIDENCE,
                next_due_at=now + timedelta(hours=2 + i % 500),
            )  # fmt: skip
            for i, (case_id, _) in enumerate(cases)
        ],
        batch_size=5_000,
    )
    jurisdiction = dict(cases)
    obligations = []
    for flag in flags:
        for offset, code in ((0, "us_reg_e_investigate"), (24 * 30, "us_reg_e_extended")):
            obligations.append(
                Obligation(
                    flag=flag,
                    case_id=flag.case_id,
                    rule_code=code,
                    rule_name=code.replace("_", " "),
                    citation="12 CFR 1005.11",
                    jurisdiction=jurisdiction[flag.case_id],
                    triggered_at=now - timedelta(days=3),
                    due_at=flag.next_due_at + timedelta(hours=offset),
                    satisfied_by="investigation_completed",
                )
            )
    Obligation.objects.bulk_create(obligations, batch_size=5_000)
    return len(flags)


def vacuum() -> None:
    """What autovacuum does on a live server after bulk loads: fresh statistics, and a visibility
    map that lets the queue's count read its partial index alone."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("compliance_regulatoryflag", "compliance_obligation", "compliance_flagdecision"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def sweep_ticks(*, due: int, runs: int) -> list[Figure]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from compliance.models import Obligation
    from compliance.sweep import obligation_sweep
    from people.models import Notification

    now = timezone.now()
    # Catch up first, as the beat would have: warnings and breaches already due in the data
    # (the demo's year of obligations) are the sweep's backlog, not an idle tick's work.
    obligation_sweep(now=now)
    idle = []
    for _ in range(runs):
        started = time.perf_counter()
        result = obligation_sweep(now=now - timedelta(days=1))
        idle.append((time.perf_counter() - started) * 1000)
        if result.warned or result.breached:
            sys.exit("The idle tick found work; the benchmark data has obligations already due.")
    timings, queries = [], 0
    for run in range(runs):
        # Obligations started at least a day ago can be made due a minute ago without breaking
        # "due after triggered"; each gets its own due time back afterwards.
        picked = list(
            Obligation.objects.filter(
                satisfied_at__isnull=True, warned_at__isnull=True, breached_at__isnull=True,
                triggered_at__lt=now - timedelta(days=1), flag__evidence_hash=BENCH_EVIDENCE,
            )
            .order_by("due_at")
            .only("pk", "due_at")[:due]
        )  # fmt: skip
        ids = [obligation.pk for obligation in picked]
        last_notification = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        Obligation.objects.filter(pk__in=ids).update(due_at=now - timedelta(minutes=1))
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = obligation_sweep(now=now)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured.captured_queries)
        if result.breached != due:
            sys.exit(f"Run {run}: the tick breached {result.breached}, not {due}.")
        Obligation.objects.filter(pk__in=ids).update(warned_at=None, breached_at=None)
        Obligation.objects.bulk_update(picked, ["due_at"], batch_size=1000)
        Notification.objects.filter(pk__gt=last_notification).delete()
    return [
        Figure("obligation_sweep_idle_median_ms", statistics.median(idle), "ms"),
        Figure(f"obligation_sweep_due_{due}_median_ms", statistics.median(timings), "ms", f"≤ {TARGET_DUE_MS}"),
        Figure(f"obligation_sweep_due_{due}_p90_ms", percentile(timings, 0.9), "ms"),
        Figure(f"obligation_sweep_due_{due}_queries", queries, "queries"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, help="database size (default 1,000,000; 2,000 with --quick)")
    parser.add_argument("--flags", type=int, help="flags in review (default 50,000; 100 with --quick)")
    parser.add_argument("--due", type=int, help="obligations newly due in the timed tick (default 1,000)")
    parser.add_argument("--quick", action="store_true", help="small database and few runs: keeps CI honest")
    args = parser.parse_args()
    cases = args.cases or (QUICK_CASES if args.quick else 1_000_000)
    wanted = args.flags or (100 if args.quick else 50_000)
    due = args.due or (50 if args.quick else 1_000)
    requests, warmup, runs = (10, 2, 3) if args.quick else (30, 5, 5)

    open_bench_database(cases)
    figures: list[Figure] = []
    seconds = seed_bench_database(cases)
    if seconds is not None:
        figures.append(Figure("seed_seconds", seconds, "s"))
    figures.append(Figure("flags_created", ensure_flags(wanted), "flags"))
    vacuum()

    from django.test import Client

    from compliance.models import Obligation, RegulatoryFlag
    from people.models import User

    figures += [
        Figure("flags_in_review", RegulatoryFlag.objects.filter(status="in_review").count(), "flags"),
        Figure("open_obligations", Obligation.objects.filter(satisfied_at__isnull=True).count(), "obligations"),
    ]
    client = Client()
    client.force_login(User.objects.get(username="compliance.rev"))
    page, _ = measure(client, "review_queue", "/compliance/", {}, requests=requests, warmup=warmup, rows=True)
    for figure in page:
        if figure.name == "review_queue_median_ms":
            figure.target = f"≤ {TARGET_QUEUE_MS}"
    figures += page
    figures += sweep_ticks(due=due, runs=runs)
    report(figures, f"Compliance: {cases:,} cases, PostgreSQL.")


if __name__ == "__main__":
    main()
