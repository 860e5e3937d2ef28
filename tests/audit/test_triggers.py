"""On PostgreSQL the ledger and the case timeline refuse UPDATE and DELETE, whoever asks."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from cases.models import CaseEvent
from cases.services import case_add_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_row(case, agent) -> AuditEvent:
    case_add_message(actor=agent, case=case, body="We are on it.", internal=False)
    return AuditEvent.objects.get()


@pytest.fixture
def timeline_row(case, agent) -> CaseEvent:
    return case_add_message(actor=agent, case=case, body="We are on it.", internal=False)


def _refused(action) -> str:
    with pytest.raises(DatabaseError) as raised, transaction.atomic():
        action()
    return str(raised.value)


def test_it_refuses_to_update_an_audit_row(audit_row):
    message = _refused(lambda: AuditEvent.objects.filter(pk=audit_row.pk).update(actor_label="someone-else"))

    assert "audit_auditevent is append-only: UPDATE refused" in message
    audit_row.refresh_from_db()
    assert audit_row.actor_label == "ana"


def test_it_refuses_to_save_over_an_audit_row(audit_row):
    audit_row.action = "case.note"

    _refused(audit_row.save)

    assert AuditEvent.objects.get().action == "case.reply"


def test_it_refuses_to_delete_an_audit_row(audit_row):
    message = _refused(audit_row.delete)

    assert "audit_auditevent is append-only: DELETE refused" in message
    assert AuditEvent.objects.filter(pk=audit_row.pk).exists()


def test_it_refuses_raw_sql_against_the_ledger(audit_row):
    def raw_delete():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent")

    _refused(raw_delete)

    assert AuditEvent.objects.count() == 1


def test_it_refuses_to_edit_a_timeline_entry(timeline_row):
    message = _refused(lambda: CaseEvent.objects.filter(pk=timeline_row.pk).update(body="I never said that"))

    assert "cases_caseevent is append-only: UPDATE refused" in message
    timeline_row.refresh_from_db()
    assert timeline_row.body == "We are on it."


def test_it_refuses_to_delete_a_timeline_entry(timeline_row):
    message = _refused(lambda: CaseEvent.objects.filter(pk=timeline_row.pk).delete())

    assert "cases_caseevent is append-only: DELETE refused" in message
    assert CaseEvent.objects.filter(pk=timeline_row.pk).exists()
