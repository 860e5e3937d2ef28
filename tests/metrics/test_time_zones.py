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


def test_days_follow_daylight_saving_in_new_york(plain_team, make_case):
    # New York springs forward on Sunday 8 March 2026 at 07:00 UTC. 06:30 UTC is 01:30 EST on the
    # 8th; 03:30 UTC on the 9th is 23:30 EDT on the 8th; 04:30 UTC on the 9th is 00:30 on the 9th.
    for at in ("2026-03-08T06:30", "2026-03-09T03:30", "2026-03-09T04:30"):
        make_case(plain_team, datetime.fromisoformat(at).replace(tzinfo=UTC), first_response=5)
    ny = Scope(
        start_day=date(2026, 3, 7), end_day=date(2026, 3, 9), tz=ZoneInfo("America/New_York"), visible_team_ids=None
    )
    assert _received_by_day(d.trend(ny)) == {date(2026, 3, 7): 0, date(2026, 3, 8): 2, date(2026, 3, 9): 1}
    hours = {how for how, _ in d.arrivals_by_hour_of_week(ny)}
    # Sunday 01:00 and 23:00, Monday 00:00.
    assert hours == {6 * 24 + 1, 6 * 24 + 23, 0}


def test_half_hour_zones_bucket_exactly(plain_team, make_case):
    # Adelaide is UTC+10:30 in summer: 13:29 UTC is 23:59 local, 13:31 UTC is 00:01 the next day.
    make_case(plain_team, datetime(2026, 3, 2, 13, 29, tzinfo=UTC), first_response=5)
    make_case(plain_team, datetime(2026, 3, 2, 13, 31, tzinfo=UTC), first_response=5)
    adelaide = scope("Australia/Adelaide")
    assert _received_by_day(d.trend(adelaide)) == {date(2026, 3, 2): 1, date(2026, 3, 3): 1}
