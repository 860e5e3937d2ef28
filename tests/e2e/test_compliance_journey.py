"""In a browser: an agent flags a Reg E dispute, its clock appears, another person signs it off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from compliance.models import Obligation, RegulatoryFlag
from people.models import User
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def reviewer(desk):
    return User.objects.create_user(
        "cora", password=PASSWORD, first_name="Cora", last_name="Comply", role="compliance",
        time_zone="America/New_York",
    )  # fmt: skip


def test_an_agent_flags_a_reg_e_dispute_and_a_reviewer_signs_it_off(desk, reviewer, open_session):
    case = desk.cases["withdrawal"]  # Jane Roe, US-CA
    agent = open_session()
    agent.login("maria")
    agent.page.goto(agent.url(f"/cases/{case.reference}/"))
    agent.page.get_by_role("link", name="Raise a flag…").click()
    agent.page.locator("select[name=kind]").select_option("unauthorized_transfer")
    agent.page.get_by_role("button", name="Choose").click()
    # A notice dated before the transfer is refused on its field, and nothing is written.
    form = agent.page.locator("#facts-form")
    form.locator("input[name=notice_date]").fill("2026-11-10")
    form.locator("select[name=notice_form]").select_option("written")
    form.locator("input[name=transfer_date]").fill("2026-11-16")
    form.locator("input[name=amount]").fill("250.00")
    form.locator("select[name=leg]").select_option("fiat")
    agent.page.get_by_role("button", name="Raise flag").click()
    expect(agent.page.locator("#facts-form")).to_contain_text("The notice of error cannot predate the transfer.")
    assert not RegulatoryFlag.objects.exists()

    agent.page.locator("#facts-form input[name=notice_date]").fill("2026-11-18")
    agent.page.get_by_role("button", name="Raise flag").click()
    panel = agent.page.locator("#flag-panel")
    expect(panel).to_contain_text("Reg E: investigate")
    # Ten business days from Wed 18 Nov 2026 with Thanksgiving skipped.
    expect(panel).to_contain_text("due by the end of Thu 3 Dec 2026 (US-CA)")
    agent.page.get_by_role("button", name="Submit for review").click()
    expect(agent.page.locator("#flag-panel")).to_contain_text("In review")
    timeline = agent.page.locator("#timeline")
    expect(timeline).to_contain_text("Flag raised: unauthorized transfer")
    expect(timeline).to_contain_text("Regulatory clock started: Reg E: investigate")
    expect(timeline).to_contain_text("Flag submitted for compliance review")
    agent.shot("flag-01-agent-reg-e-clock")

    # The flagger opens the flag and is told they cannot sign it off (no form that only refuses).
    agent.page.locator("#flag-panel").get_by_role("link", name="details").click()
    expect(agent.page.locator("#sign-off-blocked")).to_contain_text("Only compliance reviewers sign off")
    expect(agent.page.locator("#sign-off-form")).to_have_count(0)

    cora = open_session()
    cora.login("cora")
    cora.page.goto(cora.url("/compliance/"))
    cora.page.get_by_role("link", name=case.reference).click()
    expect(cora.page.locator("#flag-evidence")).to_contain_text(
        case.events.filter(kind="customer_message").first().body[:30]
    )
    cora.page.locator("select[name=reason]").select_option(label="No error found")
    cora.page.locator("textarea[name=note]").fill("Card was present; merchant receipt attached.")
    cora.page.get_by_role("button", name="Sign off").click()
    expect(cora.page.locator("#messages")).to_contain_text("Decision recorded.")
    expect(cora.page.locator(".badge").first).to_have_text("Signed off")
    cora.shot("flag-02-reviewer-signed-off")

    # Editing the facts afterwards voids the sign-off and sends the flag back to review.
    agent.page.goto(agent.url(f"/cases/{case.reference}/"))
    agent.page.locator("#flag-panel").get_by_role("link", name="correct facts").click()
    expect(agent.page.locator("input[name=notice_date]")).to_be_disabled()
    agent.page.locator("input[name=amount]").fill("275.00")
    agent.page.locator("textarea[name=reason]").fill("Customer sent the bank statement: 275.00")
    agent.page.get_by_role("button", name="Save the correction").click()
    expect(agent.page.locator("#messages")).to_contain_text("Flag facts corrected.")
    expect(agent.page.locator("#flag-panel")).to_contain_text("In review")
    expect(agent.page.locator("#timeline")).to_contain_text("Flag facts corrected; 1 sign-off(s) voided")
    agent.shot("flag-03-facts-corrected-sign-off-voided")

    # The case cannot close while the flag is unsigned; the page says why.
    agent.page.locator("select[name=to_status]").select_option("resolved")
    agent.page.get_by_role("button", name="Change status").click()
    expect(agent.page.locator("#case-main")).to_contain_text("flag is not signed off yet")

    cora.page.reload()
    expect(cora.page.locator("#voided-decisions")).to_contain_text("1 voided sign-off")
    cora.page.locator("select[name=reason]").select_option(label="No error found")
    cora.page.get_by_role("button", name="Sign off").click()
    expect(cora.page.locator("#messages")).to_contain_text("Decision recorded.")

    # Still blocked by the open investigation obligation, until the case worker records it met.
    agent.page.reload()
    agent.page.locator("select[name=to_status]").select_option("resolved")
    agent.page.get_by_role("button", name="Change status").click()
    expect(agent.page.locator("#case-main")).to_contain_text(re.compile(r"obligation .Reg E: investigate"))
    assert Obligation.objects.filter(satisfied_at__isnull=True).count() == 1
    agent.page.reload()
    agent.page.locator("#flag-panel input[name=note]").fill("Results letter sent: no error found")
    agent.page.locator("#flag-panel").get_by_role("button", name="Mark met").click()
    expect(agent.page.locator("#messages")).to_contain_text(
        "Reg E: investigate and determine whether an error occurred' is met"
    )
    agent.page.locator("select[name=to_status]").select_option("resolved")
    agent.page.get_by_role("button", name="Change status").click()
    expect(agent.page.locator("#case-main .badge").first).to_contain_text("Resolved")
    agent.shot("flag-04-case-resolved")
    assert not agent.js_errors and not cora.js_errors
