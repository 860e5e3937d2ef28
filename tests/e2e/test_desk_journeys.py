"""The four journeys a desk runs on, end to end in Chromium against the live server, with a real
Celery worker taking the tasks the pages queue (routing, dashboard facts, notifications):

1. a new case is routed to an agent on shift, who works it from My cases to resolution with a
   reply template;
2. an agent flags a Reg E dispute and escalates; the receiving lead accepts; a compliance
   reviewer signs the flag off; the lead meets the obligation, resolves and closes the case;
3. a lead filters the dashboard, drills into a figure and downloads the chart's CSV;
4. a lead refers a case to the FIU: the agent sees only the neutral state and script, never the
   reason, while the FIU officer reads it.

A failed journey leaves a screenshot of each of its browsers (see conftest.py).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import time

import pytest
from playwright.sync_api import expect

from cases import services as case_services
from cases.choices import Channel, EventKind, Status
from cases.models import Case, CaseEvent, Category, RoutingDecision
from compliance.models import FlagDecision, Referral, RegulatoryFlag
from config.celery import app
from escalations.models import Escalation
from knowledge import services as knowledge_services
from knowledge.services import Draft
from metrics.models import CaseFact
from people.models import Membership, Shift, Team, User
from tests.e2e.conftest import PASSWORD, queues_drained
from tests.integration.support import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SECRET = "Structuring: nine cash deposits of 9,900 USD in two days"


@pytest.fixture
def worker(desk, celery_worker):
    """The module's worker, with the desk's own set-up tasks (routing its cases) worked off."""
    assert queues_drained(), celery_worker.log()
    return celery_worker


@pytest.fixture
def cora(desk):
    return User.objects.create_user(
        "cora", password=PASSWORD, first_name="Cora", last_name="Comply", role="compliance",
        time_zone="America/New_York",
    )  # fmt: skip


def assert_clean(*sessions) -> None:
    for session in sessions:
        assert session.js_errors == [], session.js_errors
        assert session.static_failures == [], session.static_failures


def on_shift_all_week(user: User) -> None:
    Shift.objects.bulk_create(
        Shift(user=user, weekday=day, starts_at=time(0), ends_at=time(23, 59, 59)) for day in range(7)
    )


def test_a_new_case_is_routed_to_an_agent_who_resolves_it_with_a_reply_template(desk, cora, worker, open_session):
    category = Category.objects.get(code="withdrawals")
    draft = Draft(
        title="Withdrawal delayed",
        body="Hello {{ customer_first_name }}, your withdrawal on {{ case_reference }} is with our payments team.",
        categories=[category],
    )
    template = knowledge_services.document_create(actor=desk.lead, kind="macro", draft=draft)
    knowledge_services.version_publish(actor=desk.lead, version=template)
    if template.requires_approval:
        knowledge_services.version_review(actor=cora, version=template, decision="approved")
    on_shift_all_week(desk.agent)

    # A customer writes in: the page's service queues routing, and the worker assigns the case.
    case = case_services.case_create(
        actor=None, customer=desk.jane, subject="Withdrawal of 0.5 BTC not received",
        body="I withdrew 0.5 BTC yesterday and it has not arrived.", channel=Channel.EMAIL,
        category=category, team=desk.manila, priority="high",
    )  # fmt: skip
    assert wait_until(lambda: Case.objects.get(pk=case.pk).assignee_id == desk.agent.pk, timeout=30), worker.log()
    decision = RoutingDecision.objects.filter(case=case).latest("id")
    assert decision.assignee_id == desk.agent.pk

    s = open_session()
    page = s.page
    s.login("maria")
    expect(page).to_have_url(s.url("/cases/mine/"))
    page.get_by_role("link", name=case.reference).click()
    expect(page.locator(".case-header h1")).to_have_text(case.subject)

    s.mark_document()
    page.locator("details.reply-templates summary").click()
    template_card = page.locator(".reply-template", has_text="Withdrawal delayed")
    template_card.get_by_role("button", name="Insert into reply").click()
    expect(page.get_by_label("Reply or note")).to_have_value(
        f"Hello Jane, your withdrawal on {case.reference} is with our payments team."
    )
    page.get_by_role("button", name="Send public reply").click()
    expect(page.locator("#messages")).to_contain_text("Reply sent to the customer.")
    expect(page.locator("#timeline > li.event-reply").last).to_contain_text("is with our payments team")

    page.locator("select[name=to_status]").select_option(label="Resolved")
    page.get_by_placeholder("Reason (optional)").fill("Withdrawal confirmed on chain.")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".case-header .badge.status-resolved")).to_have_text("Resolved")
    assert s.same_document(), "the reply or the status change reloaded the page"
    s.shot("desk-01-resolved-with-template")

    reply = CaseEvent.objects.get(case=case, kind=EventKind.REPLY)
    assert reply.data == {"macro_version_id": template.pk} and reply.actor == desk.agent
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == Status.RESOLVED and fresh.first_response_at is not None
    assert_clean(s)


@pytest.fixture
def us_leads(desk):
    team = Team.objects.create(name="US Leads", slug="us-leads", kind="leads", time_zone="America/New_York")
    lead = User.objects.create_user(
        "lena", password=PASSWORD, first_name="Lena", last_name="Lee", role="lead", time_zone="America/New_York"
    )
    Membership.objects.create(user=lead, team=team)
    return team


def test_a_reg_e_dispute_is_escalated_accepted_signed_off_and_closed(desk, cora, us_leads, worker, open_session):
    case = desk.cases["withdrawal"]  # Jane Roe, US-CA, assigned to Maria
    agent = open_session()
    agent.login("maria")
    agent.page.goto(agent.url(f"/cases/{case.reference}/"))
    agent.page.get_by_role("link", name="Raise a flag…").click()
    agent.page.locator("select[name=kind]").select_option("unauthorized_transfer")
    agent.page.get_by_role("button", name="Choose").click()
    form = agent.page.locator("#facts-form")
    form.locator("input[name=notice_date]").fill("2026-11-18")
    form.locator("select[name=notice_form]").select_option("written")
    form.locator("input[name=transfer_date]").fill("2026-11-16")
    form.locator("input[name=amount]").fill("250.00")
    form.locator("select[name=leg]").select_option("fiat")
    agent.page.get_by_role("button", name="Raise flag").click()
    expect(agent.page.locator("#flag-panel")).to_contain_text("Reg E: investigate")
    agent.page.get_by_role("button", name="Submit for review").click()
    expect(agent.page.locator("#flag-panel")).to_contain_text("In review")

    agent.page.get_by_role("link", name="Escalate…").click()
    agent.page.locator("select[name=to_team]").select_option(label="US Leads")
    agent.page.locator("select[name=reason]").select_option(label="Transfer the customer did not authorise")
    agent.page.locator("textarea[name=note]").fill("Customer disputes a card transfer; Reg E clock running.")
    agent.page.get_by_role("button", name="Escalate").click()
    expect(agent.page.locator("#messages")).to_contain_text("Escalated to US Leads.")
    agent.shot("desk-02-flagged-and-escalated")

    lead = open_session()
    lead.login("lena")
    lead.page.goto(lead.url("/escalations/"))
    lead.page.locator("table.queue tbody tr", has_text=case.reference).get_by_role("link", name=case.reference).click()
    lead.page.get_by_role("button", name="Accept").click()
    expect(lead.page.locator("#messages")).to_contain_text("Accepted")
    lead.page.goto(lead.url(f"/cases/{case.reference}/"))
    expect(lead.page.locator(".case-header")).to_contain_text("US Leads")
    expect(lead.page.locator("#timeline")).to_contain_text("Moved: Manila L1 → US Leads")

    # Still blocked: the flag is not signed off, and the page says so.
    lead.page.locator("select[name=to_status]").select_option("resolved")
    lead.page.get_by_role("button", name="Change status").click()
    expect(lead.page.locator("#case-main")).to_contain_text("flag is not signed off yet")

    reviewer = open_session()
    reviewer.login("cora")
    reviewer.page.goto(reviewer.url("/compliance/"))
    reviewer.page.get_by_role("link", name=case.reference).click()
    reviewer.page.locator("select[name=reason]").select_option(label="No error found")
    reviewer.page.locator("textarea[name=note]").fill("Card was present; merchant receipt attached.")
    reviewer.page.get_by_role("button", name="Sign off").click()
    expect(reviewer.page.locator("#messages")).to_contain_text("Decision recorded.")
    reviewer.shot("desk-03-signed-off")

    lead.page.reload()
    lead.page.locator("#flag-panel input[name=note]").fill("Results letter sent: no error found")
    lead.page.locator("#flag-panel").get_by_role("button", name="Mark met").click()
    expect(lead.page.locator("#messages")).to_contain_text("is met")
    lead.page.locator("select[name=to_status]").select_option("resolved")
    lead.page.get_by_role("button", name="Change status").click()
    expect(lead.page.locator(".case-header .badge.status-resolved")).to_have_text("Resolved")
    lead.page.locator("select[name=to_status]").select_option("closed")
    lead.page.get_by_role("button", name="Change status").click()
    expect(lead.page.locator(".case-header .badge.status-closed")).to_have_text("Closed")
    lead.shot("desk-04-closed")

    closed = Case.objects.get(pk=case.pk)
    assert closed.status == Status.CLOSED and closed.team == us_leads
    # Accepted, then completed when the receiving team resolved the case.
    escalation = Escalation.objects.get(case=case)
    assert escalation.status == "completed" and escalation.responded_by.username == "lena"
    flag = RegulatoryFlag.objects.get(case=case)
    assert flag.status == "signed_off"
    assert list(FlagDecision.objects.filter(flag=flag).values_list("reviewer__username", flat=True)) == ["cora"]
    # The worker took the routing the escalation queued, and nothing is left waiting.
    assert queues_drained(), worker.log()
    assert_clean(agent, lead, reviewer)


def test_a_lead_filters_the_dashboard_drills_down_and_downloads_the_csv(desk, worker, open_session, tmp_path):
    # What beat does every five minutes, through the worker: the cases' dashboard facts.
    app.send_task("metrics.tasks.facts_sweep_task")
    visible = [c.pk for key, c in desk.cases.items() if key != "bogota"]
    assert wait_until(lambda: CaseFact.objects.filter(case_id__in=visible).count() == len(visible), timeout=30), (
        worker.log()
    )

    s = open_session()
    page = s.page
    s.login("dana")
    page.locator("nav.nav").get_by_role("link", name="Dashboard").click()
    expect(page.locator("#tile-first-response")).to_contain_text("6 received")

    filters = page.locator("aside.filters")
    filters.locator("select[name=category]").select_option(label="Deposits")
    filters.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]category="))
    expect(page.locator("#tile-first-response")).to_contain_text("1 received")
    s.shot("desk-05-dashboard-filtered")

    page.locator("#tile-first-response").get_by_role("link", name="1 received").click()
    table = page.locator("table.queue")
    expect(table).to_contain_text(desk.cases["deposit"].reference)
    # The other team's deposit case is not the lead's to see, and other categories are filtered out.
    expect(table).not_to_contain_text(desk.cases["bogota"].reference)
    expect(table).not_to_contain_text(desk.cases["withdrawal"].reference)
    s.shot("desk-06-drill-down")

    page.go_back()
    with page.expect_download() as info:
        page.locator('a[href*="/export/trend.csv"]').click()
    download = info.value
    assert download.suggested_filename.startswith("trend-") and download.suggested_filename.endswith(".csv")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    # The filter travels with the download: one deposit case received in the period.
    assert sum(int(row[header.index("received")] or 0) for row in body) == 1, rows
    assert_clean(s)


def test_an_fiu_referral_shows_the_agent_only_the_neutral_state(desk, worker, open_session):
    case = desk.cases["card"]
    fiu = User.objects.create_user(
        "fatima", password=PASSWORD, first_name="Fatima", last_name="Iqbal", role="fiu", time_zone="America/New_York"
    )

    lead = open_session()
    lead.login("dana")
    lead.page.goto(lead.url(f"/cases/{case.reference}/"))
    lead.page.locator("#referral-panel summary").click()
    lead.page.locator("#refer-form textarea[name=reason]").fill(SECRET)
    lead.page.locator("#refer-form").get_by_role("button", name="Refer").click()
    expect(lead.page.locator("#referral-panel")).to_contain_text("With a specialist team")
    expect(lead.page.locator("body")).not_to_contain_text("Structuring")
    assert Referral.objects.filter(case=case).count() == 1

    agent = open_session()
    agent.login("maria")
    agent.page.goto(agent.url(f"/cases/{case.reference}/"))
    panel = agent.page.locator("#referral-panel")
    expect(panel).to_contain_text("With a specialist team")
    expect(agent.page.locator("#neutral-script")).to_contain_text("specialist teams")
    html = agent.page.content()
    for secret in ("Structuring", "9,900", "FIU", "SAR", "/fiu/"):
        assert secret not in html, secret
    agent.shot("desk-07-agent-neutral-state")
    # Nor can the agent search for it or open the inbox.
    agent.page.goto(agent.url("/cases/?f=1&q=Structuring"))
    expect(agent.page.locator("#queue-table")).to_contain_text("No cases match")
    assert agent.page.goto(agent.url("/fiu/")).status == 404

    officer = open_session()
    officer.login("fatima")
    officer.page.goto(officer.url("/fiu/"))
    officer.page.get_by_role("link", name=case.reference).click()
    expect(officer.page.locator("body")).to_contain_text(SECRET)
    officer.shot("desk-08-fiu-reads-the-referral")
    assert fiu.pk and queues_drained(), worker.log()
    assert_clean(lead, agent, officer)
