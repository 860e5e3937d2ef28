"""Helpers for tests that run real processes (Celery workers, a browser) against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]
# Redis db 15 is kept for tests so a run never reads or purges development queues.
TEST_REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def restore_reference_data() -> None:
    """Put back the product data that migrations create (see tests.factories.ensure_reference_data)."""
    from tests.factories import ensure_reference_data

    ensure_reference_data()


def current_database_url() -> str:
    """The URL of the database this test is using, for processes that must see the same rows."""
    s = connection.settings_dict
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(s.get("HOST") or "localhost", safe="")
    port = s.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{quote(s['NAME'], safe='')}"


def process_env(*, redis_url: str | None, var_dir: Path | None = None) -> dict[str, str]:
    """Environment for a child Django process on the test database and the chosen broker."""
    from django.conf import settings

    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "VAR_DIR"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.test_settings",
        DATABASE_URL=current_database_url(),
        PYTHONPATH=os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
        # The child must judge "past the window" exactly as the test (which may pin it) does.
        CASE_REOPEN_WINDOW_DAYS=str(settings.CASE_REOPEN_WINDOW.days),
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    if var_dir is not None:
        env["VAR_DIR"] = str(var_dir)
    return env


def wait_until(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@dataclass
class WorkerProcess:
    """A ``celery worker`` child process and the file its output goes to."""

    process: subprocess.Popen
    log_path: Path
    nodename: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, *, timeout: float, count: int = 1) -> None:
        def seen() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log()}")
            return self.log().count(text) >= count

        if not wait_until(seen, timeout=timeout, interval=0.1):
            raise AssertionError(f"worker did not log {text!r} {count}x within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then kill the whole process group if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start_worker(*, env: dict[str, str], queues: str, log_path: Path, cwd: Path, nodename: str) -> WorkerProcess:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        queues,
        "-n",
        nodename,
        "--pool",
        "solo",
        "--concurrency",
        "1",
        "-l",
        "info",
        # Mingle and gossip wait for other workers' replies; a lone test worker has none.
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return WorkerProcess(process=process, log_path=log_path, nodename=nodename)


def assert_closed_by_sweep(case_ids: list[int], *, still_resolved: int) -> None:
    """Each case was closed once by the system (status event + audit row); the other was left alone."""
    from audit.models import AuditEvent
    from cases.choices import EventKind, Status
    from cases.models import Case, CaseEvent

    for case in Case.objects.filter(pk__in=case_ids):
        assert case.status == Status.CLOSED, case.reference
        assert case.closed_at is not None and case.closed_at > case.resolved_at
        closing = list(CaseEvent.objects.filter(case=case, kind=EventKind.STATUS, data__to=Status.CLOSED))
        assert len(closing) == 1, f"{case.reference}: {len(closing)} closing events"
        assert closing[0].actor_id is None
        assert closing[0].data == {"from": Status.RESOLVED, "to": Status.CLOSED}
        assert closing[0].body == "Reopen window ended."
        audits = list(AuditEvent.objects.filter(object_type="case", object_id=case.reference, action="case.auto_close"))
        assert len(audits) == 1, f"{case.reference}: {len(audits)} auto_close audit rows"
        assert audits[0].actor_id is None and audits[0].actor_label == "system"
        assert audits[0].before["status"] == Status.RESOLVED and audits[0].after["status"] == Status.CLOSED
        assert audits[0].after["version"] == audits[0].before["version"] + 1
        # The task binds its own request id, so the worker's rows can be told apart.
        assert len(audits[0].request_id) == 32

    other = Case.objects.get(pk=still_resolved)
    assert other.status == Status.RESOLVED and other.closed_at is None
    assert not CaseEvent.objects.filter(case=other, data__to=Status.CLOSED).exists()
    assert not AuditEvent.objects.filter(object_id=other.reference, action="case.auto_close").exists()


def all_closed(case_ids: list[int]) -> bool:
    from cases.choices import Status
    from cases.models import Case

    return Case.objects.filter(pk__in=case_ids, status=Status.CLOSED).count() == len(case_ids)
