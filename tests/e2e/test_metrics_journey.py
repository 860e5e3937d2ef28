"""A lead reads the dashboard and drills into a figure; a customer answers the CSAT survey on the
public page, and the answer shows in the lead's figures."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from metrics.facts import facts_sweep
from metrics.models import Survey
from metrics.services import survey_send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_clean(session) -> None:
    assert session.js_errors == [], session.js_errors
    assert session.static_failures == [], session.static_failures


def test_lead_reads_the_dashboard_and_a_customer_answers_the_survey(desk, open_session):
    resolved = desk.fresh("fees")
    facts_sweep()  # what the beat sweep does every five minutes

    lead = open_session()
    page = lead.page
    lead.login("dana")
    page.locator("nav.nav").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator("#tile-resolution")).to_contain_text("1 resolved")
    expect(page.locator("#tile-first-response")).to_contain_text("6 received")
    expect(page.get_by_role("img", name="Arrivals by hour of week against agents on shift")).to_be_visible()
    expect(page.locator("#tile-csat")).to_contain_text("0 answers of 0 surveys")
    lead.shot("metrics-01-dashboard")

    page.locator("#tile-resolution").get_by_role("link", name="1 resolved").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases resolved")
    expect(page.locator("table.queue")).to_contain_text(resolved.reference)
    expect(page.locator("table.queue")).not_to_contain_text(desk.cases["bogota"].reference)

    # The survey task runs (as the worker would after the delay) and e-mails the customer.
    assert survey_send(case_id=resolved.pk) is not None
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/metrics/survey/" in line)
    path = link[link.index("/metrics/survey/") :]

    customer = open_session()
    customer.page.goto(customer.url(path))
    expect(customer.page.get_by_role("heading", level=1)).to_have_text("How did we do?")
    customer.page.get_by_label("4").check()
    customer.page.get_by_label("Anything you would like to tell us?").fill("Refund came through, thanks")
    customer.page.get_by_role("button", name="Send", exact=True).click()
    expect(customer.page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")
    customer.page.goto(customer.url(path))
    expect(customer.page.get_by_role("alert")).to_contain_text("already been answered")
    customer.shot("metrics-02-survey")
    assert Survey.objects.get(case=resolved).score == 4

    page.goto(lead.url("/metrics/"))
    expect(page.locator("#tile-csat")).to_contain_text("100.0 %")
    expect(page.locator("#panel-csat")).to_contain_text("Refund came through, thanks")
    assert_clean(lead)
    assert_clean(customer)
