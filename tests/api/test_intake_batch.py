"""Batch ingest: each ticket is handled as the single endpoint would, on its own."""

from __future__ import annotations

from audit.models import AuditEvent
from cases.models import Case, SlaTimer
from intake.models import IntakeRecord
from outbox.models import OutboxMessage
from tests.factories import SlaPolicyFactory

URL = "/api/v1/intake/tickets/batch/"


def ticket(number: int, **changes) -> dict:
    return {
        "external_system": "zendesk",
        "external_id": f"ZD-{number}",
        "customer": {"account_number": f"AC-B-{number}", "full_name": "Jo Doe", "email": "jo@example.com",
                     "jurisdiction": "US-NY"},
        "subject": f"Withdrawal pending {number}",
        "body": "My withdrawal has been pending for two days.",
        "channel": "email",
        "category": "withdrawals",
        **changes,
    }  # fmt: skip


def test_a_batch_opens_a_case_per_ticket_with_clocks_routing_and_audit(api_for, helpdesk):
    SlaPolicyFactory()
    response = api_for(helpdesk).post(URL, {"tickets": [ticket(n) for n in range(5)]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["opened"], body["known"], body["refused"]) == (5, 0, 0)
    references = [item["case"]["reference"] for item in body["results"]]
    assert [item["status"] for item in body["results"]] == [201] * 5
    assert [item["external_id"] for item in body["results"]] == [f"ZD-{n}" for n in range(5)]
    assert Case.objects.filter(reference__in=references).count() == 5
    # Each case as the single endpoint leaves it: timers running, routing queued, audited.
    assert all(item["case"]["running_timers"] for item in body["results"])
    assert SlaTimer.objects.filter(case__reference__in=references).count() == 10
    assert OutboxMessage.objects.filter(task="cases.routing_tasks.route_case_task").count() == 5
    assert AuditEvent.objects.filter(action="case.create", object_id__in=references).count() == 5


def test_one_bad_ticket_is_refused_alone_and_repeats_are_known(api_for, helpdesk):
    client = api_for(helpdesk)
    assert client.post("/api/v1/intake/tickets/", ticket(1), format="json").status_code == 201
    batch = [
        ticket(1),  # sent before, unchanged: known
        ticket(2, category="nope"),  # refused: unknown category
        ticket(3),  # new
        ticket(1, subject="Changed"),  # the used external id with another body: conflict
        {"external_id": "ZD-9", "surprise": True},  # not a ticket at all
        "not even an object",
    ]
    body = client.post(URL, {"tickets": batch}, format="json").json()
    statuses = [item["status"] for item in body["results"]]
    assert statuses == [200, 400, 201, 409, 400, 400]
    assert (body["opened"], body["known"], body["refused"]) == (1, 1, 4)
    assert body["results"][1]["error"]["error"] == "invalid"
    assert body["results"][1]["error"]["detail"] == {"category": ["'nope' is not an active category code."]}
    assert body["results"][3]["case"] is None and body["results"][3]["error"]["error"] == "case_refused"
    assert "surprise" in str(body["results"][4]["error"]["detail"])
    # Nothing of the refused tickets was written; the good ones were.
    assert set(IntakeRecord.objects.values_list("external_id", flat=True)) == {"ZD-1", "ZD-3"}
    assert Case.objects.count() == 2


def test_the_batch_itself_must_be_a_list_of_1_to_100_tickets(api_for, helpdesk, auditor):
    client = api_for(helpdesk)
    for bad in ({"tickets": []}, {"tickets": [ticket(n) for n in range(101)]}, {"tickets": "x"}, {}, {"t": []}):
        response = client.post(URL, bad, format="json")
        assert response.status_code == 400, bad
        assert response.json()["error"] == "invalid"
    keyed = client.post(URL, {"tickets": [ticket(1)]}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert keyed.status_code == 400 and "external ids" in str(keyed.json()["detail"])
    assert api_for(auditor).post(URL, {"tickets": [ticket(1)]}, format="json").status_code == 403
    assert not Case.objects.exists() and not IntakeRecord.objects.exists()
