"""A Celery worker killed (SIGKILL) in the middle of the SLA sweep or the regulatory obligation
sweep: after a restart everything due is breached exactly once, with one timeline entry, one
notification per person and one e-mail request.

Each batch of the sweep is one transaction (claim, mark, act), so a kill rolls back the batch
in flight and the next run claims it again; batches already committed are never claimed twice.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from datetime import timedelta

import pytest
from celery import Celery
from django.db.models import Count
from django.utils import timezone

from audit.models import AuditEvent
from cases.choices import EventKind
from cases.models import Case, CaseEvent, Category, Customer, SlaPolicy, SlaPolicyVersion, SlaTimer
from compliance.models import Obligation, RegulatoryFlag
from outbox.models import OutboxMessage
from people.choices import Role, TeamKind
from people.models import Membership, Notification, Team, User
from tests.integration.conftest import _reference_data_survives_flush  # noqa: F401 - restores reference data
from tests.integration.support import process_env, restore_reference_data, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Two batches of the sweep (1,000 each): the worker is killed once the first has committed.
DUE = 2000


@pytest.fixture
def due_timers() -> tuple[User, list[int]]:
    """DUE open cases whose first-response promise ran out an hour ago, and their team's lead."""
    restore_reference_data()
    team = Team.objects.create(name="Manila L1", slug="manila-l1", kind=TeamKind.FRONTLINE, time_zone="UTC")
    lead = User.objects.create_user("lena", role=Role.LEAD, email="lena@desk.example")
    Membership.objects.create(user=lead, team=team)
    now = timezone.now()
    policy = SlaPolicy.objects.create(name="Around the clock", created_at=now)
    version = SlaPolicyVersion.objects.create(
        policy=policy, number=1, first_response_minutes=60, resolution_minutes=None, created_at=now
    )
    customer = Customer.objects.create(
        account_number="ACC-0000007",
        full_name="Jane Roe",
        email="jane.roe@example.com",
        jurisdiction="US-CA",
        account_opened_at=now - timedelta(days=400),
    )
    received = now - timedelta(hours=2)
    category = Category.objects.get(code="card")
    cases = Case.objects.bulk_create(
        Case(
            reference=f"CS-2026-{n:06d}",
            customer=customer,
            subject=f"Card declined {n}",
            channel="email",
            category=category,
            team=team,
            received_at=received,
            created_at=received,
            updated_at=received,
            sla_due_at=received + timedelta(hours=1),
        )
        for n in range(1, DUE + 1)
    )
    timers = SlaTimer.objects.bulk_create(
        SlaTimer(
            case=case,
            metric="first_response",
            policy_version=version,
            target_minutes=60,
            started_at=received,
            due_at=received + timedelta(hours=1),
            warn_at=received + timedelta(minutes=48),
            warned_at=received + timedelta(minutes=48),
        )
        for case in cases
    )
    return lead, [timer.pk for timer in timers]


def _breached() -> int:
    return SlaTimer.objects.filter(breached_at__isnull=False).count()


def _assert_each_breached_timer_acted_on_once(lead: User) -> int:
    breached = set(SlaTimer.objects.filter(breached_at__isnull=False).values_list("pk", flat=True))
    events = Counter(
        CaseEvent.objects.filter(kind=EventKind.SLA, data__event="breached").values_list("data__timer_id", flat=True)
    )
    assert set(events) == breached and set(events.values()) <= {1}, "a breach recorded twice or for an unmarked timer"
    # One notification per breached case for the lead, nothing twice.
    titles = Notification.objects.filter(recipient=lead, kind="sla.breach").values("title").annotate(n=Count("id"))
    assert len(titles) == len(breached) and all(row["n"] == 1 for row in titles)
    # Every notification's e-mail copy was asked for exactly once, in the batch's own transaction.
    asked = Counter(
        pk
        for args in OutboxMessage.objects.filter(task="people.tasks.send_notification_emails").values_list(
            "args", flat=True
        )
        for pk in args[0]
    )
    assert set(asked) == set(Notification.objects.values_list("pk", flat=True)) and set(asked.values()) <= {1}
    audited = Counter(
        pk
        for after in AuditEvent.objects.filter(action="sla.breach").values_list("after", flat=True)
        for pk in after["timer_ids"]
    )
    assert set(audited) == breached and set(audited.values()) <= {1}
    return len(breached)


def _sweep(redis_url: str, task: str) -> None:
    """Send a sweep, as beat does every minute."""
    with Celery(broker=redis_url, set_as_current=False) as producer:
        producer.send_task(task, queue="sla")


def _kill_mid_sweep_and_restart(*, task: str, breached, check, worker_factory, redis_server) -> int:
    """Start a worker, kill it (SIGKILL) once the sweep's first batch committed, check what it
    left, restart it, run the sweep twice more and wait until everything due is breached;
    returns how many were breached when the worker died."""
    env = process_env(redis_url=redis_server.url())
    worker = worker_factory(env=env, queues="sla")
    worker.wait_for_log("ready.", timeout=30)

    _sweep(redis_server.url(), task)
    assert wait_until(lambda: breached() > 0, timeout=60, interval=0.02), worker.log()
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait(timeout=10)
    at_kill = breached()
    assert 0 < at_kill < DUE, f"the sweep was not cut short ({at_kill} of {DUE} breached): raise DUE"
    # What the killed batch had done rolled back with it; committed batches are whole.
    assert check() == at_kill

    restarted = worker_factory(env=env, queues="sla")
    restarted.wait_for_log("ready.", timeout=30)
    # Beat's next run, and the killed task handed out again (acks_late): the second finds nothing.
    _sweep(redis_server.url(), task)
    _sweep(redis_server.url(), task)
    assert wait_until(lambda: breached() == DUE, timeout=90, interval=0.2), restarted.log()
    restarted.wait_for_log("succeeded in", timeout=60, count=2)
    assert check() == DUE
    return at_kill


def test_a_worker_killed_mid_sla_sweep_leaves_no_duplicate_and_no_missed_breach(
    due_timers, worker_factory, redis_server
):
    lead, timer_ids = due_timers
    at_kill = _kill_mid_sweep_and_restart(
        task="cases.tasks.sla_sweep_task",
        breached=_breached,
        check=lambda: _assert_each_breached_timer_acted_on_once(lead),
        worker_factory=worker_factory,
        redis_server=redis_server,
    )
    assert set(SlaTimer.objects.filter(breached_at__isnull=False).values_list("pk", flat=True)) == set(timer_ids)
    print(f"killed with {at_kill} of {DUE} timers breached")


@pytest.fixture
def due_obligations() -> tuple[User, User]:
    """DUE cases, each with a regulatory deadline that passed yesterday (warned already), an
    assigned agent, and a compliance reviewer."""
    restore_reference_data()
    team = Team.objects.create(name="US Leads", slug="us-leads", kind=TeamKind.FRONTLINE, time_zone="UTC")
    agent = User.objects.create_user("ana", role=Role.AGENT, email="ana@desk.example")
    Membership.objects.create(user=agent, team=team)
    reviewer = User.objects.create_user("cora", role=Role.COMPLIANCE, email="cora@desk.example")
    now = timezone.now()
    customer = Customer.objects.create(
        account_number="ACC-0000008",
        full_name="John Doe",
        email="john.doe@example.com",
        jurisdiction="US-NY",
        account_opened_at=now - timedelta(days=400),
    )
    received = now - timedelta(days=20)
    category = Category.objects.get(code="card")
    cases = Case.objects.bulk_create(
        Case(
            reference=f"CS-2026-{n:06d}",
            customer=customer,
            subject=f"Unauthorized transfer {n}",
            channel="email",
            category=category,
            team=team,
            assignee=agent,
            received_at=received,
            created_at=received,
            updated_at=received,
        )
        for n in range(1, DUE + 1)
    )
    flags = RegulatoryFlag.objects.bulk_create(
        RegulatoryFlag(case=case, kind="unauthorized_transfer", raised_by=agent, raised_at=received) for case in cases
    )
    Obligation.objects.bulk_create(
        Obligation(
            flag=flag,
            case_id=flag.case_id,
            rule_code="us_reg_e_investigate",
            rule_name="Reg E investigation",
            citation="12 CFR 1005.11(c)(1)",
            jurisdiction="US",
            triggered_at=received,
            due_at=now - timedelta(days=1),
            satisfied_by="investigation_completed",
            warned_at=now - timedelta(days=2),
        )
        for flag in flags
    )
    return agent, reviewer


def _obligations_breached() -> int:
    return Obligation.objects.filter(breached_at__isnull=False).count()


def _assert_each_breached_obligation_acted_on_once(agent: User, reviewer: User) -> int:
    breached = set(Obligation.objects.filter(breached_at__isnull=False).values_list("case_id", flat=True))
    recorded = CaseEvent.objects.filter(kind=EventKind.FLAG, data__event="obligation_breached")
    events = Counter(recorded.values_list("case_id", flat=True))
    assert set(events) == breached and set(events.values()) <= {1}, "a breach recorded twice or for an unmarked one"
    # The agent hears once per case; the reviewer gets one summary per committed batch.
    titles = Notification.objects.filter(recipient=agent).values("title").annotate(n=Count("id"))
    assert len(titles) == len(breached) and all(row["n"] == 1 for row in titles)
    batches = AuditEvent.objects.filter(action="obligation.breached").values_list("after", flat=True)
    audited = Counter(pk for after in batches for pk in after["obligation_ids"])
    marked = set(Obligation.objects.filter(breached_at__isnull=False).values_list("pk", flat=True))
    assert set(audited) == marked and set(audited.values()) <= {1}
    assert Notification.objects.filter(recipient=reviewer).count() == len(batches)
    return len(breached)


def test_a_worker_killed_mid_obligation_sweep_leaves_no_duplicate_and_no_missed_breach(
    due_obligations, worker_factory, redis_server
):
    agent, reviewer = due_obligations
    at_kill = _kill_mid_sweep_and_restart(
        task="compliance.tasks.obligation_sweep_task",
        breached=_obligations_breached,
        check=lambda: _assert_each_breached_obligation_acted_on_once(agent, reviewer),
        worker_factory=worker_factory,
        redis_server=redis_server,
    )
    print(f"killed with {at_kill} of {DUE} obligations breached")
