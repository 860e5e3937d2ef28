from __future__ import annotations

import pytest

from escalations.models import ReasonCode
from people.choices import Role, TeamKind
from tests.factories import TeamFactory, UserFactory, ensure_reference_data


@pytest.fixture
def reasons(db):
    """The taxonomy migration 0002 seeds (a transactional test's flush may have removed it)."""
    ensure_reference_data()
    return {reason.code: reason for reason in ReasonCode.objects.all()}


@pytest.fixture
def fraud_team(db):
    return TeamFactory(name="Fraud & Scam", slug="fraud-scam", kind=TeamKind.FRAUD, time_zone="America/Chicago")


@pytest.fixture
def compliance_team(db):
    return TeamFactory(name="Compliance", slug="compliance", kind=TeamKind.COMPLIANCE, time_zone="America/New_York")


@pytest.fixture
def fraud_specialist(fraud_team):
    return UserFactory(username="fiona", first_name="Fiona", last_name="Fraud", role=Role.SPECIALIST,
                       teams=[fraud_team])  # fmt: skip


@pytest.fixture
def fraud_lead(fraud_team):
    return UserFactory(username="frank", first_name="Frank", last_name="Fraudlead", role=Role.LEAD,
                       teams=[fraud_team])  # fmt: skip
