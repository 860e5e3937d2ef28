"""Dashboard pages: who may see what, a fixed query count, bad filter input, CSV and drill-downs."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import DecisionReason, Obligation, RegulatoryFlag
from metrics.facts import facts_refresh
from metrics.models import Campaign, Survey
from people.choices import Role
from tests.factories import TeamFactory, UserFactory
from tests.metrics.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

# session, user, the viewer's team ids; the filter form's team, agent and category choices;
# arrivals by hour of week, agents' shifts, measured handle times, handle times set by leads;
# resolution, arrivals (first response, SLA, escalation rate), trend volume, trend resolution
# median; CSAT totals, by category, team and agent (one query), by escalation path and reason
# (one query) and the latest comments; escalations (totals and three breakdowns: counted hops,
# from their daily rollup or the hops, then the window's ends and overdue hops); open
# obligations, breaches, sign-off turnaround; backlog; two driver tables; campaigns (one row per
# campaign and category) and their daily counts; the bell; and the SET LOCAL work_mem that lets
# the year-long sorts run in memory (inside a savepoint in tests).
DASHBOARD_QUERIES = 3 + 3 + 4 + 4 + 4 + 2 + 3 + 1 + 2 + 2 + 1 + 3


@pytest.fixture
def lead_team(plain_team):
    return plain_team


@pytest.fixture
def lead(lead_team):
    return UserFactory(username="lena", role=Role.LEAD, teams=[lead_team], time_zone="Asia/Manila")


@pytest.fixture
def agent(lead_team):
    return UserFactory(username="ana", role=Role.AGENT, teams=[lead_team])


@pytest.fixture
def busy_desk(lead_team, make_case, escalate, categories, agent):
    """Some of everything a panel reads, so no lazy lookup hides in an empty panel."""
    other = TeamFactory(name="Ops", slug="ops", calendar=None)
    reviewer = UserFactory(role=Role.COMPLIANCE)
    cases = []
    for i in range(12):
        case = make_case(
            lead_team,
            NOW - timedelta(days=i + 1, hours=i),
            first_response=10 + i,
            resolved=100 + 50 * i if i % 3 else None,
            category=list(categories.values())[i % 4],
            assignee=agent,
        )
        cases.append(case)
        if i % 2:
            escalate(
                case,
                other,
                at=case.received_at + timedelta(minutes=5),
                reason="withdrawal_delayed",
                status="returned",
                responded_after=20,
            )
        if case.resolved_at:
            Survey.objects.create(
                case=case,
                email="c@example.com",
                nonce=str(i),
                sent_at=case.resolved_at,
                status="answered",
                score=1 + i % 5,
                answered_at=case.resolved_at,
                comment=f"Comment {i}",
            )
    flag = RegulatoryFlag.objects.create(
        case=cases[0],
        kind="unauthorized_transfer",
        raised_by=agent,
        raised_at=NOW - timedelta(days=1),
        submitted_at=NOW - timedelta(hours=20),
        facts={},
    )
    flag.decisions.create(
        reviewer=reviewer,
        reason=DecisionReason.objects.order_by("pk").first(),
        evidence_hash="x",
        decided_at=NOW - timedelta(hours=2),
    )
    Obligation.objects.create(
        flag=flag,
        case=cases[0],
        rule_code="us_reg_e_investigate",
        rule_name="Reg E",
        citation="x",
        jurisdiction="US-CA",
        triggered_at=NOW - timedelta(days=1),
        due_at=NOW + timedelta(days=3),
        satisfied_by="done",
    )
    facts_refresh([case.pk for case in cases], now=NOW)
    for name in ("Launch", "Promo"):
        campaign = Campaign.objects.create(
            name=name, starts_on=date(2026, 3, 10), ends_on=date(2026, 3, 12), expected_extra_cases=5, created_at=NOW
        )
        campaign.categories.set(list(categories.values())[:2])
    return cases


def _queries(client, path, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries), response


def test_the_dashboard_costs_the_same_queries_empty_or_busy(client_for, lead, lead_team, make_case):
    empty, _ = _queries(client_for(lead), "/metrics/")
    assert empty == DASHBOARD_QUERIES


def test_the_dashboard_query_count_does_not_grow_with_the_data(client_for, lead, busy_desk):
    client = client_for(lead)
    busy, response = _queries(client, "/metrics/")
    assert busy == DASHBOARD_QUERIES
    year, _ = _queries(client, "/metrics/", {"start": "2025-03-19", "end": "2026-03-18", "granularity": "week"})
    assert year == DASHBOARD_QUERIES
    # A channel filter or a half-hour zone reads counts from the facts, not the hourly rollup:
    # the same number of queries.
    filtered, _ = _queries(client, "/metrics/", {"channel": "email"})
    assert filtered == DASHBOARD_QUERIES
    kolkata, _ = _queries(client, "/metrics/", {"tz": "Asia/Kolkata"})
    assert kolkata == DASHBOARD_QUERIES
    page = response.content.decode()
    for panel in (
        "tile-resolution",
        "tile-csat",
        "panel-trend",
        "panel-sla",
        "panel-escalations",
        "panel-regulatory",
        "panel-backlog",
        "panel-drivers",
        "panel-coverage",
        "panel-staffing",
        "panel-campaigns",
    ):
        assert f'id="{panel}"' in page
    assert '<svg class="metrics-chart"' in page and '<title id="chart-volume-title">' in page


def test_a_lead_sees_only_their_teams_cases(client_for, lead, busy_desk, make_case):
    elsewhere = TeamFactory(name="Sydney", slug="sydney", calendar=None)
    hidden = make_case(elsewhere, NOW - timedelta(days=2), first_response=5, resolved=30)
    response = client_for(lead).get("/metrics/cases/received/")
    assert response.status_code == 200
    page = response.content.decode()
    assert busy_desk[0].reference in page
    assert hidden.reference not in page


@pytest.mark.parametrize("key", ["received", "backlog"])
def test_drill_down_pages_follow_on_without_gaps_or_repeats(client_for, lead, lead_team, make_case, key):
    # 53 open cases, two of them received at the same instant (the case id breaks the tie).
    received = [NOW - timedelta(hours=3 * i + 1) for i in range(52)] + [NOW - timedelta(hours=1)]
    cases = [make_case(lead_team, at, refresh=False) for at in received]
    facts_refresh([case.pk for case in cases], now=NOW)
    client = client_for(lead)
    references = re.compile(r'class="ref"><a href="[^"]+">([^<]+)</a>')
    first, page_one = _queries(client, f"/metrics/cases/{key}/")
    older = re.search(r'href="\?([^"]*before=[^"]+)">Older', page_one.content.decode())
    assert older, "a first page of 50 links to the older cases"
    second, page_two = _queries(client, f"/metrics/cases/{key}/?{html.unescape(older.group(1))}")
    shown_one = references.findall(page_one.content.decode())
    shown_two = references.findall(page_two.content.decode())
    assert len(shown_one) == 50 and len(shown_two) == 3
    newest_first = sorted(cases, key=lambda case: (case.received_at, case.pk), reverse=True)
    assert shown_one + shown_two == [case.reference for case in newest_first]
    assert "Older" not in page_two.content.decode()
    assert first == second


def test_a_mangled_drill_down_cursor_shows_the_first_page(client_for, lead, busy_desk):
    response = client_for(lead).get("/metrics/cases/received/", {"before": "tomorrow.x"})
    assert response.status_code == 200
    assert busy_desk[0].reference in response.content.decode()


def test_restricted_cases_never_appear_in_a_drill_down_or_a_figure(client_for, lead, lead_team, make_case, refer):
    secret = make_case(lead_team, NOW - timedelta(days=2), first_response=5, resolved=30)
    refer(secret)
    client = client_for(lead)
    assert secret.reference not in client.get("/metrics/cases/received/").content.decode()
    assert secret.reference not in client.get("/metrics/cases/resolved/").content.decode()
    assert "0 resolved" in client.get("/metrics/").content.decode()


def test_an_agent_gets_own_figures_not_the_dashboard(client_for, agent, busy_desk):
    client = client_for(agent)
    assert client.get("/metrics/").status_code == 403
    assert client.get("/metrics/export/trend.csv").status_code == 403
    page = client.get("/metrics/mine/")
    assert page.status_code == 200
    assert 'id="own-figures"' in page.content.decode()


def test_an_agent_drill_down_shows_only_their_own_cases(client_for, agent, lead_team, busy_desk, make_case):
    colleague = UserFactory(role=Role.AGENT, teams=[lead_team])
    theirs = make_case(lead_team, NOW - timedelta(days=1), first_response=5, assignee=colleague)
    page = client_for(agent).get("/metrics/cases/received/", {"agent": colleague.pk}).content.decode()
    assert theirs.reference not in page
    assert busy_desk[0].reference in page


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FIU])
def test_admins_and_fiu_get_no_dashboard_or_case_lists(client_for, role, busy_desk):
    client = client_for(UserFactory(role=role, is_staff=role == Role.ADMIN))
    for path in (
        "/metrics/",
        "/metrics/mine/",
        "/metrics/cases/received/",
        "/metrics/export/csat.csv",
        "/metrics/campaigns/",
    ):
        assert client.get(path).status_code == 403, path


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/metrics/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_auditor_reads_the_dashboard_but_cannot_enter_campaigns(client_for, auditor, busy_desk):
    client = client_for(auditor)
    assert client.get("/metrics/").status_code == 200
    response = client.post(
        "/metrics/campaigns/",
        {"name": "x", "starts_on": "2026-03-01", "ends_on": "2026-03-02", "expected_extra_cases": "5"},
    )
    assert response.status_code == 403
    assert not Campaign.objects.filter(name="x").exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end date is before the start date"),
        ({"start": "1999-01-01", "end": "2026-03-01"}, "has no data then"),
        ({"start": "2024-01-01", "end": "2026-03-01"}, "pick at most 366 days"),
        ({"end": "2030-01-01", "start": "2029-12-01"}, "in the future"),
        ({"start": "yesterday"}, "Enter a valid date"),
        ({"team": "99999"}, "not one of the choices you may use"),
        ({"team": "abc"}, "is not a valid value"),
        ({"category": "99999"}, "not one of the choices you may use"),
        ({"channel": "fax"}, "Unknown value “fax”"),
        ({"jurisdiction": "US-XX"}, "Unknown value “US-XX”"),
        ({"flag_kind": "alien"}, "Unknown value “alien”"),
        ({"tier": "gold"}, "Unknown value “gold”"),
        ({"tz": "Mars/Olympus"}, "Unknown value “Mars/Olympus”"),
        ({"hour": "200"}, "less than or equal to 167"),
    ],
)
def test_bad_filters_are_explained_and_nothing_is_computed(client_for, lead, busy_desk, params, message):
    response = client_for(lead).get("/metrics/", params)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Nothing was computed" in page
    assert client_for(lead).get("/metrics/export/trend.csv", params).status_code == 400


def test_a_team_of_another_lead_is_an_unknown_value(client_for, lead, other_team):
    response = client_for(lead).get("/metrics/", {"team": other_team.pk})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "chart", ["trend", "sla", "csat", "escalations", "regulatory", "backlog", "drivers", "coverage", "campaigns"]
)
def test_every_chart_exports_csv(client_for, lead, busy_desk, chart):
    response = client_for(lead).get(f"/metrics/export/{chart}.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) >= 2


def test_sla_csv_matches_the_dashboard_definition(client_for, lead, busy_desk):
    from metrics import definitions as d
    from metrics.scope import Scope

    rows = list(csv.reader(io.StringIO(client_for(lead).get("/metrics/export/sla.csv").content.decode())))
    scope = Scope(
        start_day=date(2026, 2, 17),
        end_day=date(2026, 3, 18),
        tz=__import__("zoneinfo").ZoneInfo("Asia/Manila"),
        visible_team_ids=(lead.memberships.get().team_id,),
    )
    expected = d.arrivals(scope)["sla"]
    assert [r[0] for r in rows[1:]] == [row["metric"] for row in expected]
    assert [int(r[1]) for r in rows[1:]] == [row["met"] for row in expected]


def test_drill_down_of_an_unknown_figure_is_404(client_for, lead):
    assert client_for(lead).get("/metrics/cases/everything/").status_code == 404


def test_how_we_count_shows_every_definition(client_for, lead):
    page = client_for(lead).get("/metrics/how-we-count/").content.decode()
    for phrase in ("Resolution time", "percentile_cont", "Erlang C", "Stop-the-clock", "Bounce-backs"):
        assert phrase in page


def test_a_lead_enters_a_campaign(client_for, lead, categories):
    response = client_for(lead).post(
        "/metrics/campaigns/",
        {
            "name": "Card launch",
            "starts_on": "2026-03-20",
            "ends_on": "2026-03-25",
            "expected_extra_cases": "120",
            "categories": [categories["withdrawals"].pk],
        },
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Card launch")
    assert list(campaign.categories.all()) == [categories["withdrawals"]]


def test_an_inverted_campaign_is_refused(client_for, lead):
    response = client_for(lead).post(
        "/metrics/campaigns/",
        {"name": "Oops", "starts_on": "2026-03-25", "ends_on": "2026-03-20", "expected_extra_cases": "1"},
    )
    assert response.status_code == 400
    assert "ends before it starts" in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_cached_dashboard_is_recomputed_when_its_inputs_change(client_for, lead, busy_desk, monkeypatch, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "metrics"}}
    monkeypatch.setattr("metrics.cache.DASHBOARD_CACHE_SECONDS", 300)
    client = client_for(lead)
    first, _ = _queries(client, "/metrics/")
    assert first == DASHBOARD_QUERIES
    again, _ = _queries(client, "/metrics/")
    # Only the session, the viewer, their teams, the filter form's choices and the bell.
    assert again == 3 + 3 + 1
    other, _ = _queries(client, "/metrics/", {"granularity": "week"})
    assert other == DASHBOARD_QUERIES
    from metrics.services import campaign_save

    campaign_save(
        actor=lead,
        name="New",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 2),
        expected_extra_cases=3,
        categories=[],
    )
    from metrics.cache import generation_bump

    generation_bump()  # what the on-commit hook does once the test transaction would commit
    fresh, response = _queries(client, "/metrics/")
    assert fresh == DASHBOARD_QUERIES
    assert "New" in response.content.decode()


def test_the_sweep_task_warms_each_viewers_default_dashboard(client_for, lead, busy_desk, monkeypatch, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "warm"}}
    monkeypatch.setattr("metrics.cache.DASHBOARD_CACHE_SECONDS", 300)
    from metrics.tasks import facts_sweep_task

    facts_sweep_task()
    served, response = _queries(client_for(lead), "/metrics/")
    assert served == 3 + 3 + 1
    assert 'id="panel-coverage"' in response.content.decode()


def test_own_figures_put_the_agents_cases_next_to_the_teams(client_for, agent, lead_team, make_case):
    colleague = UserFactory(role=Role.AGENT, teams=[lead_team])
    make_case(lead_team, NOW - timedelta(days=2), first_response=10, resolved=60, assignee=agent)
    make_case(lead_team, NOW - timedelta(days=2), first_response=30, resolved=600, assignee=colleague)
    from metrics.scope import Scope
    from metrics.selectors import own_figures

    team = Scope(
        start_day=date(2026, 2, 17),
        end_day=date(2026, 3, 18),
        tz=__import__("zoneinfo").ZoneInfo("UTC"),
        visible_team_ids=(lead_team.pk,),
        team_ids=(lead_team.pk,),
    )
    figures = own_figures(__import__("dataclasses").replace(team, assignee_id=agent.pk), team)
    assert (figures["mine"]["resolved"], figures["team"]["resolved"]) == (1, 2)
    assert figures["mine"]["median_minutes"] == 60
    assert figures["team"]["median_minutes"] == 330
    assert figures["mine"]["qa_mean"] is None
    page = client_for(agent).get("/metrics/mine/").content.decode()
    assert "QA score" in page and "1h" in page
