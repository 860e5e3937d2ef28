"""The chain check finds the first row that was edited, removed or forged."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from audit.selectors import ChainReport, audit_chain_verify
from audit.services import canonical_payload, chain_hash
from cases.services import case_add_message
from tests.audit.helpers import audit_trigger_lifted

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(case, agent) -> list[AuditEvent]:
    for n in range(5):
        case_add_message(actor=agent, case=case, body=f"Note {n}", internal=True)
    return list(AuditEvent.objects.order_by("id"))


def test_it_verifies_an_empty_ledger():
    assert audit_chain_verify() == ChainReport(checked=0, first_broken_id=None)


def test_it_verifies_an_intact_chain(ledger):
    report = audit_chain_verify()

    assert (report.checked, report.first_broken_id, report.problem) == (5, None, "")


def test_it_verifies_in_small_batches_too(ledger):
    assert audit_chain_verify(batch_size=2).checked == 5


def test_it_names_the_first_row_whose_contents_were_edited(ledger):
    third, fourth = ledger[2], ledger[3]
    with audit_trigger_lifted() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_label = %s WHERE id IN (%s, %s)", ["somebody-else", third.pk, fourth.pk]
        )

    report = audit_chain_verify()

    assert report.first_broken_id == third.pk
    assert report.checked == 2
    assert report.problem == "hash does not match the row's contents"


def test_it_names_the_row_after_one_that_was_removed(ledger):
    with audit_trigger_lifted() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [ledger[1].pk])

    report = audit_chain_verify()

    assert report.first_broken_id == ledger[2].pk
    assert report.problem == "prev_hash does not match the previous row's hash"


def test_it_catches_an_edit_whose_hash_was_recomputed(ledger):
    # A careful forger rehashes the row they changed; the next row's link still gives them away.
    forged = ledger[1]
    forged.after = {**forged.after, "version": 99}
    with audit_trigger_lifted() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET after = %s::jsonb, payload = %s, hash = %s WHERE id = %s",
            [
                json.dumps(forged.after),
                canonical_payload(forged),
                chain_hash(forged.prev_hash, canonical_payload(forged)),
                forged.pk,
            ],
        )

    report = audit_chain_verify()

    assert report.first_broken_id == ledger[2].pk
    assert report.checked == 2


@pytest.mark.parametrize("command", ["verify_audit_chain", "audit_verify"])
def test_it_reports_an_intact_chain_from_the_command(ledger, capsys, command):
    call_command(command)

    assert "Audit chain intact: 5 events verified." in capsys.readouterr().out


def test_it_fails_the_command_naming_the_first_broken_event(ledger):
    with audit_trigger_lifted() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'case.reply' WHERE id = %s", [ledger[3].pk])

    with pytest.raises(CommandError) as raised:
        call_command("verify_audit_chain")

    assert str(raised.value) == (
        f"Audit chain broken at event {ledger[3].pk}: hash does not match the row's contents "
        f"(3 events verified before it)."
    )


@pytest.mark.parametrize(
    "tamper",
    [
        None,
        "UPDATE audit_auditevent SET action = 'case.reply' WHERE id = %s",
        'UPDATE audit_auditevent SET before = \'{"status": "closed"}\'::jsonb WHERE id = %s',
        "UPDATE audit_auditevent SET occurred_at = occurred_at + interval '1 second' WHERE id = %s",
        "UPDATE audit_auditevent SET payload = payload || ' ' WHERE id = %s",
        "UPDATE audit_auditevent SET hash = md5(hash) || md5(hash) WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_database_pass_gives_the_answer_of_the_python_pass(ledger, tamper):
    if tamper is not None:
        with audit_trigger_lifted() as cursor:
            cursor.execute(tamper, [ledger[2].pk])

    in_database = audit_chain_verify(in_database=True)
    in_python = audit_chain_verify(in_database=False)

    if tamper is None:
        assert in_database == in_python == ChainReport(checked=5, first_broken_id=None)
    elif "payload" in tamper:
        # Python recomputes from the columns, which still hold; the server sees the payload moved.
        assert in_python.first_broken_id is None
        assert in_database == ChainReport(2, ledger[2].pk, "hash does not match the row's contents")
    else:
        assert in_database == in_python
        assert in_database.first_broken_id in (ledger[2].pk, ledger[3].pk)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broken", [None, 1, 5, 8])
def test_split_across_connections_the_check_gives_the_answer_of_one_pass(case_rules, broken, monkeypatch):
    """A large ledger is checked in id ranges on several connections, which only see committed
    rows: so this ledger is committed, and the threshold lowered to split even nine rows."""
    from audit import selectors
    from tests.factories import CaseFactory, UserFactory

    agent, case = UserFactory(), CaseFactory()
    for n in range(9):
        case_add_message(actor=agent, case=case, body=f"Note {n}", internal=True)
    events = list(AuditEvent.objects.order_by("id"))
    if broken is not None:
        with audit_trigger_lifted() as cursor:
            cursor.execute("UPDATE audit_auditevent SET action = 'case.reply' WHERE id = %s", [events[broken].pk])
    monkeypatch.setattr(selectors, "PARALLEL_FROM", 0)

    split = audit_chain_verify(workers=3)

    assert split == audit_chain_verify(workers=1) == audit_chain_verify(in_database=False)
    if broken is None:
        assert split.first_broken_id is None and split.checked == len(events)
    else:
        assert (split.first_broken_id, split.checked) == (events[broken].pk, broken)
