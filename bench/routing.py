"""Route a cold queue: ``python bench/routing.py [--cases 10000] [--agents 200] [--teams 8]``.

Builds, in its own PostgreSQL database (``escdesk_bench_routing``; ``BENCH_DATABASE_URL``
names another), an organisation of ``--agents`` agents on shift right now across ``--teams``
teams (in several time zones, some shifts running past midnight), plus a few colleagues off
shift, and ``--cases`` new unassigned cases in an intake team. One routing rule per team moves
cases by category (two rules require a skill), so every case is matched, moved and assigned.

Then it routes the whole queue through the engine four times, each from a fresh cold queue:
one task per case (``route_case_and_waiting``, what the Celery task runs after each case write:
its case, then up to 49 never-routed cases of the same team in one transaction) and
the catch-up sweep (``route_catch_up``, which routes a backlog ``CATCH_UP_CHUNK`` cases per
transaction), each first in this process and then in ``--processes`` processes at once, as
several workers would. Output: ``name value unit`` lines, then a Markdown table.

The database is emptied of people and cases before each run (a ``TRUNCATE``: the timeline,
decisions and audit ledger refuse row deletes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import database_url_named, ensure_database  # noqa: E402 - needs ROOT on the path
from bench.run import Figure, report  # noqa: E402

ZONES = ["Asia/Manila", "Asia/Kolkata", "Australia/Sydney", "America/New_York", "Europe/Dublin", "UTC"]
OFF_SHIFT_PER_TEAM = 5
TARGET_PER_SECOND = 300
# Cases the sweep takes per run (it routes them CATCH_UP_CHUNK per transaction).
SWEEP_LIMIT = 1000
TRUNCATE = """
TRUNCATE audit_auditevent, cases_routingdecision, cases_caseevent, cases_case, cases_customer,
         cases_routingrule, people_shift, people_membership, people_user, people_team CASCADE
"""


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()


def build(*, cases: int, agents: int, teams: int, now: datetime) -> list[int]:
    """An empty organisation, then people, shifts, rules and a cold queue; returns case ids in queue order."""
    from django.db import connection, transaction

    from cases.choices import Channel, Priority, Status, Tier
    from cases.models import Case, Category, Customer, RoutingRule
    from people.choices import Role, TeamKind
    from people.models import Membership, Shift, Team, User

    with connection.cursor() as cursor:
        cursor.execute(TRUNCATE)
    with transaction.atomic():
        intake = Team.objects.create(name="Intake", slug="intake", kind=TeamKind.FRONTLINE, time_zone="UTC")
        desks = Team.objects.bulk_create(
            Team(name=f"Desk {n}", slug=f"desk-{n}", kind=TeamKind.FRONTLINE, time_zone=ZONES[n % len(ZONES)])
            for n in range(teams)
        )
        categories = list(Category.objects.filter(is_active=True).order_by("position").values_list("pk", "code"))
        # Categories dealt round-robin to desks, so every category has exactly one rule.
        desk_categories: list[list[tuple[int, str]]] = [categories[n::teams] for n in range(teams)]
        skills = {0: "scam", 1: "kyc"}  # two desks need a skill; all their people have it
        RoutingRule.objects.bulk_create(
            RoutingRule(
                name=f"To {desk.name}",
                position=n,
                conditions={"category": [code for _, code in desk_categories[n]]},
                target_team=desk,
                required_skills=[skills[n]] if n in skills else [],
                created_at=now,
                updated_at=now,
            )
            for n, desk in enumerate(desks)
        )
        people, shifts, memberships = [], [], []
        per_desk = agents // teams
        for n, desk in enumerate(desks):
            for i in range(per_desk + OFF_SHIFT_PER_TEAM):
                zone = ZONES[(n + i) % len(ZONES)]
                working = i < per_desk
                person = User(
                    # Off-shift colleagues are named apart so the load figures can leave them out.
                    username=f"agent-{n}-{i}" if working else f"off-{n}-{i}",
                    first_name=f"Agent{i}",
                    last_name=f"Desk{n}",
                    role=Role.AGENT,
                    time_zone=zone,
                    # Room for the whole queue: capacity is not what this measures.
                    max_open_cases=cases // agents + 10,
                    skills=[skills[n]] if n in skills else [],
                )
                people.append((desk, person, working))
        User.objects.bulk_create([person for _, person, _ in people])
        for desk, person, working in people:
            memberships.append(Membership(user=person, team=desk))
            local = now.astimezone(zoneinfo.ZoneInfo(person.time_zone))
            # An eight-hour shift that began two hours ago (on shift) or begins in two hours (off);
            # where it crosses local midnight it is stored as one overnight shift.
            start = local - timedelta(hours=2) if working else local + timedelta(hours=2)
            end = start + timedelta(hours=8)
            shifts.append(
                Shift(
                    user=person,
                    weekday=start.weekday(),
                    starts_at=start.time().replace(second=0, microsecond=0),
                    ends_at=end.time().replace(second=0, microsecond=0),
                )
            )
        Membership.objects.bulk_create(memberships)
        Shift.objects.bulk_create(shifts)
        customers = Customer.objects.bulk_create(
            Customer(
                account_number=f"RB{n:08d}",
                full_name=f"Routing Customer {n}",
                email=f"routing{n}@example.com",
                jurisdiction=["US-CA", "US-NY", "AU-NSW", "US-TX"][n % 4],
                tier=[Tier.STANDARD, Tier.PLUS, Tier.VIP][n % 3],
                account_opened_at=now - timedelta(days=400),
            )
            for n in range(max(1, cases // 5))
        )
        received = now - timedelta(hours=1)
        rows = []
        for n in range(cases):
            desk_cats = desk_categories[n % teams]
            category_id = desk_cats[(n // teams) % len(desk_cats)][0]
            at = received + timedelta(milliseconds=n)
            rows.append(
                Case(
                    reference=f"RB-{n:07d}",
                    customer=customers[n % len(customers)],
                    subject=f"Routing bench case {n}",
                    channel=Channel.EMAIL,
                    category_id=category_id,
                    priority=Priority.NORMAL,
                    status=Status.NEW,
                    team=intake,
                    received_at=at,
                    created_at=at,
                    updated_at=at,
                )
            )
        Case.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return list(Case.objects.order_by("received_at", "pk").values_list("pk", flat=True))


def route_one_by_one(case_ids: list[int]) -> tuple[float, list[float]]:
    """What the task does after each case write, once per case. Returns (seconds, per-task ms)."""
    from cases.models import RoutingTrigger
    from cases.routing import route_case_and_waiting

    timings = []
    started = time.perf_counter()
    for case_id in case_ids:
        one = time.perf_counter()
        route_case_and_waiting(case_id=case_id, trigger=RoutingTrigger.NEW)
        timings.append((time.perf_counter() - one) * 1000)
    return time.perf_counter() - started, timings


def sweep_until_done() -> tuple[float, int]:
    """What the catch-up sweep does with a backlog: runs until it finds nothing. Returns (seconds, decisions)."""
    from cases.routing import route_catch_up

    written = 0
    started = time.perf_counter()
    while made := route_catch_up(limit=SWEEP_LIMIT):
        written += made
    return time.perf_counter() - started, written


def load_figures(prefix: str) -> list[tuple[str, float, str]]:
    """Open cases per on-shift agent after routing, and whether anything went wrong."""
    from django.db.models import Count, Q

    from cases.choices import OPEN_STATUSES
    from cases.models import Case, RoutingDecision, RoutingOutcome
    from people.models import User

    # Everyone on shift, including anyone who got nothing (that would be a min of 0).
    loads = list(
        User.objects.filter(username__startswith="agent-")
        .annotate(n=Count("assigned_cases", filter=Q(assigned_cases__status__in=OPEN_STATUSES), distinct=True))
        .values_list("n", "max_open_cases")
    )
    counts = [n for n, _ in loads]
    over = sum(1 for n, cap in loads if n > cap)
    off_shift_assigned = Case.objects.filter(assignee__username__startswith="off-").count()
    unassigned = Case.objects.filter(assignee__isnull=True).count()
    assigned_twice = (
        RoutingDecision.objects.filter(outcome=RoutingOutcome.ASSIGNED)
        .values("case")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return [
        (f"{prefix}load_agents", len(counts), "agents"),
        (f"{prefix}load_max", max(counts), "cases"),
        (f"{prefix}load_min", min(counts), "cases"),
        (f"{prefix}load_ratio", round(max(counts) / max(1, min(counts)), 3), "ratio"),
        (f"{prefix}unassigned", unassigned, "cases"),
        (f"{prefix}over_capacity", over, "agents"),
        (f"{prefix}assigned_off_shift", off_shift_assigned, "cases"),
        (f"{prefix}assigned_twice", assigned_twice, "cases"),
    ]


def worker(index: int, workers: int, mode: str) -> None:
    """One of several processes, as one of several Celery workers; prints its start, end and count.

    ``one-by-one``: the cases whose id is ``index`` modulo ``workers``, one per transaction (the task path).
    ``sweep``: the catch-up sweep over the shared queue; SKIP LOCKED splits the work.
    """
    from cases.models import Case

    if mode == "sweep":
        start_wall = time.time()
        seconds, count = sweep_until_done()
    else:
        # Split by id, not by position in a list of unassigned cases: the other worker is
        # already assigning while this one reads.
        ids = Case.objects.order_by("received_at", "pk").values_list("pk", flat=True)
        mine = [pk for pk in ids if pk % workers == index]
        start_wall = time.time()
        seconds, _ = route_one_by_one(mine)
        count = len(mine)
    print(f"{start_wall} {start_wall + seconds} {count}")


def in_processes(url: str, processes: int, mode: str) -> float:
    """Run ``processes`` workers at once; returns cases routed per second of wall time."""
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, __file__, "--processes", str(processes), "--mode", mode, "--worker"]
    procs = [subprocess.Popen([*command, str(i)], stdout=subprocess.PIPE, text=True, env=env) for i in range(processes)]
    spans = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode:
            sys.exit(f"a routing worker failed with exit code {proc.returncode}")
        begin, end, count = out.strip().splitlines()[-1].split()
        spans.append((float(begin), float(end), int(count)))
    wall = max(end for _, end, _ in spans) - min(begin for begin, _, _ in spans)
    return sum(count for _, _, count in spans) / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--teams", type=int, default=8)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--mode", choices=["one-by-one", "sweep"], help=argparse.SUPPRESS)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = database_url_named("escdesk_bench_routing")

    if args.worker is not None:
        setup_django(url)
        worker(args.worker, args.processes, args.mode)
        return

    ensure_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    def cold_queue() -> list[int]:
        ids = build(cases=args.cases, agents=args.agents, teams=args.teams, now=datetime.now(UTC))
        connection.close()  # the workers start on their own connections; this one reconnects later
        return ids

    figures: list[tuple[str, float, str]] = [
        ("cases", args.cases, "cases"),
        ("agents_on_shift", args.agents, "agents"),
        ("teams", args.teams, "teams"),
    ]
    # 1. The task path in this process: each case routed in its own transaction, in arrival order.
    seconds, timings = route_one_by_one(cold_queue())
    timings.sort()
    figures += [
        ("routed_per_second", round(args.cases / seconds, 1), "cases/s"),
        ("route_median_ms", round(statistics.median(timings), 2), "ms"),
        ("route_p99_ms", round(timings[int(len(timings) * 0.99) - 1], 2), "ms"),
    ]
    figures += load_figures("")
    # 2. The catch-up sweep in this process, over a fresh cold queue.
    cold_queue()
    seconds, written = sweep_until_done()
    figures.append(("routed_per_second_sweep", round(written / seconds, 1), "cases/s"))
    figures += load_figures("sweep_")
    # 3. and 4. The same with several processes at once, as several Celery workers would.
    if args.processes > 1:
        for mode, name in (("one-by-one", ""), ("sweep", "_sweep")):
            cold_queue()
            rate = in_processes(url, args.processes, mode)
            figures.append((f"routed_per_second{name}_{args.processes}proc", round(rate, 1), "cases/s"))
            figures += load_figures(f"{mode.replace('-', '_')}_{args.processes}proc_")

    def target(name: str) -> str:
        if name.startswith("routed_per_second"):
            return f"≥ {TARGET_PER_SECOND}"
        return "0" if name.endswith(("over_capacity", "assigned_twice", "assigned_off_shift", "unassigned")) else ""

    title = f"Routing benchmark: {args.cases:,} new cases, {args.agents} agents on shift across {args.teams} teams."
    report([Figure(name, value, unit, target(name)) for name, value, unit in figures], title)


if __name__ == "__main__":
    main()
