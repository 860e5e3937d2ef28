"""Top drivers read from the rollups (whole hours and days) and the facts and hops (the partial
ones at each week's ends) equal the counts read from the facts and hops alone."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from metrics import definitions as d
from metrics.scope import Scope, reads_hop_rollup
from tests.factories import TeamFactory
from tests.metrics.conftest import NOW

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(NOW, tick=False),
]
REASONS = ("agent_out_of_depth", "scam_reported", "vip_customer", "repeated_contact")


def _scope(zone: str, start: date, end: date, **kwargs) -> Scope:
    return Scope(**{"start_day": start, "end_day": end, "tz": ZoneInfo(zone), "visible_team_ids": None, **kwargs})


@pytest.fixture
def rising(plain_team, make_case, escalate, refer, categories):
    """Two weeks of cases and hops, more of them in later days, in four categories and reasons,
    on two teams; one case referred to the FIU."""
    other = TeamFactory(name="Ops", slug="ops-drv", calendar=None, time_zone="UTC")
    target = TeamFactory(name="Fraud", slug="fraud-drv", calendar=None, time_zone="UTC")
    cats = list(categories.values())
    cases = []
    for i in range(160):
        # 60 cases the week before last, 100 last week.
        start, step = (
            (NOW - timedelta(days=14), 7 * 24 * 60 / 60) if i < 60 else (NOW - timedelta(days=7), 7 * 24 * 60 / 100)
        )
        received = start + timedelta(minutes=step * (i if i < 60 else i - 60) + (i * i) % 97)
        case = make_case([plain_team, other][i % 2], received, first_response=5, category=cats[(i * i) % 4])
        if i % 3 == 0:
            escalate(case, target, at=received + timedelta(minutes=7), reason=REASONS[(i // 3) % 4 if i > 80 else 0])
        cases.append(case)
    refer(cases[150])
    return {"teams": [plain_team, other]}


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "UTC"])
def test_drivers_from_the_rollups_equal_live_counts(monkeypatch, rising, zone):
    plain, _ = rising["teams"]
    for now in (NOW, NOW + timedelta(minutes=17), NOW - timedelta(days=1, minutes=41)):
        for scope in (
            _scope(zone, date(2026, 2, 20), date(2026, 3, 18)),
            _scope(zone, date(2026, 2, 20), date(2026, 3, 12)),
            _scope(zone, date(2026, 2, 20), date(2026, 3, 18), team_ids=(plain.pk,)),
        ):
            assert reads_hop_rollup(scope)
            rolled = d.top_drivers(scope, now=now)
            with monkeypatch.context() as patched:
                patched.setattr(d, "reads_hop_rollup", lambda scope: False)
                assert rolled == d.top_drivers(scope, now=now), (zone, now, scope.end_day)
    drivers = d.top_drivers(_scope(zone, date(2026, 2, 20), date(2026, 3, 18)), now=NOW + timedelta(minutes=17))
    assert drivers["categories"] and drivers["reasons"]
