"""Time the pages people wait on: ``python bench/pages.py [--cases N] [--quick]`` from the repo root.

Runs against PostgreSQL, one database per size (``escdesk_bench_<N>``) so a seeded database is
reused across runs and by the other benches: see ``bench/database.py`` for where it lives and
what it holds (``seed_demo --seed 42`` with about a tenth of the cases still open).

Pages are requested through Django's test client with a forced login, so a figure is server
time (middleware, session, queries, template) without the network. Each page gets warm-up
requests first; query counts come from one extra request under CaptureQueriesContext, so
query logging does not slow the timed ones. Output: one ``name value unit`` line per figure,
then the same as a Markdown table with the targets.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import (  # noqa: E402 - needs ROOT on the path
    open_bench_database,
    seed_bench_database,
    use_steady_load,
)
from bench.figures import Figure, measure, report  # noqa: E402

QUICK_CASES = 2_000
# Most queries a queue page may run; see DESIGN.md, performance facts.
TARGET_QUEUE_QUERIES = 12
LEAD_VIEWS = {
    "queue_urgent": {"priority": "urgent"},
    "queue_new_unassigned": {"status": "new", "assignee": "null"},
    "queue_breaching_soonest": {"sort": "sla"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, help="database size (default 100,000; 2,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small database and 10 requests: keeps CI honest")
    parser.add_argument(
        "--steady",
        action="store_true",
        help="seed_demo's own mix (about 1%% open) instead of the busy desk (about 10%% open)",
    )
    parser.add_argument("--requests", type=int, help="timed requests per page (default 30; 10 with --quick)")
    args = parser.parse_args()
    cases = args.cases or (QUICK_CASES if args.quick else 100_000)
    requests = args.requests or (10 if args.quick else 30)
    warmup = 2 if args.quick else 5

    if args.steady:
        use_steady_load()
    open_bench_database(cases)
    from django.test import Client

    from cases.choices import OPEN_STATUSES
    from cases.models import Case, CaseEvent, Category
    from people.models import User

    figures: list[Figure] = []
    seeded = seed_bench_database(cases)
    if seeded is not None:
        figures.append(Figure("seed_seconds", seeded, "s"))

    lead = User.objects.get(username="lead.us")
    agent = User.objects.get(username="agent.manila")
    bench_case = Case.objects.filter(subject__startswith="[bench] ").order_by("id").first()
    if bench_case is None:
        sys.exit("No '[bench] ' case in this database: seed it with manage.py seed_demo.")
    if not Case.objects.visible_to(lead).filter(pk=bench_case.pk).exists():
        sys.exit(f"{bench_case.reference} is not in a team of lead.us; the benchmark needs it visible.")
    visible = Case.objects.visible_to(lead)
    small_case = visible.filter(status="closed").order_by("-received_at").first()
    newest_open = visible.filter(status__in=OPEN_STATUSES).select_related("customer").order_by("-received_at").first()
    surname = newest_open.customer.full_name.split()[-1] if newest_open else "Smith"
    category = Category.objects.get(code="withdrawals")

    figures += [
        Figure("cases_total", Case.objects.count(), "cases"),
        Figure("queue_open_rows", visible.filter(status__in=OPEN_STATUSES).count(), "rows"),
        Figure("bench_case_events", CaseEvent.objects.filter(case=bench_case).count(), "events"),
    ]
    client = Client()
    client.force_login(lead)
    timing = {"requests": requests, "warmup": warmup}
    page, _ = measure(client, "queue_page", "/cases/", {}, rows=True, **timing)
    figures += page
    page, _ = measure(client, "case_page", f"/cases/{bench_case.reference}/", {}, **timing)
    figures += page
    # A case as most are (a few messages), beside the 200-event one: what opening a case usually costs.
    figures += measure(client, "case_page_short", f"/cases/{small_case.reference}/", {}, **timing)[0]
    figures += measure(client, "queue_search", "/cases/", {"q": surname}, rows=True, **timing)[0]
    # The same search over every status: what someone looking up a customer's history waits for.
    all_statuses = {"f": "1", "q": surname}
    figures += measure(client, "queue_search_all_statuses", "/cases/", all_statuses, rows=True, **timing)[0]
    figures += measure(client, "queue_category", "/cases/", {"category": category.pk}, rows=True, **timing)[0]
    # The views a lead triages with in the load test (bench/locustfile.py, Lead.FILTERS).
    for name, params in LEAD_VIEWS.items():
        figures += measure(client, name, "/cases/", params, rows=True, **timing)[0]
    client.force_login(agent)
    figures += measure(client, "my_cases", "/cases/mine/", {}, rows=True, **timing)[0]
    reviewer = User.objects.filter(role="compliance", is_active=True).order_by("username").first()
    if reviewer is not None:
        client.force_login(reviewer)
        figures += measure(client, "review_queue", "/compliance/", {}, **timing)[0]

    targets = {
        "queue_page_queries": f"≤ {TARGET_QUEUE_QUERIES}",
        "case_page_queries": "same as a short case",
    }
    for figure in figures:
        figure.target = targets.get(figure.name, figure.target)
    report(figures, f"Escalation Desk benchmark: {cases:,} cases, {requests} timed requests per page, PostgreSQL.")


if __name__ == "__main__":
    main()
