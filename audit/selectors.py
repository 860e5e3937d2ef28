"""Reading the audit ledger back: the chain check behind ``manage.py verify_audit_chain``."""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from django.db import connection, connections, transaction

from audit.models import AuditEvent
from audit.services import GENESIS_HASH, HASHED_COLUMNS, canonical_fields, chain_hash

# Below this many rows one process is quicker than starting others.
PARALLEL_FROM = 200_000


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    problem: str = ""


@dataclass(frozen=True)
class _Span:
    """What one worker found in an id range: its first row's ``prev_hash`` and its last hash
    (for the links between ranges), how many rows held, and the first that did not."""

    first_prev: str | None
    last_hash: str | None
    checked: int
    broken_id: int | None = None
    problem: str = ""


def _rows(lo: int, hi: int, batch_size: int):
    """Plain tuples in id order. On PostgreSQL through a named cursor with the JSON columns as
    text (json.loads once, not Django's converters as well); elsewhere through the ORM."""
    if connection.vendor == "postgresql":
        columns = ", ".join(f'"{c}"::text' if c in ("before", "after") else f'"{c}"' for c in HASHED_COLUMNS)
        # A server-side (named) cursor lives in a transaction; it streams instead of loading all.
        with transaction.atomic(), connection.cursor() as outer:
            cursor = outer.connection.cursor(name=f"audit_verify_{lo}_{hi}")
            cursor.itersize = batch_size
            cursor.execute(
                f"SELECT id, prev_hash, hash, {columns} FROM audit_auditevent WHERE id BETWEEN %s AND %s ORDER BY id",  # noqa: S608 - the columns are a module constant
                [lo, hi],
            )
            for event_id, prev, stored, at, actor, label, action, otype, oid, before, after, rid in cursor:
                yield (event_id, prev, stored, at, actor, label, action, otype, oid,
                       None if before is None else json.loads(before),
                       None if after is None else json.loads(after), rid)  # fmt: skip
            cursor.close()
        return
    rows = AuditEvent.objects.filter(id__range=(lo, hi)).order_by("id")
    yield from rows.values_list("id", "prev_hash", "hash", *HASHED_COLUMNS).iterator(chunk_size=batch_size)


def _verify_span(lo: int, hi: int, batch_size: int = 10_000) -> _Span:
    first_prev = expected = last = None
    checked = 0
    for event_id, prev_hash, stored_hash, *fields in _rows(lo, hi, batch_size):
        if first_prev is None:
            first_prev = expected = prev_hash
        if prev_hash != expected:
            return _Span(first_prev, last, checked, event_id, "prev_hash does not match the previous row's hash")
        if chain_hash(prev_hash, canonical_fields(*fields)) != stored_hash:
            return _Span(first_prev, last, checked, event_id, "hash does not match the row's contents")
        expected = last = stored_hash
        checked += 1
    return _Span(first_prev, last, checked)


def _verify_span_in_worker(lo: int, hi: int) -> _Span:
    connections.close_all()  # never share the parent's connection with a forked child
    try:
        return _verify_span(lo, hi)
    finally:
        connections.close_all()


def audit_chain_verify(*, workers: int | None = None, batch_size: int = 10_000) -> ChainReport:
    """Check every link of the ledger in id order and report the first that does not hold.

    The hashes of a large ledger are recomputed by one process per core over id ranges (the
    work is JSON and SHA-256, CPU-bound); the links between ranges are then checked here, so
    the answer is the one a single pass would give.
    """
    bounds = AuditEvent.objects.order_by("id").values_list("id", flat=True)
    low, high = bounds.first(), bounds.last()
    if low is None:
        return ChainReport(0, None)
    count = AuditEvent.objects.count()
    workers = workers or (os.cpu_count() or 1)
    if workers == 1 or count < PARALLEL_FROM or connection.vendor != "postgresql":
        spans, starts = [_verify_span(low, high, batch_size)], [low]
    else:
        step = (high - low) // workers + 1
        ranges = [(low + n * step, min(high, low + (n + 1) * step - 1)) for n in range(workers)]
        connections.close_all()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            spans = list(pool.map(_verify_span_in_worker, *zip(*ranges, strict=True)))
        starts = [lo for lo, _ in ranges]
    checked, previous = 0, GENESIS_HASH
    for span, start in zip(spans, starts, strict=True):
        if span.first_prev is None and span.broken_id is None:
            continue  # an empty range (ids have gaps)
        if span.first_prev != previous:
            first_id = AuditEvent.objects.filter(id__gte=start).order_by("id").values_list("id", flat=True).first()
            return ChainReport(checked, first_id, "prev_hash does not match the previous row's hash")
        if span.broken_id is not None:
            return ChainReport(checked + span.checked, span.broken_id, span.problem)
        checked += span.checked
        previous = span.last_hash
    return ChainReport(checked, None)
