"""Writers appending to the ledger at the same moment still make one unbroken chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import audit_record

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 6
EACH = 15


def test_concurrent_writers_never_chain_onto_the_same_row():
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with transaction.atomic():
                    audit_record(actor=None, action="test.append", object_type="writer", object_id=f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures
    rows = list(AuditEvent.objects.filter(action="test.append").values_list("prev_hash", flat=True))
    assert len(rows) == WRITERS * EACH
    # Without the lock two writers would read the same last hash and fork the chain.
    assert len(set(rows)) == len(rows)
    report = audit_chain_verify()
    assert report.first_broken_id is None and report.checked == AuditEvent.objects.count()
