"""The case page, its actions, bulk actions and the customer page, as a user meets them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from audit.models import AuditEvent
from cases import registry
from cases.choices import EventKind, Priority, Status
from cases.models import Case, CaseEvent
from cases.services import case_add_message, case_change_status
from people.choices import Role
from tests.factories import CaseEventFactory, CaseFactory, CategoryFactory, CustomerFactory, UserFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def _event_item(html: str, event: CaseEvent) -> str:
    """The timeline entry of one event, as rendered."""
    match = re.search(rf'<li class="event event-[a-z_]+" id="event-{event.pk}">.*?</li>', html, re.S)
    assert match, f"event {event.pk} is not on the page"
    return match.group(0)


def _nothing_written(case) -> None:
    case.refresh_from_db()
    assert case.version == 1
    assert not CaseEvent.objects.filter(case=case).exists()
    assert not AuditEvent.objects.exists()


@pytest.fixture
def agent_client(client_for, agent):
    return client_for(agent)


@pytest.fixture
def lead_client(client_for, lead):
    return client_for(lead)


# --- the case page -----------------------------------------------------------------------


def test_it_shows_the_timeline_oldest_first_and_newest_last(agent_client, case, agent):
    start = case.received_at
    # Written out of order on purpose: the page orders by time, not by insertion.
    note = CaseEventFactory(
        case=case,
        kind=EventKind.NOTE,
        actor=agent,
        body="Looks like an address-poisoning scam.",
        created_at=start + timedelta(hours=2),
    )
    message = CaseEventFactory(
        case=case, kind=EventKind.CUSTOMER_MESSAGE, body="My 0.5 BTC never arrived.", created_at=start
    )
    status = CaseEventFactory(
        case=case,
        kind=EventKind.STATUS,
        actor=agent,
        body="",
        data={"from": "open", "to": "pending_customer"},
        created_at=start + timedelta(hours=3),
    )
    reply = CaseEventFactory(
        case=case,
        kind=EventKind.REPLY,
        actor=agent,
        body="We are checking the transfer.",
        created_at=start + timedelta(hours=1),
    )

    html = agent_client.get(f"/cases/{case.reference}/").content.decode()

    positions = [html.index(f'id="event-{event.pk}"') for event in (message, reply, note, status)]
    assert positions == sorted(positions)
    assert "Status: Open → <strong>Pending customer</strong>" in _event_item(html, status)


def test_it_sets_replies_and_internal_notes_visibly_apart(agent_client, case, agent):
    reply = CaseEventFactory(case=case, kind=EventKind.REPLY, actor=agent, body="We are checking the transfer.")
    note = CaseEventFactory(case=case, kind=EventKind.NOTE, actor=agent, body="Customer may be a scam victim.")

    html = agent_client.get(f"/cases/{case.reference}/").content.decode()

    reply_item, note_item = _event_item(html, reply), _event_item(html, note)
    assert reply_item.startswith('<li class="event event-reply"')
    assert "Public reply" in reply_item
    assert "We are checking the transfer." in reply_item
    assert note_item.startswith('<li class="event event-note"')
    assert "Internal note" in note_item
    assert "Customer may be a scam victim." in note_item
    assert "Ana Reyes" in note_item


def test_it_masks_the_customers_personal_data(agent_client, team):
    customer = CustomerFactory(
        full_name="Jane Doe",
        email="jane.doe@example.com",
        phone="+1 415 555 0142",
        date_of_birth=datetime(1961, 5, 17).date(),
    )
    case = CaseFactory(team=team, customer=customer)

    html = agent_client.get(f"/cases/{case.reference}/").content.decode()

    assert "j***@example.com" in html
    assert "•••• 0142" in html
    assert '<dd data-pii="date_of_birth">\n    <span class="masked">1961</span>' in html
    assert "jane.doe@example.com" not in html
    assert "555 0142" not in html
    assert "1961-05-17" not in html
    assert "May 17" not in html


def test_it_shows_the_customers_own_words_under_their_name(agent_client, case):
    message = CaseEventFactory(case=case, kind=EventKind.CUSTOMER_MESSAGE, body="Help please")

    html = agent_client.get(f"/cases/{case.reference}/").content.decode()

    assert case.customer.full_name in _event_item(html, message)


def test_it_offers_a_reader_no_forms(client_for, case, auditor):
    html = client_for(auditor).get(f"/cases/{case.reference}/").content.decode()

    assert "You can read this case; your role does not change it." in html
    assert "Send public reply" not in html
    assert "Change status" not in html
    assert "Save properties" not in html


def test_it_offers_assignment_to_a_lead_only(agent_client, lead_client, case):
    assert f'action="/cases/{case.reference}/assign/"' in lead_client.get(f"/cases/{case.reference}/").content.decode()
    assert "/assign/" not in agent_client.get(f"/cases/{case.reference}/").content.decode()


def test_it_offers_only_the_statuses_the_case_may_move_to(agent_client, team):
    case = CaseFactory(team=team, status=Status.RESOLVED)

    html = agent_client.get(f"/cases/{case.reference}/").content.decode()

    offered = re.findall(r'<option value="([a-z_]+)"', html.split('name="to_status"')[1].split("</select>")[0])
    assert offered == ["open", "closed"]


def test_it_says_a_closed_case_cannot_change_status(agent_client, team):
    case = CaseFactory(team=team, status=Status.CLOSED)

    html = agent_client.get(f"/cases/{case.reference}/").content.decode()

    assert "A closed case cannot change status." in html


# --- replies and notes -------------------------------------------------------------------


def test_it_sends_a_reply_and_returns_to_the_case(agent_client, case):
    response = agent_client.post(
        f"/cases/{case.reference}/messages/", {"body": "We found your transfer.", "kind": "reply"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.reference}/"
    reply = CaseEvent.objects.get(case=case, kind=EventKind.REPLY)
    assert reply.body == "We found your transfer."
    page = agent_client.get(response["Location"]).content.decode()
    assert "Reply sent to the customer." in page
    assert "We found your transfer." in _event_item(page, reply)
    assert "first response" in page
    assert '<span class="badge status-open">Open</span>' in page


@pytest.mark.parametrize("data", [{"kind": "note"}, {"internal": "on"}])
def test_it_adds_an_internal_note(agent_client, case, data):
    response = agent_client.post(
        f"/cases/{case.reference}/messages/", {"body": "Check the wallet history.", **data}, follow=True
    )

    note = CaseEvent.objects.get(case=case, kind=EventKind.NOTE)
    html = response.content.decode()
    assert "Internal note added." in html
    assert _event_item(html, note).startswith('<li class="event event-note"')
    case.refresh_from_db()
    assert (case.status, case.first_response_at) == (Status.NEW, None)


def test_it_answers_an_htmx_reply_with_the_refreshed_case(agent_client, case):
    response = agent_client.post(
        f"/cases/{case.reference}/messages/",
        {"body": "Your withdrawal is on its way.", "kind": "reply"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    reply = CaseEvent.objects.get(case=case, kind=EventKind.REPLY)
    assert response.status_code == 200
    assert "<html" not in html
    assert "Your withdrawal is on its way." in _event_item(html, reply)
    assert 'hx-swap-oob="true"' in html
    assert "Reply sent to the customer." in html


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_it_refuses_an_empty_reply(agent_client, case, body):
    response = agent_client.post(f"/cases/{case.reference}/messages/", {"body": body, "kind": "reply"})

    assert response.status_code == 400
    assert "Write something before sending." in response.content.decode()
    _nothing_written(case)


def test_it_refuses_a_reply_on_a_closed_case(agent_client, team):
    case = CaseFactory(team=team, status=Status.CLOSED)

    response = agent_client.post(f"/cases/{case.reference}/messages/", {"body": "Any news?", "kind": "reply"})

    assert response.status_code == 400
    assert "This case is closed; open a new case for a follow-up." in response.content.decode()
    _nothing_written(case)


def test_it_keeps_a_refused_message_in_the_form(agent_client, team):
    case = CaseFactory(team=team, status=Status.CLOSED)

    response = agent_client.post(f"/cases/{case.reference}/messages/", {"body": "Draft worth keeping", "kind": "reply"})

    assert "Draft worth keeping</textarea>" in response.content.decode()


def test_it_refuses_get_on_an_action(agent_client, case):
    assert agent_client.get(f"/cases/{case.reference}/messages/").status_code == 405


# --- status ------------------------------------------------------------------------------


def test_it_changes_the_status(agent_client, case):
    response = agent_client.post(
        f"/cases/{case.reference}/status/", {"to_status": "pending_customer", "version": 1, "reason": "Asked for TXID"}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.PENDING_CUSTOMER
    page = agent_client.get(response["Location"]).content.decode()
    assert "Status changed." in page
    assert "Status: New → <strong>Pending customer</strong> — Asked for TXID" in page


def test_it_answers_an_htmx_status_change_with_the_refreshed_case(agent_client, case):
    response = agent_client.post(
        f"/cases/{case.reference}/status/", {"to_status": "resolved", "version": 1}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="badge status-resolved">Resolved</span>' in html
    assert 'name="version" value="2"' in html


def test_it_refuses_a_status_change_from_a_stale_page_with_a_conflict(agent_client, case, second_agent):
    case_add_message(actor=second_agent, case=case, body="Meanwhile, a note.", internal=True)

    response = agent_client.post(f"/cases/{case.reference}/status/", {"to_status": "pending_customer", "version": 1})

    assert response.status_code == 409
    html = response.content.decode()
    assert "Conflict." in html
    assert "This case was changed by someone else while you were editing (you had version 1, it is now 2)." in html
    assert 'name="version" value="2"' in html
    case.refresh_from_db()
    assert (case.status, case.version) == (Status.NEW, 2)
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.STATUS).exists()
    assert AuditEvent.objects.filter(action="case.status").count() == 0


def test_it_keeps_the_editors_choice_on_a_conflict_ready_for_a_deliberate_retry(agent_client, case, second_agent):
    case_add_message(actor=second_agent, case=case, body="Meanwhile, a note.", internal=True)

    conflict = agent_client.post(
        f"/cases/{case.reference}/status/", {"to_status": "pending_customer", "version": 1, "reason": "Asked for TXID"}
    )

    html = conflict.content.decode()
    assert '<option value="pending_customer" selected>' in html
    assert 'value="Asked for TXID"' in html
    retry = agent_client.post(
        f"/cases/{case.reference}/status/", {"to_status": "pending_customer", "version": 2, "reason": "Asked for TXID"}
    )
    assert retry.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.PENDING_CUSTOMER


def test_it_reports_a_conflict_when_the_status_moved_on_under_the_form(agent_client, case, second_agent):
    case_change_status(actor=second_agent, case=case, to_status=Status.OPEN, expected_version=1)

    # The form was loaded when "open" was still a choice; now the case is open already.
    response = agent_client.post(f"/cases/{case.reference}/status/", {"to_status": "open", "version": 1})

    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    case.refresh_from_db()
    assert case.version == 2


def test_it_refuses_a_transition_outside_the_table(agent_client, case):
    response = agent_client.post(f"/cases/{case.reference}/status/", {"to_status": "closed", "version": 1})

    assert response.status_code == 400
    assert "Select a valid choice. closed is not one of the available choices." in response.content.decode()
    _nothing_written(case)


def test_it_refuses_to_resolve_while_a_close_check_objects(agent_client, case, monkeypatch):
    monkeypatch.setattr(registry, "close_checks", [lambda case, target: "a compliance flag awaits sign-off."])

    response = agent_client.post(f"/cases/{case.reference}/status/", {"to_status": "resolved", "version": 1})

    assert response.status_code == 409
    assert f"{case.reference}: a compliance flag awaits sign-off." in response.content.decode()
    _nothing_written(case)


def test_it_refuses_to_reopen_after_the_window(agent_client, team, time_machine):
    case = CaseFactory(team=team, status=Status.RESOLVED)
    time_machine.shift(timedelta(days=8))

    response = agent_client.post(f"/cases/{case.reference}/status/", {"to_status": "open", "version": 1})

    assert response.status_code == 409
    assert "the reopen window (7 days) has passed; open a new case instead." in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


# --- assignment and properties -----------------------------------------------------------


def test_it_lets_a_lead_assign_from_the_case_page(lead_client, case, agent):
    response = lead_client.post(f"/cases/{case.reference}/assign/", {"assignee": agent.pk, "version": 1}, follow=True)

    html = response.content.decode()
    assert "Assignment saved." in html
    assert "assigned to <strong>Ana Reyes</strong>" in html
    assert "Assigned: nobody → <strong>Ana Reyes</strong>" in html
    case.refresh_from_db()
    assert case.assignee == agent


def test_it_refuses_to_assign_to_someone_outside_the_team(lead_client, case, outsider):
    response = lead_client.post(f"/cases/{case.reference}/assign/", {"assignee": outsider.pk, "version": 1})

    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    _nothing_written(case)


def test_it_refuses_an_assignment_from_a_stale_page(lead_client, case, agent, second_agent):
    case_add_message(actor=second_agent, case=case, body="Taking this", internal=True)

    response = lead_client.post(f"/cases/{case.reference}/assign/", {"assignee": agent.pk, "version": 1})

    assert response.status_code == 409
    case.refresh_from_db()
    assert case.assignee is None


def test_it_changes_priority_and_category(agent_client, case):
    kyc = CategoryFactory(code="kyc")

    response = agent_client.post(
        f"/cases/{case.reference}/properties/", {"priority": "urgent", "category": kyc.pk, "version": 1}, follow=True
    )

    html = response.content.decode()
    assert "Properties saved." in html
    assert "Priority: normal → <strong>urgent</strong>" in html
    assert "Category: Withdrawals → <strong>KYC / ID verification</strong>" in html
    case.refresh_from_db()
    assert (case.priority, case.category) == (Priority.URGENT, kyc)


def test_it_refuses_an_unknown_priority(agent_client, case):
    response = agent_client.post(
        f"/cases/{case.reference}/properties/", {"priority": "panic", "category": case.category_id, "version": 1}
    )

    assert response.status_code == 400
    assert "Select a valid choice. panic is not one of the available choices." in response.content.decode()
    _nothing_written(case)


def test_it_refuses_a_property_change_from_a_stale_page(agent_client, case, second_agent):
    case_add_message(actor=second_agent, case=case, body="Edited meanwhile", internal=True)

    response = agent_client.post(
        f"/cases/{case.reference}/properties/", {"priority": "high", "category": case.category_id, "version": 1}
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert '<option value="high" selected>' in html
    assert 'name="version" value="2"' in html
    case.refresh_from_db()
    assert case.priority == Priority.NORMAL


# --- bulk actions ------------------------------------------------------------------------


def test_it_assigns_the_selected_cases_and_returns_to_the_queue(lead_client, team, agent):
    cases = [CaseFactory(team=team), CaseFactory(team=team)]

    response = lead_client.post(
        "/cases/bulk/",
        {"action": "assign", "cases": [c.pk for c in cases], "assignee": agent.pk, "next": "/cases/?priority=normal"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/cases/?priority=normal"
    assert "Updated 2 of 2 selected cases." in lead_client.get(response["Location"]).content.decode()
    assert set(Case.objects.values_list("assignee", flat=True)) == {agent.pk}


def test_it_moves_the_selected_cases_to_a_status(lead_client, team):
    cases = [CaseFactory(team=team, status=Status.OPEN), CaseFactory(team=team, status=Status.NEW)]

    response = lead_client.post(
        "/cases/bulk/", {"action": "status", "cases": [c.pk for c in cases], "to_status": "resolved"}, follow=True
    )

    assert "Updated 2 of 2 selected cases." in response.content.decode()
    assert set(Case.objects.values_list("status", flat=True)) == {Status.RESOLVED}


def test_it_changes_none_of_the_selection_when_one_case_may_not_move(lead_client, team):
    movable = CaseFactory(team=team, status=Status.OPEN)
    closed = CaseFactory(team=team, status=Status.CLOSED)

    response = lead_client.post(
        "/cases/bulk/", {"action": "status", "cases": [movable.pk, closed.pk], "to_status": "resolved"}, follow=True
    )

    html = response.content.decode()
    assert f"Nothing was changed. {closed.reference}: a case that is closed cannot become resolved." in html
    assert Case.objects.get(pk=movable.pk).status == Status.OPEN
    assert not AuditEvent.objects.exists()


def test_it_changes_none_of_the_selection_when_one_case_is_not_visible(lead_client, team, other_team, agent):
    visible = CaseFactory(team=team)
    invisible = CaseFactory(team=other_team)

    response = lead_client.post(
        "/cases/bulk/", {"action": "assign", "cases": [visible.pk, invisible.pk], "assignee": agent.pk}, follow=True
    )

    assert (
        f"cases: Select a valid choice. {invisible.pk} is not one of the available choices."
        in response.content.decode()
    )
    assert not Case.objects.filter(assignee__isnull=False).exists()
    assert not CaseEvent.objects.exists()


def test_it_asks_for_a_status_for_a_bulk_status_change(lead_client, case):
    response = lead_client.post("/cases/bulk/", {"action": "status", "cases": [case.pk]}, follow=True)

    assert "to_status: Choose the status to move the selected cases to." in response.content.decode()
    _nothing_written(case)


def test_it_asks_for_a_selection(lead_client, agent):
    response = lead_client.post("/cases/bulk/", {"action": "assign", "assignee": agent.pk}, follow=True)

    assert "cases: Select at least one case." in response.content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/phish", "javascript:alert(1)"])
def test_it_ignores_an_outside_address_to_return_to(lead_client, case, agent, target):
    response = lead_client.post(
        "/cases/bulk/", {"action": "assign", "cases": [case.pk], "assignee": agent.pk, "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == "/cases/"


def test_it_does_not_accept_a_bulk_action_by_get(lead_client):
    assert lead_client.get("/cases/bulk/").status_code == 405


# --- customer page -----------------------------------------------------------------------


def test_it_lists_only_the_customers_cases_the_viewer_may_see(client_for, team, other_team, agent, auditor):
    customer = CustomerFactory(full_name="Jane Doe", email="jane.doe@example.com", government_id_last4="6789")
    ours = CaseFactory(team=team, customer=customer)
    theirs = CaseFactory(team=other_team, customer=customer)
    someone_elses = CaseFactory(team=team)

    as_agent = client_for(agent).get(f"/customers/{customer.account_number}/")
    as_auditor = client_for(auditor).get(f"/customers/{customer.account_number}/")

    assert as_agent.status_code == 200
    agent_html = as_agent.content.decode()
    assert ours.reference in agent_html
    assert theirs.reference not in agent_html
    assert someone_elses.reference not in agent_html
    assert "Cases (1)" in agent_html
    assert "j***@example.com" in agent_html
    assert "•••• 6789" in agent_html
    assert "jane.doe@example.com" not in agent_html
    auditor_html = as_auditor.content.decode()
    assert ours.reference in auditor_html and theirs.reference in auditor_html


def test_it_hides_a_customer_with_no_case_the_viewer_may_see(client_for, other_team, agent):
    customer = CustomerFactory()
    CaseFactory(team=other_team, customer=customer)

    assert client_for(agent).get(f"/customers/{customer.account_number}/").status_code == 404


def test_it_answers_an_unknown_customer_with_404(client_for, auditor):
    assert client_for(auditor).get("/customers/AC99999999/").status_code == 404


def test_it_lets_a_specialist_work_their_own_teams_case(client_for, specialist):
    case = CaseFactory(team=specialist.teams.get())

    response = client_for(specialist).post(
        f"/cases/{case.reference}/messages/", {"body": "Fraud team here.", "kind": "reply"}
    )

    assert response.status_code == 302
    assert CaseEvent.objects.filter(case=case, kind=EventKind.REPLY, actor=specialist).exists()


def test_it_lets_an_fiu_officer_read_but_not_write(client_for, case):
    fiu = UserFactory(role=Role.FIU)
    client = client_for(fiu)

    assert client.get(f"/cases/{case.reference}/").status_code == 200
    assert client.post(f"/cases/{case.reference}/messages/", {"body": "x", "kind": "note"}).status_code == 403
