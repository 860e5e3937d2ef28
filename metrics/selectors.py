"""Reads for the metrics pages: the dashboard's panels, drill-down lists and CSV tables.

Every figure comes from ``metrics.definitions``; this module assembles them, computes who is on
shift when, and turns panels into rows for CSV. The dashboard runs a fixed number of queries
whatever the data (asserted in tests/metrics/test_views.py).
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from cases.models import Case
from metrics import definitions as d
from metrics.cache import cached
from metrics.scope import Scope
from people.models import Shift

DRILL_PAGE = 50
# The staffing estimate opens on Tuesday 10:00-11:00 in the chosen zone.
DEFAULT_STAFFING_HOUR = 24 + 10


def on_shift_by_hour(scope: Scope) -> list[int]:
    """Agents on shift in each hour of the week (0 = Monday 00:00) in the scope's zone.

    Shifts are weekly windows in each person's own zone (possibly past midnight); they are laid
    on the calendar week holding the window's last day, so daylight saving is that week's. An
    agent covers an hour if on shift at its half-hour. One query.
    """
    team_ids = scope.team_ids or scope.visible_team_ids
    shifts = Shift.objects.filter(user__is_active=True, user__role="agent")
    if team_ids is not None:
        shifts = shifts.filter(user__memberships__team_id__in=team_ids)
    if scope.assignee_id is not None:
        shifts = shifts.filter(user_id=scope.assignee_id)
    rows = set(shifts.values_list("user_id", "user__time_zone", "weekday", "starts_at", "ends_at"))
    monday = scope.end_day - timedelta(days=scope.end_day.weekday())
    # Each hour's half-hour instant (wall-clock arithmetic in the chosen zone), as UTC seconds.
    first = datetime.combine(monday, dtime(0), tzinfo=scope.tz)
    slots = [(first + timedelta(hours=h, minutes=30)).timestamp() for h in range(168)]
    covered: list[set[int]] = [set() for _ in range(168)]
    for user_id, zone, weekday, starts_at, ends_at in rows:
        tz = ZoneInfo(zone or "UTC")
        # The person's local dates around the chosen week: a shift may start the Sunday before.
        for offset in range(-1, 8):
            day = monday + timedelta(days=offset)
            if day.weekday() != weekday:
                continue
            start = datetime.combine(day, starts_at, tzinfo=tz).timestamp()
            end_day = day + timedelta(days=1) if ends_at <= starts_at else day
            end = datetime.combine(end_day, ends_at, tzinfo=tz).timestamp()
            for index in range(bisect_left(slots, start), bisect_left(slots, end)):
                covered[index].add(user_id)
    return [len(users) for users in covered]


def staffing_target(data: dict) -> d.StaffingTarget:
    return d.StaffingTarget(
        hour_of_week=data["hour"] if data.get("hour") is not None else DEFAULT_STAFFING_HOUR,
        share=(data.get("target_share") or 80) / 100,
        minutes=data.get("target_minutes") or 60,
    )


def dashboard(scope: Scope, *, target: d.StaffingTarget, now: datetime | None = None, fresh: bool = False) -> dict:
    """Every panel of the lead dashboard for ``scope``, from the result cache unless ``fresh``
    (see metrics.cache: recomputed as soon as facts, surveys or campaigns change)."""
    if fresh:
        return compute_dashboard(scope, target=target, now=now)
    return cached(("dashboard", scope, target), lambda: compute_dashboard(scope, target=target, now=now))


def _figures_session(using=None) -> None:
    """Settings for the figures' queries, for the current transaction only (PostgreSQL).

    The year-long figures sort and group hundreds of thousands of fact rows; with the default
    4 MB each sort spills to disk. Each figure is one short aggregate: JIT compiling one costs
    more (up to ~0.6 s at a million cases, when the planner overestimates, as it does for the
    rollups' joins to lists of days) than it saves. The figures read narrow indexes whose pages
    are in memory: with the default random_page_cost (4, for spinning disks) the planner hashed
    all of a year's escalations to find the few thousand of a month's answered cases instead of
    looking them up by case (1M cases, 30 days: the whole dashboard ~340 -> ~290 ms). One
    statement for all three.
    """
    using = using or connection
    if using.vendor == "postgresql":
        with using.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true),"
                " set_config('random_page_cost', '1.1', true)"
            )


def compute_dashboard(scope: Scope, *, target: d.StaffingTarget, now: datetime | None = None) -> dict:
    with transaction.atomic():
        _figures_session()
        return _panels(scope, target=target, now=now)


def _panels(scope: Scope, *, target: d.StaffingTarget, now: datetime | None) -> dict:
    now = now or timezone.now()
    by_hour = d.arrivals_by_hour_of_week(scope)
    on_shift = on_shift_by_hour(scope)
    handle = d.handle_times(scope)
    return {
        "resolution": d.resolution(scope),
        "arrivals": d.arrivals(scope),
        "trend": d.trend(scope),
        "csat": d.csat(scope),
        "escalations": d.escalations(scope, now=now),
        "regulatory": d.regulatory(scope, now=now),
        "backlog": d.backlog(scope, now=now),
        "drivers": d.top_drivers(scope, now=now),
        "coverage": d.coverage(scope, by_hour=by_hour, on_shift=on_shift),
        "staffing": d.staffing(scope, by_hour=by_hour, handle=handle, on_shift=on_shift, target=target),
        "handle_times": handle,
        "campaigns": d.campaigns(scope),
    }


def dashboard_warm() -> int:
    """Compute (into the cache) the default dashboard of every active dashboard viewer: the last
    30 days in their own zone. Viewers with the same teams and zone share one computation."""
    from metrics.filters import MetricsFilterForm
    from people.models import User
    from people.roles import DASHBOARD_VIEWERS

    warmed = 0
    for user in User.objects.filter(is_active=True, role__in=list(DASHBOARD_VIEWERS)).order_by("pk"):
        form = MetricsFilterForm({}, user=user)
        if form.is_valid():
            dashboard(form.scope(default_tz=user.time_zone or "UTC"), target=staffing_target(form.cleaned_data))
            warmed += 1
    return warmed


def own_figures(scope_mine: Scope, scope_team: Scope) -> dict:
    """An agent's figures next to their teams', with QA scores from the knowledge app's scorecards."""
    from knowledge.qa import qa_score_trend
    from people.models import User

    team_agents = list(
        User.objects.filter(memberships__team_id__in=scope_team.team_ids).values_list("pk", flat=True).distinct()
    )
    qa = {
        "mine": qa_score_trend(since=scope_team.start, until=scope_team.end, agent_ids=[scope_mine.assignee_id],
                               by_item=False),
        "team": qa_score_trend(since=scope_team.start, until=scope_team.end, agent_ids=team_agents, by_item=False),
    }  # fmt: skip
    out = {"mine": d.personal(scope_mine), "team": d.personal(scope_team)}
    for who, rows in qa.items():
        cards = sum(row["scorecards"] for row in rows)
        out[who]["qa_scorecards"] = cards
        out[who]["qa_mean"] = round(sum(row["mean"] * row["scorecards"] for row in rows) / cards, 2) if cards else None
    return out


def drill_cases(
    scope: Scope, key: str, *, before: tuple[datetime, int] | None = None, status: str = "", age: int | None = None
) -> tuple[list[dict], tuple[datetime, int] | None]:
    """One page of the cases behind a figure, newest first, and the cursor of the next page.

    Keyset pagination: a page starts below ``before`` (the ordering instant and case id of the
    previous page's last row), so every page is a short walk down an index in its own order
    (fact (instant, case) indexes; open cases: cases_case_open_received_idx), never an OFFSET
    or a COUNT over the window. Its cases are then read with only the columns a row shows.
    """
    now = timezone.now()
    drill = d.DRILLS[key]
    if drill.by is None:
        open_cases = Case.objects.filter(d.case_q(scope, ""), status__in=d.OPEN_STATUSES)
        if status:
            open_cases = open_cases.filter(status=status)
        if age is not None:
            _, low, high = d.AGE_BUCKETS[age]
            open_cases = open_cases.filter(received_at__lte=now - timedelta(hours=low))
            if high is not None:
                open_cases = open_cases.filter(received_at__gt=now - timedelta(hours=high))
        instant, pk = "received_at", "id"
        keys: QuerySet = open_cases.order_by("-received_at", "-id")
    else:
        instant, pk = drill.by, "case_id"
        keys = d.drill_facts(scope, key)
    if before is not None:
        at, last = before
        keys = keys.filter(Q(**{f"{instant}__lt": at}) | Q(**{instant: at, f"{pk}__lt": last}))
    found = list(keys.values_list(instant, pk)[: DRILL_PAGE + 1])
    cursor = found[DRILL_PAGE - 1] if len(found) > DRILL_PAGE else None
    ids = [row[1] for row in found[:DRILL_PAGE]]
    rows = Case.objects.filter(pk__in=ids).values(
        "pk",
        "reference",
        "subject",
        "status",
        "received_at",
        "resolved_at",
        "assignee_id",
        category_name=F("category__name"),
        team_name=F("team__name"),
        assignee_username=F("assignee__username"),
        assignee_first=F("assignee__first_name"),
        assignee_last=F("assignee__last_name"),
    )
    order = {pk: index for index, pk in enumerate(ids)}
    return sorted(rows, key=lambda row: order[row["pk"]]), cursor


# --- CSV: every chart's table ------------------------------------------------------------------------


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def chart_table(name: str, scope: Scope, *, target: d.StaffingTarget) -> tuple[list[str], list[list]]:
    """The header and rows behind one chart, computed by the same definitions as the page."""
    # On the connection the request reads from (the replica for an export, when there is one):
    # a transaction on the primary would send every read there (config.db_router).
    reading = d.reading()
    with transaction.atomic(using=reading.alias):
        _figures_session(reading)
        return _chart_table(name, scope, target=target)


def _chart_table(name: str, scope: Scope, *, target: d.StaffingTarget) -> tuple[list[str], list[list]]:
    now = timezone.now()
    if name == "trend":
        rows = d.trend(scope)["rows"]
        return (
            [
                "bucket",
                "received",
                "resolved",
                "median_resolution_minutes",
                "previous_bucket",
                "previous_received",
                "previous_median_resolution_minutes",
            ],
            [
                [
                    r["bucket"],
                    r["received"],
                    r["resolved"],
                    r["median_minutes"],
                    r["previous_bucket"],
                    r["previous_received"],
                    r["previous_median_minutes"],
                ]
                for r in rows
            ],
        )
    if name == "sla":
        rows = d.arrivals(scope)["sla"]
        return ["metric", "met", "breached", "attainment_percent"], [
            [r["metric"], r["met"], r["breached"], r["attainment"]] for r in rows
        ]
    if name == "csat":
        data = d.csat(scope)
        out = []
        for dimension in ("category", "team", "agent", "path", "reason"):
            for r in data[f"by_{dimension}"]:
                out.append([dimension, r["label"], r["n"], r["satisfied"], r["csat"], r["mean"]])
        return ["dimension", "value", "answers", "satisfied_4_5", "csat_percent", "mean"], out
    if name == "escalations":
        data = d.escalations(scope, now=now)
        out = []
        for dimension in ("reason", "target", "source"):
            for r in data[f"by_{dimension}"]:
                out.append([dimension, r["label"], r["n"], r["bounced"]])
        return ["dimension", "value", "hops", "bounced_back"], out
    if name == "regulatory":
        data = d.regulatory(scope, now=now)
        out = [
            ["open", r["rule_code"], r["rule_name"], r["n"], r["due_week"], r["overdue"]] for r in data["open_by_rule"]
        ]
        out += [["breached", r["rule_code"], r["rule_name"], r["n"], "", ""] for r in data["breaches_by_rule"]]
        return ["kind", "rule_code", "rule", "obligations", "due_this_week", "overdue"], out
    if name == "backlog":
        data = d.backlog(scope, now=now)
        return ["age", *data["statuses"], "total"], [[r["label"], *r["counts"], r["total"]] for r in data["rows"]]
    if name == "drivers":
        data = d.top_drivers(scope, now=now)
        out = [["category", r["label"], r["last_week"], r["this_week"], r["rise"]] for r in data["categories"]]
        out += [["reason", r["label"], r["last_week"], r["this_week"], r["rise"]] for r in data["reasons"]]
        return ["kind", "value", "previous_7_days", "last_7_days", "rise"], out
    if name in ("coverage", "staffing"):
        by_hour = d.arrivals_by_hour_of_week(scope)
        on_shift = on_shift_by_hour(scope)
        data = d.staffing(scope, by_hour=by_hour, handle=d.handle_times(scope), on_shift=on_shift, target=target)
        return [
            "hour_of_week",
            "weekday",
            "hour",
            "arrivals_per_hour",
            "handle_minutes",
            "agents_needed",
            "agents_on_shift",
        ], [
            [h["how"], d.weekday_name(h["how"] // 24), h["how"] % 24, h["rate"], h["aht"], h["needed"], h["on_shift"]]
            for h in data["hours"]
        ]
    if name == "campaigns":
        rows = d.campaigns(scope)["rows"]
        return [
            "campaign",
            "starts_on",
            "ends_on",
            "categories",
            "baseline_per_day",
            "during",
            "expected_extra",
            "actual_extra",
            "attainment_percent",
        ], [
            [
                r["campaign"]["name"],
                r["campaign"]["starts_on"],
                r["campaign"]["ends_on"],
                "; ".join(r["categories"]),
                r["baseline_per_day"],
                r["during"],
                r["expected_extra"],
                r["actual_extra"],
                r["attainment"],
            ]
            for r in rows
        ]
    raise KeyError(name)


CHARTS = ("trend", "sla", "csat", "escalations", "regulatory", "backlog", "drivers", "coverage", "campaigns")


def format_row(row: list) -> list[str]:
    return [_fmt(value) for value in row]
