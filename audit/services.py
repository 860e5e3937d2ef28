"""Appending to the audit ledger. Callers are services already inside a transaction."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from audit.context import current_request_id
from audit.models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant works; it names the one advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 0x45534344  # "ESCD"


# The columns a row's hash covers, in the order ``canonical_fields`` takes them.
HASHED_COLUMNS = (
    "occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id", "before", "after", "request_id",
)  # fmt: skip


def canonical_fields(occurred_at, actor_id, actor_label, action, object_type, object_id, before, after, request_id):
    """The exact text a row's hash covers, from its column values (the verifier reads tuples)."""
    return json.dumps(
        {
            "occurred_at": occurred_at.isoformat(),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": before,
            "after": after,
            "request_id": request_id,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def canonical_payload(event: AuditEvent) -> str:
    """The exact text a row's hash covers; also what ``verify_audit_chain`` recomputes."""
    return canonical_fields(*(getattr(event, column) for column in HASHED_COLUMNS))


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def _json_safe(value: Any) -> Any:
    # Round-trip through JSON so what is stored equals what was hashed (dates become text).
    return None if value is None else json.loads(json.dumps(value, default=str))


def audit_record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain in the caller's transaction (fail closed).

    If the caller's transaction rolls back, the audit row goes with it; if the audit row
    cannot be written, the caller's change fails too.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    if connection.vendor == "postgresql":
        # Serialise appends until commit so two writers never chain onto the same row.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", None) or "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_json_safe(before),
        after=_json_safe(after),
        request_id=current_request_id(),
        prev_hash=last or GENESIS_HASH,
    )
    event.payload = canonical_payload(event)
    event.hash = chain_hash(event.prev_hash, event.payload)
    event.save(force_insert=True)
    return event
