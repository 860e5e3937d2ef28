"""The queue and My cases pages: default view, every filter, sorting, paging, bad input, htmx."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.choices import Channel, Priority, Status, Tier
from people.choices import Role
from tests.factories import CaseFactory, CategoryFactory, CustomerFactory, UserFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

_ROW_REFERENCE = re.compile(r'<td class="ref"><a href="/cases/(CS-\d{4}-\d{6})/">')


def rows(response) -> list[str]:
    """References in the table, in the order the user sees them."""
    return _ROW_REFERENCE.findall(response.content.decode())


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def lead_client(client_for, lead):
    return client_for(lead)


# --- default view ------------------------------------------------------------------------


def test_it_shows_only_open_work_by_default(team, lead_client):
    by_status = {status: CaseFactory(team=team, status=status).reference for status in Status}

    response = lead_client.get("/cases/")

    assert response.status_code == 200
    assert sorted(rows(response)) == sorted(
        by_status[s] for s in (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL)
    )
    assert "4 cases" in response.content.decode()


def test_it_shows_every_status_once_the_filter_form_is_submitted_without_one(team, lead_client):
    for status in Status:
        CaseFactory(team=team, status=status)

    response = lead_client.get("/cases/?f=1")

    assert len(rows(response)) == 6


@pytest.mark.parametrize("query", ["f=1&status=resolved&status=closed", "status=resolved&status=closed"])
def test_it_filters_by_status(team, lead_client, query):
    wanted = {
        CaseFactory(team=team, status=Status.RESOLVED).reference,
        CaseFactory(team=team, status=Status.CLOSED).reference,
    }
    CaseFactory(team=team, status=Status.OPEN)

    response = lead_client.get(f"/cases/?{query}")

    assert set(rows(response)) == wanted


# --- each filter -------------------------------------------------------------------------


def test_it_filters_by_priority(team, lead_client):
    urgent = CaseFactory(team=team, priority=Priority.URGENT)
    high = CaseFactory(team=team, priority=Priority.HIGH)
    CaseFactory(team=team, priority=Priority.LOW)

    assert rows(lead_client.get("/cases/?priority=urgent")) == [urgent.reference]
    assert set(rows(lead_client.get("/cases/?priority=urgent&priority=high"))) == {urgent.reference, high.reference}


def test_it_filters_by_category(team, lead_client):
    kyc = CategoryFactory(code="kyc")
    identity = CaseFactory(team=team, category=kyc)
    CaseFactory(team=team, category=CategoryFactory(code="withdrawals"))

    assert rows(lead_client.get(f"/cases/?category={kyc.pk}")) == [identity.reference]


def test_it_filters_by_team_for_a_lead_of_several(client_for, team, other_team):
    lead = UserFactory(role=Role.LEAD, teams=[team, other_team])
    manila = CaseFactory(team=team)
    sydney = CaseFactory(team=other_team)
    client = client_for(lead)

    assert set(rows(client.get("/cases/"))) == {manila.reference, sydney.reference}
    assert rows(client.get(f"/cases/?team={other_team.pk}")) == [sydney.reference]


def test_it_filters_by_assignee_and_by_nobody(team, lead_client, agent, second_agent):
    mine = CaseFactory(team=team, assignee=agent)
    theirs = CaseFactory(team=team, assignee=second_agent)
    nobodys = CaseFactory(team=team)

    assert rows(lead_client.get(f"/cases/?assignee={agent.pk}")) == [mine.reference]
    assert rows(lead_client.get(f"/cases/?assignee={second_agent.pk}")) == [theirs.reference]
    assert rows(lead_client.get("/cases/?assignee=null")) == [nobodys.reference]


def test_it_filters_by_channel(team, lead_client):
    chat = CaseFactory(team=team, channel=Channel.CHAT)
    CaseFactory(team=team, channel=Channel.EMAIL)

    assert rows(lead_client.get("/cases/?channel=chat")) == [chat.reference]


def test_it_filters_by_the_customers_jurisdiction(team, lead_client):
    sydney = CaseFactory(team=team, customer=CustomerFactory(jurisdiction="AU-NSW"))
    CaseFactory(team=team, customer=CustomerFactory(jurisdiction="US-CA"))

    assert rows(lead_client.get("/cases/?jurisdiction=AU-NSW")) == [sydney.reference]


def test_it_filters_by_the_customers_tier(team, lead_client):
    vip = CaseFactory(team=team, customer=CustomerFactory(tier=Tier.VIP))
    CaseFactory(team=team, customer=CustomerFactory(tier=Tier.STANDARD))

    assert rows(lead_client.get("/cases/?tier=vip")) == [vip.reference]


def test_it_filters_by_received_date_with_both_ends_included(team, lead_client):
    before = CaseFactory(team=team, received_at=at(1, 23, 59))
    first = CaseFactory(team=team, received_at=at(2, 0, 0))
    last = CaseFactory(team=team, received_at=at(4, 23, 59))
    after = CaseFactory(team=team, received_at=at(5, 0, 0))

    response = lead_client.get("/cases/?received_after=2026-03-02&received_before=2026-03-04")

    assert rows(response) == [last.reference, first.reference]
    assert set(rows(lead_client.get("/cases/?received_after=2026-03-05"))) == {after.reference}
    assert set(rows(lead_client.get("/cases/?received_before=2026-03-01"))) == {before.reference}


def test_it_filters_by_created_date(team, lead_client):
    # Created is when the desk recorded the case, which can be days after receipt.
    late_entry = CaseFactory(team=team, received_at=at(1), created_at=at(6))
    CaseFactory(team=team, received_at=at(5), created_at=at(5))

    response = lead_client.get("/cases/?created_after=2026-03-06&created_before=2026-03-06")

    assert rows(response) == [late_entry.reference]


def test_it_reads_filter_dates_as_days_in_the_viewers_time_zone(client_for, team):
    # 20:00 UTC on 1 March is already 04:00 on 2 March in Manila.
    case = CaseFactory(team=team, received_at=at(1, 20, 0))
    query = "/cases/?received_after=2026-03-02&received_before=2026-03-02"
    in_manila = UserFactory(role=Role.LEAD, teams=[team], time_zone="Asia/Manila")
    in_utc = UserFactory(role=Role.LEAD, teams=[team], time_zone="UTC")

    assert rows(client_for(in_manila).get(query)) == [case.reference]
    assert rows(client_for(in_utc).get(query)) == []


@pytest.fixture
def searchable(team):
    jane = CustomerFactory(full_name="Jane Doe", email="jane.doe@example.com", account_number="AC10000001")
    kevin = CustomerFactory(full_name="Kevin Walsh", email="kevin@walsh.example", account_number="AC10000002")
    return {
        "jane": CaseFactory(team=team, customer=jane, reference="CS-2026-000123", subject="Withdrawal stuck in review"),
        "kevin": CaseFactory(
            team=team, customer=kevin, reference="CS-2026-000456", subject="2FA reset after new phone"
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("CS-2026-000123", ["jane"]),
        ("cs-2026-123", ["jane"]),
        ("000456", ["kevin"]),
        ("stuck in", ["jane"]),
        ("2fa RESET", ["kevin"]),
        ("walsh", ["kevin"]),
        ("  Jane Doe ", ["jane"]),
        ("JANE.DOE@EXAMPLE.COM", ["jane"]),
        ("AC10000002", ["kevin"]),
        ("nothing like this", []),
    ],
)
def test_it_searches_by_reference_subject_customer_email_and_account(lead_client, searchable, query, expected):
    response = lead_client.get("/cases/", {"q": query})

    assert response.status_code == 200
    assert rows(response) == [searchable[name].reference for name in expected]


def test_a_search_keeps_the_other_filters_and_the_viewers_teams(lead_client, team, other_team, searchable):
    walsh = searchable["kevin"].customer
    closed = CaseFactory(team=team, customer=walsh, status=Status.CLOSED, received_at=NOW - timedelta(days=3))
    elsewhere = CaseFactory(team=other_team, customer=walsh, subject="Walsh again")
    urgent = CaseFactory(team=team, subject="Walsh wallet drained", priority=Priority.URGENT)

    open_only = rows(lead_client.get("/cases/", {"q": "walsh"}))
    every_status = rows(lead_client.get("/cases/", {"f": "1", "q": "walsh"}))
    urgent_only = rows(lead_client.get("/cases/", {"q": "walsh", "priority": "urgent"}))

    assert sorted(open_only) == sorted([searchable["kevin"].reference, urgent.reference])
    assert sorted(every_status) == sorted([searchable["kevin"].reference, urgent.reference, closed.reference])
    assert urgent_only == [urgent.reference]
    assert elsewhere.reference not in open_only + every_status + urgent_only


def test_it_searches_every_status_through_indexes(client_for, searchable):
    # A search over closed cases too must not read every case and customer: each of the fields
    # it matches has an index the search's own expressions can use (migration 0012). An auditor
    # reads every team's cases, so no other index narrows the cases first.
    with CaptureQueriesContext(connection) as captured:
        response = client_for(UserFactory(role=Role.AUDITOR)).get("/cases/", {"f": "1", "q": "walsh"})
    assert rows(response) == [searchable["kevin"].reference]
    [page_sql] = [q["sql"] for q in captured.captured_queries if "UNION" in q["sql"] and "COUNT(" not in q["sql"]]

    with connection.cursor() as cursor:
        # A handful of test rows would be read whole anyway; ask what the plan is when reading
        # whole tables (or whole indexes in order) is the expensive choice, as at 100,000 cases.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + page_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    for index in (
        "cases_case_subject_trgm_idx",
        "cases_case_reference_trgm_idx",
        "cases_customer_name_trgm_idx",
        "cases_customer_email_upper_idx",
    ):
        assert index in plan
    assert "Seq Scan" not in plan


def test_it_says_when_nothing_matches(lead_client, searchable):
    response = lead_client.get("/cases/", {"q": "nothing like this"})

    assert "No cases match these filters." in response.content.decode()


# --- sorting -----------------------------------------------------------------------------


@pytest.fixture
def sortable(team):
    return {
        "c1": CaseFactory(
            team=team, reference="CS-2026-000030", received_at=at(1), updated_at=at(9), priority="low", status="open"
        ),
        "c2": CaseFactory(
            team=team, reference="CS-2026-000040", received_at=at(3), updated_at=at(5), priority="urgent", status="new"
        ),
        "c3": CaseFactory(
            team=team,
            reference="CS-2026-000010",
            received_at=at(2),
            updated_at=at(8),
            priority="high",
            status="pending_customer",
        ),
        "c4": CaseFactory(
            team=team,
            reference="CS-2026-000020",
            received_at=at(4),
            updated_at=at(7),
            priority="normal",
            status="pending_internal",
        ),
    }


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["c4", "c2", "c3", "c1"]),
        ("received", ["c1", "c3", "c2", "c4"]),
        ("-received", ["c4", "c2", "c3", "c1"]),
        ("updated", ["c2", "c4", "c3", "c1"]),
        ("-updated", ["c1", "c3", "c4", "c2"]),
        ("-priority", ["c2", "c3", "c4", "c1"]),
        ("priority", ["c1", "c4", "c3", "c2"]),
        ("reference", ["c3", "c4", "c1", "c2"]),
        ("-reference", ["c2", "c1", "c4", "c3"]),
        ("status", ["c2", "c1", "c3", "c4"]),
        ("-status", ["c4", "c3", "c1", "c2"]),
    ],
)
def test_it_sorts_by_each_column(lead_client, sortable, sort, expected):
    response = lead_client.get("/cases/", {"sort": sort} if sort else {})

    assert response.status_code == 200
    assert rows(response) == [sortable[name].reference for name in expected]


def test_it_offers_to_reverse_the_current_sort_keeping_the_filters(lead_client, sortable):
    response = lead_client.get("/cases/?f=1&priority=high&sort=reference")

    html = response.content.decode()
    [reference_header] = re.findall(r'<a href="\?([^"]*)">Reference ▲</a>', html)
    assert "sort=-reference" in reference_header
    assert "priority=high" in reference_header


def test_its_priority_header_puts_urgent_cases_first_on_the_first_click(lead_client, sortable):
    html = lead_client.get("/cases/").content.decode()
    [priority_header] = re.findall(r'<a href="\?([^"]*)">Priority</a>', html)

    response = lead_client.get(f"/cases/?{priority_header.replace('&amp;', '&')}")

    assert rows(response) == [sortable[name].reference for name in ["c2", "c3", "c4", "c1"]]


def test_it_refuses_an_unknown_sort_with_a_message_and_no_rows(lead_client, sortable):
    response = lead_client.get("/cases/?sort=customer_ssn")

    assert response.status_code == 400
    html = response.content.decode()
    assert "Some filters are not valid, so no cases are shown" in html
    assert "Select a valid choice. customer_ssn is not one of the available choices." in html
    assert rows(response) == []


# --- paging ------------------------------------------------------------------------------


@pytest.fixture
def sixty(team):
    return [CaseFactory(team=team, received_at=NOW - timedelta(minutes=i)) for i in range(60)]


def test_it_pages_fifty_rows_at_a_time(lead_client, sixty):
    first = lead_client.get("/cases/")
    second = lead_client.get("/cases/?page=2")

    assert rows(first) == [c.reference for c in sixty[:50]]
    assert rows(second) == [c.reference for c in sixty[50:]]
    assert "60 cases · page 1 of 2" in first.content.decode()
    assert "page=2" in first.content.decode()


def test_it_shows_the_last_page_for_a_page_past_the_end(lead_client, sixty):
    response = lead_client.get("/cases/?page=999")

    assert response.status_code == 200
    assert rows(response) == [c.reference for c in sixty[50:]]
    assert "page 2 of 2" in response.content.decode()


def test_it_stops_counting_past_the_cap_and_still_pages(lead_client, sixty, monkeypatch):
    # The count stops at CAP + 1 rows (10,000 in production; 55 here, so sixty cases pass it).
    monkeypatch.setattr("cases.pagination.CAP", 55)

    first = lead_client.get("/cases/")
    second = lead_client.get("/cases/?page=2")

    assert rows(first) == [c.reference for c in sixty[:50]]
    assert rows(second) == [c.reference for c in sixty[50:]]
    first_html, second_html = first.content.decode(), second.content.decode()
    assert "More than 55 cases · page 1<" in first_html and "60 cases" not in first_html
    assert "page=2" in first_html
    assert "More than 55 cases · page 2<" in second_html and "Page 2 of" not in second_html


def test_it_counts_exactly_up_to_the_cap(lead_client, sixty, monkeypatch):
    monkeypatch.setattr("cases.pagination.CAP", 60)

    response = lead_client.get("/cases/")

    assert "60 cases · page 1 of 2" in response.content.decode()
    assert "More than" not in response.content.decode()


def test_it_shows_the_first_page_for_a_page_that_is_not_a_number(lead_client, sixty):
    response = lead_client.get("/cases/?page=abc")

    assert response.status_code == 200
    assert rows(response) == [c.reference for c in sixty[:50]]


def test_it_keeps_the_filters_in_the_page_links(lead_client, team):
    for _ in range(51):
        CaseFactory(team=team, priority=Priority.HIGH)

    response = lead_client.get("/cases/?f=1&priority=high")

    assert "?f=1&amp;priority=high&amp;page=2" in response.content.decode()


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "error"),
    [
        ("f=1&status=bogus", "status", "Select a valid choice. bogus is not one of the available choices."),
        ("status=bogus", "status", "Select a valid choice. bogus is not one of the available choices."),
        ("priority=critical", "priority", "Select a valid choice. critical is not one of the available choices."),
        ("category=99999", "category", "Select a valid choice. 99999 is not one of the available choices."),
        ("category=abc", "category", "“abc” is not a valid value."),
        ("team={other_team}", "team", "is not one of the available choices."),
        ("assignee={outsider}", "assignee", "That choice is not one of the available choices."),
        ("assignee=abc", "assignee", "That choice is not one of the available choices."),
        ("channel=fax", "channel", "Select a valid choice. fax is not one of the available choices."),
        ("jurisdiction=US-XX", "jurisdiction", "Select a valid choice. US-XX is not one of the available choices."),
        ("tier=gold", "tier", "Select a valid choice. gold is not one of the available choices."),
        ("received_after=2026-13-01", "received", "Enter a valid date."),
        ("received_before=yesterday", "received", "Enter a valid date."),
        ("created_after=01/02/2026x", "created", "Enter a valid date."),
        ("sort=-bogus&page=abc", "sort", "Select a valid choice. -bogus is not one of the available choices."),
    ],
)
@pytest.mark.parametrize("path", ["/cases/", "/cases/mine/"])
def test_it_answers_bad_filter_values_with_a_400_page_and_no_rows(
    lead_client, team, lead, other_team, outsider, path, query, field, error
):
    CaseFactory(team=team, assignee=lead)

    response = lead_client.get(f"{path}?{query.format(other_team=other_team.pk, outsider=outsider.pk)}")

    assert response.status_code == 400
    html = response.content.decode()
    assert f"<strong>{field}</strong>:" in html
    assert error in html
    assert rows(response) == []
    assert "No cases match these filters." in html


# --- htmx --------------------------------------------------------------------------------


def test_it_answers_htmx_with_the_table_fragment_only(lead_client, team):
    case = CaseFactory(team=team)

    response = lead_client.get("/cases/?priority=normal", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert rows(response) == [case.reference]
    assert '<table class="queue">' in html
    assert "<html" not in html
    assert 'id="filter-form"' not in html


def test_it_answers_an_htmx_filter_error_with_the_fragment_and_a_400(lead_client, team):
    CaseFactory(team=team)

    response = lead_client.get("/cases/?channel=fax", HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert "<html" not in response.content.decode()
    assert "Some filters are not valid" in response.content.decode()


def test_it_answers_a_boosted_navigation_with_the_whole_page(lead_client, team):
    CaseFactory(team=team)

    response = lead_client.get("/cases/", HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true")

    assert 'id="filter-form"' in response.content.decode()


# --- My cases ----------------------------------------------------------------------------


def test_it_lists_only_the_agents_own_open_cases(client_for, team, agent, second_agent):
    mine = CaseFactory(team=team, assignee=agent, status=Status.PENDING_CUSTOMER)
    CaseFactory(team=team, assignee=agent, status=Status.RESOLVED)
    CaseFactory(team=team, assignee=second_agent)
    CaseFactory(team=team)

    response = client_for(agent).get("/cases/mine/")

    assert response.status_code == 200
    assert rows(response) == [mine.reference]
    assert "<h1>My cases</h1>" in response.content.decode()


def test_it_gives_only_leads_the_bulk_actions(client_for, team, agent, lead):
    CaseFactory(team=team, assignee=agent)

    as_lead = client_for(lead).get("/cases/").content.decode()
    as_agent = client_for(agent).get("/cases/").content.decode()

    assert "Apply to selected" in as_lead
    assert "<h1>Triage queue</h1>" in as_lead
    assert "Apply to selected" not in as_agent
    assert "<h1>Team queue</h1>" in as_agent
