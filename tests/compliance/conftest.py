from __future__ import annotations

import pytest

from compliance.models import DecisionReason
from people.choices import Role
from tests.factories import UserFactory, ensure_reference_data


@pytest.fixture
def reasons(db):
    """The decision reasons migration 0002 seeds (a transactional test's flush may have removed them)."""
    ensure_reference_data()
    return {reason.code: reason for reason in DecisionReason.objects.all()}


@pytest.fixture
def reviewer(db):
    return UserFactory(username="rita", first_name="Rita", last_name="Review", role=Role.COMPLIANCE)
