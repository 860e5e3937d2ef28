from __future__ import annotations

from dataclasses import dataclass

from audit.models import AuditEvent
from audit.services import GENESIS_HASH, canonical_payload, chain_hash


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    problem: str = ""


def audit_chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the ledger in id order and report the first row whose link does not hold."""
    expected_prev = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != expected_prev:
            return ChainReport(checked, event.id, "prev_hash does not match the previous row's hash")
        if chain_hash(event.prev_hash, canonical_payload(event)) != event.hash:
            return ChainReport(checked, event.id, "hash does not match the row's contents")
        expected_prev = event.hash
        checked += 1
    return ChainReport(checked, None)
