"""The auditor's ledger pages: read, filter, export; the FIU sees only the restricted rows."""

from __future__ import annotations

import csv
import io

import pytest

from audit.models import AuditEvent
from cases.services import case_add_message
from compliance.restricted import referral_create
from people.choices import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(case, agent, lead):
    case_add_message(actor=agent, case=case, body="Checked the wallet.", internal=True)
    case_add_message(actor=lead, case=case, body="We are on it.", internal=False)
    UserFactory(role=Role.FIU)
    referral_create(actor=agent, case=case, reason="Layering through three exchanges")


def _table(response) -> str:
    return response.content.decode().split('id="audit-table"')[1]


def test_the_auditor_reads_and_filters_the_ledger(client_for, auditor, agent, case, history):
    client = client_for(auditor)
    everything = _table(client.get("/audit/"))
    assert "case.note" in everything and "case.reply" in everything and "restricted.refer" in everything

    by_agent = _table(client.get("/audit/", {"actor": agent.username}))
    assert "case.note" in by_agent and "case.reply" not in by_agent
    by_action = _table(client.get("/audit/", {"action": "case."}))
    assert "case.reply" in by_action and "restricted.refer" not in by_action
    by_object = _table(client.get("/audit/", {"object_type": "case", "object_id": case.reference}))
    assert "case.note" in by_object and "restricted.refer" not in by_object
    # Each look at the ledger is itself in the ledger.
    assert AuditEvent.objects.filter(action="audit.read", actor=auditor).count() == 4


def test_the_ledger_pages_through_older_events(client_for, auditor, history, monkeypatch):
    from audit import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    case = AuditEvent.objects.filter(action="case.note").get()
    agent = case.actor
    from cases.models import Case

    case_add_message(actor=agent, case=Case.objects.get(reference=case.object_id), body="Third.", internal=True)
    client = client_for(auditor)
    first = client.get("/audit/", {"action": "case."}).content.decode()
    assert "Older" in first
    newest_ids = sorted(AuditEvent.objects.filter(action__startswith="case.").values_list("id", flat=True))
    assert f"<td>{newest_ids[-1]}</td>" in first and f"<td>{newest_ids[0]}</td>" not in first
    older = client.get("/audit/", {"action": "case.", "before": newest_ids[-2]}).content.decode()
    assert f"<td>{newest_ids[0]}</td>" in older and f"<td>{newest_ids[-1]}</td>" not in older


def test_the_auditor_exports_the_filtered_ledger_as_csv(client_for, auditor, history):
    response = client_for(auditor).get("/audit/export.csv", {"action": "case."})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["action"] for row in rows) == ["case.note", "case.reply"]
    assert all(len(row["hash"]) == 64 for row in rows)
    assert AuditEvent.objects.filter(action="audit.export", actor=auditor).exists()


def test_bad_filters_answer_400_and_show_nothing(client_for, auditor, history):
    response = client_for(auditor).get("/audit/", {"occurred_after": "2026-11-30", "occurred_before": "2026-11-01"})

    assert response.status_code == 400
    assert "The range ends before it starts." in response.content.decode()
    assert client_for(auditor).get("/audit/", {"before": "abc"}).status_code == 400


def test_the_fiu_sees_only_the_restricted_inbox_rows_and_nobody_else_sees_the_ledger(
    client_for, agent, lead, compliance_user, admin_user, history
):
    fiu = UserFactory(role=Role.FIU)
    table = _table(client_for(fiu).get("/audit/"))
    assert "restricted.refer" in table and "case.note" not in table

    for person in (agent, lead, compliance_user, admin_user):
        assert client_for(person).get("/audit/").status_code == 403
        assert client_for(person).get("/audit/export.csv").status_code == 403
