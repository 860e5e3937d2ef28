"""Idempotent ingest: one case per ticket, the same answer to the same request, 409 otherwise."""

from __future__ import annotations

from cases.models import Case, Customer
from intake.models import IntakeRecord

TICKET = {
    "external_system": "zendesk",
    "external_id": "ZD-1001",
    "customer": {"account_number": "AC-NEW-1", "full_name": "Jo Doe", "email": "jo@example.com",
                 "jurisdiction": "US-NY"},
    "subject": "Withdrawal pending",
    "body": "My withdrawal has been pending for two days.",
    "channel": "email",
    "category": "withdrawals",
}  # fmt: skip


def test_the_same_request_twice_opens_one_case(api_for, helpdesk):
    client = api_for(helpdesk)
    first = client.post("/api/v1/intake/tickets/", TICKET, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.json()
    again = client.post("/api/v1/intake/tickets/", TICKET, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200 and again.json()["reference"] == first.json()["reference"]
    # Without the key the external id still identifies the ticket.
    third = client.post("/api/v1/intake/tickets/", TICKET, format="json")
    assert third.status_code == 200 and third.json()["reference"] == first.json()["reference"]
    assert Case.objects.count() == 1 and IntakeRecord.objects.count() == 1
    customer = Customer.objects.get(account_number="AC-NEW-1")
    assert customer.jurisdiction == "US-NY"
    assert first.json()["customer"]["account_number"] == "AC-NEW-1"


def test_a_key_or_external_id_reused_for_another_body_is_409(api_for, helpdesk):
    client = api_for(helpdesk)
    assert client.post("/api/v1/intake/tickets/", TICKET, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    other = {**TICKET, "external_id": "ZD-1002", "subject": "Another"}
    reused = client.post("/api/v1/intake/tickets/", other, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert (reused.status_code, reused.json()["error"]) == (409, "case_refused")
    changed = client.post("/api/v1/intake/tickets/", {**TICKET, "subject": "Changed"}, format="json")
    assert changed.status_code == 409
    fresh = client.post("/api/v1/intake/tickets/", other, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert fresh.status_code == 201
    assert Case.objects.count() == 2


def test_bad_tickets_write_nothing(api_for, helpdesk, auditor):
    client = api_for(helpdesk)
    unknown_customer = {**TICKET, "customer": {"account_number": "AC-NEW-2"}}
    refused = client.post("/api/v1/intake/tickets/", unknown_customer, format="json")
    assert refused.status_code == 400 and "send their full_name" in refused.json()["detail"]
    bad_key = client.post("/api/v1/intake/tickets/", TICKET, format="json", HTTP_IDEMPOTENCY_KEY="has space")
    assert bad_key.status_code == 400
    assert client.post("/api/v1/intake/tickets/", {**TICKET, "category": "nope"}, format="json").status_code == 400
    assert api_for(auditor).post("/api/v1/intake/tickets/", TICKET, format="json").status_code == 403
    assert not Case.objects.exists() and not IntakeRecord.objects.exists()
