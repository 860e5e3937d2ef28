"""A real Celery worker process, on Redis, runs the reopen-window sweep against the test database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command

from cases.tasks import close_expired_resolved_cases
from config.celery import app
from tests.integration.support import TEST_REDIS_URL, all_closed, assert_closed_by_sweep, process_env, wait_until

SWEEP = "cases.tasks.close_expired_resolved_cases"


def test_beat_schedules_the_sweep_on_the_sla_queue():
    entry = app.conf.beat_schedule["close-resolved-after-reopen-window"]
    assert entry["task"] == SWEEP
    # Often enough that a case closes within minutes of its window ending; a missed run costs nothing.
    assert timedelta(0) < entry["schedule"] <= timedelta(minutes=15)
    assert app.amqp.router.route({}, SWEEP)["queue"].name == "sla"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_on_redis_closes_cases_past_the_reopen_window(sweep_cases, worker_factory, redis_producer):
    due_ids = [case.pk for case in sweep_cases.due]
    # Only the sla queue: the task is consumed only if routing sends it there.
    worker = worker_factory(env=process_env(redis_url=TEST_REDIS_URL), queues="sla")
    worker.wait_for_log("ready.", timeout=30)

    registered = app.control.inspect(destination=[worker.nodename], timeout=5).registered()
    assert registered, f"worker did not answer inspect:\n{worker.log()}"
    assert SWEEP in next(iter(registered.values()))

    close_expired_resolved_cases.delay()
    # A duplicate (beat firing twice, a redelivery) must change nothing more.
    close_expired_resolved_cases.apply_async()

    assert wait_until(lambda: all_closed(due_ids), timeout=30, interval=0.2), worker.log()
    worker.wait_for_log("succeeded in", timeout=30, count=2)
    # The first run closed both due cases, the duplicate found nothing left to do.
    assert re.findall(rf"Task {re.escape(SWEEP)}\[[0-9a-f-]+\] succeeded in [0-9.]+s: (\d+)", worker.log()) == [
        "2",
        "0",
    ], worker.log()

    assert_closed_by_sweep(due_ids, still_resolved=sweep_cases.inside_window.pk)
    # The worker's writes extended the audit chain without breaking it.
    call_command("audit_verify")
