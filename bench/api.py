"""The REST API under load: ``python bench/api.py [--cases N] [--seconds S] [--quick]``.

gunicorn (2 sync workers) serves the app on 127.0.0.1 against the benchmark database of
``bench/database.py`` (100,000 cases by default; 2,000 with ``--quick``), and wrk (Debian's
``wrk``: a C load generator, so the two cores go to the server, not to the client; the requests
are in ``bench/api_load.lua``) sends requests from ``--threads`` connections for ``--seconds``
each: the case list (50 per page, a lead's view), case details (with timeline), and ingest of new
tickets through the idempotent intake endpoint (each opens a case with SLA timers and queues routing).

Everything runs against a copy of the benchmark database (``escdesk_bench_<N>_api``, or
``<BENCH_DATABASE_URL's database>_api``, made from it as a template and dropped afterwards): the
bench issues a token and ingest writes cases, and the shared database stays exactly as seeded.
Only a benchmark database that does not exist yet is created and seeded in place.
Without wrk on the machine a threaded ``http.client`` generator stands in (``api_load_generator``
says which ran); it costs a core of its own, so its figures are lower.
Output: ``name value unit`` lines, then a Markdown table with the targets.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import (  # noqa: E402
    bench_database_url,
    copy_database,
    drop_database,
    open_bench_database,
    seed_bench_database,
    server_connection,
)
from bench.run import Figure, percentile, report  # noqa: E402

QUICK_CASES = 2_000
TARGETS = {"list": 150, "detail": 250, "ingest": 100, "ingest_batch": 100}
# Tickets per request in the batch ingest scenario (the endpoint takes up to 100).
BATCH = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(database_url: str, port: int, var_dir: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "API_THROTTLE_RATE": "100000000/min",
        "LOG_LEVEL": "WARNING",
        # Each worker keeps its database connection for the whole run, so the CPU of its server
        # process can be read before and after a scenario (a reconnect would lose it).
        "DATABASE_CONN_MAX_AGE": "3600",
        # Routing tasks queued by ingest go to a throw-away filesystem broker, never a real queue.
        "VAR_DIR": var_dir,
    }
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", "2",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not come up within 30 s.")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    refused: int = 0  # tickets refused inside accepted batches


WRK_SCRIPT = ROOT / "bench" / "api_load.lua"


def load_with_wrk(
    port: int, token: str, *, lines: list[str], mode: str, seconds: float, connections: int, batch: int = 1
) -> LoadResult:
    """wrk from ``connections`` connections for ``seconds``: GET a random one of ``lines`` (paths,
    mode "paths"), or POST new tickets for random ones of ``lines`` (account numbers): one per
    request (mode "ingest") or ``batch`` per request (mode "batch")."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write("\n".join(lines) + "\n")
        listing.flush()
        env = {
            **os.environ,
            "BENCH_API_TOKEN": token,
            "BENCH_API_MODE": mode,
            "BENCH_API_BATCH": str(batch),
            "BENCH_API_PATHS": listing.name,
            "BENCH_API_ACCOUNTS": listing.name,
            "BENCH_API_RUN": uuid.uuid4().hex[:12],
        }
        command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s",
                   "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}"]  # fmt: skip
        output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(line for line in output.splitlines() if line.startswith("BENCH_API_RESULT "))
    raw = json.loads(line.removeprefix("BENCH_API_RESULT "))
    return LoadResult(
        raw["requests"], raw["seconds"], raw["p50_us"] / 1000, raw["p99_us"] / 1000, raw["errors"], raw["refused"]
    )


def load(port: int, token: str, make_request, *, seconds: float, threads: int) -> LoadResult:
    """The fallback without wrk: ``make_request() -> (method, path, body)`` from ``threads``
    keep-alive ``http.client`` connections for ``seconds``."""
    stop_at = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        while time.monotonic() < stop_at:
            method, path, body = make_request()
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            bad += response.status >= 300
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return LoadResult(
        len(latencies),
        seconds,
        statistics.median(latencies) if latencies else 0,
        percentile(latencies, 0.99) if latencies else 0,
        errors[0],
    )


def figures_for(name: str, result: LoadResult, cpu: tuple[float, float], unit: str = "req/s") -> list[Figure]:
    """The scenario's figures; ``cpu`` is the CPU seconds (web workers, their PostgreSQL
    backends) it used. CPU per request does not depend on what else the machine runs, so it
    tells what two cores of their own would serve even when the rate was measured on a busy one."""
    target = f"≥ {TARGETS[name]}"
    count = max(result.requests, 1)
    web_ms, db_ms = 1000 * cpu[0] / count, 1000 * cpu[1] / count
    return [
        Figure(f"api_{name}_per_s", round(result.requests / result.seconds, 1), unit, target),
        Figure(f"api_{name}_p50_ms", round(result.p50_ms, 1), "ms"),
        Figure(f"api_{name}_p99_ms", round(result.p99_ms, 1), "ms"),
        Figure(f"api_{name}_errors", result.errors, "responses", "0"),
        Figure(f"api_{name}_web_cpu_ms", round(web_ms, 2), "ms"),
        Figure(f"api_{name}_db_cpu_ms", round(db_ms, 2), "ms"),
        # Two cores for web and database alone (no load generator): an upper bound, not a rate.
        Figure(f"api_{name}_two_core_capacity", round(2000 / (web_ms + db_ms), 1), unit),
    ]


def ingest_batches(server, url: str, port: int, token: str, accounts: list[str], *, seconds: float, connections: int):
    """Batch ingest: ``BATCH`` tickets per request; the rate counts the tickets of the batches
    answered within the run less any the answers say were refused."""

    def scenario() -> LoadResult:
        sent = load_with_wrk(port, token, lines=accounts, mode="batch", batch=BATCH, seconds=seconds,
                             connections=connections)  # fmt: skip
        opened = sent.requests * BATCH - sent.refused
        return LoadResult(opened, sent.seconds, sent.p50_ms, sent.p99_ms, sent.errors, sent.refused)

    result, cpu = measured(server, url, scenario)
    figures = figures_for("ingest_batch", result, cpu, unit="cases/s")
    figures[1].name, figures[2].name = f"api_ingest_batch_{BATCH}_p50_ms", f"api_ingest_batch_{BATCH}_p99_ms"
    return [*figures, Figure("api_ingest_batch_tickets_refused", result.refused, "tickets", "0")]


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL server processes connected to ``url``'s database (the web workers')."""
    connection, name = server_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def measured(server: subprocess.Popen, url: str, scenario):
    """Run ``scenario()``; its result and the CPU seconds (web, database) it cost."""
    from bench.load import cpu_seconds

    before = {pid: cpu_seconds(pid) for pid in backend_pids(url)}  # after a warm-up: connections open
    web = cpu_seconds(server.pid)
    result = scenario()
    web = cpu_seconds(server.pid) - web
    # A backend that appeared during the scenario did all its work in it.
    db = sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in backend_pids(url))
    return result, (web, db)


def database_exists(url: str) -> bool:
    connection, name = server_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, help="database size (default 100,000; 2,000 with --quick)")
    parser.add_argument("--seconds", type=float, help="load per scenario (default 30; 3 with --quick)")
    parser.add_argument("--threads", type=int, default=4, help="concurrent keep-alive connections (default 4)")
    parser.add_argument("--quick", action="store_true", help="small database, short runs: keeps CI honest")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cases = args.cases or (QUICK_CASES if args.quick else 100_000)
    seconds = args.seconds or (3.0 if args.quick else 30.0)

    if args.seed_only:
        open_bench_database(cases)
        seed_bench_database(cases)
        return
    source = bench_database_url(cases)
    if not database_exists(source):
        # Nobody has made this size yet: create and seed it (in a process of its own, since
        # this one will point Django at the copy), so later runs and other benches reuse it.
        command = [sys.executable, __file__, "--seed-only", "--cases", str(cases)]
        subprocess.run(command, check=True)  # noqa: S603 - our own script, fixed arguments
    # From here on Django works on the copy: migrations, the token, every request.
    url = copy_database(source, suffix="api")
    os.environ["BENCH_DATABASE_URL"] = url
    figures: list[Figure] = []
    try:
        run_scenarios(url, cases, seconds, args.threads, figures)
    finally:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        drop_database(url)
    report(figures, f"Escalation Desk API under gunicorn (2 workers): {cases:,} cases, {seconds:g} s per scenario, "
                    f"{args.threads} connections, PostgreSQL.")  # fmt: skip


def run_scenarios(url: str, cases: int, seconds: float, threads: int, figures: list[Figure]) -> None:
    open_bench_database(cases)
    seeded = seed_bench_database(cases)
    if seeded is not None:
        figures.append(Figure("seed_seconds", seeded, "s"))

    from django.db import connection

    from api.tokens import token_issue
    from cases.models import Case, Customer
    from people.models import User

    lead = User.objects.get(username="lead.us")
    token = token_issue(actor=None, user=lead, name=f"bench {uuid.uuid4().hex[:6]}").secret
    visible = Case.objects.visible_to(lead)
    references = list(visible.order_by("-received_at").values_list("reference", flat=True)[:500])
    accounts = list(Customer.objects.order_by("?").values_list("account_number", flat=True)[:500])
    figures += [Figure("cases_total", Case.objects.count(), "cases"), Figure("api_threads", threads, "threads")]
    connection.close()

    use_wrk = shutil.which("wrk") is not None
    figures.append(Figure("api_load_generator", "wrk" if use_wrk else "python", ""))
    list_path = "/api/v1/cases/?page_size=50"
    detail_paths = [f"/api/v1/cases/{reference}/" for reference in references]

    def read(paths: list[str], seconds: float) -> LoadResult:
        if use_wrk:
            return load_with_wrk(port, token, lines=paths, mode="paths", seconds=seconds, connections=threads)
        return load(port, token, lambda: ("GET", random.choice(paths), None), seconds=seconds, threads=threads)

    def ticket() -> tuple[str, str, str]:
        body = {
            "external_system": "bench",
            "external_id": uuid.uuid4().hex,
            "customer": {"account_number": random.choice(accounts)},
            "subject": "Withdrawal pending",
            "body": "My withdrawal has been pending since yesterday.",
            "channel": "email",
            "category": "withdrawals",
        }
        return "POST", "/api/v1/intake/tickets/", json.dumps(body)

    def ingest(seconds: float) -> LoadResult:
        if use_wrk:
            return load_with_wrk(port, token, lines=accounts, mode="ingest", seconds=seconds, connections=threads)
        return load(port, token, ticket, seconds=seconds, threads=threads)

    with tempfile.TemporaryDirectory() as var_dir:
        port = free_port()
        server = start_gunicorn(url, port, var_dir)
        try:
            read([list_path], 1)  # both workers warm: imports done, connections open
            figures += figures_for("list", *measured(server, url, lambda: read([list_path], seconds)))
            figures += figures_for("detail", *measured(server, url, lambda: read(detail_paths, seconds)))
        finally:
            stop(server)

        # Ingest last: it adds cases to the copy the reads were measured on.
        port = free_port()
        server = start_gunicorn(url, port, var_dir)
        try:
            ingest(1)
            figures += figures_for("ingest", *measured(server, url, lambda: ingest(seconds)), unit="cases/s")
            if use_wrk:
                figures += ingest_batches(server, url, port, token, accounts, seconds=seconds, connections=threads)
        finally:
            stop(server)


if __name__ == "__main__":
    main()
