"""PII in a real Chromium under the Content-Security-Policy: an agent sees a customer's details
masked, reveals the e-mail with a reason (htmx), sees it, and their lead finds the reveal."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from cases.models import PiiReveal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Customer asked to confirm the e-mail on file"


def test_agent_reveals_an_email_with_a_reason_and_the_lead_sees_it(desk, open_session):
    case = desk.cases["withdrawal"]
    csp_violations: list[str] = []

    agent = open_session()
    page = agent.page
    page.on("console", lambda msg: csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    agent.login("maria")
    page.goto(agent.url(f"/cases/{case.reference}/"))
    email = page.locator('#pii-facts dd[data-pii="email"]')
    expect(email).to_contain_text("j***@example.com")
    expect(page.locator("#pii-facts")).not_to_contain_text("jane.roe@example.com")
    expect(page.locator('#pii-facts dd[data-pii="phone"]')).to_contain_text("•••• 0142")
    agent.mark_document()

    # Asking without a reason is refused in place and shows nothing.
    email.locator("summary").click()
    email.get_by_role("button", name="Show for 10 minutes").click()
    expect(page.locator('#pii-facts dd[data-pii="email"] .errors')).to_contain_text("Say why you need to see")
    expect(page.locator("#pii-facts")).not_to_contain_text("jane.roe@example.com")

    email = page.locator('#pii-facts dd[data-pii="email"]')
    email.get_by_label("Reason for seeing the e-mail").fill(REASON)
    email.get_by_role("button", name="Show for 10 minutes").click()
    expect(page.locator('#pii-facts dd[data-pii="email"]')).to_contain_text("jane.roe@example.com")
    expect(page.locator('#pii-facts dd[data-pii="email"]')).to_contain_text("shown until")
    expect(page.locator('#pii-facts dd[data-pii="phone"]')).to_contain_text("•••• 0142")
    assert agent.same_document(), "the reveal should swap in place, not reload the page"
    agent.shot("pii-01-agent-revealed-email")
    assert agent.js_errors == [] and agent.static_failures == []
    assert csp_violations == [], csp_violations

    reveal = PiiReveal.objects.get()
    assert (reveal.viewer, reveal.field, reveal.reason, reveal.case_id) == (desk.agent, "email", REASON, case.pk)
    assert AuditEvent.objects.filter(action="pii.reveal", actor=desk.agent).count() == 1

    lead = open_session()
    lead.login("dana")
    lead.page.goto(lead.url("/customers/reveals/"))
    row = lead.page.locator("tr.reveal-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Maria Santos")
    expect(row).to_contain_text("E-mail")
    expect(row).to_contain_text(REASON)
    expect(row).to_contain_text(case.reference)
    lead.shot("pii-02-lead-sees-reveal")
