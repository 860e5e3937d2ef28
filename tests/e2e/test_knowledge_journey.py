"""In a browser: a lead publishes a scam SOP, compliance approves it, an agent reads and
acknowledges it on a scam case, and only then does routing give that agent scam cases."""

from __future__ import annotations

from datetime import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import RoutingTrigger
from cases.routing import route_case
from compliance.models import RegulatoryFlag
from knowledge.models import Acknowledgement, Document
from people.models import Shift, User
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def reviewer(desk):
    return User.objects.create_user(
        "cora", password=PASSWORD, first_name="Cora", last_name="Comply", role="compliance",
        time_zone="America/New_York",
    )  # fmt: skip


def on_shift_all_week(user: User) -> None:
    # All day, every day, in the person's own zone.
    Shift.objects.bulk_create(
        Shift(user=user, weekday=day, starts_at=time(0), ends_at=time(23, 59, 59)) for day in range(7)
    )


def test_an_agent_is_routed_scam_cases_only_after_acknowledging_the_approved_scam_sop(desk, reviewer, open_session):
    case = desk.cases["card"]  # open, unassigned, Manila
    RegulatoryFlag.objects.create(case=case, kind="scam_fraud", facts={}, raised_by=desk.lead, raised_at=timezone.now())
    on_shift_all_week(desk.agent)

    lead = open_session()
    lead.login("dana")
    lead.page.goto(lead.url("/knowledge/new/"))
    form = lead.page.locator("#document-form")
    form.locator("select[name=kind]").select_option("sop")
    form.locator("input[name=title]").fill("Scam and fraud reports")
    form.locator("textarea[name=body]").fill(
        "1. Secure the account.\n2. Never promise recovery.\n<script>bad()</script>"
    )
    form.locator("input[name=flag_kinds][value=scam_fraud]").check()
    lead.page.get_by_role("button", name="Save draft").click()
    lead.page.get_by_role("button", name="Publish v1").click()
    expect(lead.page.locator("#messages, .flash").first).to_contain_text("Sent v1 to compliance")
    assert Document.objects.get().current_version is None

    cora = open_session()
    cora.login("cora")
    cora.page.goto(cora.url("/knowledge/review/"))
    cora.page.get_by_role("link", name="Scam and fraud reports").click()
    cora.page.locator("select[name=decision]").select_option("approved")
    cora.page.get_by_role("button", name="Record decision").click()
    expect(cora.page.locator("body")).to_contain_text("Approved and published v1.")

    # Routing now requires the SOP: the agent is passed over, and the lead reads why.
    route_case(case_id=case.pk, trigger=RoutingTrigger.UNASSIGNED)
    lead.page.goto(lead.url(f"/cases/{case.reference}/"))
    expect(lead.page.locator(".routing-decision")).to_contain_text("not trained: Scam and fraud reports v1")

    agent = open_session()
    agent.login("maria")
    agent.page.goto(agent.url(f"/cases/{case.reference}/"))
    panel = agent.page.locator("#knowledge-panel")
    expect(panel).to_contain_text("not acknowledged")
    panel.get_by_role("link", name="Scam and fraud reports").click()
    expect(agent.page.locator(".markdown")).to_contain_text("<script>bad()</script>")  # shown as text
    assert agent.page.evaluate("typeof window.bad") == "undefined"
    agent.page.get_by_role("button", name="I have read and understood v1").click()
    expect(agent.page.locator("#ack-state")).to_contain_text("You acknowledged v1.")
    assert Acknowledgement.objects.get().agent == desk.agent

    route_case(case_id=case.pk, trigger=RoutingTrigger.UNASSIGNED)
    lead.page.reload()
    decision = lead.page.locator(".routing-decision")
    expect(decision).to_contain_text("Assigned to Maria Santos")
    expect(decision.locator("tr.chosen")).to_contain_text("Maria Santos")
    lead.shot("knowledge-01-routed-after-training")
    assert not lead.js_errors and not cora.js_errors and not agent.js_errors
