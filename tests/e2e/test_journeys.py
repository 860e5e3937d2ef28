"""The desk's main journeys in a real Chromium against the live server: login, queues, htmx case work,
triage, stale-form conflicts and team isolation. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from cases.choices import EventKind, Status
from cases.models import CaseEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def queue_time(value, zone: str) -> str:
    """How the queue prints a time ("M j, H:i") for a viewer in ``zone``."""
    local = value.astimezone(ZoneInfo(zone))
    return f"{local:%b} {local.day}, {local:%H:%M}"


def references(session) -> list[str]:
    return session.page.locator("#queue-table tbody td.ref").all_inner_texts()


def assert_clean(session) -> None:
    assert session.js_errors == [], session.js_errors
    assert session.static_failures == [], session.static_failures


def test_agent_works_a_case_from_my_cases(desk, open_session):
    s = open_session()
    page = s.page
    case = desk.cases["withdrawal"]

    s.login("maria")
    expect(page).to_have_url(s.url("/cases/mine/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My cases")
    # Static files are served and htmx is running, or nothing below would be partial.
    assert page.evaluate("typeof window.htmx === 'object' && typeof htmx.version === 'string'")
    expect(page.locator(".whoami")).to_contain_text("Maria Santos · Agent · Asia/Manila")
    assert references(s) == [case.reference]
    expect(page.locator("#queue-table tbody tr").first).to_contain_text(queue_time(case.received_at, "Asia/Manila"))
    s.shot("01-agent-my-cases")

    page.get_by_role("link", name="Team queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Team queue")
    # Open work of the team, newest first; the resolved case and the other team's are not listed.
    open_refs = [desk.cases[k].reference for k in ("withdrawal", "card", "deposit", "tax", "staking")]
    assert references(s) == open_refs
    expect(page.locator("body")).not_to_contain_text(desk.cases["bogota"].reference)
    # An agent does not triage: no selection boxes, no bulk bar.
    expect(page.locator("input[name=cases]")).to_have_count(0)
    s.shot("02-agent-team-queue")

    page.get_by_role("link", name=case.reference).click()
    expect(page.locator(".case-header h1")).to_have_text(case.subject)
    # PII is masked for the offshore agent: recognisable, not usable.
    expect(page.locator(".facts")).to_contain_text("j***@example.com")
    expect(page.locator(".facts")).to_contain_text("•••• 0142")
    assert "jane.roe@example.com" not in page.content()
    s.shot("03-agent-case-opened")

    s.mark_document()
    page.get_by_label("Reply or note").fill("We have escalated the withdrawal; expect an update within 24 hours.")
    page.get_by_role("button", name="Send public reply").click()
    expect(page.locator("#messages")).to_contain_text("Reply sent to the customer.")
    page.get_by_label("Reply or note").fill("Checked the ledger: funds are in the hot-wallet queue.")
    page.get_by_role("button", name="Add internal note").click()
    expect(page.locator("#messages")).to_contain_text("Internal note added.")
    assert s.same_document(), "posting a message reloaded the page instead of swapping the case"

    events = page.locator("#timeline > li")
    reply = page.locator("#timeline > li.event-reply")
    note = page.locator("#timeline > li.event-note")
    expect(reply).to_have_count(1)
    expect(note).to_have_count(1)
    expect(reply).to_contain_text("We have escalated the withdrawal")
    expect(note).to_contain_text("hot-wallet queue")
    # Oldest first, newest last: the note, then before it the reply and the new -> open it caused.
    expect(events.last).to_have_class(re.compile(r"\bevent-note\b"))
    kinds = [c.split()[1] for c in events.evaluate_all("els => els.map(e => e.className)")]
    # No SLA policy exists in this journey, so intake says on the timeline that no clock runs.
    assert kinds == [
        "event-customer_message",
        "event-sla",
        "event-assignment",
        "event-reply",
        "event-status",
        "event-note",
    ]
    # A note must never look like something the customer saw.
    style = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.borderLeftColor]; }"
    assert reply.evaluate(style) != note.evaluate(style)
    expect(page.get_by_label("Reply or note")).to_have_value("")
    s.shot("04-agent-reply-and-note")

    page.locator("select[name=to_status]").select_option(label="Pending customer")
    page.get_by_placeholder("Reason (optional)").fill("Asked for the destination wallet address.")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".case-header .badge.status-pending_customer")).to_have_text("Pending customer")
    expect(events.last).to_have_class(re.compile(r"\bevent-status\b"))
    expect(events.last).to_contain_text("Asked for the destination wallet address.")
    assert s.same_document()
    s.shot("05-agent-status-pending-customer")

    fresh = desk.fresh("withdrawal")
    assert fresh.status == Status.PENDING_CUSTOMER
    assert fresh.first_response_at is not None
    stored = list(CaseEvent.objects.filter(case=fresh).values_list("kind", "actor_id"))
    assert stored == [
        (EventKind.CUSTOMER_MESSAGE, None),
        (EventKind.SLA, None),
        (EventKind.ASSIGNMENT, desk.lead.pk),
        (EventKind.REPLY, desk.agent.pk),
        (EventKind.STATUS, desk.agent.pk),
        (EventKind.NOTE, desk.agent.pk),
        (EventKind.STATUS, desk.agent.pk),
    ]
    assert_clean(s)


def test_lead_triages_filters_sorts_bulk_assigns_and_reassigns(desk, open_session):
    s = open_session()
    page = s.page
    ref = {key: case.reference for key, case in desk.cases.items()}

    s.login("dana")
    expect(page).to_have_url(s.url("/cases/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage queue")
    expect(page.locator(".whoami")).to_contain_text("Dana Brooks · CS lead · America/New_York")
    assert references(s) == [ref[k] for k in ("withdrawal", "card", "deposit", "tax", "staking")]
    card_row = page.locator("#queue-table tbody tr", has_text=ref["card"])
    expect(card_row).to_contain_text(queue_time(desk.cases["card"].received_at, "America/New_York"))
    s.shot("06-lead-triage-queue")

    # Filters apply in place (htmx) and land in the address bar, so the view can be shared.
    s.mark_document()
    page.get_by_label("Search").fill("jane.roe@example.com")
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#queue-table tbody td.ref")).to_have_text([ref["withdrawal"], ref["tax"]])
    expect(page).to_have_url(re.compile(r"q=jane\.roe%40example\.com"))
    page.get_by_label("Search").fill("")
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#queue-table tbody tr")).to_have_count(5)
    page.get_by_role("checkbox", name="Pending customer").uncheck()
    expect(page.locator("#queue-table tbody td.ref")).to_have_text(
        [ref[k] for k in ("withdrawal", "card", "deposit", "staking")]
    )
    page.locator("select[name=priority]").select_option(["high", "urgent"])
    expect(page.locator("#queue-table tbody td.ref")).to_have_text([ref[k] for k in ("withdrawal", "card", "staking")])
    expect(page.locator("#queue-table .meta").first).to_have_text("3 cases")
    assert s.same_document(), "filtering reloaded the page instead of swapping the table"
    s.shot("07-lead-filtered-status-priority")

    # Sorting keeps the filters; the first click on Priority puts urgent first, the second reverses.
    priority_header = page.locator("#queue-table thead").get_by_role("link", name="Priority")
    priority_header.click()
    expect(page.locator("#queue-table thead")).to_contain_text("Priority ▼")
    expect(page.locator("#queue-table tbody td.ref")).to_have_text([ref[k] for k in ("card", "withdrawal", "staking")])
    priority_header.click()
    expect(page.locator("#queue-table thead")).to_contain_text("Priority ▲")
    expect(page.locator("#queue-table tbody td.ref")).to_have_text([ref[k] for k in ("withdrawal", "staking", "card")])
    priority_header.click()
    expect(page.locator("#queue-table thead")).to_contain_text("Priority ▼")
    expect(page.locator("#queue-table tbody td.ref")).to_have_text([ref[k] for k in ("card", "withdrawal", "staking")])
    expect(page.get_by_role("checkbox", name="Pending customer")).not_to_be_checked()
    s.shot("08-lead-sorted-by-priority")

    page.get_by_role("checkbox", name=f"Select {ref['card']}").check()
    page.get_by_role("checkbox", name=f"Select {ref['staking']}").check()
    bulk = page.locator(".bulkbar")
    bulk.locator("select[name=action]").select_option("assign")
    bulk.locator("select[name=assignee]").select_option(label="Maria Santos")
    bulk.get_by_role("button", name="Apply to selected").click()
    expect(page.locator("#messages")).to_contain_text("Updated 2 of 2 selected cases.")
    # Back on the same filtered, sorted view.
    expect(page.locator("#queue-table tbody td.ref")).to_have_text([ref[k] for k in ("card", "withdrawal", "staking")])
    expect(page.locator("#queue-table tbody tr", has_text=ref["staking"])).to_contain_text("Maria Santos")
    assert desk.fresh("card").assignee == desk.agent
    assert desk.fresh("staking").assignee == desk.agent
    s.shot("09-lead-bulk-assigned")

    page.get_by_role("link", name=ref["staking"]).click()
    expect(page.locator(".case-header")).to_contain_text("assigned to Maria Santos")
    s.mark_document()
    page.locator("select[name=assignee]").select_option(label="Paolo Reyes")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("#messages")).to_contain_text("Assignment saved.")
    expect(page.locator(".case-header")).to_contain_text("assigned to Paolo Reyes")
    expect(page.locator("#timeline > li.event-assignment").last).to_contain_text("Maria Santos → Paolo Reyes")
    assert s.same_document()
    staking = desk.fresh("staking")
    assert staking.assignee == desk.second_agent
    assert AuditEvent.objects.filter(action="case.assign", object_id=staking.reference, actor=desk.lead).count() == 2
    s.shot("10-lead-reassigned")

    page.locator(".case-side").get_by_role("link", name="Aroha Ngata").click()
    expect(page).to_have_url(s.url("/customers/ACC-1000003/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Aroha Ngata")
    expect(page.locator(".facts")).to_contain_text("a***@example.net")
    assert "aroha@example.net" not in page.content()
    # All of the customer's cases the lead can see, open or not.
    expect(page.locator("table.queue tbody td.ref")).to_have_text([ref["deposit"], ref["staking"]])
    s.shot("11-lead-customer-page")
    assert_clean(s)


def test_a_stale_status_form_gets_a_conflict_and_overwrites_nothing(desk, open_session):
    case = desk.cases["deposit"]
    agent, lead = open_session(), open_session()
    agent.login("maria")
    lead.login("dana")
    agent.page.goto(agent.url(f"/cases/{case.reference}/"))
    lead.page.goto(lead.url(f"/cases/{case.reference}/"))
    expect(lead.page.locator(".case-header")).to_contain_text("version 1")

    agent.page.locator("select[name=to_status]").select_option(label="Pending internal")
    agent.page.get_by_role("button", name="Change status").click()
    expect(agent.page.locator(".case-header .badge.status-pending_internal")).to_be_visible()
    agent.shot("12-conflict-first-editor-saved")

    # The lead's page still shows version 1 and "New"; the choice is valid in both states.
    lead.mark_document()
    lead.page.locator("select[name=to_status]").select_option(label="Resolved")
    lead.page.get_by_placeholder("Reason (optional)").fill("Duplicate of another case.")
    with lead.page.expect_response(re.compile(r"/status/$")) as answer:
        lead.page.get_by_role("button", name="Change status").click()
    assert answer.value.status == 409
    conflict = lead.page.locator(".conflict")
    expect(conflict).to_contain_text("changed by someone else")
    expect(conflict).to_contain_text("you had version 1, it is now 2")
    # The fresh state replaces the stale one in place.
    expect(lead.page.locator(".case-header .badge.status-pending_internal")).to_have_text("Pending internal")
    expect(lead.page.locator(".case-header")).to_contain_text("version 2")
    expect(lead.page.locator("#timeline > li.event-status")).to_contain_text(
        re.compile(r"Maria Santos.*Pending internal", re.S)
    )
    assert lead.same_document()
    lead.shot("13-conflict-stale-editor-refused")

    fresh = desk.fresh("deposit")
    assert (fresh.status, fresh.version, fresh.resolved_at) == (Status.PENDING_INTERNAL, 2, None)
    changes = list(CaseEvent.objects.filter(case=fresh, kind=EventKind.STATUS).values_list("actor_id", "data"))
    assert changes == [(desk.agent.pk, {"from": "new", "to": "pending_internal"})]
    audited = AuditEvent.objects.filter(object_id=case.reference, action="case.status")
    assert list(audited.values_list("actor_id", flat=True)) == [desk.agent.pk]

    # The refreshed form carries the new version, so a deliberate retry goes through.
    lead.page.locator("select[name=to_status]").select_option(label="Resolved")
    lead.page.get_by_role("button", name="Change status").click()
    expect(lead.page.locator(".case-header .badge.status-resolved")).to_have_text("Resolved")
    expect(lead.page.locator(".conflict")).to_have_count(0)
    assert desk.fresh("deposit").status == Status.RESOLVED
    lead.shot("14-conflict-retry-on-fresh-state")
    assert_clean(agent)
    assert_clean(lead)


def test_an_agent_of_another_team_gets_not_found(desk, open_session):
    s = open_session()
    case = desk.cases["withdrawal"]
    s.login("luis")
    expect(s.page.get_by_role("heading", level=1)).to_have_text("My cases")
    s.page.get_by_role("link", name="Team queue").click()
    expect(s.page.get_by_role("heading", level=1)).to_have_text("Team queue")
    assert references(s) == [desk.cases["bogota"].reference]

    response = s.page.goto(s.url(f"/cases/{case.reference}/"))
    assert response.status == 404
    expect(s.page.get_by_role("heading", level=1)).to_have_text("Not found")
    assert case.subject not in s.page.content()
    s.shot("15-outsider-case-not-found")
    # The customer is not disclosed either: they have no case in this agent's team.
    response = s.page.goto(s.url(f"/customers/{desk.jane.account_number}/"))
    assert response.status == 404
    assert "Jane Roe" not in s.page.content()
    assert_clean(s)
