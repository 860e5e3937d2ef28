"""Time shared identifiers, the cluster walk and one answer to many: ``python bench/painpoints.py
[--cases N] [--quick] [--send N]``.

Runs on the benchmark database of ``bench/database.py`` (``BENCH_DATABASE_URL`` names a copy).
If it holds fewer than three identifiers per case, they are bulk-loaded with COPY: mostly values
no other case shares, a scam wave (one wallet on 40 cases of the offshore teams), and a ring of
500 cases connected in two hops (a hub wallet on 100 cases, each of those sharing a phone number
with four more). Later runs reuse them. Figures:

- ``shared_lookup``: the first page of "other cases sharing this wallet" for a lead (40 cases);
- ``case_panel``: the case page's identifier panel of one victim (its one query);
- ``cluster_500``: the bounded walk from the ring's hub to its 500 cases, for compliance;
- ``send_<N>``: one approved answer to N linked open cases, from the request that queues it to
  the last reply, worked by a real ``celery worker`` process on Redis (``REDIS_URL``, default
  db 3). The machine is shared: the worker competes with the bench process and PostgreSQL.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import open_bench_database, seed_bench_database  # noqa: E402
from bench.run import Figure, percentile, report  # noqa: E402

QUICK_CASES = 2_000
PER_CASE = 3
WAVE = 40
HUB, SPOKES = 100, 4
WAVE_WALLET = "0x" + hashlib.sha256(b"bench scam wave").hexdigest()[:40]
HUB_WALLET = "0x" + hashlib.sha256(b"bench ring hub").hexdigest()[:40]
REDIS_DB = "redis://127.0.0.1:6379/3"


def _timed(fn, *, runs: int, warmup: int) -> tuple[float, float]:
    for _ in range(warmup):
        fn()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), percentile(timings, 0.9)


def ensure_identifiers(cases: int) -> tuple[int, float | None]:
    """COPY identifiers in until there are ``PER_CASE`` per case; (rows, seconds) or (rows, None)."""
    from django.db import connection

    from painpoints.models import CaseIdentifier

    wanted = cases * PER_CASE
    have = CaseIdentifier.objects.count()
    if have >= wanted:
        return have, None
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE painpoints_caseidentifier")
        cursor.execute("DROP INDEX IF EXISTS painpoints_identifier_key_idx")
        cursor.execute(
            "ALTER TABLE painpoints_caseidentifier DROP CONSTRAINT IF EXISTS painpoints_identifier_once_per_case"
        )
        # Every case gets its identifiers (referred ones too: the lists must leave them out).
        cursor.execute("SELECT c.id, t.kind FROM cases_case c JOIN people_team t ON t.id = c.team_id ORDER BY c.id")
        rows = cursor.fetchall()
        cursor.execute("SELECT case_id FROM compliance_referral")
        referred = {pk for (pk,) in cursor.fetchall()}
    # The wave and the ring are cases a lead and compliance may read: no FIU or referred ones.
    frontline = [pk for pk, kind in rows if kind == "frontline" and pk not in referred]
    readable = [pk for pk, kind in rows if kind != "fiu" and pk not in referred]
    wave = set(frontline[-WAVE:])
    ring = readable[: HUB + HUB * SPOKES]
    hub, spokes = ring[:HUB], ring[HUB:]
    shared: dict[int, list[tuple[str, str]]] = {}
    for pk in wave:
        shared.setdefault(pk, []).append(("wallet", WAVE_WALLET))
    for pk in hub:
        shared.setdefault(pk, []).append(("wallet", HUB_WALLET))
    for i, pk in enumerate(hub):
        phone = f"+1555{i:07d}"
        shared.setdefault(pk, []).append(("phone", phone))
        for spoke in spokes[i * SPOKES : (i + 1) * SPOKES]:
            shared.setdefault(spoke, []).append(("phone", phone))
    kinds = ("wallet", "tx_hash", "phone", "website", "device", "email_domain")
    buffer = io.StringIO()
    total = 0

    def flush() -> None:
        buffer.seek(0)
        with connection.cursor() as cursor:
            # The rows are made from the case ids just read: skip the per-row foreign key check
            # (superuser only), as a restore would; the indexes are built once, after the load.
            cursor.execute("SET session_replication_role = replica")
            cursor.copy_expert(
                "COPY painpoints_caseidentifier (case_id, kind, chain, value, display, verified, note, source, "
                "added_at) FROM STDIN",
                buffer,
            )
        buffer.seek(0)
        buffer.truncate()

    for pk, _ in rows:
        own = shared.get(pk, [])
        for n in range(PER_CASE - len(own)):
            kind = kinds[(pk + n) % len(kinds)]
            digest = hashlib.blake2b(f"{pk}:{n}".encode(), digest_size=20).hexdigest()
            value = {
                "wallet": "0x" + digest,
                "tx_hash": digest * 2 + digest[:24],
                "phone": f"+6{int(digest[:12], 16) % 10**11:011d}",
                "website": f"{digest[:12]}.example",
                "device": digest[:32],
                "email_domain": f"{digest[:10]}.example",
            }[kind]
            own = [*own, (kind, value)]
        for kind, value in own:
            chain = "eth" if kind == "wallet" else ""
            buffer.write(f"{pk}\t{kind}\t{chain}\t{value}\t{value}\tt\t\tagent\t2026-11-01 00:00:00+00\n")
            total += 1
        if buffer.tell() > 32_000_000:
            flush()
    flush()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = origin")
        cursor.execute(
            "ALTER TABLE painpoints_caseidentifier ADD CONSTRAINT painpoints_identifier_once_per_case "
            "UNIQUE (case_id, kind, value)"
        )
        cursor.execute("CREATE INDEX painpoints_identifier_key_idx ON painpoints_caseidentifier (kind, value, case_id)")
        cursor.execute("ANALYZE painpoints_caseidentifier")
    return total, round(time.monotonic() - started, 1)


def _worker(env: dict, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default", "-n", "bench-painpoints@%h",
               "--pool", "solo", "--concurrency", "1", "-l", "info", "--without-mingle", "--without-gossip",
               "--without-heartbeat"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _bench_answer(lead):
    """A published reply template, for a database loaded before the knowledge demo existed."""
    from knowledge.choices import DocKind
    from knowledge.services import Draft, document_create, version_publish

    draft = Draft(
        title="Benchmark answer", body="Hello {{ customer_first_name }}, this is fixed ({{ case_reference }})."
    )
    return version_publish(actor=lead, version=document_create(actor=lead, kind=DocKind.MACRO, draft=draft))


def time_send(cases: int) -> list[Figure]:
    """Link ``cases`` open cases to a fresh fixed pain point and send one answer through a worker."""
    from django.db import connection
    from django.utils import timezone

    from cases.choices import OPEN_STATUSES
    from cases.models import Case
    from config.celery import app
    from painpoints import services
    from painpoints.access import restricted_q
    from painpoints.choices import JobStatus, PainPointStatus
    from painpoints.models import BulkJob, JobItem, PainPointLink
    from painpoints.selectors import approved_answers
    from people.models import Team, User

    lead = User.objects.get(username="lead.us")
    answer = next(iter(approved_answers()), None) or _bench_answer(lead)
    owner = Team.objects.get(slug="fraud-scam")
    answered = JobItem.objects.values("case_id")
    ids = list(
        Case.objects.visible_to(lead)
        .filter(status__in=OPEN_STATUSES)
        .exclude(restricted_q())
        .exclude(pk__in=answered)
        .order_by("pk")
        .values_list("pk", flat=True)[:cases]
    )
    pain_point = services.pain_point_create(actor=lead, title=f"Bench send {timezone.now():%H:%M:%S}", owner_team=owner)
    now = timezone.now()
    PainPointLink.objects.bulk_create(
        [PainPointLink(pain_point=pain_point, case_id=pk, source="queue", linked_by=lead, linked_at=now) for pk in ids],
        batch_size=5_000,
    )
    pain_point = services.pain_point_change_status(actor=lead, pain_point=pain_point, to_status=PainPointStatus.FIXED,
                                                   expected_version=None)  # fmt: skip
    redis_url = os.environ.get("REDIS_URL") or REDIS_DB
    # Not the bench settings' in-memory broker: the worker is another process.
    app.close()
    app.conf.broker_url, app.conf.broker_transport_options = redis_url, {}
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("default")
    secret = os.environ.get("SECRET_KEY", "bench-only-key-not-secret-0123456789abcdefghijklmnop")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", "REDIS_URL": redis_url,
           "DATABASE_URL": os.environ["DATABASE_URL"], "LOG_LEVEL": "WARNING", "SECRET_KEY": secret}  # fmt: skip
    log = Path(tempfile.mkstemp(prefix="bench-painpoints-worker-", suffix=".log")[1])
    worker = _worker(env, log)
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"The worker did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        started = time.monotonic()
        job = services.answer_send_start(actor=lead, pain_point=pain_point, macro_version_id=answer.pk)
        connection.close()
        while not BulkJob.objects.filter(pk=job.pk, status=JobStatus.DONE).exists():
            if worker.poll() is not None or time.monotonic() - started > 900:
                sys.exit(f"The send did not finish:\n{log.read_text(errors='replace')[-4000:]}")
            time.sleep(0.5)
        seconds = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    job.refresh_from_db()
    return [
        Figure(f"send_{len(ids)}_seconds", round(seconds, 1), "s", "≤ 120 at 5,000"),
        Figure(f"send_{len(ids)}_sent", job.done, "replies"),
        Figure(f"send_{len(ids)}_per_second", round(job.done / seconds, 1), "replies/s"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, help="database size (default 1,000,000; 2,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small database, few runs, a 50-case send")
    parser.add_argument("--send", type=int, help="cases one answer goes to (default 5,000; 50 with --quick; 0: none)")
    parser.add_argument("--runs", type=int, help="timed runs per read (default 30; 5 with --quick)")
    args = parser.parse_args()
    cases = args.cases or (QUICK_CASES if args.quick else 1_000_000)
    send = args.send if args.send is not None else (50 if args.quick else 5_000)
    runs = args.runs or (5 if args.quick else 30)

    open_bench_database(cases)
    figures: list[Figure] = []
    seconds = seed_bench_database(cases)
    if seconds is not None:
        figures.append(Figure("seed_seconds", seconds, "s"))
    rows, loaded = ensure_identifiers(cases)
    figures.append(Figure("identifiers", rows, "rows"))
    if loaded is not None:
        figures.append(Figure("identifiers_load_seconds", loaded, "s"))

    from cases.models import Case
    from painpoints.models import CaseIdentifier
    from painpoints.selectors import case_cluster, cases_sharing, identifier_case_panel
    from people.models import User

    lead = User.objects.get(username="lead.us")
    reviewer = User.objects.get(username="compliance.rev")
    victim = Case.objects.get(
        pk=CaseIdentifier.objects.filter(value=WAVE_WALLET).order_by("case_id").values("case_id")[:1]
    )
    hub = Case.objects.get(pk=CaseIdentifier.objects.filter(value=HUB_WALLET).order_by("case_id").values("case_id")[:1])

    page: list = []
    median, p90 = _timed(lambda: page.append(list(cases_sharing(user=lead, kind="wallet", value=WAVE_WALLET)[:50])),
                         runs=runs, warmup=2)  # fmt: skip
    figures += [Figure("shared_lookup_median_ms", median, "ms", "≤ 20"), Figure("shared_lookup_p90_ms", p90, "ms"),
                Figure("shared_lookup_rows", len(page[-1]), "cases")]  # fmt: skip
    panels: list = []
    median, p90 = _timed(lambda: panels.append(identifier_case_panel(lead, victim, True)), runs=runs, warmup=2)
    sharing = max((item["sharing"] for item in panels[-1]["identifiers"]), default=0)
    figures += [Figure("case_panel_median_ms", median, "ms", "≤ 20"), Figure("case_panel_p90_ms", p90, "ms"),
                Figure("case_panel_sharing", sharing, "cases")]  # fmt: skip
    walks: list = []
    median, p90 = _timed(lambda: walks.append(case_cluster(user=reviewer, case=hub)), runs=max(runs // 3, 3), warmup=1)
    walk = walks[-1]
    figures += [Figure("cluster_500_median_ms", median, "ms", "≤ 300"), Figure("cluster_500_p90_ms", p90, "ms"),
                Figure("cluster_500_cases", len(walk.cases), "cases"),
                Figure("cluster_500_hops", walk.depth, "hops")]  # fmt: skip
    if send:
        figures += time_send(send)
    report(figures, f"Pain points at {cases:,} cases")


if __name__ == "__main__":
    main()
