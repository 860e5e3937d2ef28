"""Case endpoints obey the pages' access rules, masking and FilterSet, with fixed query counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from tests.factories import CaseFactory, CustomerFactory


def test_agents_list_their_teams_cases_only(api_for, agent, outsider, case, other_team):
    theirs = CaseFactory(team=other_team)
    mine = [row["reference"] for row in api_for(agent).get("/api/v1/cases/").json()["results"]]
    assert mine == [case.reference]
    assert [row["reference"] for row in api_for(outsider).get("/api/v1/cases/").json()["results"]] == [theirs.reference]


def test_the_api_masks_pii_exactly_as_the_case_page(api_for, client_for, agent, case):
    page = client_for(agent).get(f"/cases/{case.reference}/").content.decode()
    customer = api_for(agent).get(f"/api/v1/cases/{case.reference}/").json()["customer"]
    assert customer["email"] == "c***@example.com" and customer["email"] in page
    assert customer["phone"].endswith("0142") and customer["phone"] in page
    assert customer["date_of_birth"] == "1961"
    assert case.customer.email not in str(customer) and "1961-05-17" not in str(customer)


def test_the_list_uses_the_queue_filters_and_search(api_for, lead, team):
    old = CaseFactory(team=team, subject="Card declined abroad", received_at=timezone.now() - timedelta(days=3))
    new = CaseFactory(team=team, subject="Withdrawal stuck", priority="urgent")
    done = CaseFactory(team=team, status="resolved")
    client = api_for(lead)
    refs = lambda response: [row["reference"] for row in response.json()["results"]]  # noqa: E731
    assert refs(client.get("/api/v1/cases/")) == [new.reference, old.reference]
    assert refs(client.get("/api/v1/cases/", {"q": "card declined"})) == [old.reference]
    assert refs(client.get("/api/v1/cases/", {"q": new.reference})) == [new.reference]
    assert refs(client.get("/api/v1/cases/", {"priority": "urgent"})) == [new.reference]
    assert refs(client.get("/api/v1/cases/", {"status": "resolved"})) == [done.reference]
    assert refs(client.get("/api/v1/cases/", {"sort": "received"})) == [old.reference, new.reference]
    bad = client.get("/api/v1/cases/", {"status": "bogus"})
    assert bad.status_code == 400 and "status" in bad.json()["detail"]
    assert client.get("/api/v1/cases/", {"sort": "priority"}).status_code == 400


def test_cursor_pages_walk_every_case_once(api_for, lead, team):
    made = {CaseFactory(team=team, received_at=timezone.now() - timedelta(minutes=i)).reference for i in range(7)}
    client, seen, url = api_for(lead), [], "/api/v1/cases/?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [row["reference"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == 7 and set(seen) == made


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_queries_however_many_rows(api_for, lead, team, rows):
    for _ in range(rows):
        CaseFactory(team=team)
    client = api_for(lead)
    client.get("/api/v1/cases/")  # the token's last-used time is written once, not per request
    with CaseQueriesContext() as captured:
        response = client.get("/api/v1/cases/")
    assert len(response.json()["results"]) == rows
    # token, teams, page, running timers (a list row shows no PII, so no reveals are read)
    assert len(captured) == 4, [q["sql"][:80] for q in captured.captured_queries]


class CaseQueriesContext(CaptureQueriesContext):
    def __init__(self):
        super().__init__(connection)


def test_a_list_of_one_case_of_many_escalations_costs_the_same(api_for, lead, team, django_assert_num_queries):
    case = CaseFactory(team=team)
    client = api_for(lead)
    client.get(f"/api/v1/cases/{case.reference}/")
    for _ in range(5):
        client.post(f"/api/v1/cases/{case.reference}/notes/", {"body": "n"}, format="json")
    # token, teams, the case (with whether the reader holds a reveal of its customer), running
    # timers, timeline: the same however long the timeline.
    with django_assert_num_queries(5):
        body = client.get(f"/api/v1/cases/{case.reference}/").json()
    assert len(body["timeline"]) == 5
    # Holding a reveal adds the one query that reads which fields it shows.
    from cases.models import PiiReveal

    now = timezone.now()
    PiiReveal.objects.create(viewer=lead, customer=case.customer, case=case, field="email", reason="Call back",
                             revealed_at=now, expires_at=now + timedelta(minutes=10))  # fmt: skip
    with django_assert_num_queries(6):
        body = client.get(f"/api/v1/cases/{case.reference}/").json()
    assert body["customer"]["email"] == case.customer.email


def test_create_reply_note_status_and_assign(api_for, agent, lead, second_agent, case, outsider):
    client = api_for(agent)
    created = client.post(
        "/api/v1/cases/",
        {"customer": case.customer.account_number, "subject": "Deposit missing", "body": "I sent 1 ETH.",
         "channel": "email", "category": "deposits"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    reference = created.json()["reference"]
    assert re.match(r"^CS-\d{4}-\d{6}$", reference) and created["ETag"] == f'"{reference}-v1"'
    reply = client.post(f"/api/v1/cases/{reference}/replies/", {"body": "We are on it."}, format="json")
    assert reply.status_code == 201 and reply.json()["internal"] is False
    note = client.post(f"/api/v1/cases/{reference}/notes/", {"body": "Checked the chain."}, format="json")
    assert note.json()["internal"] is True and note.json()["author"] == "Ana Reyes"
    detail = client.get(f"/api/v1/cases/{reference}/").json()
    kinds = [e["kind"] for e in detail["timeline"]]
    assert detail["status"] == "open" and "reply" in kinds and kinds[-1] == "note"
    moved = client.post(f"/api/v1/cases/{reference}/status/", {"to_status": "pending_customer", "reason": "Asked"},
                        format="json")  # fmt: skip
    assert moved.status_code == 200 and moved.json()["status"] == "pending_customer"
    # Assigning is a lead's: the agent gets 403, the lead assigns, an outsider sees nothing.
    assert client.post(f"/api/v1/cases/{reference}/assignee/", {"assignee": "ben"}, format="json").status_code == 403
    assigned = api_for(lead).post(f"/api/v1/cases/{reference}/assignee/", {"assignee": "ben"}, format="json")
    assert assigned.status_code == 200 and assigned.json()["assignee"]["username"] == "ben"
    assert api_for(outsider).post(f"/api/v1/cases/{reference}/assignee/", {"assignee": None},
                                  format="json").status_code == 404  # fmt: skip
    timers = client.get(f"/api/v1/cases/{reference}/sla-timers/")
    assert timers.status_code == 200 and isinstance(timers.json(), list)
    assert Case.objects.filter(reference=reference, assignee__username="ben").exists()


def test_create_refuses_an_unknown_customer_or_a_team_not_theirs(api_for, agent, case, other_team):
    client = api_for(agent)
    body = {"customer": "NOPE", "subject": "s", "body": "b", "channel": "email", "category": "deposits"}
    assert client.post("/api/v1/cases/", body, format="json").json()["detail"]["customer"]
    body |= {"customer": case.customer.account_number, "team": other_team.slug}
    assert "team" in client.post("/api/v1/cases/", body, format="json").json()["detail"]


def test_the_api_shows_a_revealed_field_only_to_who_revealed_it(api_for, lead, agent, case):
    from cases.models import PiiReveal

    customer = CustomerFactory()
    case.customer = customer
    case.save()
    now = timezone.now()
    PiiReveal.objects.create(viewer=lead, customer=customer, case=case, field="email", reason="Call back",
                             revealed_at=now, expires_at=now + timedelta(minutes=10))  # fmt: skip
    assert api_for(lead).get(f"/api/v1/cases/{case.reference}/").json()["customer"]["email"] == customer.email
    assert api_for(agent).get(f"/api/v1/cases/{case.reference}/").json()["customer"]["email"] != customer.email
