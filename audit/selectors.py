"""Reading the audit ledger back: the chain check behind ``manage.py verify_audit_chain``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DataError, connection, transaction

from audit.models import AuditEvent
from audit.services import GENESIS_HASH, HASHED_COLUMNS, canonical_fields, chain_hash

LINK_BROKEN = "prev_hash does not match the previous row's hash"
CONTENTS_CHANGED = "hash does not match the row's contents"

# One pass in PostgreSQL: each row's link to the one before (lag over the id order), its hash
# of prev_hash + payload (sha256 in the server), and its payload against its columns, compared
# as JSON values (so formatting does not matter, only what was said). CASE keeps that order:
# a payload that is not JSON any more fails the hash before it is ever parsed.
_CHECK_SQL = """
SELECT id, problem FROM (
    SELECT id,
        CASE
            WHEN prev_hash <> COALESCE(LAG(hash) OVER (ORDER BY id), %(genesis)s) THEN 'link'
            WHEN hash <> encode(sha256(convert_to(prev_hash || E'\\n' || payload, 'UTF8')), 'hex') THEN 'contents'
            WHEN (payload::jsonb - 'occurred_at') <> jsonb_build_object(
                    'actor_id', actor_id, 'actor_label', actor_label, 'action', action,
                    'object_type', object_type, 'object_id', object_id, 'before', before, 'after', after,
                    'request_id', request_id)
                OR (payload::jsonb ->> 'occurred_at')::timestamptz <> occurred_at THEN 'contents'
        END AS problem
    FROM audit_auditevent
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


def _verify_in_postgres() -> ChainReport | None:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_CHECK_SQL, {"genesis": GENESIS_HASH})
            row = cursor.fetchone()
    except DataError:
        return None  # a payload that hashes right but is not JSON: let the Python pass name it
    return _report(*(row or (None, "")))


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


def audit_chain_verify(*, batch_size: int = 10_000, in_database: bool | None = None) -> ChainReport:
    """Check every link of the ledger in id order and report the first that does not hold.

    On PostgreSQL the server does it in one query (a million rows in seconds); elsewhere, or
    with ``in_database=False``, Python recomputes every hash from the columns. Both give the
    same answer: a row whose columns, payload or hash were changed is named itself; a removed
    row, or a forged row rehashed to match its edit, is named by the next row's broken link.
    """
    if in_database is None:
        in_database = connection.vendor == "postgresql"
    if in_database:
        report = _verify_in_postgres()
        if report is not None:
            return report
    return _verify_in_python(batch_size)
