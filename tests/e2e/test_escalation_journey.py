"""In a browser: an agent escalates, the receiving lead sees it with its clock and answers it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from escalations.models import Escalation
from people.models import Membership, Team, User
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def fraud(desk):
    team = Team.objects.create(name="Fraud & Scam", slug="fraud-scam", kind="fraud", time_zone="America/Chicago")
    lead = User.objects.create_user(
        "frank", password=PASSWORD, first_name="Frank", last_name="Fry", role="lead", time_zone="America/Chicago"
    )
    specialist = User.objects.create_user(
        "fiona", password=PASSWORD, first_name="Fiona", last_name="Fox", role="specialist", time_zone="America/Chicago"
    )
    Membership.objects.create(user=lead, team=team)
    Membership.objects.create(user=specialist, team=team)
    return team


def test_an_agent_escalates_and_the_receiving_lead_returns_it_with_guidance(desk, fraud, open_session):
    case = desk.cases["withdrawal"]
    agent = open_session()
    agent.login("maria")
    agent.page.goto(agent.url(f"/cases/{case.reference}/"))
    agent.page.get_by_role("link", name="Escalate…").click()
    agent.page.locator("select[name=to_team]").select_option(label="Fraud & Scam")
    agent.page.locator("select[name=reason]").select_option(label="Suspected account takeover")
    agent.page.locator("textarea[name=note]").fill("2FA was reset from a new device an hour before the withdrawal.")
    agent.page.get_by_role("button", name="Escalate").click()
    expect(agent.page.locator("#messages")).to_contain_text("Escalated to Fraud & Scam.")
    panel = agent.page.locator("#escalation-panel")
    expect(panel).to_contain_text("Escalated to Fraud & Scam")
    expect(panel).to_contain_text("answer due")
    agent.shot("esc-01-agent-escalated")

    lead = open_session()
    lead.login("frank")
    lead.page.goto(lead.url("/escalations/"))
    row = lead.page.locator("table.queue tbody tr", has_text=case.reference)
    expect(row).to_contain_text("Manila L1 → Fraud & Scam")
    expect(row).to_contain_text("Critical")
    expect(row.locator(".badge.sla-ok, .badge.sla-warning")).to_contain_text("left")
    lead.shot("esc-02-lead-escalation-queue")
    row.get_by_role("link", name=case.reference).click()
    lead.page.locator("#return-form select[name=outcome]").select_option(label="Guidance given; sender can resolve")
    lead.page.locator("#return-form textarea[name=guidance]").fill("Lock the account and ask for a selfie check.")
    lead.page.get_by_role("button", name="Return").click()
    expect(lead.page.locator("#messages")).to_contain_text("Returned to the sender")
    lead.shot("esc-03-lead-returned")

    agent.page.reload()
    expect(agent.page.locator("#timeline")).to_contain_text("Escalation returned to Manila L1")
    expect(agent.page.locator("#timeline")).to_contain_text("Lock the account and ask for a selfie check.")
    agent.shot("esc-04-agent-sees-return")
    assert Escalation.objects.get().status == "returned"
    assert not agent.js_errors and not lead.js_errors


def test_a_specialist_accepts_and_the_case_moves_to_their_team(desk, fraud, open_session):
    case = desk.cases["card"]
    agent = open_session()
    agent.login("maria")
    agent.page.goto(agent.url(f"/escalations/new/{case.reference}/"))
    agent.page.locator("select[name=to_team]").select_option(label="Fraud & Scam")
    agent.page.locator("select[name=reason]").select_option(label="Customer reports a scam or fraud")
    agent.page.get_by_role("button", name="Escalate").click()
    expect(agent.page.locator("#messages")).to_contain_text("Escalated to Fraud & Scam.")

    specialist = open_session()
    specialist.login("fiona")
    specialist.page.goto(specialist.url("/escalations/"))
    specialist.page.get_by_role("link", name=case.reference).click()
    specialist.page.get_by_role("button", name="Accept").click()
    expect(specialist.page.locator("#messages")).to_contain_text("Accepted")
    specialist.page.get_by_role("link", name=case.reference).first.click()
    expect(specialist.page.locator(".case-header")).to_contain_text("Fraud & Scam")
    expect(specialist.page.locator(".case-header")).to_contain_text("assigned to Fiona Fox")
    expect(specialist.page.locator("#timeline")).to_contain_text("Moved: Manila L1 → Fraud & Scam")
    specialist.shot("esc-05-specialist-accepted")
