"""The daily rollup gives exactly the resolution and first-response figures live aggregation over
the facts gives (counts and percentile_cont medians and p90s), in every zone, window and team
filter, and stays right as cases change and after a rebuild."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.models import Case
from metrics import definitions as d
from metrics.daily import daily_rebuild, reads_daily
from metrics.facts import facts_refresh
from metrics.models import CaseFact, FactDay
from metrics.scope import Scope
from tests.factories import TeamFactory
from tests.metrics.conftest import NOW

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(NOW, tick=False),
]

ZONES = ("America/New_York", "Asia/Kolkata", "Asia/Manila", "UTC", "Europe/London", "Australia/Sydney")


def _scope(zone: str, start: date, end: date, **kwargs) -> Scope:
    return Scope(**{"start_day": start, "end_day": end, "tz": ZoneInfo(zone), "visible_team_ids": None, **kwargs})


def _figures(scope: Scope) -> tuple[dict, dict]:
    return d.resolution(scope), d.arrivals(scope)


def _live(monkeypatch, scope: Scope) -> tuple[dict, dict]:
    with monkeypatch.context() as patched:
        patched.setattr(d, "reads_daily", lambda scope: False)
        return _figures(scope)


@pytest.fixture
def spread(plain_team, make_case, refer):
    """Cases around UTC and local midnights and New York's spring-forward night, on a team
    without a calendar and one with (business minutes differ), with durations from 0 minutes to
    weeks (many in one bin, ties, the small exact bins), unanswered and open cases, SLA outcomes,
    reopened and escalated ones, and a restricted case."""
    calendared = TeamFactory(name="Ops", slug="ops-cal", time_zone="Asia/Manila")
    teams = [plain_team, calendared]
    instants = [
        datetime(2026, 3, 8, 6, 59, tzinfo=UTC),
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 3, 59, tzinfo=UTC),
        datetime(2026, 3, 9, 4, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 59, tzinfo=UTC),
        datetime(2026, 3, 14, 15, 59, tzinfo=UTC),
        datetime(2026, 3, 14, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 10, 18, 29, tzinfo=UTC),  # 23:59 in Kolkata
        datetime(2026, 3, 10, 18, 30, tzinfo=UTC),  # midnight in Kolkata
    ]
    instants += [datetime(2026, 2, 18, 2, 11, tzinfo=UTC) + timedelta(hours=7 * i + i % 3) for i in range(110)]
    durations = [0, 1, 7, 15, 16, 17, 45, 45, 45, 46, 300, 301, 1440, 4000, 4001, 20000, 60000]
    cases = []
    for i, received in enumerate(instants):
        first = None if i % 9 == 4 else durations[(i * 5) % len(durations)]
        resolved = None if i % 7 == 3 else durations[(i * 3) % len(durations)] + (first or 0) + i
        cases.append(make_case(teams[i % 2], received, first_response=first, resolved=resolved, refresh=False))
    facts_refresh([case.pk for case in cases], now=NOW)
    outcomes = ["met", "breached", ""]
    for i, case in enumerate(cases):
        CaseFact.objects.filter(pk=case.pk).update(
            sla_first_response=outcomes[i % 3],
            sla_resolution=outcomes[(i // 2) % 3],
            sla_next_response_met=i % 4,
            sla_next_response_breached=i % 3,
            sla_paused_minutes=(i * 17) % 90,
            reopened=i % 5 == 0,
            escalated=i % 6 == 0,
        )
    refer(cases[12])
    daily_rebuild()
    return {"cases": cases, "teams": teams}


@pytest.mark.parametrize("zone", ZONES)
def test_daily_figures_equal_live_aggregation_in_each_zone(monkeypatch, spread, zone):
    for start, end in (
        (date(2026, 3, 8), date(2026, 3, 8)),
        (date(2026, 3, 8), date(2026, 3, 9)),
        (date(2026, 3, 1), date(2026, 3, 14)),
        (date(2026, 2, 1), date(2026, 4, 30)),
    ):
        scope = _scope(zone, start, end)
        assert reads_daily(scope)
        assert _figures(scope) == _live(monkeypatch, scope), (zone, start, end)
    resolution, arrivals = _figures(_scope(zone, date(2026, 2, 1), date(2026, 4, 30)))
    assert resolution["resolved"] > 50 and resolution["median_minutes"] is not None
    assert resolution["median_business_minutes"] != resolution["median_minutes"]
    assert arrivals["unanswered"] > 0 and arrivals["sla"][0]["met"] > 0 and arrivals["p90_minutes"] is not None


def test_daily_figures_equal_live_aggregation_with_team_filters(monkeypatch, spread):
    plain, calendared = spread["teams"]
    for filters in ({"team_ids": (plain.pk,)}, {"visible_team_ids": (calendared.pk,)}, {"visible_team_ids": ()}):
        scope = _scope("America/New_York", date(2026, 2, 20), date(2026, 3, 18), **filters)
        assert reads_daily(scope)
        assert _figures(scope) == _live(monkeypatch, scope), filters


def test_other_filters_read_the_facts():
    assert not reads_daily(_scope("UTC", date(2026, 3, 1), date(2026, 3, 2), channels=("email",)))
    assert not reads_daily(_scope("UTC", date(2026, 3, 1), date(2026, 3, 2), category_ids=(1,)))
    assert not reads_daily(_scope("UTC", date(2026, 3, 1), date(2026, 3, 2), assignee_id=1))


def test_an_empty_window_has_no_percentiles(spread):
    resolution, arrivals = _figures(_scope("UTC", date(2025, 1, 1), date(2025, 1, 31)))
    assert resolution["resolved"] == 0 and resolution["median_minutes"] is None
    assert arrivals["received"] == 0 and arrivals["p90_business_minutes"] is None


def test_refreshed_facts_move_their_days_and_a_rebuild_agrees(monkeypatch, spread):
    cases = spread["cases"]
    # Resolve an open case, move a resolution to another day, reopen one and move a case team.
    open_case = next(case for case in cases if case.resolved_at is None)
    Case.objects.filter(pk=open_case.pk).update(
        status="resolved", resolved_at=open_case.received_at + timedelta(days=3)
    )
    Case.objects.filter(pk=cases[1].pk).update(resolved_at=cases[1].received_at + timedelta(days=9))
    Case.objects.filter(pk=cases[2].pk).update(team=spread["teams"][0])
    facts_refresh([open_case.pk, cases[1].pk, cases[2].pk], now=NOW)
    for zone in ("Asia/Kolkata", "America/New_York"):
        scope = _scope(zone, date(2026, 2, 1), date(2026, 4, 30))
        assert _figures(scope) == _live(monkeypatch, scope), zone
    kept = sorted(FactDay.objects.values_list("day", "team", "metric", "bin", "n"))
    daily_rebuild()
    assert sorted(FactDay.objects.values_list("day", "team", "metric", "bin", "n")) == kept


def test_handle_times_from_the_daily_rollup_equal_live_aggregation(monkeypatch, plain_team, make_case, categories):
    """Chat and phone sessions (1 to 120 minutes after the first response) per category, at
    instants around midnights; longer sessions and e-mail cases are not live sessions."""
    cats = list(categories.values())
    calendared = TeamFactory(name="Ops", slug="ops-cal", time_zone="Asia/Manila")
    cases = []
    for i in range(150):
        received = datetime(2026, 3, 2, 18, 17, tzinfo=UTC) + timedelta(hours=5 * i + i % 4)
        first = (i * 7) % 50
        session = [1, 2, 2, 30, 45, 45, 119, 120, 121, 400][i % 10] + (i % 3)
        cases.append(
            make_case(
                [plain_team, calendared][i % 2],
                received,
                first_response=first,
                resolved=first + session,
                category=cats[i % 3],
                channel=["chat", "phone", "chat", "email"][i % 4],
                refresh=False,
            )
        )
    facts_refresh([case.pk for case in cases], now=NOW)
    for zone in ("America/New_York", "Asia/Kolkata", "UTC"):
        for start, end in ((date(2026, 3, 1), date(2026, 4, 30)), (date(2026, 3, 10), date(2026, 3, 20))):
            for filters in ({}, {"team_ids": (plain_team.pk,)}):
                scope = _scope(zone, start, end, **filters)
                assert reads_daily(scope)
                with monkeypatch.context() as patched:
                    patched.setattr(d, "reads_daily", lambda scope: False)
                    live = d.handle_times(scope)
                assert d.handle_times(scope) == live, (zone, start, end, filters)
    measured = d.handle_times(_scope("UTC", date(2026, 3, 1), date(2026, 4, 30)))
    assert {row["source"] for row in measured.values()} == {"measured"} and len(measured) == 3


@pytest.mark.parametrize("granularity", ["week", "day"])
@pytest.mark.parametrize("zone", ZONES)
def test_trend_medians_from_the_daily_rollup_equal_live_aggregation(monkeypatch, spread, zone, granularity):
    plain, _ = spread["teams"]
    for start, end, filters in (
        (date(2026, 3, 4), date(2026, 3, 17), {}),
        (date(2026, 2, 1), date(2026, 4, 30), {}),
        (date(2026, 2, 1), date(2026, 4, 30), {"team_ids": (plain.pk,)}),
    ):
        scope = _scope(zone, start, end, granularity=granularity, **filters)
        trend = d.trend(scope)
        with monkeypatch.context() as patched:
            patched.setattr(d, "reads_daily", lambda scope: False)
            assert trend == d.trend(scope), (zone, start, end, filters)
        assert any(row["median_minutes"] is not None for row in trend["rows"])
