"""Real servers for fault tests: Redis and PostgreSQL on spare ports, gunicorn, Celery beat.

Each is a child process in its own session, stopped (and its process group killed if it
hangs) when the test ends. Fault tests start and stop them on purpose, mid-test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path

import requests

from tests.integration.support import BASE_DIR, wait_until

# Ports kept for throwaway servers of this suite.
REDIS_PORTS = range(6390, 6400)
POSTGRES_PORTS = range(5440, 5450)


def free_port(candidates: range | None = None) -> int:
    """A port nothing listens on (from ``candidates``, or any the kernel offers)."""
    for port in candidates or [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"No free port in {candidates}")


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Child:
    """A child process writing to a log file."""

    name: str
    log_path: Path
    process: subprocess.Popen | None = None

    def start(self, command: list[str], *, env: dict[str, str] | None = None, cwd: Path = BASE_DIR) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        if not self.running():
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@dataclass
class RedisServer:
    """``redis-server`` without persistence, the worst case: a restart loses every queued task."""

    workdir: Path
    port: int = field(default_factory=lambda: free_port(REDIS_PORTS))

    def __post_init__(self) -> None:
        self.child = Child(f"redis-{self.port}", self.workdir / f"redis-{self.port}.log")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.child.start([*command, "--dir", str(self.workdir)])
        if not wait_until(lambda: _listening(self.port), timeout=10):
            raise AssertionError(f"redis-server did not start:\n{self.child.log()}")

    def stop(self) -> None:
        self.child.stop()
        assert wait_until(lambda: not _listening(self.port), timeout=10)


def postgres_bin(name: str) -> str:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"{name} not found under /usr/lib/postgresql")
    return found[-1]


@dataclass
class PostgresCluster:
    """A throwaway PostgreSQL cluster in /tmp, run as the ``postgres`` OS user on a spare port."""

    datadir: Path
    port: int = field(default_factory=lambda: free_port(POSTGRES_PORTS))

    def _as_postgres(self, *command: str) -> subprocess.CompletedProcess:
        done = subprocess.run(["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, timeout=60)
        if done.returncode:
            raise AssertionError(f"{command[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def init(self) -> None:
        if self.datadir.exists():
            shutil.rmtree(self.datadir)
        self.datadir.mkdir(parents=True)
        shutil.chown(self.datadir, "postgres", "postgres")
        self._as_postgres(
            postgres_bin("initdb"), "-D", str(self.datadir), "-A", "trust", "-U", "postgres", "-E", "UTF8"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            postgres_bin("pg_ctl"), "-D", str(self.datadir), "-o", options, "-l", f"{self.datadir}/log", "-w", "start"
        )

    def stop(self) -> None:
        # "fast": roll back what is in flight and disconnect everyone, as a restart or failover does.
        self._as_postgres(postgres_bin("pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self._as_postgres(postgres_bin("pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.datadir.parent, ignore_errors=True)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


@dataclass
class WebServer:
    """The app served by gunicorn (threads, as in production) on a free port."""

    workdir: Path
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.child = Child("gunicorn", self.workdir / f"gunicorn-{self.port}.log")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict[str, str], *, workers: int = 2, threads: int = 8) -> None:
        env = {**env, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0"}
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(workers), "--threads", str(threads), "--timeout", "60"]
        self.child.start(command, env=env)

        def healthy() -> bool:
            if not self.child.running():
                raise AssertionError(f"gunicorn exited:\n{self.child.log()}")
            try:
                return requests.get(f"{self.base}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        if not wait_until(healthy, timeout=30, interval=0.2):
            raise AssertionError(f"gunicorn did not become healthy:\n{self.child.log()}")

    def stop(self) -> None:
        # QUIT: gunicorn's quick shutdown (TERM would wait for idle keep-alive threads).
        self.child.stop(signal.SIGQUIT)


def start_beat(env: dict[str, str], workdir: Path) -> Child:
    """Celery beat with its schedule file in ``workdir`` (a fresh schedule: nothing is overdue)."""
    beat = Child("beat", workdir / "beat.log")
    command = [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info"]
    beat.start([*command, "-s", str(workdir / "beat-schedule"), "--pidfile", ""], env=env)
    return beat


def wait_for(predicate, *, timeout: float, what: str, logs=()) -> None:
    if not wait_until(predicate, timeout=timeout, interval=0.2):
        shown = "\n".join(f"----- {getattr(c, 'name', None) or c.nodename} -----\n{c.log()[-6000:]}" for c in logs)
        raise AssertionError(f"{what} did not happen within {timeout} s\n{shown}")


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started
