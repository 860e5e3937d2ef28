"""Time the audit ledger: ``python bench/audit.py [--rows N] [--quick]``.

Runs on its own PostgreSQL database, ``escdesk_bench_audit`` (migrated, reused). Figures:

- ``audit_append``: one audited write against the same write unaudited (an internal note's
  CaseEvent insert in a transaction, with and without ``audit_record``), median over many
  runs; the difference is what the ledger costs each write (advisory lock, the last hash,
  the insert);
- ``verify_audit_chain``: ``manage.py verify_audit_chain`` over the whole ledger, topped up to
  ``--rows`` rows first (the top-up writes a valid chain in bulk, not through the service).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import database_url_named, ensure_database  # noqa: E402
from bench.run import Figure, report  # noqa: E402

TARGET_VERIFY_S = 30
CHUNK = 20_000


def setup() -> None:
    import os

    url = database_url_named("escdesk_bench_audit")
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def top_up(rows: int) -> int:
    """Append valid chained rows until the ledger holds ``rows``; returns how many were added."""
    from datetime import UTC, datetime, timedelta

    from django.db import transaction

    from audit.models import AuditEvent
    from audit.services import GENESIS_HASH, canonical_payload, chain_hash

    have = AuditEvent.objects.count()
    if have >= rows:
        return 0
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    start = datetime(2025, 11, 1, tzinfo=UTC)
    added = 0
    while have + added < rows:
        batch = []
        for n in range(min(CHUNK, rows - have - added)):
            i = have + added + n
            event = AuditEvent(
                occurred_at=start + timedelta(seconds=30 * i),
                actor=None,
                actor_label="bench",
                action="case.note" if i % 3 else "case.reply",
                object_type="case",
                object_id=f"CS-2026-{i % 999_999:06d}",
                before={"status": "open", "version": i % 40},
                after={"status": "open", "version": i % 40 + 1, "event_id": i},
                request_id=f"{i:032x}",
                prev_hash=last,
            )
            event.payload = canonical_payload(event)
            event.hash = last = chain_hash(last, event.payload)
            batch.append(event)
        with transaction.atomic():
            AuditEvent.objects.bulk_create(batch, batch_size=5_000)
        added += len(batch)
    return added


def append_overhead(runs: int) -> list[Figure]:
    from django.db import transaction
    from django.utils import timezone

    from audit.services import audit_record
    from cases.choices import EventKind
    from cases.models import Case, CaseEvent
    from tests.factories import CaseFactory

    case = Case.objects.order_by("pk").first() or CaseFactory()
    plain, audited = [], []
    for n in range(runs):
        started = time.perf_counter()
        with transaction.atomic():
            CaseEvent.objects.create(case=case, kind=EventKind.NOTE, body=f"plain {n}", created_at=timezone.now())
        plain.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with transaction.atomic():
            event = CaseEvent.objects.create(
                case=case, kind=EventKind.NOTE, body=f"audited {n}", created_at=timezone.now()
            )
            audit_record(actor=None, action="case.note", object_type="case", object_id=case.reference,
                         after={"event_id": event.pk})  # fmt: skip
        audited.append((time.perf_counter() - started) * 1000)
    return [
        Figure("write_without_audit_median_ms", statistics.median(plain), "ms"),
        Figure("write_with_audit_median_ms", statistics.median(audited), "ms"),
        Figure("audit_append_overhead_median_ms", statistics.median(audited) - statistics.median(plain), "ms"),
    ]


def verify() -> list[Figure]:
    from audit.selectors import audit_chain_verify

    started = time.perf_counter()
    result = audit_chain_verify()
    seconds = time.perf_counter() - started
    if result.first_broken_id is not None:
        sys.exit(f"The chain is broken at {result.first_broken_id}: {result.problem}")
    return [
        Figure("verify_audit_chain_rows", result.checked, "rows"),
        Figure("verify_audit_chain_s", seconds, "s", f"≤ {TARGET_VERIFY_S} at 1,000,000"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="ledger size to verify (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=200, help="audited and plain writes to time")
    parser.add_argument("--quick", action="store_true", help="10,000 rows and 30 writes")
    args = parser.parse_args()
    rows, runs = (10_000, 30) if args.quick else (args.rows, args.runs)
    setup()
    started = time.perf_counter()
    added = top_up(rows)
    figures = [Figure("ledger_rows_added", added, "rows"), Figure("top_up_s", time.perf_counter() - started, "s")]
    figures += append_overhead(runs)
    figures += verify()
    report(figures, f"Audit ledger ({rows:,} rows)")


if __name__ == "__main__":
    main()
