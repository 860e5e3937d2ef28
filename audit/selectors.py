"""Reading the audit ledger back: the chain check behind ``manage.py verify_audit_chain``."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import DataError, connection, connections, transaction
from django.db.models import Count, Max, Min

from audit.models import AuditEvent
from audit.services import GENESIS_HASH, HASHED_COLUMNS, canonical_fields, chain_hash

# Below this many rows one query on the caller's connection is quicker than several.
PARALLEL_FROM = 200_000
LINK_BROKEN = "prev_hash does not match the previous row's hash"
CONTENTS_CHANGED = "hash does not match the row's contents"

# One pass in PostgreSQL over an id range: each row's link to the one before (lag over the id
# order; the range's first row links to the hash just before the range), its hash of prev_hash +
# payload (sha256 in the server), and its payload (parsed once per row) against its columns,
# field by field as JSON values: formatting does not matter, only what was said, and no key may
# be added. A payload that is no longer JSON at all raises DataError; the Python pass names it.
_CHECK_SQL = """
SELECT id, problem FROM (
    SELECT e.id,
        CASE
            WHEN e.prev_hash <> COALESCE(LAG(e.hash) OVER (ORDER BY e.id), %(before)s) THEN 'link'
            WHEN e.hash <> encode(sha256(convert_to(e.prev_hash || E'\\n' || e.payload, 'UTF8')), 'hex')
                THEN 'contents'
            WHEN (
                x.p ->> 'action' = e.action AND x.p ->> 'actor_label' = e.actor_label
                AND x.p ->> 'object_type' = e.object_type AND x.p ->> 'object_id' = e.object_id
                AND x.p ->> 'request_id' = e.request_id
                AND (x.p ->> 'actor_id')::bigint IS NOT DISTINCT FROM e.actor_id
                AND (x.p ->> 'occurred_at')::timestamptz = e.occurred_at
                AND x.p -> 'before' = COALESCE(e.before, 'null'::jsonb)
                AND x.p -> 'after' = COALESCE(e.after, 'null'::jsonb)
                AND x.p - ARRAY['occurred_at', 'actor_id', 'actor_label', 'action', 'object_type', 'object_id',
                                'before', 'after', 'request_id'] = '{}'::jsonb
            ) IS NOT TRUE THEN 'contents'
        END AS problem
    FROM audit_auditevent AS e
    CROSS JOIN LATERAL (SELECT e.payload::jsonb AS p OFFSET 0) AS x  -- OFFSET 0: parsed once, not per use
    WHERE e.id BETWEEN %(lo)s AND %(hi)s
) AS checked
WHERE problem IS NOT NULL
ORDER BY id
LIMIT 1
"""


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    problem: str = ""


def _report(broken_id: int | None, problem: str) -> ChainReport:
    if broken_id is None:
        return ChainReport(AuditEvent.objects.count(), None)
    before = AuditEvent.objects.filter(id__lt=broken_id).count()
    return ChainReport(before, broken_id, LINK_BROKEN if problem == "link" else CONTENTS_CHANGED)


def _range_problem(lo: int, hi: int) -> tuple[int, str] | None:
    """The first broken row with id in [lo, hi], judged on its own: its first row links to the
    hash of the row just before ``lo``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM audit_auditevent WHERE id < %s ORDER BY id DESC LIMIT 1", [lo])
        before = cursor.fetchone()
        cursor.execute(_CHECK_SQL, {"before": before[0] if before else GENESIS_HASH, "lo": lo, "hi": hi})
        return cursor.fetchone()


_NOT_JSON = (0, "not json")


def _range_problem_in_thread(lo: int, hi: int) -> tuple[int, str] | None:
    try:
        with transaction.atomic():
            return _range_problem(lo, hi)
    except DataError:
        return _NOT_JSON
    finally:
        connections.close_all()  # this thread's own connection


def _verify_in_postgres(workers: int) -> ChainReport | None:
    bounds = AuditEvent.objects.aggregate(low=Min("id"), high=Max("id"), rows=Count("id"))
    if bounds["low"] is None:
        return ChainReport(0, None)
    low, high = bounds["low"], bounds["high"]
    # Large ledgers: one range per core, each on its own connection (the server does the work,
    # so threads suffice). Not inside a transaction: other connections would not see its rows.
    if workers > 1 and bounds["rows"] >= PARALLEL_FROM and not connection.in_atomic_block:
        step = (high - low) // workers + 1
        ranges = [(low + n * step, min(high, low + (n + 1) * step - 1)) for n in range(workers)]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            found = [hit for hit in pool.map(lambda r: _range_problem_in_thread(*r), ranges) if hit]
        if _NOT_JSON in found:
            return None
    else:
        try:
            with transaction.atomic():
                hit = _range_problem(low, high)
        except DataError:
            return None  # a payload that hashes right but is not JSON: let the Python pass name it
        found = [hit] if hit else []
    return _report(*(min(found) if found else (None, "")))


def _verify_in_python(batch_size: int) -> ChainReport:
    """Row by row: the link, then the hash recomputed from the columns themselves."""
    expected = GENESIS_HASH
    checked = 0
    rows = AuditEvent.objects.order_by("id").values_list("id", "prev_hash", "hash", *HASHED_COLUMNS)
    for event_id, prev_hash, stored_hash, *fields in rows.iterator(chunk_size=batch_size):
        if prev_hash != expected:
            return ChainReport(checked, event_id, LINK_BROKEN)
        if chain_hash(prev_hash, canonical_fields(*fields)) != stored_hash:
            return ChainReport(checked, event_id, CONTENTS_CHANGED)
        expected = stored_hash
        checked += 1
    return ChainReport(checked, None)


def audit_chain_verify(
    *, batch_size: int = 10_000, in_database: bool | None = None, workers: int | None = None
) -> ChainReport:
    """Check every link of the ledger in id order and report the first that does not hold.

    On PostgreSQL the server does it in one query (a million rows in seconds); elsewhere, or
    with ``in_database=False``, Python recomputes every hash from the columns. Both give the
    same answer: a row whose columns, payload or hash were changed is named itself; a removed
    row, or a forged row rehashed to match its edit, is named by the next row's broken link.
    """
    if in_database is None:
        in_database = connection.vendor == "postgresql"
    if in_database:
        report = _verify_in_postgres(workers or os.cpu_count() or 1)
        if report is not None:
            return report
    return _verify_in_python(batch_size)
