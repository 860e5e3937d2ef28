"""Dashboard facts (the rollup Celery keeps) give the same figures as live aggregation over the
source tables, and the sweep picks up what changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q

from cases.choices import Status
from cases.models import Case
from metrics import definitions as d
from metrics.aggregates import summarize
from metrics.facts import facts_refresh, facts_sweep
from metrics.models import CaseFact
from metrics.scope import Scope
from tests.metrics.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def _scope() -> Scope:
    return Scope(
        start_day=date(2026, 2, 1), end_day=date(2026, 3, 17), tz=ZoneInfo("America/New_York"), visible_team_ids=None
    )


def _minutes(value):
    return value.total_seconds() / 60 if isinstance(value, timedelta) else value


@pytest.fixture
def many_cases(plain_team, make_case, categories):
    start = datetime(2026, 2, 1, 3, 0, tzinfo=UTC)
    for i in range(60):
        make_case(
            plain_team,
            start + timedelta(hours=17 * i),
            first_response=(i * 37) % 300 + 1,
            resolved=(i * 131) % 5000 + 400 if i % 5 else None,
            reopen_count=1 if i % 7 == 0 else 0,
            category=list(categories.values())[i % 4],
            refresh=False,
        )
    facts_refresh(Case.objects.values_list("pk", flat=True), now=NOW)


def test_resolution_figures_from_facts_equal_live_aggregation_over_cases(many_cases):
    scope = _scope()
    live_cases = Case.objects.filter(resolved_at__gte=scope.start, resolved_at__lt=scope.end).annotate(
        took=ExpressionWrapper(F("resolved_at") - F("received_at"), output_field=DurationField())
    )
    live = summarize(
        live_cases,
        counts={"n": Count("pk"), "reopened": Count("pk", filter=Q(reopen_count__gt=0))},
        percentiles={"took": "took"},
    )
    figures = d.resolution(scope)
    assert figures["resolved"] == live["n"] > 0
    assert figures["reopened"] == live["reopened"]
    assert figures["median_minutes"] == pytest.approx(_minutes(live["took"][0]))
    assert figures["p90_minutes"] == pytest.approx(_minutes(live["took"][1]))


def test_first_response_figures_from_facts_equal_live_aggregation(many_cases):
    scope = _scope()
    live_cases = Case.objects.filter(received_at__gte=scope.start, received_at__lt=scope.end).annotate(
        took=ExpressionWrapper(F("first_response_at") - F("received_at"), output_field=DurationField())
    )
    live = summarize(live_cases, counts={"n": Count("pk")}, percentiles={"took": "took"})
    figures = d.arrivals(scope)
    assert figures["received"] == live["n"]
    assert figures["median_minutes"] == pytest.approx(_minutes(live["took"][0]))
    assert figures["p90_minutes"] == pytest.approx(_minutes(live["took"][1]))


def test_the_sweep_refreshes_cases_changed_since_its_last_run(plain_team, make_case):
    case = make_case(plain_team, NOW - timedelta(hours=5), first_response=10)
    facts_sweep(now=NOW)
    assert CaseFact.objects.get(pk=case.pk).resolved_at is None
    later = NOW + timedelta(minutes=7)
    Case.objects.filter(pk=case.pk).update(status=Status.RESOLVED, resolved_at=later, updated_at=later)
    facts_sweep(now=later + timedelta(minutes=1))
    fact = CaseFact.objects.get(pk=case.pk)
    assert fact.resolved_at == later
    assert fact.resolution_minutes == 5 * 60 + 7


def test_refreshing_twice_changes_nothing(plain_team, make_case):
    case = make_case(plain_team, NOW - timedelta(hours=2), first_response=3, resolved=50)
    before = CaseFact.objects.filter(pk=case.pk).values().get()
    facts_refresh([case.pk], now=NOW)
    assert CaseFact.objects.filter(pk=case.pk).values().get() == before


def test_business_minutes_count_only_the_team_calendar_open_hours(team, make_case):
    # The team's calendar: Manila, weekdays 09:00-17:00. Received Friday 16:00 Manila (08:00 UTC),
    # resolved Monday 10:00 Manila: 60 minutes Friday + 60 minutes Monday.
    received = datetime(2026, 3, 13, 8, 0, tzinfo=UTC)
    case = make_case(
        team,
        received,
        first_response=30,
        resolved=int((datetime(2026, 3, 16, 2, 0, tzinfo=UTC) - received).total_seconds() // 60),
    )
    fact = CaseFact.objects.get(pk=case.pk)
    assert fact.resolution_business_minutes == 120
    assert fact.first_response_business_minutes == 30
