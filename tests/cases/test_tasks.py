"""The beat task is a thin wrapper: it closes what is due and ties its audit rows to one run."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from audit.context import current_request_id
from audit.models import AuditEvent
from cases.choices import Status
from cases.models import Case
from cases.tasks import close_expired_resolved_cases
from tests.factories import CaseFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def test_it_closes_expired_cases_under_one_run_id(team):
    for days in (8, 9):
        CaseFactory(team=team, status=Status.RESOLVED, updated_at=NOW - timedelta(days=days))

    assert close_expired_resolved_cases() == 2

    assert set(Case.objects.values_list("status", flat=True)) == {Status.CLOSED}
    run_ids = set(AuditEvent.objects.values_list("request_id", flat=True))
    assert len(run_ids) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", run_ids.pop())
    assert current_request_id() == ""


def test_it_gives_each_run_its_own_id_and_does_nothing_the_second_time(team):
    CaseFactory(team=team, status=Status.RESOLVED, updated_at=NOW - timedelta(days=8))

    assert close_expired_resolved_cases() == 1
    assert close_expired_resolved_cases() == 0

    assert AuditEvent.objects.count() == 1
