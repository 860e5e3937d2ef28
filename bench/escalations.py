"""Time the escalation queue: ``python bench/escalations.py [--cases N] [--open N] [--quick]``.

Runs on the benchmark databases of ``bench/database.py`` (``escdesk_bench_<N>``, seeded once and
reused). If the database holds fewer than ``--open`` open escalations, open cases of the
frontline teams are escalated in bulk (one row per case, spread over the eight receiving
teams, reasons and urgencies, requested over the last two days) until it does; later runs
reuse them. The page is measured like ``bench/pages.py`` measures pages (test client, forced
login, median and p90 after warm-up, queries from one extra request):

- ``escalations_lead``: a CS lead of US Leads, one receiving team among eight;
- ``escalations_all``: a compliance reviewer, who reads every team's open escalations.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import load_as_of, open_bench_database, seed_bench_database  # noqa: E402
from bench.run import Figure, measure, report  # noqa: E402

QUICK_CASES = 2_000
QUICK_OPEN = 150
TARGET_MEDIAN_MS = 50
RECEIVING_KINDS = ("leads", "compliance", "cdd", "fraud", "ops", "legal", "product")


def ensure_open_escalations(wanted: int) -> int:
    """Bulk-create open escalations until ``wanted`` exist; how many were created."""
    from cases.choices import PRIORITY_RANK, Status
    from cases.models import Case
    from escalations.choices import DEFAULT_OLA_MINUTES, TIER_RANK, URGENCY_RANK, Urgency
    from escalations.models import Escalation, ReasonCode
    from people.models import Team, User

    have = Escalation.objects.open().count()
    if have >= wanted:
        _analyze()
        return 0
    rng = random.Random(7)  # noqa: S311 - benchmark data, not secrets
    receivers = list(Team.objects.filter(kind__in=RECEIVING_KINDS).order_by("pk"))
    reasons = list(ReasonCode.objects.filter(is_active=True).order_by("pk"))
    agents = dict(User.objects.filter(role="agent").values_list("memberships__team_id", "pk").order_by("pk"))
    taken = set(Escalation.objects.open().values_list("case_id", flat=True))
    candidates = (
        Case.objects.filter(status__in=[Status.OPEN, Status.NEW, Status.PENDING_INTERNAL], team__kind="frontline")
        .exclude(pk__in=taken)
        .order_by("pk")
        .values_list("pk", "team_id", "customer__tier", "sla_due_at", "priority")[: wanted - have]
    )
    as_of = load_as_of()
    rows = []
    for case_id, team_id, tier, due, priority in candidates:
        urgency = rng.choice(list(Urgency))
        requested_at = as_of - timedelta(minutes=rng.randint(5, 2 * 24 * 60))
        minutes = DEFAULT_OLA_MINUTES[urgency]
        to_team = rng.choice(receivers)
        rows.append(
            Escalation(
                case_id=case_id,
                from_team_id=team_id,
                to_team=to_team,
                reason=rng.choice(reasons),
                urgency=urgency,
                customer_tier=tier,
                case_sla_due_at=due,
                case_priority_rank=PRIORITY_RANK[priority],
                tier_rank=TIER_RANK[tier],
                urgency_rank=URGENCY_RANK[urgency],
                note="Benchmark escalation",
                requested_by_id=agents.get(team_id),
                requested_at=requested_at,
                ola_target_minutes=minutes,
                ola_due_at=requested_at + timedelta(minutes=minutes),
                ola_warn_at=requested_at + timedelta(minutes=minutes * 8 // 10),
            )
        )
    Escalation.objects.bulk_create(rows, batch_size=2_000)
    _analyze()
    return len(rows)


def _analyze() -> None:
    """Fresh planner statistics: a migration's backfill or the bulk load can leave them stale,
    and with stale counts PostgreSQL merge-joins the whole case table instead of probing it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE escalations_escalation")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, help="database size (default 1,000,000; 2,000 with --quick)")
    parser.add_argument("--open", type=int, help="open escalations wanted (default 20,000; 150 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small database and 10 requests")
    parser.add_argument("--requests", type=int, help="timed requests per page (default 30; 10 with --quick)")
    args = parser.parse_args()
    cases = args.cases or (QUICK_CASES if args.quick else 1_000_000)
    wanted = args.open or (QUICK_OPEN if args.quick else 20_000)
    requests = args.requests or (10 if args.quick else 30)
    warmup = 2 if args.quick else 5

    open_bench_database(cases)
    figures: list[Figure] = []
    seconds = seed_bench_database(cases)
    if seconds is not None:
        figures.append(Figure("seed_seconds", seconds, "s"))
    created = ensure_open_escalations(wanted)

    from django.test import Client

    from escalations.models import Escalation
    from people.models import User

    figures += [
        Figure("escalations_created", created, "rows"),
        Figure("escalations_open", Escalation.objects.open().count(), "rows"),
    ]
    client = Client()
    for name, username in (("escalations_lead", "lead.us"), ("escalations_all", "compliance.rev")):
        client.force_login(User.objects.get(username=username))
        page, response = measure(client, name, "/escalations/", {}, requests=requests, warmup=warmup, rows=True)
        for figure in page:
            if figure.name.endswith("_median_ms"):
                figure.target = f"≤ {TARGET_MEDIAN_MS}"
        figures += page
    report(figures, f"Escalation queue: {cases:,} cases, {requests} timed requests per page, PostgreSQL.")


if __name__ == "__main__":
    main()
