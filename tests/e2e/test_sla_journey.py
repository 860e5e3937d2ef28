"""A lead sets up a service SLA in the browser and watches it run: calendar, policy, a new case's
timers on the queue and on the case page, a reply meeting the first-response timer, the bell."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases import services
from cases.choices import Channel, Priority, SlaMetric
from cases.models import Category, SlaPolicy, SlaTimer
from people.models import BusinessCalendar, Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_clean(session) -> None:
    assert session.js_errors == [], session.js_errors
    assert session.static_failures == [], session.static_failures


def test_lead_sets_up_an_sla_and_sees_a_new_cases_timers(desk, open_session):
    s = open_session()
    page = s.page
    s.login("dana")

    page.locator("nav.nav").get_by_role("link", name="SLA").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service SLA policies")
    expect(page.locator("#policies")).to_contain_text("No policies yet")

    # --- a calendar: round the clock, so the timers below read the same whenever this runs ---
    page.get_by_role("link", name="Business calendars").click()
    page.get_by_role("link", name="New calendar").click()
    page.get_by_label("Name").fill("Manila L1 hours")
    page.get_by_label("Time zone").select_option("Asia/Manila")
    page.get_by_label("Monday").fill("09:00-12:00, 11:00-13:00")
    page.get_by_label("Holiday country").fill("XX")
    page.get_by_role("button", name="Create calendar").click()
    # Refused, with each problem next to its field, and nothing saved.
    expect(page.locator("#calendar-form")).to_contain_text("Monday: 11:00–13:00 overlaps 09:00–12:00.")
    expect(page.locator("#calendar-form")).to_contain_text("'XX' is not a country code")
    assert not BusinessCalendar.objects.filter(name="Manila L1 hours").exists()
    s.shot("sla-01-calendar-refused")

    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(day).fill("00:00-24:00")
    page.get_by_label("Holiday country").fill("")
    page.get_by_role("button", name="Add a closure").click()
    rows = page.locator("#closure-rows tr")
    expect(rows).to_have_count(2)
    next_year = timezone.now().year + 1
    rows.nth(1).locator("input[name$=-start]").fill(f"{next_year}-12-24T13:00")
    rows.nth(1).locator("input[name$=-end]").fill(f"{next_year}-12-24T17:00")
    rows.nth(1).locator("input[name$=-reason]").fill("Christmas party")
    page.get_by_role("button", name="Create calendar").click()
    expect(page.locator("#messages")).to_contain_text("Saved Manila L1 hours (version 1)")
    expect(page.locator("#calendar-preview")).to_contain_text("open now")
    calendar = BusinessCalendar.objects.get(name="Manila L1 hours")
    assert calendar.closures == [
        {
            "start": f"{next_year}-12-24T13:00:00+08:00",
            "end": f"{next_year}-12-24T17:00:00+08:00",
            "reason": "Christmas party",
        }
    ]
    s.shot("sla-02-calendar-saved")

    # --- a policy for the team's e-mail -----------------------------------------------------------
    page.get_by_role("link", name="← Business calendars").click()
    page.get_by_role("link", name="← SLA policies").click()
    page.get_by_role("link", name="New policy").click()
    page.get_by_label("Name").fill("Manila e-mail")
    page.get_by_label("E-mail").check()
    page.get_by_label("Team").select_option(label="Manila L1")
    page.get_by_label("Calendar").select_option(label="Manila L1 hours")
    page.get_by_label("First response (minutes)").fill("60")
    page.get_by_label("Resolution (minutes)").fill("480")
    page.get_by_label("…or minutes before due").fill("60")
    page.get_by_role("button", name="Create policy").click()
    expect(page.locator(".field-error")).to_contain_text("smallest target")
    assert not SlaPolicy.objects.exists()
    s.shot("sla-03-policy-refused")
    page.get_by_label("…or minutes before due").fill("15")
    page.get_by_role("button", name="Create policy").click()
    expect(page.locator("#messages")).to_contain_text("Saved Manila e-mail: version 1")
    expect(page.locator("#versions")).to_contain_text("v1")
    page.get_by_role("link", name="← SLA policies").click()
    policy_row = page.locator("#policies tbody tr").first
    expect(policy_row).to_contain_text("Manila e-mail")
    expect(policy_row).to_contain_text("Channel: E-mail")
    expect(policy_row).to_contain_text("Team: Manila L1")
    expect(policy_row).to_contain_text("Manila L1 hours")
    expect(policy_row).to_contain_text("1h")
    expect(policy_row).to_contain_text("8h")
    s.shot("sla-04-policy-overview")

    # --- a new case arrives (intake is not a page): its timers run on the new policy --------------
    case = services.case_create(
        actor=None,
        customer=desk.jane,
        subject="Withdrawal to a new wallet is on hold",
        body="My withdrawal has been on hold for an hour.",
        channel=Channel.EMAIL,
        category=Category.objects.get(code="withdrawals"),
        team=desk.manila,
        priority=Priority.HIGH,
        received_at=timezone.now() - timedelta(minutes=10),
    )
    timers = {t.metric: t for t in SlaTimer.objects.filter(case=case)}
    assert set(timers) == {SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION}
    assert timers[SlaMetric.FIRST_RESPONSE].policy_version.policy.name == "Manila e-mail"

    # Two more: one past its first-response target, one within its warning window, one paused.
    def arrived(minutes_ago: int, subject: str):
        return services.case_create(
            actor=None,
            customer=desk.jane,
            subject=subject,
            body=subject,
            channel=Channel.EMAIL,
            category=Category.objects.get(code="withdrawals"),
            team=desk.manila,
            priority=Priority.NORMAL,
            received_at=timezone.now() - timedelta(minutes=minutes_ago),
        )

    overdue = arrived(130, "Card top-up missing")
    warning = arrived(52, "Address whitelist stuck")
    waiting = arrived(20, "Needs a bank statement")
    services.case_change_status(
        actor=desk.lead, case=waiting, to_status="pending_customer", expected_version=waiting.version
    )

    page.get_by_role("link", name="Triage queue").click()
    row = page.locator("#queue-table tbody tr", has_text=case.reference)
    cell = {
        c: page.locator("#queue-table tbody tr", has_text=c.reference).locator(".sla-cell")
        for c in (overdue, warning, waiting)
    }
    expect(cell[overdue].locator(".sla-breached")).to_contain_text(re.compile(r"First response 1h (9|10|11)m overdue"))
    expect(cell[warning].locator(".sla-warning")).to_contain_text(re.compile(r"First response [789]m left"))
    expect(cell[waiting].locator(".sla-paused")).to_have_count(2)
    expect(cell[waiting]).to_contain_text("First response paused")
    expect(row.locator(".sla-cell .sla-ok")).to_have_count(2)
    expect(row.locator(".sla-cell")).to_contain_text(re.compile(r"First response (49|50)m left"))
    expect(row.locator(".sla-cell")).to_contain_text(re.compile(r"Resolution 7h (49|50)m left"))
    # Cases from before the policy have no timers and show a dash.
    expect(
        page.locator("#queue-table tbody tr", has_text=desk.cases["card"].reference).locator(".sla-cell")
    ).to_have_text("—")
    # The table refreshes itself every minute, but not while cases are ticked for a bulk action.
    # static/js/desk.js cancels the poll while the element's pause selector matches anything.
    poller = page.locator("#queue-table .queue-refresh")
    assert poller.get_attribute("hx-trigger") == "every 60s"
    paused_while = poller.get_attribute("data-poll-paused-while")
    may_refresh = f"() => !document.querySelector({paused_while!r})"
    assert page.evaluate(may_refresh) is True
    page.get_by_role("checkbox", name=f"Select {case.reference}").check()
    assert page.evaluate(may_refresh) is False
    page.get_by_role("checkbox", name=f"Select {case.reference}").uncheck()
    page.locator(".bulkbar select[name=action]").focus()
    assert page.evaluate(may_refresh) is False
    page.locator("body").click(position={"x": 5, "y": 300})
    assert page.evaluate(may_refresh) is True
    page.locator("#queue-table thead").get_by_role("link", name="SLA").click()
    # Breaching soonest: the overdue case, then the warning, then the new one; paused and
    # untimed cases after them.
    expect(page.locator("#queue-table tbody td.ref").nth(0)).to_have_text(overdue.reference)
    expect(page.locator("#queue-table tbody td.ref").nth(1)).to_have_text(warning.reference)
    expect(page.locator("#queue-table tbody td.ref").nth(2)).to_have_text(case.reference)
    page.get_by_label("SLA").select_option("breached")
    expect(page.locator("#queue-table tbody td.ref")).to_have_text([overdue.reference])
    expect(page).to_have_url(re.compile(r"sla=breached"))
    page.get_by_label("SLA").select_option("")
    s.shot("sla-05-queue-timers")

    page.get_by_role("link", name=case.reference).click()
    panel = page.locator("#sla-panel")
    expect(panel).to_contain_text("First response: On track")
    expect(panel).to_contain_text("Resolution: On track")
    expect(panel).to_contain_text("Manila e-mail · v1")
    expect(panel).to_contain_text("Times in America/New_York")
    s.shot("sla-06-case-sla-panel")

    s.mark_document()
    page.get_by_label("Reply or note").fill("We are checking the hold with the wallet team now.")
    page.get_by_role("button", name="Send public reply").click()
    expect(page.locator("#messages")).to_contain_text("Reply sent to the customer.")
    expect(panel).to_contain_text("First response: Met")
    expect(panel).to_contain_text("Resolution: On track")
    assert s.same_document()
    s.shot("sla-07-first-response-met")

    # --- the bell --------------------------------------------------------------------------------
    Notification.objects.create(
        recipient=desk.lead,
        kind="sla.warning",
        title=f"{case.reference}: resolution due soon",
        url=f"/cases/{case.reference}/",
        created_at=timezone.now(),
    )
    page.reload()
    expect(page.locator(".bell")).to_have_attribute("aria-label", "Notifications: 1 unread")
    page.locator(".bell").click()
    expect(page.locator("#notifications li.unread")).to_have_count(1)
    s.shot("sla-08-notifications")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#notifications li.unread")).to_have_count(0)
    expect(page.locator(".bell")).to_have_attribute("aria-label", "Notifications: 0 unread")
    page.get_by_role("link", name=f"{case.reference}: resolution due soon").click()
    expect(page.locator(".case-header h1")).to_have_text(case.subject)
    assert_clean(s)
