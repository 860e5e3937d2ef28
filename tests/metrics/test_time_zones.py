"""Days and hours are counted in the viewer's chosen zone: a day in Manila is not a day in New York."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from metrics import definitions as d
from metrics.scope import Scope
from tests.metrics.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

# Monday 2 March 2026, 23:30 UTC: Tuesday 07:30 in Manila, Monday 18:30 in New York.
LATE_MONDAY_UTC = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)


def scope(zone: str, **kwargs) -> Scope:
    return Scope(
        start_day=date(2026, 3, 2), end_day=date(2026, 3, 3), tz=ZoneInfo(zone), visible_team_ids=None, **kwargs
    )


@pytest.fixture
def late_case(plain_team, make_case):
    return make_case(plain_team, LATE_MONDAY_UTC, first_response=10, resolved=20)


def _received_by_day(figures) -> dict:
    return {row["bucket"]: row["received"] for row in figures["rows"]}


def test_trend_puts_the_case_on_tuesday_in_manila_and_monday_in_new_york(late_case):
    manila = _received_by_day(d.trend(scope("Asia/Manila")))
    new_york = _received_by_day(d.trend(scope("America/New_York")))
    assert manila == {date(2026, 3, 2): 0, date(2026, 3, 3): 1}
    assert new_york == {date(2026, 3, 2): 1, date(2026, 3, 3): 0}


def test_the_window_is_whole_local_days(late_case):
    # Only Monday 2 March: the case is inside it in New York, outside it in Manila.
    monday_ny = Scope(
        start_day=date(2026, 3, 2), end_day=date(2026, 3, 2), tz=ZoneInfo("America/New_York"), visible_team_ids=None
    )
    monday_mnl = Scope(
        start_day=date(2026, 3, 2), end_day=date(2026, 3, 2), tz=ZoneInfo("Asia/Manila"), visible_team_ids=None
    )
    assert d.arrivals(monday_ny)["received"] == 1
    assert d.arrivals(monday_mnl)["received"] == 0


def test_hour_of_week_follows_the_zone(late_case):
    manila = d.arrivals_by_hour_of_week(scope("Asia/Manila"))
    new_york = d.arrivals_by_hour_of_week(scope("America/New_York"))
    assert {how for how, _ in manila} == {24 + 7}
    assert {how for how, _ in new_york} == {18}


def test_weekly_buckets_start_on_monday_in_the_zone(late_case):
    weekly = d.trend(scope("Asia/Manila", granularity="week"))
    assert [(row["bucket"], row["received"]) for row in weekly["rows"]] == [(date(2026, 3, 2), 1)]
