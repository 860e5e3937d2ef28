from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cases.choices import Status
from compliance.models import Referral
from escalations.models import Escalation, ReasonCode
from metrics.facts import facts_refresh
from tests.factories import CaseFactory, CategoryFactory, TeamFactory, UserFactory, ensure_reference_data

# A Wednesday, noon UTC (20:00 in Manila, 08:00 in New York).
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _metrics_reference_data(db):
    ensure_reference_data()


@pytest.fixture(autouse=True)
def _no_dashboard_cache(monkeypatch):
    """Every figure computed afresh, unless a test turns the result cache on itself."""
    monkeypatch.setattr("metrics.cache.DASHBOARD_CACHE_SECONDS", 0)


@pytest.fixture
def plain_team(db):
    """A team without a calendar: business minutes equal calendar minutes."""
    return TeamFactory(name="Plain L1", slug="plain-l1", calendar=None, time_zone="UTC")


@pytest.fixture
def make_case():
    """A case received at ``received`` answered/resolved after the given minutes, with its facts."""

    def make(team, received, *, first_response=None, resolved=None, refresh=True, **fields):
        status = fields.pop("status", Status.RESOLVED if resolved is not None else Status.OPEN)
        case = CaseFactory(
            team=team,
            received_at=received,
            created_at=received,
            updated_at=received + timedelta(minutes=resolved or first_response or 0),
            first_response_at=received + timedelta(minutes=first_response) if first_response is not None else None,
            status=status,
            resolved_at=received + timedelta(minutes=resolved) if resolved is not None else None,
            closed_at=received + timedelta(minutes=resolved) if status == Status.CLOSED else None,
            **fields,
        )
        if refresh:
            facts_refresh([case.pk], now=NOW)
        return case

    return make


@pytest.fixture
def escalate():
    def make(case, to_team, *, at, reason="agent_out_of_depth", status="requested", responded_after=None, due_after=60):
        responded = at + timedelta(minutes=responded_after) if responded_after is not None else None
        hop = Escalation.objects.create(
            case=case,
            from_team=case.team,
            to_team=to_team,
            reason=ReasonCode.objects.get(code=reason),
            status=status,
            requested_at=at,
            responded_at=responded,
            outcome="wrong_team" if status == "returned" else "",
            closed_at=responded if status not in ("requested", "accepted") else None,
            ola_target_minutes=due_after,
            ola_due_at=at + timedelta(minutes=due_after),
        )
        facts_refresh([case.pk], now=NOW)
        return hop

    return make


@pytest.fixture
def refer():
    """Refer a case to the FIU's restricted inbox (as compliance.restricted does), facts refreshed."""

    def make(case):
        officer = UserFactory(role="fiu")
        Referral.objects.create(
            case=case,
            referred_by=officer,
            referred_at=NOW - timedelta(hours=1),
            reason="x",
            suspicion_formed_at=NOW - timedelta(hours=1),
        )
        facts_refresh([case.pk], now=NOW)

    return make


@pytest.fixture
def categories(db):
    return {code: CategoryFactory(code=code) for code in ("withdrawals", "kyc", "scam-fraud", "deposits")}
