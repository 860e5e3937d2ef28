"""Lists and the case page cost a fixed number of queries however many rows they show.

Each count is written out so that an N+1 (a query per row or per event) fails here.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.choices import Channel, EventKind, Priority, SlaMetric, Status, Tier
from cases.models import SlaPause
from tests.factories import (
    BusinessCalendarFactory,
    CaseEventFactory,
    CaseFactory,
    CategoryFactory,
    CustomerFactory,
    SlaTimerFactory,
)

pytestmark = pytest.mark.django_db

# Every full page also counts the viewer's unread notifications for the bell in the top bar
# (one COUNT on the partial unread index): that is the "+ 1" in each budget below.
BELL = 1
# session, user, the viewer's team ids, COUNT(*) for the pager, the page of cases (customer,
# category, team and assignee joined in), the page's running SLA timers (one prefetch, their
# calendar versions joined in), the filter form's category, team and assignee choices, and
# the bulk form's assignee choices.
QUEUE_QUERIES_FOR_A_LEAD = 10 + BELL
# The same without the bulk form, which only leads get.
MY_CASES_QUERIES = 9 + BELL
# session, user, team ids, the case (customer, category, team, assignee joined in), the whole
# timeline with authors, the case's SLA timers (policy, version and calendar joined in), the
# assign form's choices and the properties form's categories (once: cases.widgets knows that
# a <select> with no empty option is not `required` without reading its first option, as
# Django's own Select does), and the escalation panel's hops (the escalations app registers
# it; one query however many hops).
ESCALATION_PANEL = 1
# A lead of the case's team also sees why it was routed: the latest routing decision.
ROUTING_PANEL = 1
# And the regulatory-flag panel: the case's flags (their obligations and decisions come in two
# more queries only when it has flags).
FLAG_PANEL = 1
# And the knowledge panel: the SOPs, scripts and reply templates for the case, in one query.
KNOWLEDGE_PANEL = 1
# And the restricted-inbox panel: whether the case has an open referral (shown neutrally).
REFERRAL_PANEL = 1
# And the viewer's unexpired PII reveals of the case's customer (masked unless revealed).
PII_REVEALS = 1
# And the identifier panel: the case's identifiers with the first few cases sharing each, in one query.
IDENTIFIER_PANEL = 1
CASE_PAGE_QUERIES_FOR_A_LEAD = (
    8
    + BELL
    + ESCALATION_PANEL
    + ROUTING_PANEL
    + FLAG_PANEL
    + KNOWLEDGE_PANEL
    + REFERRAL_PANEL
    + PII_REVEALS
    + IDENTIFIER_PANEL
)
# The same when the case has timers: their pauses (with who paused) come in one more query.
CASE_PAGE_QUERIES_WITH_TIMERS = CASE_PAGE_QUERIES_FOR_A_LEAD + 1
# session, user, team ids, the customer (with a visibility check), COUNT(*), the page of cases,
# and the viewer's unexpired PII reveals of the customer.
CUSTOMER_PAGE_QUERIES = 6 + BELL + PII_REVEALS


def _varied_cases(team, count: int, assignees: list) -> list:
    """Cases that differ in everything a row shows, so no lazy lookup can be shared."""
    categories = itertools.cycle([CategoryFactory(code=code) for code in ("withdrawals", "kyc", "card", "p2p")])
    owners = itertools.cycle([*assignees, None])
    tiers, channels, priorities = itertools.cycle(Tier), itertools.cycle(Channel), itertools.cycle(Priority)
    statuses = itertools.cycle([Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL])
    now = timezone.now()
    return [
        CaseFactory(
            team=team,
            customer=CustomerFactory(tier=next(tiers)),
            category=next(categories),
            assignee=next(owners),
            channel=next(channels),
            priority=next(priorities),
            status=next(statuses),
            received_at=now - timedelta(minutes=i + 1),
        )
        for i in range(count)
    ]


def _row_count(response) -> int:
    return response.content.decode().count('<td class="ref">')


@pytest.mark.parametrize("count", [5, 60])
def test_it_renders_the_queue_in_a_fixed_number_of_queries(
    client_for, django_assert_num_queries, team, lead, agent, second_agent, count
):
    _varied_cases(team, count, [agent, second_agent, lead])
    client = client_for(lead)

    with django_assert_num_queries(QUEUE_QUERIES_FOR_A_LEAD):
        response = client.get("/cases/")

    assert response.status_code == 200
    assert _row_count(response) == min(count, 50)


@pytest.mark.parametrize("count", [5, 60])
def test_it_renders_a_filtered_sorted_queue_in_the_same_number_of_queries(
    client_for, django_assert_num_queries, team, lead, agent, count
):
    _varied_cases(team, count, [agent])
    client = client_for(lead)

    with django_assert_num_queries(QUEUE_QUERIES_FOR_A_LEAD):
        response = client.get("/cases/?f=1&status=new&status=open&sort=-priority&q=Withdrawal")

    assert response.status_code == 200
    assert _row_count(response) == min((count + 1) // 2, 50)


@pytest.mark.parametrize("count", [5, 60])
def test_it_renders_my_cases_in_a_fixed_number_of_queries(client_for, django_assert_num_queries, team, agent, count):
    # Assigned to the agent only, so every case is a row of My cases.
    _varied_cases(team, count, [agent] * 100)
    client = client_for(agent)

    with django_assert_num_queries(MY_CASES_QUERIES):
        response = client.get("/cases/mine/")

    assert response.status_code == 200
    assert _row_count(response) == min(count, 50)


@pytest.mark.parametrize("count", [5, 200])
def test_it_renders_the_case_page_in_a_fixed_number_of_queries(
    client_for, django_assert_num_queries, team, lead, agent, second_agent, count
):
    case = CaseFactory(team=team, assignee=agent)
    authors = itertools.cycle([agent, second_agent, lead, None])
    kinds = itertools.cycle([EventKind.REPLY, EventKind.NOTE, EventKind.CUSTOMER_MESSAGE])
    start = case.received_at
    for i in range(count):
        CaseEventFactory(case=case, kind=next(kinds), actor=next(authors), created_at=start + timedelta(seconds=i))
    client = client_for(lead)

    with django_assert_num_queries(CASE_PAGE_QUERIES_FOR_A_LEAD):
        response = client.get(f"/cases/{case.reference}/")

    assert response.status_code == 200
    assert response.content.decode().count('<li class="event event-') == count


@pytest.mark.parametrize("count", [2, 60])
def test_it_renders_the_customer_page_in_a_fixed_number_of_queries(
    client_for, django_assert_num_queries, team, agent, second_agent, count
):
    customer = CustomerFactory()
    owners = itertools.cycle([agent, second_agent, None])
    for i in range(count):
        CaseFactory(
            team=team, customer=customer, assignee=next(owners), received_at=timezone.now() - timedelta(hours=i)
        )
    client = client_for(agent)

    with django_assert_num_queries(CUSTOMER_PAGE_QUERIES):
        response = client.get(f"/customers/{customer.account_number}/")

    assert response.status_code == 200
    assert _row_count(response) == min(count, 50)


def test_it_reads_a_queue_page_without_deduplicating_every_open_case(client_for, team, lead, agent):
    # DISTINCT makes PostgreSQL gather and sort all of a team's open cases before LIMIT 50;
    # without it the partial queue index is walked in order and reading stops after a page.
    case = _varied_cases(team, 5, [agent])[0]
    filters = (
        f"priority={case.priority}&priority=urgent&channel={case.channel}&channel=chat&category={case.category_id}"
        f"&team={team.pk}&jurisdiction={case.customer.jurisdiction}&tier={case.customer.tier}&tier=vip"
    )
    client = client_for(lead)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/cases/?{filters}")
    assert response.status_code == 200
    assert case.reference in response.content.decode()
    [page_sql] = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "cases_case"' in q["sql"] and "LIMIT" in q["sql"] and "COUNT(" not in q["sql"]
    ]

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + page_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Unique" not in plan
    assert "Aggregate" not in plan


@pytest.mark.parametrize("count", [5, 60])
def test_it_renders_the_queue_with_timers_on_every_row_in_the_same_number_of_queries(
    client_for, django_assert_num_queries, team, lead, agent, count
):
    calendar_version = BusinessCalendarFactory().versions.get()
    for i, case in enumerate(_varied_cases(team, count, [agent])):
        SlaTimerFactory(case=case, metric=SlaMetric.FIRST_RESPONSE, calendar_version=calendar_version)
        SlaTimerFactory(
            case=case,
            metric=SlaMetric.RESOLUTION,
            target_minutes=480,
            paused_at=timezone.now() if i % 3 == 0 else None,
        )
    client = client_for(lead)

    with django_assert_num_queries(QUEUE_QUERIES_FOR_A_LEAD):
        response = client.get("/cases/?sort=sla")

    assert response.status_code == 200
    assert response.content.decode().count('<span class="sla sla-') == 2 * min(count, 50)


@pytest.mark.parametrize("count", [1, 8])
def test_it_renders_the_case_page_with_timers_and_pauses_in_a_fixed_number_of_queries(
    client_for, django_assert_num_queries, team, lead, agent, count
):
    case = CaseFactory(team=team, assignee=agent)
    start = case.received_at
    pausers = itertools.cycle([agent, lead, None])
    for i in range(count):
        timer = SlaTimerFactory(
            case=case,
            metric=SlaMetric.NEXT_RESPONSE,
            started_at=start + timedelta(minutes=i),
            met_at=start + timedelta(minutes=i, seconds=30),
        )
        SlaPause.objects.create(
            timer=timer,
            started_at=timer.started_at,
            ended_at=timer.started_at + timedelta(seconds=10),
            business_minutes=0,
            reason=f"Waiting on the customer {i}",
            actor=next(pausers),
        )
    client = client_for(lead)

    with django_assert_num_queries(CASE_PAGE_QUERIES_WITH_TIMERS):
        response = client.get(f"/cases/{case.reference}/")

    assert response.status_code == 200
    # The page shows the latest three finished timers; the rest are one click away.
    assert response.content.decode().count('<article class="sla-timer') == min(count, 3)


def test_a_second_load_of_the_same_view_reuses_its_filter_sidebar(
    client_for, django_assert_num_queries, team, lead, agent
):
    client = client_for(lead)
    with CaptureQueriesContext(connection) as first:
        client.get("/cases/?f=1&status=open")
    # The category, team and assignee choices are not read again for 30 s.
    with django_assert_num_queries(len(first.captured_queries) - 3):
        response = client.get("/cases/?f=1&status=open")
    assert 'name="assignee"' in response.content.decode()


def test_the_cached_sidebar_is_never_another_persons(client_for, team, other_team, lead, other_lead, agent, outsider):
    first = client_for(lead).get("/cases/").content.decode()
    second = client_for(other_lead).get("/cases/").content.decode()

    sidebar = lambda html: html.split('id="filter-form"')[1].split("</form>")[0]  # noqa: E731
    assert "Ana Reyes" in sidebar(first) and "Ana Reyes" not in sidebar(second)
    assert "Olly Other" in sidebar(second) and "Olly Other" not in sidebar(first)
