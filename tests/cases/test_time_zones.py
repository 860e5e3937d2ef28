"""Times are stored in UTC, shown in the viewer's own zone, and the receipt time never moves."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from cases.choices import EventKind, Priority, Status
from cases.services import (
    case_add_message,
    case_assign,
    case_change_status,
    case_close_expired_resolved,
    case_update_properties,
)
from people.choices import Role
from tests.factories import CaseEventFactory, CaseFactory, CategoryFactory, UserFactory

RECEIVED = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Asia/Manila", "Sun 1 Mar 2026, 10:00"),
        ("America/Los_Angeles", "Sat 28 Feb 2026, 18:00"),
        ("Australia/Sydney", "Sun 1 Mar 2026, 13:00"),
        ("UTC", "Sun 1 Mar 2026, 02:00"),
    ],
)
def test_it_shows_the_receipt_time_in_the_viewers_time_zone(client_for, team, zone, shown):
    case = CaseFactory(team=team, received_at=RECEIVED)
    viewer = UserFactory(role=Role.AGENT, teams=[team], time_zone=zone)

    html = client_for(viewer).get(f"/cases/{case.reference}/").content.decode()

    assert re.search(r'Received <time datetime="[^"]+">([^<]+)</time>', html).group(1) == shown
    assert f"times in {zone}" in html


def test_it_shows_timeline_and_queue_times_in_the_viewers_time_zone(client_for, team):
    case = CaseFactory(team=team, received_at=RECEIVED)
    CaseEventFactory(case=case, kind=EventKind.CUSTOMER_MESSAGE, created_at=RECEIVED)
    viewer = UserFactory(role=Role.LEAD, teams=[team], time_zone="Asia/Manila")
    client = client_for(viewer)

    assert ">Sun 1 Mar, 10:00</time>" in client.get(f"/cases/{case.reference}/").content.decode()
    assert ">Mar 1, 10:00</time>" in client.get("/cases/").content.decode()


def test_it_falls_back_to_utc_for_a_zone_it_does_not_know(client_for, team):
    case = CaseFactory(team=team, received_at=RECEIVED)
    viewer = UserFactory(role=Role.AGENT, teams=[team], time_zone="Mars/Olympus_Mons")

    response = client_for(viewer).get(f"/cases/{case.reference}/")

    assert response.status_code == 200
    assert ">Sun 1 Mar 2026, 02:00</time>" in response.content.decode()


def test_it_never_moves_the_receipt_time_whatever_happens_to_the_case(
    client_for, team, agent, second_agent, lead, time_machine
):
    case = CaseFactory(team=team, received_at=RECEIVED, created_at=RECEIVED + timedelta(minutes=3))

    def receipt():
        case.refresh_from_db()
        return case.received_at

    case_add_message(actor=agent, case=case, body="Looking into it.", internal=False)
    assert receipt() == RECEIVED
    time_machine.shift(timedelta(hours=5))
    case_change_status(actor=agent, case=case, to_status=Status.PENDING_CUSTOMER, expected_version=case.version)
    assert receipt() == RECEIVED
    case_assign(actor=lead, case=case, assignee=second_agent, expected_version=case.version)
    assert receipt() == RECEIVED
    case_update_properties(
        actor=agent,
        case=case,
        expected_version=case.version,
        priority=Priority.HIGH,
        category=CategoryFactory(code="p2p"),
    )
    assert receipt() == RECEIVED
    case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=case.version)
    assert receipt() == RECEIVED
    time_machine.shift(timedelta(days=2))
    case_change_status(actor=agent, case=case, to_status=Status.OPEN, expected_version=case.version)
    assert receipt() == RECEIVED
    assert case.reopen_count == 1
    case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=case.version)
    assert receipt() == RECEIVED
    time_machine.shift(timedelta(days=8))
    assert case_close_expired_resolved() == 1
    assert receipt() == RECEIVED
    assert case.status == Status.CLOSED
    assert case.created_at == RECEIVED + timedelta(minutes=3)

    html = client_for(agent).get(f"/cases/{case.reference}/").content.decode()
    assert ">Sun 1 Mar 2026, 02:00</time>" in html


def test_it_keeps_the_receipt_time_through_the_pages_actions(client_for, team, agent, lead):
    case = CaseFactory(team=team, received_at=RECEIVED)
    agent_client, lead_client = client_for(agent), client_for(lead)

    agent_client.post(f"/cases/{case.reference}/messages/", {"body": "Hello", "kind": "reply"})
    agent_client.post(f"/cases/{case.reference}/status/", {"to_status": "resolved", "version": 2})
    agent_client.post(f"/cases/{case.reference}/status/", {"to_status": "open", "version": 3})
    lead_client.post(f"/cases/{case.reference}/assign/", {"assignee": agent.pk, "version": 4})

    case.refresh_from_db()
    assert (case.version, case.reopen_count, case.assignee) == (5, 1, agent)
    assert case.received_at == RECEIVED
