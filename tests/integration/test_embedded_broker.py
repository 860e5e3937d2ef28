"""Without Redis, a web process and a worker hand tasks over through the filesystem broker in VAR_DIR."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.integration.support import all_closed, assert_closed_by_sweep, process_env, wait_until

SWEEP = "cases.tasks.close_expired_resolved_cases"
# What a web request does: load Django (and with it the Celery app) and enqueue, then exit.
PRODUCER = """
import django
django.setup()
from config.celery import app
from cases.tasks import close_expired_resolved_cases
assert app.conf.broker_url == "filesystem://", app.conf.broker_url
close_expired_resolved_cases.delay()
"""


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_consumes_a_task_another_process_sent_through_the_filesystem_broker(
    sweep_cases, worker_factory, tmp_path
):
    var_dir = tmp_path / "var"
    env = process_env(redis_url=None, var_dir=var_dir)
    # Started from different directories, as a web server and a worker service would be.
    web_cwd, worker_cwd = tmp_path / "web", tmp_path / "worker"
    web_cwd.mkdir()
    worker_cwd.mkdir()

    sent = subprocess.run(
        [sys.executable, "-c", PRODUCER], cwd=web_cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert sent.returncode == 0, sent.stderr
    queue_dir = var_dir / "broker" / "queue"
    # Routed to the sla queue and waiting on disk until a worker exists.
    assert [path.name.partition(".")[2] for path in queue_dir.iterdir()] == ["sla.msg"]
    due_ids = [case.pk for case in sweep_cases.due]
    assert not all_closed(due_ids)

    worker = worker_factory(env=env, queues="sla,default", cwd=worker_cwd)
    assert wait_until(lambda: all_closed(due_ids), timeout=30, interval=0.2), worker.log()
    worker.wait_for_log("succeeded in", timeout=30)
    log = worker.log()
    assert ".> transport:   filesystem://" in log, log
    assert re.findall(rf"Task {re.escape(SWEEP)}\[[0-9a-f-]+\] succeeded in [0-9.]+s: (\d+)", log) == ["2"], log
    # Closing cases queues follow-up work of its own (through the outbox, on the default queue);
    # the worker drains that too, leaving nothing on disk.
    assert wait_until(lambda: list(queue_dir.iterdir()) == [], timeout=30, interval=0.2), list(queue_dir.iterdir())
    assert_closed_by_sweep(due_ids, still_resolved=sweep_cases.inside_window.pk)
