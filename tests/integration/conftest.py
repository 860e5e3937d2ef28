from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from cases import services
from cases.choices import Channel, Status
from cases.models import Case, Category, Customer
from config.celery import app
from people.models import Membership, Team, User
from tests.integration.support import BASE_DIR, TEST_REDIS_URL, WorkerProcess, restore_reference_data, start_worker

# Every queue the app sends to; the test workers consume only some of them.
QUEUES = ("default", "sla", "routing", "notifications")

_phase_report = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_phase_report, {})[report.when] = report
    return report


@pytest.fixture(scope="module", autouse=True)
def _reference_data_survives_flush(django_db_setup, django_db_blocker) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        restore_reference_data()


@pytest.fixture
def worker_factory(request, tmp_path, transactional_db) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real ``celery worker`` processes; all are stopped and, on failure, their logs shown."""
    started: list[WorkerProcess] = []

    def start(*, env: dict[str, str], queues: str, cwd: Path = BASE_DIR) -> WorkerProcess:
        name = f"itest-{uuid.uuid4().hex[:8]}"
        worker = start_worker(
            env=env, queues=queues, cwd=cwd, log_path=tmp_path / f"{name}.log", nodename=f"{name}@integration"
        )
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        reports = request.node.stash.get(_phase_report, {})
        if any(report.failed for report in reports.values()):
            for worker in started:
                print(f"\n----- {worker.nodename} (exit {worker.process.returncode}) -----\n{worker.log()}")


@dataclass
class SweepCases:
    due: list[Case]
    inside_window: Case


def _resolved_case(*, customer, team, category, resolved_at) -> Case:
    # Built through the services at the time it happened, as production would have.
    with time_machine.travel(resolved_at - timedelta(hours=2), tick=False):
        case = services.case_create(
            actor=None,
            customer=customer,
            subject="Withdrawal to external wallet stuck",
            body="My withdrawal has been pending for two days.",
            channel=Channel.EMAIL,
            category=category,
            team=team,
        )
    with time_machine.travel(resolved_at, tick=False):
        services.case_change_status(
            actor=None, case=case, to_status=Status.RESOLVED, expected_version=case.version, reason="Paid out."
        )
    case.refresh_from_db()
    return case


@pytest.fixture
def sweep_cases(transactional_db) -> SweepCases:
    """Two resolved cases past the reopen window and one still inside it."""
    restore_reference_data()
    team = Team.objects.create(name="Manila L1", slug="manila-l1", kind="frontline", time_zone="Asia/Manila")
    agent = User.objects.create_user("sweep-agent", role="agent", time_zone="Asia/Manila")
    Membership.objects.create(user=agent, team=team)
    customer = Customer.objects.create(
        account_number="ACC-0000001",
        full_name="Jane Roe",
        email="jane.roe@example.com",
        jurisdiction="US-CA",
        account_opened_at=timezone.now() - timedelta(days=400),
    )
    category = Category.objects.get(code="withdrawals")
    window = settings.CASE_REOPEN_WINDOW
    now = timezone.now()
    kwargs = {"customer": customer, "team": team, "category": category}
    return SweepCases(
        due=[
            _resolved_case(resolved_at=now - window - timedelta(days=3), **kwargs),
            _resolved_case(resolved_at=now - window - timedelta(minutes=30), **kwargs),
        ],
        inside_window=_resolved_case(resolved_at=now - window + timedelta(hours=6), **kwargs),
    )


@pytest.fixture
def redis_producer() -> Iterator[None]:
    """Point this process's Celery app at the test Redis db, whatever the settings chose.

    Leftovers of an aborted run would blur what a run proves, so every queue starts empty; the
    notifications queue (e-mail copies, which no test worker consumes) is emptied again after.
    """
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    app.close()
    app.conf.broker_url, app.conf.broker_transport_options = TEST_REDIS_URL, {}
    with app.connection_for_write() as conn:
        for queue in QUEUES:
            conn.default_channel.queue_purge(queue)
    try:
        yield
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("notifications")
        app.close()
        app.conf.broker_url, app.conf.broker_transport_options = saved
