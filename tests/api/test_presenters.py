"""The case list and detail are written from columns (cases.api.presenters), not through the
serializers the schema documents: both must say the same thing, mask the same PII and leave
out the same restricted information, however the list is reached."""

from __future__ import annotations

import json
import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from cases import services
from cases.access import get_case_for_user
from cases.api.serializers import CaseDetailSerializer, CaseSerializer
from cases.choices import OPEN_STATUSES
from cases.masking import customer_pii_for
from cases.models import Case, PiiReveal
from cases.selectors import case_timeline, with_running_timers
from compliance.restricted import referral_create
from people.choices import Role
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    SlaPolicyFactory,
    SlaTimerFactory,
    UserFactory,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
EMAIL, PHONE = "jane.doe@example.com", "+1 415 555 0142"
# Every form in which the customer's full PII could leak into a body.
UNMASKED = [EMAIL, "jane.doe", "555 0142", "5550142", "1961-05-17"]
# A list row shows no PII at all, not even masked.
MASKED = ["j***@example.com", "•••• 0142", "•••• 6789"]
SECRET = "Structuring: nine cash-ins of 9,900 USD in two days"

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture
def jane(db):
    return CustomerFactory(full_name="Jane Doe", email=EMAIL, phone=PHONE, date_of_birth=date(1961, 5, 17),
                           government_id_last4="6789")  # fmt: skip


@pytest.fixture
def worked_case(api_for, team, lead, agent, jane):
    """A case opened through the API (SLA timers running), with a reply, a note, an assignee
    and a lead in Manila holding a reveal of the e-mail address."""
    SlaPolicyFactory()
    lead.time_zone = "Asia/Manila"
    lead.save(update_fields=["time_zone"])
    client = api_for(agent)
    created = client.post("/api/v1/cases/", {"customer": jane.account_number, "subject": "Card declined",
                                             "body": "Declined twice.", "channel": "chat", "category": "deposits"},
                          format="json")  # fmt: skip
    reference = created.json()["reference"]
    client.post(f"/api/v1/cases/{reference}/replies/", {"body": "Checking."}, format="json")
    client.post(f"/api/v1/cases/{reference}/notes/", {"body": "Card issuer says fine."}, format="json")
    case = Case.objects.get(reference=reference)
    services.case_assign(actor=lead, case=case, assignee=agent, expected_version=None)
    PiiReveal.objects.create(viewer=lead, customer=jane, case=case, field="email", reason="Call back",
                             revealed_at=NOW, expires_at=NOW + timedelta(minutes=10))  # fmt: skip
    return Case.objects.get(pk=case.pk)


def _documented(case: Case, viewer, *, detail: bool, zone: str = "UTC") -> dict:
    """The body the documented serializers write for ``case`` as ``viewer`` sees it now, with
    times in ``zone`` (a session's own zone; token callers get UTC)."""
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        queryset = with_running_timers(Case.objects.select_related("customer", "category", "team", "assignee"))
        case = get_case_for_user(viewer, case.reference, queryset=queryset)
        now = timezone.now()
        case.customer.pii = customer_pii_for(viewer, case.customer, now=now)
        case.timers_out = [{"metric": t.metric, "due_at": t.due_at, "state": t.state(now)} for t in case.running_timers]
        if not detail:
            return json.loads(JSONRenderer().render(CaseSerializer(case).data))
        case.timeline = list(case_timeline(case=case))
        for event in case.timeline:
            if event.kind == "customer_message":
                event.author = case.customer.full_name
            else:
                event.author = str(event.actor) if event.actor_id else "System"
        return json.loads(JSONRenderer().render(CaseDetailSerializer(case).data))


@pytest.mark.parametrize("how", ["token", "session"])
def test_list_and_detail_bodies_are_what_the_documented_serializers_write(api_for, client_for, lead, worked_case, how):
    client, zone = (api_for(lead), "UTC") if how == "token" else (client_for(lead), "Asia/Manila")
    row = next(r for r in client.get("/api/v1/cases/").json()["results"] if r["reference"] == worked_case.reference)
    detail = client.get(f"/api/v1/cases/{worked_case.reference}/").json()

    assert row == _documented(worked_case, lead, detail=False, zone=zone)
    assert detail == _documented(worked_case, lead, detail=True, zone=zone)
    # What the comparison covers: an assignee, running timers, a revealed and masked fields,
    # times in the caller's zone, and every author kind on the timeline.
    assert row["assignee"] == {"username": "ana", "name": "Ana Reyes"} and row["running_timers"]
    assert detail["customer"]["email"] == EMAIL and detail["customer"]["phone"] == "•••• 0142"
    assert detail["received_at"].endswith("Z" if how == "token" else "+08:00")
    assert [e["author"] for e in detail["timeline"]][:3] == ["Jane Doe", "Ana Reyes", "Ana Reyes"]


def test_the_list_never_carries_pii_even_for_a_viewer_holding_a_reveal(api_for, lead, agent, worked_case):
    for viewer in (lead, agent):
        body = api_for(viewer).get("/api/v1/cases/").content.decode()
        assert worked_case.reference in body
        for value in UNMASKED + MASKED:
            assert value not in body, f"{value!r} in {viewer.username}'s list"
    # In the detail only the lead's revealed e-mail shows in full; the agent sees all masked.
    agent_detail = api_for(agent).get(f"/api/v1/cases/{worked_case.reference}/").content.decode()
    for value in UNMASKED:
        assert value not in agent_detail
    lead_detail = api_for(lead).get(f"/api/v1/cases/{worked_case.reference}/").content.decode()
    assert EMAIL in lead_detail and "555 0142" not in lead_detail and "1961-05-17" not in lead_detail


def test_a_referral_to_the_fiu_never_reaches_the_list_or_the_detail(api_for, agent, lead, worked_case):
    UserFactory(username="fiona", role=Role.FIU)
    referral_create(actor=agent, case=worked_case, reason=SECRET)
    for viewer in (agent, lead):
        client = api_for(viewer)
        for url in ("/api/v1/cases/", f"/api/v1/cases/{worked_case.reference}/", "/api/v1/cases/?q=Card"):
            body = client.get(url).content.decode()
            lowered = body.lower()
            assert "structuring" not in lowered and "9,900" not in body and "referral" not in lowered, url
            assert "fiu" not in lowered and "specialist team" not in lowered, url


@pytest.mark.parametrize("role_fixture", ["agent", "lead", "outsider", "auditor", "compliance_user"])
def test_the_unfiltered_list_is_the_filtersets_default_for_every_reader(
    api_for, request, role_fixture, team, other_team
):
    viewer = request.getfixturevalue(role_fixture)
    for i, status in enumerate(["new", "open", "pending_customer", "pending_internal", "resolved", "closed"]):
        for owner in (team, other_team):
            CaseFactory(team=owner, status=status, received_at=NOW - timedelta(hours=i + 1))
    client = api_for(viewer)
    open_statuses = "&".join(f"status={s}" for s in OPEN_STATUSES)
    for sort in ("", "&sort=received", "&sort=-updated", "&sort=reference"):
        plain = _walk(client, f"/api/v1/cases/?page_size=3{sort}")
        filtered = _walk(client, f"/api/v1/cases/?page_size=3&{open_statuses}{sort}")
        assert plain == filtered, sort
    expected = Case.objects.visible_to(viewer).filter(status__in=OPEN_STATUSES)
    assert sorted(plain) == sorted(expected.values_list("reference", flat=True))
    if role_fixture in ("agent", "lead", "outsider"):
        mine = team if role_fixture != "outsider" else other_team
        assert set(Case.objects.filter(reference__in=plain).values_list("team_id", flat=True)) == {mine.pk}


def test_the_unfiltered_list_refuses_an_admin_and_a_bad_sort(api_for, client_for, admin_user, agent):
    # Admins get no token; signed in, they still read no case data.
    assert client_for(admin_user).get("/api/v1/cases/").status_code == 403
    bad = api_for(agent).get("/api/v1/cases/?sort=priority")
    assert bad.status_code == 400 and "sort" in bad.json()["detail"]


def _walk(client, url: str) -> list[str]:
    seen = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [row["reference"] for row in body["results"]]
        url = body["next"]
    return seen


def test_a_timer_state_in_the_list_follows_the_clock(api_for, agent, team):
    case = CaseFactory(team=team)
    SlaTimerFactory(case=case, started_at=NOW - timedelta(hours=2), due_at=NOW - timedelta(minutes=1),
                    target_minutes=119)  # fmt: skip
    row = api_for(agent).get("/api/v1/cases/").json()["results"][0]
    assert [t["state"] for t in row["running_timers"]] == ["breached"]
