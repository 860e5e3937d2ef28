"""Every write appends one chained audit row in the same transaction, and fails closed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.db.models import ProtectedError

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import GENESIS_HASH, audit_record, canonical_payload, chain_hash
from cases import services
from cases.choices import Priority, Status
from cases.models import Case, CaseEvent
from tests.factories import CaseFactory, CategoryFactory, CustomerFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


class Boom(Exception):
    pass


def _write(name: str, *, case, other, team, agent, lead):
    """Call one service the way a page or task would; returns the audit actions expected."""
    if name == "create":
        services.case_create(
            actor=agent,
            customer=CustomerFactory(),
            subject="Locked out",
            body="I lost my 2FA device.",
            channel="chat",
            category=CategoryFactory(code="account-access"),
            team=team,
        )
        return ["case.create"]
    if name == "reply":
        services.case_add_message(actor=agent, case=case, body="Hello", internal=False)
        return ["case.reply"]
    if name == "note":
        services.case_add_message(actor=agent, case=case, body="Internal", internal=True)
        return ["case.note"]
    if name == "status":
        services.case_change_status(actor=agent, case=case, to_status=Status.OPEN, expected_version=1)
        return ["case.status"]
    if name == "assign":
        services.case_assign(actor=lead, case=case, assignee=agent, expected_version=1)
        return ["case.assign"]
    if name == "properties":
        services.case_update_properties(
            actor=agent, case=case, expected_version=1, priority=Priority.URGENT, category=case.category
        )
        return ["case.update"]
    if name == "bulk_assign":
        services.case_bulk_assign(actor=lead, case_ids=[case.pk, other.pk], assignee=agent)
        return ["case.assign", "case.assign"]
    if name == "bulk_status":
        services.case_bulk_change_status(actor=lead, case_ids=[case.pk, other.pk], to_status=Status.PENDING_INTERNAL)
        return ["case.status", "case.status"]
    if name == "auto_close":
        Case.objects.filter(pk=case.pk).update(status=Status.RESOLVED, resolved_at=datetime(2026, 2, 1, tzinfo=UTC))
        services.case_close_expired_resolved()
        return ["case.auto_close"]
    raise AssertionError(name)


def _untouched() -> None:
    assert Case.objects.count() == 2
    assert set(Case.objects.values_list("version", "status", "assignee", "priority")) == {
        (1, Status.NEW, None, Priority.NORMAL)
    }
    assert not CaseEvent.objects.exists()


@pytest.fixture
def other(team):
    return CaseFactory(team=team)


WRITES = ["create", "reply", "note", "status", "assign", "properties", "bulk_assign", "bulk_status", "auto_close"]


@pytest.mark.parametrize("name", WRITES)
def test_it_audits_every_write(case, other, team, agent, lead, name):
    expected = _write(name, case=case, other=other, team=team, agent=agent, lead=lead)

    rows = list(AuditEvent.objects.all())
    assert [row.action for row in rows] == expected
    assert all(row.occurred_at == NOW for row in rows)
    assert all(row.object_type == "case" for row in rows)
    assert audit_chain_verify().first_broken_id is None


@pytest.mark.parametrize("name", WRITES)
def test_it_rolls_the_audit_row_back_with_the_change(case, other, team, agent, lead, name):
    with pytest.raises(Boom), transaction.atomic():
        _write(name, case=case, other=other, team=team, agent=agent, lead=lead)
        assert AuditEvent.objects.exists()
        raise Boom

    assert not AuditEvent.objects.exists()
    _untouched()


@pytest.mark.parametrize("name", [w for w in WRITES if w != "auto_close"])
def test_it_refuses_the_change_when_its_audit_row_cannot_be_written(case, other, team, agent, lead, name, monkeypatch):
    def ledger_down(**kwargs):
        raise DatabaseError("ledger unavailable")

    monkeypatch.setattr(services, "audit_record", ledger_down)

    with pytest.raises(DatabaseError):
        _write(name, case=case, other=other, team=team, agent=agent, lead=lead)

    assert not AuditEvent.objects.exists()
    _untouched()


def test_it_leaves_a_case_resolved_when_the_sweep_cannot_audit_its_closing(case, monkeypatch):
    Case.objects.filter(pk=case.pk).update(status=Status.RESOLVED, resolved_at=datetime(2026, 2, 1, tzinfo=UTC))
    monkeypatch.setattr(services, "audit_record", lambda **kwargs: (_ for _ in ()).throw(DatabaseError("down")))

    with pytest.raises(DatabaseError):
        services.case_close_expired_resolved()

    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    assert not CaseEvent.objects.exists()


def test_it_chains_each_row_to_the_one_before(case, agent):
    for body in ("one", "two", "three"):
        services.case_add_message(actor=agent, case=case, body=body, internal=True)

    rows = list(AuditEvent.objects.order_by("id"))
    assert rows[0].prev_hash == GENESIS_HASH
    assert [row.prev_hash for row in rows[1:]] == [row.hash for row in rows[:-1]]
    for row in rows:
        assert row.hash == chain_hash(row.prev_hash, canonical_payload(row))
    assert len({row.hash for row in rows}) == 3


def test_it_keeps_who_did_it_and_what_changed(case, lead, agent):
    services.case_assign(actor=lead, case=case, assignee=agent, expected_version=1)

    row = AuditEvent.objects.get()
    assert (row.actor, row.actor_label, row.object_id) == (lead, "lena", case.reference)
    assert (row.before["assignee_id"], row.after["assignee_id"]) == (None, agent.pk)
    assert (row.before["version"], row.after["version"]) == (1, 2)


def test_it_labels_system_writes_as_system(team):
    case = services.case_create(
        actor=None,
        customer=CustomerFactory(),
        subject="From the intake mailbox",
        body="Hello",
        channel="email",
        category=CategoryFactory(),
        team=team,
    )

    row = AuditEvent.objects.get(object_id=case.reference)
    assert (row.actor, row.actor_label) == (None, "system")


def test_it_stores_exactly_what_it_hashed_for_values_json_lacks(agent):
    with transaction.atomic():
        audit_record(
            actor=agent,
            action="customer.reveal",
            object_type="customer",
            object_id=42,
            before=None,
            after={"at": NOW, "born": date(1961, 5, 17), "amount": Decimal("0.50000000")},
        )

    row = AuditEvent.objects.get()
    assert row.object_id == "42"
    assert row.after == {"at": "2026-03-10 12:00:00+00:00", "born": "1961-05-17", "amount": "0.50000000"}
    assert audit_chain_verify().first_broken_id is None


def test_it_never_lets_deleting_a_user_delete_what_they_did(case, agent):
    services.case_add_message(actor=agent, case=case, body="Reply", internal=False)

    with pytest.raises(ProtectedError):
        agent.delete()

    assert AuditEvent.objects.filter(actor=agent).exists()
    assert CaseEvent.objects.filter(actor=agent).exists()
