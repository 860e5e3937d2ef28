"""Each figure against numbers worked out by hand from a small, known set of cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.choices import SlaMetric, Status
from compliance.models import RegulatoryFlag
from metrics import definitions as d
from metrics.facts import facts_refresh
from metrics.models import Campaign, Survey
from metrics.scope import Scope
from tests.factories import SlaTimerFactory, TeamFactory, UserFactory
from tests.metrics.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

UTC_ZONE = ZoneInfo("UTC")


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def scope(**kwargs) -> Scope:
    values = {"start_day": date(2026, 3, 1), "end_day": date(2026, 3, 17), "tz": UTC_ZONE, "visible_team_ids": None}
    values.update(kwargs)
    return Scope(**values)


@pytest.fixture
def desk(plain_team, make_case, escalate, refer, categories):
    other = TeamFactory(name="Ops", slug="ops", calendar=None, time_zone="UTC")
    cases = {
        "a": make_case(plain_team, at(2), first_response=30, resolved=120, category=categories["withdrawals"]),
        "b": make_case(plain_team, at(3), first_response=60, resolved=240, reopen_count=1, category=categories["kyc"]),
        "c": make_case(plain_team, at(4), first_response=90, resolved=600, category=categories["scam-fraud"]),
        "d": make_case(plain_team, at(5), status=Status.OPEN),
        # Received before the window, resolved inside it (after 10 days).
        "e": make_case(plain_team, at(20, month=2), first_response=10, resolved=14_400),
        # Referred to the FIU (and escalated): restricted, never counted.
        "f": make_case(plain_team, at(6), first_response=5, resolved=50),
    }
    escalate(cases["a"], other, at=at(2, 11), status="returned", responded_after=30, due_after=60)
    escalate(cases["f"], other, at=at(6, 10), status="accepted", responded_after=5)
    refer(cases["f"])
    SlaTimerFactory(
        case=cases["a"], metric=SlaMetric.FIRST_RESPONSE, started_at=at(2), met_at=at(2) + timedelta(minutes=30)
    )
    SlaTimerFactory(
        case=cases["b"], metric=SlaMetric.FIRST_RESPONSE, started_at=at(3), met_at=at(3) + timedelta(minutes=61)
    )
    RegulatoryFlag.objects.create(
        case=cases["c"], kind="scam_fraud", raised_by=UserFactory(), raised_at=at(4, 11), facts={}
    )
    for key, score in (("a", 5), ("b", 2), ("c", None)):
        case = cases[key]
        Survey.objects.create(
            case=case,
            email="x@example.com",
            nonce=key,
            sent_at=case.resolved_at + timedelta(hours=1),
            status="answered" if score else "sent",
            score=score,
            answered_at=case.resolved_at + timedelta(hours=2) if score else None,
            comment="Too slow" if score == 2 else "",
        )
    facts_refresh([c.pk for c in cases.values()], now=NOW)
    return cases


def test_resolution_median_and_p90_over_cases_resolved_in_the_window(desk):
    figures = d.resolution(scope())
    # Resolved in the window: 120, 240, 600 and 14,400 minutes (the FIU case is left out).
    assert figures["resolved"] == 4
    assert figures["median_minutes"] == pytest.approx(420)
    assert figures["p90_minutes"] == pytest.approx(600 + 0.7 * (14_400 - 600))
    # No calendar: business minutes are calendar minutes.
    assert figures["median_business_minutes"] == pytest.approx(420)
    assert figures["reopened"] == 1
    assert figures["reopen_rate"] == 25.0


def test_first_response_escalation_rate_and_sla_attainment_over_cases_received(desk):
    figures = d.arrivals(scope())
    assert figures["received"] == 4
    assert figures["unanswered"] == 1
    assert figures["median_minutes"] == pytest.approx(60)
    assert figures["p90_minutes"] == pytest.approx(84)
    assert figures["escalated"] == 1
    assert figures["escalation_rate"] == 25.0
    first = figures["sla"][0]
    assert (first["met"], first["breached"], first["attainment"]) == (1, 1, 50.0)


def test_csat_is_the_share_of_four_and_five_answers(desk, categories):
    figures = d.csat(scope())
    assert (figures["sent"], figures["answered"], figures["satisfied"]) == (3, 2, 1)
    assert figures["csat"] == 50.0
    assert figures["mean"] == 3.5
    assert figures["response_rate"] == pytest.approx(66.7)
    assert [c["comment"] for c in figures["comments"]] == ["Too slow"]
    by_category = {row["label"]: row["csat"] for row in figures["by_category"]}
    assert by_category == {categories["withdrawals"].name: 100.0, categories["kyc"].name: 0.0}


def test_escalations_count_bounce_backs_and_ola_attainment(desk):
    figures = d.escalations(scope(), now=NOW)
    # The referred case's hop is restricted and not counted.
    assert figures["hops"] == 1
    assert figures["bounced"] == 1
    assert figures["ola_attainment"] == 100.0
    assert [row["label"] for row in figures["by_target"]] == ["Ops"]


def test_backlog_buckets_open_cases_by_age_and_status(desk):
    figures = d.backlog(scope(), now=NOW)
    assert figures["total"] == 1
    week_to_month = next(row for row in figures["rows"] if row["label"] == "7–30 days")
    assert week_to_month["counts"][figures["statuses"].index("open")] == 1


def test_flag_kind_filter_keeps_cases_with_that_flag(desk):
    assert d.arrivals(scope(flag_kinds=("scam_fraud",)))["received"] == 1
    assert d.arrivals(scope(flag_kinds=("sanctions_match",)))["received"] == 0


def test_team_filter_and_visibility_narrow_every_figure(desk, plain_team):
    assert d.arrivals(scope(visible_team_ids=(plain_team.pk,)))["received"] == 4
    assert d.arrivals(scope(visible_team_ids=(plain_team.pk + 999,)))["received"] == 0
    assert d.csat(scope(visible_team_ids=(plain_team.pk + 999,)))["sent"] == 0


def test_campaign_actual_extra_is_volume_above_the_baseline(plain_team, make_case, categories):
    withdrawals = categories["withdrawals"]
    # Baseline: one withdrawal case a day for the 28 days before; five a day during the campaign.
    for offset in range(1, 29):
        make_case(plain_team, at(10) - timedelta(days=offset), category=withdrawals)
    for day in (10, 11):
        for hour in range(5):
            make_case(plain_team, at(day, 8 + hour), category=withdrawals)
    campaign = Campaign.objects.create(
        name="Launch", starts_on=date(2026, 3, 10), ends_on=date(2026, 3, 11), expected_extra_cases=10, created_at=NOW
    )
    campaign.categories.set([withdrawals])
    row = d.campaigns(scope())["rows"][0]
    assert row["baseline_per_day"] == 1.0
    assert row["during"] == 10
    assert row["actual_extra"] == 8
    assert row["attainment"] == 80.0


def test_top_drivers_rank_categories_by_week_over_week_rise(plain_team, make_case, categories):
    for offset in range(3):
        make_case(plain_team, at(14) - timedelta(days=offset), category=categories["kyc"])
    make_case(plain_team, at(5), category=categories["kyc"])
    make_case(plain_team, at(6), category=categories["deposits"])
    drivers = d.top_drivers(scope(end_day=date(2026, 3, 17)), now=NOW)
    assert [(row["this_week"], row["last_week"], row["rise"]) for row in drivers["categories"]] == [(3, 1, 2)]
