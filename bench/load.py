"""The desk under load: ``python bench/load.py [--cases N] [--users U] [--seconds S] [--quick]``.

gunicorn (sync workers as ``config/gunicorn.py`` sets them: two per core plus one, or
``--web-workers``) and a Celery worker (every queue) serve the app on 127.0.0.1 with
production settings, against PostgreSQL and Redis, and Locust runs ``bench/locustfile.py``
headless for at most ``--seconds`` (default 60): 50 simulated agents, leads, compliance
reviewers and integrations with think time between clicks (see the locustfile for the mix).

The run writes (replies, assignments, sign-offs, new cases), so it works on a fresh copy of the
benchmark database of ``bench/database.py`` (``<name>_load``, made from it as a template each
run), which leaves the seeded one as it was. People are signed in before the run, as a desk's
people are when their shift starts. Redis (broker for the worker and the app's cache) is
``LOAD_REDIS_URL``, default db 14 of the server of ``REDIS_URL`` (or the local one), so the run's
cache entries never meet the test suite's db.

Output: ``name value unit`` lines, then a Markdown table: requests/s, errors, and p50/p95/p99
per request type (Locust rounds percentiles above 100 ms to two significant figures), and
whether the worker routed every ingested ticket. Target: no errors, p95 ≤ 250 ms for pages.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import (  # noqa: E402
    bench_database_url,
    copy_database,
    open_bench_database,
    seed_bench_database,
)
from bench.figures import Figure, report  # noqa: E402

QUICK_CASES = 2_000
PAGE_P95_TARGET_MS = 250
SECRET_KEY = "bench-only-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105 - throw-away
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
# How many sessions of each role the simulated users share (a role with fewer people repeats them).
PEOPLE = {"agents": 30, "leads": 10, "reviewers": 5}


def redis_db(url: str, number: int) -> str:
    """``url`` with its database number replaced."""
    base = url.split("?", 1)[0].rstrip("/")
    server = base.rsplit("/", 1)[0] if base.rsplit("/", 1)[-1].isdigit() else base
    return f"{server}/{number}"


def server_env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.load_settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
    }


def prepare(fixture_path: Path) -> None:
    """Sessions for the simulated people, an intake token, customers to ingest for; written to
    ``fixture_path``. Runs in a child process with the copy's settings (``server_env``)."""
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client

    from api.tokens import token_issue
    from cases.choices import OPEN_STATUSES
    from cases.models import Customer
    from people.models import User

    def sessions(users, wanted: int) -> list[str]:
        users = list(users)
        if not users:
            sys.exit("The load test needs agents, leads and compliance reviewers: seed with manage.py seed_demo.")
        cookies = []
        for index in range(wanted):
            client = Client()
            client.force_login(users[index % len(users)])
            cookies.append(client.cookies["sessionid"].value)
        return cookies

    active = User.objects.filter(is_active=True)
    # The agents with the most open work: their My cases pages are the busy ones.
    agents = (
        active.filter(role="agent")
        .annotate(open_cases=Count("assigned_cases", filter=Q(assigned_cases__status__in=OPEN_STATUSES)))
        .order_by("-open_cases", "username")[: PEOPLE["agents"]]
    )
    fixture = {
        "agents": sessions(agents, PEOPLE["agents"]),
        "leads": sessions(active.filter(role="lead").order_by("username"), PEOPLE["leads"]),
        "reviewers": sessions(active.filter(role="compliance").order_by("username"), PEOPLE["reviewers"]),
        "token": token_issue(
            actor=None, user=User.objects.get(username="lead.us"), name=f"load {uuid.uuid4().hex[:6]}"
        ).secret,
        "accounts": list(Customer.objects.order_by("?").values_list("account_number", flat=True)[:500]),
    }
    connection.close()
    fixture_path.write_text(json.dumps(fixture), encoding="utf-8")


def wait_for_http(port: int, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{what} exited with status {process.returncode} before answering.")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{what} did not answer within {timeout:g} s.")


def warm_up(port: int, fixture: dict, *, rounds: int) -> None:
    """Each page the run requests, a few times as each role, so every worker has compiled its
    templates and opened its database connection before the clock starts: a deployed server
    is warm, and its first request after a start is not what a person waits for."""
    import re

    paths = {
        "agents": ["/cases/mine/", "/cases/"],
        "leads": ["/cases/", "/cases/?sort=sla", "/cases/?status=new&assignee=null", "/cases/?priority=urgent"],
        "reviewers": ["/compliance/"],
    }
    for role, pages in paths.items():
        cookie = f"sessionid={fixture[role][0]}"
        for _ in range(rounds):
            for path in pages:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("GET", path, headers={"Cookie": cookie})
                body = connection.getresponse().read().decode(errors="replace")
                connection.close()
                # Open what the page links to as well: a case, or a flag.
                link = re.search(r'href="(/(?:cases/[A-Z]+-[0-9-]+|compliance/flags/[0-9]+)/)"', body)
                if link:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    connection.request("GET", link.group(1), headers={"Cookie": cookie})
                    connection.getresponse().read()
                    connection.close()


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) that process ``root`` and its children have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue  # gone already
        total += (int(fields[11]) + int(fields[12])) / ticks
        pending += [int(child) for child in children]
    return total


def slug(name: str) -> str:
    return name.replace(": ", "_").replace(" ", "_").replace("-", "_")


def read_stats(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def stats_figures(rows: list[dict], seconds: float) -> list[Figure]:
    figures: list[Figure] = []
    pages_p95 = 0.0
    for row in rows:
        name = row["Name"]
        count = int(row["Request Count"])
        if name == "Aggregated":
            figures[:0] = [
                Figure("load_requests", count, "requests"),
                Figure("load_requests_per_s", round(float(row["Requests/s"]), 1), "req/s"),
                Figure("load_errors", int(row["Failure Count"]), "responses", "0"),
            ]
            continue
        if count == 0:
            continue
        key = f"load_{slug(name)}"
        p95 = float(row["95%"])
        target = f"≤ {PAGE_P95_TARGET_MS}" if name.startswith("page: ") else ""
        if name.startswith("page: "):
            pages_p95 = max(pages_p95, p95)
        figures += [
            Figure(f"{key}_requests", count, "requests"),
            Figure(f"{key}_p50_ms", float(row["50%"]), "ms"),
            Figure(f"{key}_p95_ms", p95, "ms", target),
            Figure(f"{key}_p99_ms", float(row["99%"]), "ms"),
        ]
        failures = int(row["Failure Count"])
        if failures:
            figures.append(Figure(f"{key}_errors", failures, "responses", "0"))
    figures.append(Figure("load_pages_worst_p95_ms", pages_p95, "ms", f"≤ {PAGE_P95_TARGET_MS}"))
    return figures


def ingest_routed(database_url: str, *, wait: float) -> tuple[int, int]:
    """Tickets the integrations ingested, and how many of them the worker has routed (waits up to
    ``wait`` seconds for the queue to drain)."""
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(database_url)
    connection = psycopg2.connect(dbname=config["NAME"], user=config.get("USER") or None,
                                  host=config.get("HOST") or None, port=config.get("PORT") or None)  # fmt: skip
    connection.autocommit = True
    query = """
        SELECT count(*), count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM cases_routingdecision d WHERE d.case_id = c.id))
        FROM cases_case c JOIN intake_intakerecord r ON r.case_id = c.id
        WHERE r.source = 'load'
    """
    deadline = time.monotonic() + wait
    try:
        with connection.cursor() as cursor:
            while True:
                cursor.execute(query)
                ingested, routed = cursor.fetchone()
                if routed >= ingested or time.monotonic() > deadline:
                    return ingested, routed
                time.sleep(0.5)
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, help=f"database size (default 100,000; {QUICK_CASES:,} with --quick)")
    parser.add_argument("--users", type=int, help="simulated users (default 50; 6 with --quick)")
    parser.add_argument("--seconds", type=int, help="length of the run, ramp-up included (default 60; 10 quick)")
    parser.add_argument("--quick", action="store_true", help="small database, a few users, 10 s: keeps CI honest")
    parser.add_argument("--web-workers", type=int, help="gunicorn workers (default: config/gunicorn.py's)")
    parser.add_argument("--think", help="seconds between a person's clicks, MIN,MAX (default 5,15; 1,3 quick)")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare)
        return
    cases = args.cases or (QUICK_CASES if args.quick else 100_000)
    users = args.users or (6 if args.quick else 50)
    seconds = min(args.seconds or (10 if args.quick else 60), 60)
    # The quick run is short: people click faster so that every kind of request is made.
    args.think = args.think or ("1,3" if args.quick else "5,15")
    redis_url = os.environ.get("LOAD_REDIS_URL") or redis_db(os.environ.get("REDIS_URL") or DEFAULT_REDIS, 14)

    # Seed the shared benchmark database if it is missing (a no-op when it is current), then copy it.
    source = bench_database_url(cases)
    open_bench_database(cases)
    figures: list[Figure] = []
    seeded = seed_bench_database(cases)
    if seeded is not None:
        figures.append(Figure("seed_seconds", seeded, "s"))
    from django.db import connections

    connections.close_all()
    copied = time.monotonic()
    url = copy_database(source, suffix="load")
    figures.append(Figure("load_copy_database_s", round(time.monotonic() - copied, 1), "s"))
    think_min, think_max = (float(part) for part in args.think.split(","))
    from config import gunicorn as gunicorn_settings

    web_workers = args.web_workers or gunicorn_settings.workers
    figures += [
        Figure("load_users", users, "users"),
        Figure("load_seconds", seconds, "s"),
        Figure("load_think_min_s", think_min, "s"),
        Figure("load_think_max_s", think_max, "s"),
        Figure("load_web_workers", web_workers, "workers"),
    ]

    from bench.api import free_port

    env = server_env(url, redis_url)
    with tempfile.TemporaryDirectory(prefix="escdesk-load-") as work:
        work_dir = Path(work)
        fixture_path = work_dir / "fixture.json"
        subprocess.run([sys.executable, __file__, "--prepare", str(fixture_path)], cwd=ROOT, env=env, check=True)
        port = free_port()
        web = start(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--workers", str(web_workers),
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            env, work_dir / "gunicorn.log",
        )  # fmt: skip
        worker = start(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,sla,routing,notifications",
             "--pool", "solo", "-n", f"load-{uuid.uuid4().hex[:6]}@%h", "-l", "warning",
             "--without-mingle", "--without-gossip"],
            env, work_dir / "worker.log",
        )  # fmt: skip
        locust_env = {
            **env,
            "LOAD_FIXTURE": str(fixture_path),
            "LOAD_OUTCOME": str(work_dir / "outcome.json"),
            "LOAD_THINK": args.think,
        }
        try:
            wait_for_http(port, web, "gunicorn")
            # The kernel hands each connection to any worker: two rounds per worker so that every
            # one of them has most likely served each page once before the clock starts.
            warm_up(port, json.loads(fixture_path.read_text()), rounds=2 if args.quick else 2 * web_workers)
            # Each user starts within the first tenth of the run, then works until the end.
            spawn_rate = max(1.0, users / max(1.0, seconds / 10))
            web_cpu, worker_cpu = cpu_seconds(web.pid), cpu_seconds(worker.pid)
            finished = subprocess.run(
                [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                 "--host", f"http://127.0.0.1:{port}", "--users", str(users), "--spawn-rate", f"{spawn_rate:g}",
                 "--run-time", f"{seconds}s", "--stop-timeout", "5", "--csv", str(work_dir / "load"),
                 "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
                cwd=ROOT, env=locust_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                timeout=seconds + 60, check=False,
            )  # fmt: skip
            if finished.returncode != 0 or not (work_dir / "load_stats.csv").exists():
                sys.stderr.write(finished.stderr)
                sys.exit(f"Locust exited with status {finished.returncode}.")
            web_cpu, worker_cpu = cpu_seconds(web.pid) - web_cpu, cpu_seconds(worker.pid) - worker_cpu
            ingested, routed = ingest_routed(url, wait=30)
        finally:
            stop(web)
            stop(worker)
        if worker.returncode not in (0, -signal.SIGTERM):
            sys.stderr.write((work_dir / "worker.log").read_text(errors="replace"))
        server_log = (work_dir / "gunicorn.log").read_text(errors="replace")
        if server_log.strip():
            sys.stderr.write(server_log[-6000:])
        rows = read_stats(work_dir / "load_stats.csv")
        failures = work_dir / "load_failures.csv"
        if failures.exists():
            for row in read_stats(failures):
                print(f"# failed {row['Method']} {row['Name']} x{row['Occurrences']}: {row['Error']}", file=sys.stderr)
        outcome = json.loads((work_dir / "outcome.json").read_text()) if (work_dir / "outcome.json").exists() else {}

    figures += stats_figures(rows, seconds)
    served = next((int(row["Request Count"]) for row in rows if row["Name"] == "Aggregated"), 0)
    figures += [
        # What a request costs the web workers whatever else the machine runs (PostgreSQL's share
        # is not in it): two dedicated cores serve about 2,000 / this many requests a second.
        Figure("load_web_cpu_per_request_ms", 1000 * web_cpu / served if served else 0, "ms"),
        Figure("load_worker_cpu_s", round(worker_cpu, 1), "s"),
    ]
    figures += [
        Figure("load_sign_off_conflicts", outcome.get("conflicts", 0), "responses"),
        Figure("load_ingested", ingested, "cases"),
        Figure("load_ingested_routed_by_worker", routed, "cases", f"= {ingested}"),
    ]
    title = (
        f"Escalation Desk under load: {users} users ({args.think} s between clicks) for {seconds} s, "
        f"gunicorn ({web_workers} workers) + Celery worker, {cases:,} cases, PostgreSQL + Redis, 127.0.0.1."
    )
    report(figures, title)


if __name__ == "__main__":
    main()
