"""A real Celery worker on Redis runs the SLA sweep against the test database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from cases import services
from cases.choices import EventKind, SlaMetric
from cases.models import Case, CaseEvent, Category, Customer, SlaPolicy, SlaPolicyVersion, SlaTimer
from cases.tasks import sla_sweep_task
from config.celery import app
from people.models import Membership, Notification, Team, User
from tests.integration.support import TEST_REDIS_URL, process_env, restore_reference_data, wait_until

SWEEP = "cases.tasks.sla_sweep_task"


@pytest.fixture
def overdue_case(transactional_db) -> Case:
    """A case whose one-hour first-response promise ran out an hour ago."""
    restore_reference_data()
    team = Team.objects.create(name="Manila L1", slug="manila-l1", kind="frontline", time_zone="Asia/Manila")
    lead = User.objects.create_user("sla-lead", email="lead@desk.example", role="lead")
    Membership.objects.create(user=lead, team=team)
    now = timezone.now()
    policy = SlaPolicy.objects.create(name="Around the clock", created_at=now)
    policy.current_version = SlaPolicyVersion.objects.create(
        policy=policy, number=1, first_response_minutes=60, resolution_minutes=None, created_at=now
    )
    policy.save(update_fields=["current_version"])
    customer = Customer.objects.create(
        account_number="ACC-0000001",
        full_name="Jane Roe",
        email="jane.roe@example.com",
        jurisdiction="US-CA",
        account_opened_at=now - timedelta(days=400),
    )
    with time_machine.travel(now - timedelta(hours=2), tick=False):
        return services.case_create(
            actor=None,
            customer=customer,
            subject="Withdrawal to external wallet stuck",
            body="My withdrawal has been pending for two days.",
            channel="email",
            category=Category.objects.get(code="withdrawals"),
            team=team,
        )


def _breach_events(case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.SLA, data__event="breached"))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_records_the_breach_on_the_case_timeline(overdue_case, worker_factory, redis_producer):
    worker = worker_factory(env=process_env(redis_url=TEST_REDIS_URL), queues="sla")
    worker.wait_for_log("ready.", timeout=30)
    registered = app.control.inspect(destination=[worker.nodename], timeout=5).registered()
    assert registered, f"worker did not answer inspect:\n{worker.log()}"
    assert SWEEP in next(iter(registered.values()))

    sla_sweep_task.delay()
    # Beat firing twice, or a redelivery: the second run finds nothing left to do.
    sla_sweep_task.apply_async()

    assert wait_until(lambda: bool(_breach_events(overdue_case)), timeout=30, interval=0.2), worker.log()
    worker.wait_for_log("succeeded in", timeout=30, count=2)
    breached = re.findall(
        rf"Task {re.escape(SWEEP)}\[[0-9a-f-]+\] succeeded in [0-9.]+s: .*'breached': (\d+)", worker.log()
    )
    assert breached == ["1", "0"], worker.log()

    [event] = _breach_events(overdue_case)
    assert event.data["metric"] == SlaMetric.FIRST_RESPONSE
    assert SlaTimer.objects.get(case=overdue_case).breached_at is not None
    assert list(Notification.objects.values_list("recipient__username", "kind")) == [("sla-lead", "sla.breach")]
    # The worker's audit row extended the chain without breaking it.
    call_command("audit_verify")
