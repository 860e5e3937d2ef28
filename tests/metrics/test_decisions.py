"""Sign-off turnaround read from the decisions' facts equals the figure joined live from
decisions, flags and cases, and the facts follow decisions as they are made, voided and
re-submitted (through the sweep), and cases as they move team or are referred to the FIU."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from compliance.models import DecisionReason, FlagDecision, RegulatoryFlag
from metrics import definitions as d
from metrics.facts import facts_refresh, facts_sweep
from metrics.models import DecisionFact
from metrics.scope import Scope, reads_hop_rollup
from tests.factories import TeamFactory, UserFactory
from tests.metrics.conftest import NOW

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(NOW, tick=False),
]


def _scope(zone: str, start: date, end: date, **kwargs) -> Scope:
    return Scope(**{"start_day": start, "end_day": end, "tz": ZoneInfo(zone), "visible_team_ids": None, **kwargs})


def _live(monkeypatch, scope: Scope) -> dict:
    with monkeypatch.context() as patched:
        patched.setattr(d, "reads_hop_rollup", lambda scope: False)
        return d.regulatory(scope, now=NOW)


def _decide(flag, reviewer, at, **fields):
    return FlagDecision.objects.create(
        flag=flag, reviewer=reviewer, reason=DecisionReason.objects.order_by("pk").first(), evidence_hash="x",
        decided_at=at, **fields,
    )  # fmt: skip


@pytest.fixture
def signed(plain_team, make_case, refer):
    """Flags on cases of two teams, submitted and decided at awkward instants (some voided, one
    never submitted), one case referred to the FIU."""
    other = TeamFactory(name="Ops", slug="ops-dec", calendar=None, time_zone="UTC")
    agent, reviewer = UserFactory(role="agent"), UserFactory(role="compliance")
    flags = []
    for i in range(40):
        received = datetime(2026, 2, 20, 3, 7, tzinfo=UTC) + timedelta(hours=23 * i)
        case = make_case([plain_team, other][i % 2], received, first_response=5)
        flag = RegulatoryFlag.objects.create(
            case=case,
            kind="unauthorized_transfer",
            raised_by=agent,
            raised_at=received,
            submitted_at=None if i == 7 else received + timedelta(minutes=30 + 11 * i),
            facts={},
        )
        _decide(flag, reviewer, received + timedelta(minutes=95 + 37 * i + (i % 5) * 600))
        if i % 6 == 0:
            FlagDecision.objects.filter(flag=flag).update(voided_at=received + timedelta(days=3), void_reason="x")
            _decide(flag, UserFactory(role="compliance"), received + timedelta(days=3, hours=i % 7))
        flags.append(flag)
        facts_refresh([case.pk], now=NOW)
    refer(flags[3].case)
    return {"flags": flags, "teams": [plain_team, other], "reviewer": reviewer}


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "UTC"])
def test_turnaround_from_decision_facts_equals_live_joins(monkeypatch, signed, zone):
    plain, other = signed["teams"]
    for start, end, filters in (
        (date(2026, 2, 1), date(2026, 4, 30), {}),
        (date(2026, 3, 1), date(2026, 3, 9), {}),
        (date(2026, 2, 1), date(2026, 4, 30), {"team_ids": (plain.pk,)}),
        (date(2026, 2, 1), date(2026, 4, 30), {"visible_team_ids": (other.pk,)}),
    ):
        scope = _scope(zone, start, end, **filters)
        assert reads_hop_rollup(scope)
        assert d.regulatory(scope, now=NOW) == _live(monkeypatch, scope), (zone, start, end, filters)
    whole = d.regulatory(_scope(zone, date(2026, 2, 1), date(2026, 4, 30)), now=NOW)
    # Every decision of a submitted flag, voided ones too, except the referred case's.
    assert whole["decisions"] == FlagDecision.objects.filter(flag__submitted_at__isnull=False).count() - len(
        FlagDecision.objects.filter(flag=signed["flags"][3])
    )
    assert whole["turnaround_median_minutes"] > 0


def test_the_sweep_picks_up_decisions_voids_and_resubmissions(monkeypatch, signed):
    flags = signed["flags"]
    facts_sweep(now=NOW - timedelta(minutes=30))
    # A new decision on an old flag, a void and a re-submission: none of them touches the case row.
    _decide(flags[10], UserFactory(role="compliance"), NOW - timedelta(minutes=5))
    FlagDecision.objects.filter(flag=flags[12]).update(voided_at=NOW - timedelta(minutes=4), void_reason="x")
    RegulatoryFlag.objects.filter(pk=flags[14].pk).update(submitted_at=NOW - timedelta(minutes=3))
    _decide(flags[14], UserFactory(role="compliance"), NOW - timedelta(minutes=2))
    scope = _scope("UTC", date(2026, 2, 1), date(2026, 4, 30))
    assert d.regulatory(scope, now=NOW) != _live(monkeypatch, scope)
    facts_sweep(now=NOW)
    assert d.regulatory(scope, now=NOW) == _live(monkeypatch, scope)
    assert DecisionFact.objects.filter(case_id=flags[10].case_id).count() == 2


def test_other_filters_join_the_decisions_live(signed):
    scope = _scope("UTC", date(2026, 2, 1), date(2026, 4, 30), channels=("email",))
    assert not reads_hop_rollup(scope)
    assert d.regulatory(scope, now=NOW)["decisions"] > 0
