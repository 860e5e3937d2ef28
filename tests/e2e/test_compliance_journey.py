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

    cora = open_session()
    cora.login("cora")
    cora.page.goto(cora.url("/compliance/"))
    cora.page.get_by_role("link", name=case.reference).click()
    cora.page.locator("select[name=reason]").select_option(label="No error found")
    cora.page.locator("textarea[name=note]").fill("Card was present; merchant receipt attached.")
    cora.page.get_by_role("button", name="Sign off").click()
    expect(cora.page.locator("#messages")).to_contain_text("Decision recorded.")
    expect(cora.page.locator(".badge").first).to_have_text("Signed off")
    cora.shot("flag-02-reviewer-signed-off")

    # The case still cannot close while the investigation obligation is open; the page says why.
    agent.page.reload()
    agent.page.locator("select[name=to_status]").select_option("resolved")
    agent.page.get_by_role("button", name="Change status").click()
    expect(agent.page.locator("#case-main")).to_contain_text(re.compile(r"obligation .Reg E: investigate"))
    assert Obligation.objects.filter(satisfied_at__isnull=True).count() == 1
    assert not agent.js_errors and not cora.js_errors
