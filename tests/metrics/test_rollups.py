"""The hourly rollup gives exactly the figures live aggregation over the facts gives, in every
zone and filter it serves, and stays right as cases change (refreshes, concurrent refreshes, a
rebuild)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from cases.models import Case
from metrics import definitions as d
from metrics.facts import facts_refresh
from metrics.models import Campaign, FactHour, Survey
from metrics.rollups import rollup_rebuild, rollup_refresh
from metrics.scope import Scope, reads_rollup
from tests.factories import TeamFactory
from tests.metrics.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

ZONES = ("America/New_York", "Asia/Manila", "Australia/Sydney", "UTC", "Europe/London")


def _scope(zone: str, start: date, end: date, **kwargs) -> Scope:
    return Scope(**{"start_day": start, "end_day": end, "tz": ZoneInfo(zone), "visible_team_ids": None, **kwargs})


def _live(monkeypatch, figure, *args, **kwargs):
    """The same figure aggregated live over the facts (the rollup switched off for this call)."""
    with monkeypatch.context() as patched:
        patched.setattr(d, "reads_rollup", lambda scope: False)
        return figure(*args, **kwargs)


def _panels(scope: Scope) -> dict:
    by_hour = d.arrivals_by_hour_of_week(scope)
    return {"trend": d.trend(scope), "csat": d.csat(scope), "by_hour": by_hour, "campaigns": d.campaigns(scope)}


@pytest.fixture
def varied(plain_team, make_case, categories):
    """Cases at awkward instants: around local midnights, both 2026 daylight-saving changes in
    New York, London and Sydney, UTC midnight; two teams, four categories, surveys answered and
    not, a restricted case and campaigns."""
    other = TeamFactory(name="Ops", slug="ops", calendar=None, time_zone="UTC")
    teams = [plain_team, other]
    cats = list(categories.values())
    instants = [
        datetime(2026, 3, 8, 6, 59, tzinfo=UTC),  # New York, a minute before springing forward
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 3, 30, tzinfo=UTC),  # 23:30 on the 8th in New York (EDT)
        datetime(2026, 3, 9, 4, 0, tzinfo=UTC),  # midnight on the 9th in New York
        datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # London, before the clocks go forward
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2026, 4, 4, 15, 59, tzinfo=UTC),  # Sydney, before the clocks go back
        datetime(2026, 4, 4, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 59, tzinfo=UTC),
        datetime(2026, 3, 14, 15, 59, tzinfo=UTC),  # 23:59 in Manila
        datetime(2026, 3, 14, 16, 0, tzinfo=UTC),  # midnight in Manila
    ]
    instants += [datetime(2026, 2, 20, 1, 17, tzinfo=UTC) + timedelta(hours=13 * i) for i in range(70)]
    cases = []
    for i, received in enumerate(instants):
        resolved = (i * 97) % 3000 + 30 if i % 4 else None
        cases.append(
            make_case(
                teams[i % 2],
                received,
                first_response=(i * 13) % 200 + 1,
                resolved=resolved,
                category=cats[i % len(cats)],
                refresh=False,
            )
        )
    for i, case in enumerate(cases):
        if case.resolved_at is not None and i % 3:
            answered = i % 5 != 0
            Survey.objects.create(
                case=case,
                email="c@example.com",
                nonce=f"n{i}",
                sent_at=case.resolved_at + timedelta(hours=1),
                status="answered" if answered else "sent",
                score=1 + i % 5 if answered else None,
                answered_at=case.resolved_at + timedelta(hours=3) if answered else None,
            )
    for name, starts, ends in (
        ("Launch", date(2026, 3, 7), date(2026, 3, 9)),
        ("Promo", date(2026, 3, 28), date(2026, 4, 5)),
    ):
        campaign = Campaign.objects.create(
            name=name, starts_on=starts, ends_on=ends, expected_extra_cases=4, created_at=NOW
        )
        campaign.categories.set(cats[:2])
    facts_refresh(Case.objects.values_list("pk", flat=True), now=NOW)
    return {"cases": cases, "teams": teams, "categories": cats}


@pytest.mark.parametrize("zone", ZONES)
def test_rollup_figures_equal_live_aggregation_in_each_zone(monkeypatch, varied, zone):
    for start, end, granularity in (
        (date(2026, 3, 8), date(2026, 3, 9), "day"),
        (date(2026, 2, 20), date(2026, 3, 17), "day"),
        (date(2026, 3, 1), date(2026, 4, 10), "week"),
    ):
        scope = _scope(zone, start, end, granularity=granularity)
        assert reads_rollup(scope)
        rolled = _panels(scope)
        assert rolled["trend"]["rows"] and sum(row["received"] for row in rolled["trend"]["rows"]) > 0
        assert rolled == _live(monkeypatch, _panels, scope), (zone, start, end)


def test_rollup_figures_equal_live_aggregation_with_team_and_category_filters(monkeypatch, varied):
    teams, cats = varied["teams"], varied["categories"]
    for filters in (
        {"team_ids": (teams[0].pk,)},
        {"visible_team_ids": (teams[1].pk,)},
        {"category_ids": (cats[0].pk, cats[2].pk)},
        {"team_ids": (teams[1].pk,), "category_ids": (cats[1].pk,)},
    ):
        scope = _scope("America/New_York", date(2026, 2, 20), date(2026, 4, 10), **filters)
        assert reads_rollup(scope)
        rolled = _panels(scope)
        assert rolled["csat"]["answered"] > 0
        assert rolled == _live(monkeypatch, _panels, scope), filters


def test_other_filters_and_half_hour_zones_read_the_facts():
    start, end = date(2026, 3, 1), date(2026, 3, 17)
    assert not reads_rollup(_scope("Australia/Adelaide", start, end))
    assert not reads_rollup(_scope("Asia/Kolkata", start, end))
    assert not reads_rollup(_scope("UTC", start, end, channels=("email",)))
    assert not reads_rollup(_scope("UTC", start, end, assignee_id=1))
    assert reads_rollup(_scope("Asia/Tokyo", start, end))


def test_restricted_cases_are_never_in_the_rollup(plain_team, make_case, refer):
    case = make_case(plain_team, NOW - timedelta(hours=3), first_response=5)
    # Its category's row and its team's subtotal.
    assert FactHour.objects.filter(received=1).count() == 2
    refer(case)
    assert not FactHour.objects.exists()


def test_a_changed_case_moves_between_hours_and_teams(plain_team, make_case, categories):
    other = TeamFactory(name="Ops", slug="ops", calendar=None, time_zone="UTC")
    case = make_case(plain_team, NOW - timedelta(hours=30), first_response=5, category=categories["kyc"])
    hour = (NOW - timedelta(hours=30)).replace(minute=0)

    def rows():
        return list(FactHour.objects.order_by("category_id").values_list("hour", "team_id", "category_id", "received"))

    kyc = categories["kyc"].pk
    assert rows() == [(hour, plain_team.pk, kyc, 1), (hour, plain_team.pk, None, 1)]
    later = NOW - timedelta(hours=2)
    Case.objects.filter(pk=case.pk).update(team=other, received_at=later, first_response_at=later)
    facts_refresh([case.pk], now=NOW)
    # The old hour's row is gone (it counted nothing any more), the new one counts the case.
    moved = later.replace(minute=0)
    assert rows() == [(moved, other.pk, kyc, 1), (moved, other.pk, None, 1)]


def test_refreshing_again_and_rebuilding_change_nothing(varied):
    def rows():
        return list(
            FactHour.objects.order_by("hour", "team_id", "category_id").values_list(
                "hour", "team_id", "category_id", "received", "csat_sent", "csat_answered", "csat_satisfied",
                "csat_score_sum",
            )
        )  # fmt: skip

    before = rows()
    assert before
    facts_refresh([case.pk for case in varied["cases"][:20]], now=NOW)
    assert rows() == before
    rollup_rebuild()
    assert rows() == before


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_the_same_hours_leave_the_rollup_right(plain_team, make_case, categories):
    """Two writers change different cases of the same hours at once; each recomputes those hours.
    The advisory lock makes the later one wait for the earlier's commit, so neither change is lost."""
    received = NOW - timedelta(hours=5)
    first = make_case(plain_team, received, first_response=5, category=categories["kyc"])
    second = make_case(plain_team, received + timedelta(minutes=10), first_response=5, category=categories["kyc"])
    Case.objects.filter(pk__in=[first.pk, second.pk]).update(category=categories["deposits"])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def refresh(case_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            facts_refresh([case_id], now=NOW)
        except BaseException as exc:  # reported below: a thread's exception would be lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh, args=(pk,)) for pk in (first.pk, second.pk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert list(FactHour.objects.order_by("category_id").values_list("category_id", "received")) == [
        (categories["deposits"].pk, 2),
        (None, 2),
    ]
    rollup_refresh([received])
    assert list(FactHour.objects.order_by("category_id").values_list("category_id", "received")) == [
        (categories["deposits"].pk, 2),
        (None, 2),
    ]
