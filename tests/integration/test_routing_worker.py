"""A real Celery worker on Redis routes a new case to an agent on shift, and says why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services
from cases.models import Case, Category, Customer, RoutingDecision
from people.models import Membership, Shift, Team, User
from tests.integration.support import TEST_REDIS_URL, process_env, restore_reference_data, wait_until

ROUTE = "cases.routing_tasks.route_case_task"


def _agent(username: str, team: Team, *, on_shift: bool) -> User:
    agent = User.objects.create_user(username, role="agent", time_zone="UTC", first_name=username.title())
    Membership.objects.create(user=agent, team=team)
    now = timezone.now()
    start = (now - timedelta(hours=1)) if on_shift else (now + timedelta(hours=3))
    end = start + timedelta(hours=2)
    # A shift crossing midnight is stored on its starting weekday; the router reads it so.
    Shift.objects.create(user=agent, weekday=start.weekday(), starts_at=start.time(), ends_at=end.time())
    return agent


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_routes_a_new_case_to_the_agent_on_shift(worker_factory, redis_producer):
    restore_reference_data()
    team = Team.objects.create(name="Manila L1", slug="manila-l1", kind="frontline", time_zone="Asia/Manila")
    on_shift = _agent("maria", team, on_shift=True)
    _agent("paolo", team, on_shift=False)
    worker = worker_factory(env=process_env(redis_url=TEST_REDIS_URL), queues="routing")
    worker.wait_for_log("ready.", timeout=30)

    case = services.case_create(
        actor=None,
        customer=Customer.objects.create(
            account_number="ACC-7000001",
            full_name="Jane Roe",
            email="jane@example.com",
            jurisdiction="US-CA",
            account_opened_at=timezone.now() - timedelta(days=100),
        ),
        subject="Card payment declined",
        body="My card was declined at the grocery store.",
        channel="email",
        category=Category.objects.get(code="card"),
        team=team,
    )

    assert wait_until(lambda: Case.objects.get(pk=case.pk).assignee_id is not None, timeout=30), worker.log()
    assert Case.objects.get(pk=case.pk).assignee == on_shift
    decision = RoutingDecision.objects.get(case=case)
    reasons = {c["name"]: c["reasons"] for c in decision.candidates}
    assert any("off shift" in reason for reason in reasons["Paolo"]), reasons
    worker.wait_for_log(f"Task {ROUTE}", timeout=10)
