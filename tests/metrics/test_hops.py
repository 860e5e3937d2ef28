"""The daily rollup of escalation hops gives exactly the escalations panel live aggregation over
the hops gives, in every zone and team filter, and follows hops as they are answered, cases as
they move team and are referred to the FIU."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.models import Case
from escalations.models import Escalation
from metrics import definitions as d
from metrics.facts import facts_refresh
from metrics.hops import hops_rebuild, split_days
from metrics.models import HopDay
from metrics.scope import Scope, reads_hop_rollup
from tests.factories import TeamFactory
from tests.metrics.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

ZONES = ("America/New_York", "Asia/Manila", "Asia/Kolkata", "UTC", "Europe/London", "Australia/Sydney")
REASONS = ("agent_out_of_depth", "scam_reported", "vip_customer")


def _scope(zone: str, start: date, end: date, **kwargs) -> Scope:
    return Scope(**{"start_day": start, "end_day": end, "tz": ZoneInfo(zone), "visible_team_ids": None, **kwargs})


def _live(monkeypatch, scope: Scope) -> dict:
    with monkeypatch.context() as patched:
        patched.setattr(d, "reads_hop_rollup", lambda scope: False)
        return d.escalations(scope, now=NOW)


@pytest.fixture
def hops(plain_team, make_case, escalate, refer):
    """Hops at awkward instants (UTC and local midnights, New York's spring-forward night),
    from two teams to a third, returned, answered late, answered on time and unanswered (some
    past due); one case referred to the FIU."""
    other = TeamFactory(name="Ops", slug="ops", calendar=None, time_zone="UTC")
    target = TeamFactory(name="Fraud", slug="fraud-x", calendar=None, time_zone="UTC")
    instants = [
        datetime(2026, 3, 8, 6, 59, tzinfo=UTC),
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 3, 59, tzinfo=UTC),  # 23:59 on the 8th in New York (EDT)
        datetime(2026, 3, 9, 4, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 59, tzinfo=UTC),
        datetime(2026, 3, 14, 15, 59, tzinfo=UTC),  # 23:59 in Manila
        datetime(2026, 3, 14, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 18, 11, 0, tzinfo=UTC),  # an hour before NOW
    ]
    instants += [datetime(2026, 2, 20, 1, 17, tzinfo=UTC) + timedelta(hours=11 * i) for i in range(60)]
    cases = []
    for i, at in enumerate(instants):
        case = make_case([plain_team, other][i % 2], at - timedelta(hours=1), first_response=5)
        cases.append(case)
        kind = i % 4
        if kind == 0:
            escalate(case, target, at=at, reason=REASONS[i % 3], status="returned", responded_after=30)
        elif kind == 1:
            escalate(case, target, at=at, reason=REASONS[i % 3], status="accepted", responded_after=90)
        elif kind == 2:
            escalate(case, target, at=at, reason=REASONS[i % 3], status="accepted", responded_after=10)
        else:
            escalate(case, target, at=at, reason=REASONS[i % 3], due_after=60 if i % 8 == 3 else 60 * 24 * 40)
    refer(cases[5])
    return {"cases": cases, "teams": [plain_team, other, target]}


def test_split_days_keeps_whole_utc_days_and_the_ends():
    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 3, 1, tzinfo=new_york)
    end = datetime(2026, 3, 10, tzinfo=new_york)
    days, edges = split_days(start, end)
    assert days == (date(2026, 3, 2), date(2026, 3, 10))
    assert edges == [(start, datetime(2026, 3, 2, tzinfo=UTC)), (datetime(2026, 3, 10, tzinfo=UTC), end)]
    assert split_days(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)) == (
        (date(2026, 3, 1), date(2026, 3, 3)),
        [],
    )
    short = (datetime(2026, 3, 1, 5, tzinfo=UTC), datetime(2026, 3, 1, 9, tzinfo=UTC))
    assert split_days(*short) == (None, [short])


@pytest.mark.parametrize("zone", ZONES)
def test_rollup_escalations_equal_live_aggregation_in_each_zone(monkeypatch, hops, zone):
    for start, end in (
        (date(2026, 3, 8), date(2026, 3, 8)),
        (date(2026, 3, 8), date(2026, 3, 9)),
        (date(2026, 2, 20), date(2026, 3, 18)),
        (date(2026, 2, 1), date(2026, 4, 30)),
    ):
        scope = _scope(zone, start, end)
        assert reads_hop_rollup(scope)
        rolled = d.escalations(scope, now=NOW)
        assert rolled == _live(monkeypatch, scope), (zone, start, end)
    year = d.escalations(_scope(zone, date(2026, 1, 1), date(2026, 3, 31)), now=NOW)
    # The referred case's hop is never counted; some unanswered hops are overdue.
    assert year["hops"] == len(hops["cases"]) - 1
    assert year["overdue"] > 0 and year["bounced"] > 0 and 0 < year["on_time"] < year["answered"]


def test_rollup_escalations_equal_live_aggregation_with_team_filters(monkeypatch, hops):
    plain, other, _ = hops["teams"]
    for filters in ({"team_ids": (plain.pk,)}, {"visible_team_ids": (other.pk,)}, {"visible_team_ids": ()}):
        scope = _scope("America/New_York", date(2026, 2, 20), date(2026, 3, 18), **filters)
        assert reads_hop_rollup(scope)
        assert d.escalations(scope, now=NOW) == _live(monkeypatch, scope), filters


def test_other_filters_read_the_hops():
    scope = _scope("UTC", date(2026, 2, 20), date(2026, 3, 18), channels=("email",))
    assert not reads_hop_rollup(scope)
    assert not reads_hop_rollup(_scope("UTC", date(2026, 2, 20), date(2026, 3, 18), category_ids=(1,)))


def test_rollup_follows_answers_team_moves_and_referrals(monkeypatch, hops, refer):
    scope = _scope("Asia/Manila", date(2026, 2, 1), date(2026, 3, 31))
    plain, other, _ = hops["teams"]
    cases = hops["cases"]
    # Answer an unanswered hop (returned), move a case to the other team, refer another.
    hop = Escalation.objects.filter(case=cases[3]).get()
    Escalation.objects.filter(pk=hop.pk).update(
        status="returned", outcome="wrong_team", responded_at=hop.requested_at + timedelta(minutes=5), closed_at=NOW
    )
    Case.objects.filter(pk=cases[4].pk).update(team=other if cases[4].team_id == plain.pk else plain)
    refer(cases[8])
    facts_refresh([cases[3].pk, cases[4].pk], now=NOW)
    for filters in ({}, {"team_ids": (plain.pk,)}, {"team_ids": (other.pk,)}):
        scoped = _scope("Asia/Manila", date(2026, 2, 1), date(2026, 3, 31), **filters)
        assert d.escalations(scoped, now=NOW) == _live(monkeypatch, scoped), filters
    assert d.escalations(scope, now=NOW)["hops"] == len(cases) - 2
    # A rebuild writes the same rows the refreshes kept.
    kept = sorted(HopDay.objects.values_list("day", "team", "reason", "to_team", "from_team", "hops", "returned",
                                             "answered", "on_time"))  # fmt: skip
    hops_rebuild()
    assert sorted(HopDay.objects.values_list("day", "team", "reason", "to_team", "from_team", "hops", "returned",
                                             "answered", "on_time")) == kept  # fmt: skip
