"""The daily rollup of the resolution and first-response figures (``FactDay``): counts and value
histograms per UTC day and team, and exact percentiles read from them.

**Counts** (cases resolved, reopened, SLA promises met and breached, ...) are sums of rows.

**Percentiles** stay exact (``percentile_cont``): the rollup holds, per day and team, how many
cases have each *bin* of a duration (each minute below 16, then bins about 6.5% wide). Summed
over the window, the bins say which bin holds the values at the two ranks a percentile
interpolates between, and how far into the bin each is; those values are then read from the
facts through an index on (bin, value, instant), so only the rows of one bin are walked. The
answer is the same arithmetic ``percentile_cont`` does on the same values.

**Any zone:** a window's whole UTC days are read from the rollup and the hours at either end
from the facts (the same sums and bins, aggregated live), so a local day in Kolkata is as exact
as one in UTC. Keys are day and team, so scopes filtered by anything else read the facts.

Kept like the hourly rollup (``metrics.rollups``): each fact change names the days it counted in
(received and resolved, before and after), recomputed whole in one statement in the facts'
transaction under the rollup lock. PostgreSQL only; ``tests/metrics/test_daily.py`` proves the
figures equal live aggregation.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import connections, router

from cases.choices import Channel
from metrics.choices import FactSla
from metrics.hops import day_of, split_days
from metrics.localtime import offset_spans
from metrics.models import CaseFact, FactDay
from metrics.rollups import rollup_replace, rollup_writer, rollups_enabled
from metrics.scope import Scope

SMALL = 16  # durations below this many minutes have a bin each


def bin_sql(column: str) -> str:
    """The bin of a duration in minutes (NULL stays NULL); the same expression everywhere: the
    rollup, the live ends of a window, the lookup of a value and its index."""
    log_bin = f"{SMALL} + floor({SMALL} * ln({column}::float8 / {SMALL}))::int"
    return f"(CASE WHEN {column} < {SMALL} THEN {column} ELSE {log_bin} END)"


# What each side of a fact adds to its day: (metric, bin, amount). Counts have bin 0; a duration
# adds 1 to its bin. Metric numbers are stored: never renumber one.
RESOLVED_SIDE = {
    1: ("resolved", "0", "1"),
    2: ("reopened", "0", "f.reopened::int"),
    3: ("paused", "0", "f.sla_paused_minutes"),
    4: ("business", "0", "COALESCE(f.resolution_business_minutes, 0)"),
    5: ("calendar_p", bin_sql("f.resolution_minutes"), "(f.resolution_minutes IS NOT NULL)::int"),
    6: ("business_p", bin_sql("f.resolution_business_minutes"), "(f.resolution_business_minutes IS NOT NULL)::int"),
}
RECEIVED_SIDE = {
    11: ("received", "0", "1"),
    12: ("unanswered", "0", "(f.first_response_at IS NULL)::int"),
    13: ("escalated", "0", "f.escalated::int"),
    14: ("fr_met", "0", f"(f.sla_first_response = '{FactSla.MET}')::int"),
    15: ("fr_breached", "0", f"(f.sla_first_response = '{FactSla.BREACHED}')::int"),
    16: ("res_met", "0", f"(f.sla_resolution = '{FactSla.MET}')::int"),
    17: ("res_breached", "0", f"(f.sla_resolution = '{FactSla.BREACHED}')::int"),
    18: ("nr_met", "0", "f.sla_next_response_met"),
    19: ("nr_breached", "0", "f.sla_next_response_breached"),
    20: ("calendar_p", bin_sql("f.first_response_minutes"), "(f.first_response_minutes IS NOT NULL)::int"),
    21: (
        "business_p",
        bin_sql("f.first_response_business_minutes"),
        "(f.first_response_business_minutes IS NOT NULL)::int",
    ),
}
# Handle time's live sessions (metrics.definitions.handle_times): chat and phone cases resolved
# within this long of the first response. Per day and team, how many such sessions of each
# category lasted each whole minute: bin = category id × 1000 + minutes, exact values, so the
# median needs no lookup.
LIVE_CHANNELS = (Channel.CHAT, Channel.PHONE)
LIVE_SESSION_MAX_MINUTES = 120
_SESSION = "(f.resolution_minutes - f.first_response_minutes)"
SESSIONS = {
    7: (
        "session",
        f"f.category_id * 1000 + {_SESSION}",
        f"COALESCE(f.channel IN ({', '.join(repr(str(c)) for c in LIVE_CHANNELS)})"
        f" AND {_SESSION} BETWEEN 1 AND {LIVE_SESSION_MAX_MINUTES}, false)::int",
    ),
}
# Each side: the instant its day is taken from, its metrics, and the duration column of each
# percentile metric.
SIDES = {
    "resolved": (
        "resolved_at",
        RESOLVED_SIDE,
        {"calendar_p": "resolution_minutes", "business_p": "resolution_business_minutes"},
    ),
    "sessions": ("resolved_at", SESSIONS, {}),
    "received": (
        "received_at",
        RECEIVED_SIDE,
        {"calendar_p": "first_response_minutes", "business_p": "first_response_business_minutes"},
    ),
}
# The facts' columns each side reads (all in that side's covering index).
_COLUMNS = {
    "resolved": (
        "resolved_at",
        "team_id",
        "reopened",
        "sla_paused_minutes",
        "resolution_minutes",
        "resolution_business_minutes",
    ),
    "sessions": ("resolved_at", "team_id", "category_id", "channel", "resolution_minutes", "first_response_minutes"),
    "received": (
        "received_at",
        "team_id",
        "first_response_at",
        "escalated",
        "sla_first_response",
        "sla_resolution",
        "sla_next_response_met",
        "sla_next_response_breached",
        "first_response_minutes",
        "first_response_business_minutes",
    ),
}


def _unpivot(side: str) -> str:
    metrics = SIDES[side][1]
    rows = ", ".join(f"({number}, {bin_expr}, {amount})" for number, (_, bin_expr, amount) in metrics.items())
    return f"CROSS JOIN LATERAL (VALUES {rows}) AS v(metric, bin, n)"


def _recompute_sql(days_join: bool) -> str:
    parts = []
    for side, (instant, _, _) in SIDES.items():
        join = (
            f"JOIN unnest(%s::date[]) AS d(day) ON f.{instant} >= d.day::timestamp AT TIME ZONE 'UTC'"
            f" AND f.{instant} < (d.day + 1)::timestamp AT TIME ZONE 'UTC'"
            if days_join
            else ""
        )
        parts.append(
            f"SELECT (f.{instant} AT TIME ZONE 'UTC')::date AS day, f.team_id, v.metric, v.bin, v.n"  # noqa: S608
            f" FROM {CaseFact._meta.db_table} f {join} {_unpivot(side)}"
            f" WHERE NOT f.restricted AND f.{instant} IS NOT NULL AND v.n <> 0"
        )
    return (
        f"INSERT INTO {FactDay._meta.db_table} (day, team_id, metric, bin, n)"  # noqa: S608
        f" SELECT day, team_id, metric, bin, SUM(n) FROM ({' UNION ALL '.join(parts)}) AS parts"
        " GROUP BY day, team_id, metric, bin"
    )


def fact_days(case_ids: Iterable[int]) -> set[date]:
    """The UTC days the current facts of ``case_ids`` count in (received and resolved)."""
    rows = CaseFact.objects.filter(pk__in=list(case_ids)).values_list("received_at", "resolved_at")
    return {day_of(instant) for row in rows for instant in row if instant is not None}


def daily_refresh(days: Iterable[date]) -> int:
    """Recompute the rollup rows of ``days`` from the facts; returns rows written. Called last in
    the transaction that wrote the facts (the rollup lock is held to its commit)."""
    if not rollups_enabled():
        return 0
    days = sorted(set(days))
    if not days:
        return 0
    with rollup_writer() as cursor:
        cursor.execute("SET LOCAL jit = off")
        # Every metric named: the rollup's index leads with the metric, then the day.
        metrics = [number for _, side_metrics, _ in SIDES.values() for number in side_metrics]
        cursor.execute(
            f"DELETE FROM {FactDay._meta.db_table} WHERE metric = ANY(%s) AND day = ANY(%s::date[])",  # noqa: S608
            [metrics, days],
        )
        cursor.execute(_recompute_sql(True), [days] * len(SIDES))
        return cursor.rowcount


def daily_rebuild() -> int:
    """Recompute the whole daily rollup from the facts."""
    return rollup_replace(FactDay._meta.db_table, _recompute_sql(False))


def reading():
    """The connection figures are read from: the replica while a dashboard, drill-down or export
    request reads from it (config.db_router), else the primary (as inside the dashboard's own
    transaction). Raw SQL follows the router like the ORM's reads."""
    return connections[router.db_for_read(CaseFact)]


def reads_daily(scope: Scope) -> bool:
    """Whether the scope's resolution and first-response figures can be read from the daily
    rollup: on PostgreSQL, when the only filter is teams (the rollup's key); any zone."""
    return (
        rollups_enabled()
        and scope.assignee_id is None
        and not (scope.category_ids or scope.jurisdictions or scope.channels or scope.flag_kinds or scope.tiers)
    )


def _teams(scope: Scope) -> list[int] | None:
    """The teams the scope may count (None: every team)."""
    teams = None if scope.visible_team_ids is None else set(scope.visible_team_ids)
    if scope.team_ids:
        teams = set(scope.team_ids) if teams is None else teams & set(scope.team_ids)
    return None if teams is None else sorted(teams)


def _window_rows(scope: Scope, side: str, teams: list[int] | None) -> tuple[str, list]:
    """SQL for the (metric, bin, n) rows of ``side`` in the scope's window, and its parameters:
    whole UTC days from the rollup, the hours at either end from the facts."""
    instant, metrics, _ = SIDES[side]
    team_sql = "" if teams is None else " AND team_id = ANY(%s)"
    team_param = [] if teams is None else [teams]
    days, edges = split_days(scope.start, scope.end)
    parts, params = [], []
    if days is not None:
        parts.append(
            f"SELECT metric, bin, n FROM {FactDay._meta.db_table}"  # noqa: S608
            f" WHERE day >= %s AND day < %s AND metric = ANY(%s){team_sql}"
        )
        params += [days[0], days[1], list(metrics), *team_param]
    if edges:
        ranges = " OR ".join(f"(f.{instant} >= %s AND f.{instant} < %s)" for _ in edges)
        parts.append(
            f"SELECT v.metric, v.bin, v.n FROM (SELECT {', '.join(_COLUMNS[side])}"  # noqa: S608
            f" FROM {CaseFact._meta.db_table}"
            f" WHERE NOT restricted{team_sql}) AS f {_unpivot(side)} WHERE ({ranges}) AND v.n <> 0"
        )
        params += [*team_param, *(moment for edge in edges for moment in edge)]
    return " UNION ALL ".join(parts), params


def sessions(scope: Scope) -> dict[int, list[tuple[int, int]]]:
    """Handle time's live sessions of the window per category: sorted ``(minutes, cases)``."""
    rows_sql, params = _window_rows(scope, "sessions", _teams(scope))
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    with reading().cursor() as cursor:
        cursor.execute(f"SELECT bin, SUM(n) FROM ({rows_sql}) AS x GROUP BY bin ORDER BY bin", params)  # noqa: S608
        for bin_, n in cursor.fetchall():
            out[bin_ // 1000].append((bin_ % 1000, int(n)))
    return dict(out)


def side_figures(scope: Scope, side: str, fractions=(0.5, 0.9)) -> dict:
    """Every count of ``side`` ("resolved" or "received") in the scope's window, and each
    duration's ``fractions`` percentiles as a list: one query whatever the window.

    In SQL: the bins of the window (whole days from the rollup, the ends from the facts), the
    rank of each value a percentile needs (``fraction × (n − 1)``, rounded down and up), the bin
    holding that rank and how far into it; then each such value from the facts, walking its bin
    in value order. Python interpolates between the two values as ``percentile_cont`` does.
    """
    instant, metrics, durations = SIDES[side]
    names = {number: name for number, (name, _, _) in metrics.items()}
    numbers = {name: number for number, name in names.items()}
    teams = _teams(scope)
    team_sql = "" if teams is None else " AND team_id = ANY(%s)"
    team_param = [] if teams is None else [teams]
    rows_sql, params = _window_rows(scope, side, teams)
    percentile = [numbers[name] for name in durations]
    rank_rows = ", ".join(f"(floor({float(f)!r} * (total - 1))), (ceil({float(f)!r} * (total - 1)))" for f in fractions)
    # The value at each pick: the bin's rows of the window in value order, one step at a time.
    lookup = (
        "CASE p.metric "  # noqa: S608
        + " ".join(
            f"WHEN {numbers[name]} THEN (SELECT {column} FROM {CaseFact._meta.db_table}"  # noqa: S608
            f" WHERE {bin_sql(column)} = p.bin AND {column} IS NOT NULL AND {instant} >= %s AND {instant} < %s"
            f" AND NOT restricted{team_sql} ORDER BY {column} OFFSET p.offset LIMIT 1)"
            for name, column in durations.items()
        )
        + " END"
    )
    for _ in durations:
        params += [scope.start, scope.end, *team_param]
    sql = f"""
        WITH counts AS (
            SELECT metric, bin, SUM(n)::bigint AS n FROM ({rows_sql}) AS x GROUP BY metric, bin
        ),
        cumulative AS (
            SELECT metric, bin, n, (SUM(n) OVER (PARTITION BY metric ORDER BY bin) - n)::bigint AS before
            FROM counts WHERE metric IN ({", ".join(map(str, percentile))})
        ),
        ranks AS (
            SELECT DISTINCT t.metric, r.rank::bigint AS rank
            FROM (SELECT metric, SUM(n)::bigint AS total FROM cumulative GROUP BY metric) AS t
            CROSS JOIN LATERAL (VALUES {rank_rows}) AS r(rank)
        ),
        picks AS (
            SELECT r.metric, r.rank, c.bin, r.rank - c.before AS offset
            FROM ranks r JOIN cumulative c ON c.metric = r.metric AND r.rank >= c.before AND r.rank < c.before + c.n
        )
        SELECT metric, bin, n, NULL, NULL FROM counts
        UNION ALL
        SELECT p.metric, NULL, NULL, p.rank, {lookup} FROM picks p
    """  # noqa: S608 - table and column names and constants only; values are parameters
    bins: dict[str, int] = defaultdict(int)
    values: dict[tuple[str, int], float] = {}
    out: dict = {name: 0 for name, _, _ in metrics.values()}
    with reading().cursor() as cursor:
        cursor.execute(sql, params)
        for metric, _bin, n, rank, value in cursor.fetchall():
            name = names[metric]
            if rank is not None:
                values[(name, int(rank))] = float(value)
            elif name in durations:
                bins[name] += int(n)
            else:
                out[name] += int(n)
    for name in durations:
        total = bins[name]
        out[name] = [None] * len(fractions)
        if total:
            out[name] = []
            for fraction in fractions:
                position = fraction * (total - 1)
                low, high = math.floor(position), math.ceil(position)
                out[name].append(values[(name, low)] + (values[(name, high)] - values[(name, low)]) * (position - low))
    return out


def utc_days(scope: Scope) -> bool:
    """Whether the scope's local days are UTC days throughout its window."""
    return all(offset == 0 for _, offset in offset_spans(scope.tz, scope.start, scope.end))


def bucket_medians(scope: Scope, *, weeks: bool) -> dict[date, tuple[int, float | None]]:
    """Cases resolved and their median calendar resolution minutes per local week (Monday first)
    or local day of the scope's window, each clipped to the window: ``{first day: (n, median)}``,
    buckets with cases only. One query: each bucket's whole UTC days from the rollup, its ends
    from the facts (a local day off UTC is all ends), then the value at each bucket's median
    ranks from the facts (``metrics_fact_res_week_idx`` walks one bin of one bucket)."""
    teams = _teams(scope)
    team_sql = "" if teams is None else " AND team_id = ANY(%s)"
    team_param = [] if teams is None else [teams]
    step = timedelta(days=7 if weeks else 1)
    first = scope.start_day - timedelta(days=scope.start_day.weekday()) if weeks else scope.start_day
    buckets, interiors, edges = [], [], []
    while first <= scope.end_day:
        start = max(datetime.combine(first, time(0), tzinfo=scope.tz), scope.start)
        end = min(datetime.combine(first + step, time(0), tzinfo=scope.tz), scope.end)
        index = len(buckets)
        buckets.append((first, start, end))
        days, ends = split_days(start, end)
        if days is not None:
            interiors.append((index, *days))
        edges += [(index, a, b) for a, b in ends]
        first += step
    metric = next(number for number, (name, _, _) in RESOLVED_SIDE.items() if name == "calendar_p")
    column = SIDES["resolved"][2]["calendar_p"]
    parts, params = [], []
    if interiors:
        rows = ", ".join("(%s, %s::date, %s::date)" for _ in interiors)
        parts.append(
            f"SELECT w.week, r.bin, r.n FROM (VALUES {rows}) AS w(week, first, last)"  # noqa: S608
            f" JOIN {FactDay._meta.db_table} r ON r.metric = {metric} AND r.day >= w.first AND r.day < w.last"
            f"{team_sql.replace('team_id', 'r.team_id')}"
        )
        params += [value for row in interiors for value in row] + team_param
    if edges:
        rows = ", ".join("(%s, %s::timestamptz, %s::timestamptz)" for _ in edges)
        parts.append(
            f"SELECT e.week, {bin_sql('f.' + column)} AS bin, 1 AS n FROM (VALUES {rows}) AS e(week, s, e)"  # noqa: S608
            f" JOIN {CaseFact._meta.db_table} f ON f.resolved_at >= e.s AND f.resolved_at < e.e"
            f" AND NOT f.restricted AND f.{column} IS NOT NULL{team_sql.replace('team_id', 'f.team_id')}"
        )
        params += [value for row in edges for value in row] + team_param
    bounds = ", ".join("(%s, %s::timestamptz, %s::timestamptz)" for _ in buckets)
    params += [value for index, (_, start, end) in enumerate(buckets) for value in (index, start, end)]
    params += team_param
    sql = f"""
        WITH counts AS (
            SELECT week, bin, SUM(n)::bigint AS n FROM ({" UNION ALL ".join(parts)}) AS x GROUP BY week, bin
        ),
        cumulative AS (
            SELECT week, bin, n, (SUM(n) OVER (PARTITION BY week ORDER BY bin) - n)::bigint AS before FROM counts
        ),
        ranks AS (
            SELECT DISTINCT t.week, r.rank::bigint AS rank
            FROM (SELECT week, SUM(n)::bigint AS total FROM cumulative GROUP BY week) AS t
            CROSS JOIN LATERAL (VALUES (floor(0.5 * (total - 1))), (ceil(0.5 * (total - 1)))) AS r(rank)
        ),
        bounds AS (SELECT * FROM (VALUES {bounds}) AS b(week, s, e))
        SELECT week, bin, n, NULL, NULL FROM counts
        UNION ALL
        SELECT r.week, NULL, NULL, r.rank, (
            SELECT f.{column} FROM {CaseFact._meta.db_table} f
            WHERE {bin_sql("f." + column)} = c.bin AND f.{column} IS NOT NULL
              AND f.resolved_at >= b.s AND f.resolved_at < b.e AND NOT f.restricted
              {team_sql.replace("team_id", "f.team_id")}
            ORDER BY f.{column} OFFSET r.rank - c.before LIMIT 1
        )
        FROM ranks r
        JOIN cumulative c ON c.week = r.week AND r.rank >= c.before AND r.rank < c.before + c.n
        JOIN bounds b ON b.week = r.week
    """  # noqa: S608 - table and column names and constants only; values are parameters
    totals: dict[int, int] = defaultdict(int)
    values: dict[tuple[int, int], float] = {}
    if parts:
        with reading().cursor() as cursor:
            cursor.execute(sql, params)
            for week, _bin, n, rank, value in cursor.fetchall():
                if rank is not None:
                    values[(week, int(rank))] = float(value)
                else:
                    totals[week] += int(n)
    out = {}
    for week, total in totals.items():
        position = 0.5 * (total - 1)
        low, high = math.floor(position), math.ceil(position)
        out[buckets[week][0]] = (
            total,
            values[(week, low)] + (values[(week, high)] - values[(week, low)]) * (position - low),
        )
    return out
