"""Top drivers' two weeks of counts read from the rollups (``metrics.definitions.top_drivers``).

Categories: whole UTC hours of each week from the hourly rollup's category rows, the partial
hours (the weeks end at "now", rarely on the hour) from the facts. Reasons: whole UTC days of
each week from the daily rollup of hops, the partial days from the hops. Both give exactly the
counts read from the facts and hops alone (``tests/metrics/test_drivers.py``), for scopes
filtered by teams at most (the rollups' key; ``metrics.scope.reads_hop_rollup``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cases.models import Case, Category
from compliance.models import Referral
from escalations.models import Escalation, ReasonCode
from metrics.daily import _teams, reading
from metrics.hops import split_days
from metrics.models import CaseFact, FactHour, HopDay
from metrics.scope import Scope
from people.choices import TeamKind
from people.models import Team

HOUR = timedelta(hours=1)


def _hour_floor(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _hour_ceil(instant: datetime) -> datetime:
    floor = _hour_floor(instant)
    return floor if floor == instant else floor + HOUR


def _rows(sql: str, params: list) -> list[dict]:
    with reading().cursor() as cursor:
        cursor.execute(sql, params)
        return [
            {"key": key, "label": label, "this_week": int(this), "last_week": int(last)}
            for key, label, this, last in cursor.fetchall()
        ]


def category_weeks(scope: Scope, weeks: list[tuple[datetime, datetime]]) -> list[dict]:
    """Cases received per category in each of ``weeks`` (this week, last week)."""
    teams = _teams(scope)
    team_sql = "" if teams is None else " AND team_id = ANY(%s)"
    team_param = [] if teams is None else [teams]
    parts, params = [], []
    for index, (start, end) in enumerate(weeks):
        first, last = _hour_ceil(start), _hour_floor(end)
        this, prior = (1, 0) if index == 0 else (0, 1)
        parts.append(
            f"SELECT category_id, received * {this} AS this, received * {prior} AS last"  # noqa: S608
            f" FROM {FactHour._meta.db_table} WHERE category_id IS NOT NULL AND hour >= %s AND hour < %s{team_sql}"
        )
        params += [first, max(first, last), *team_param]
        for a, b in ((start, min(first, end)), (max(last, first), end)):
            if a < b:
                parts.append(
                    f"SELECT category_id, {this}, {prior} FROM {CaseFact._meta.db_table}"  # noqa: S608
                    f" WHERE NOT restricted AND received_at >= %s AND received_at < %s{team_sql}"
                )
                params += [a, b, *team_param]
    sql = (
        f"SELECT x.category_id, c.name, SUM(x.this), SUM(x.last) FROM ({' UNION ALL '.join(parts)}) AS x"  # noqa: S608
        f" LEFT JOIN {Category._meta.db_table} c ON c.id = x.category_id GROUP BY x.category_id, c.name"
    )
    return _rows(sql, params)


def reason_weeks(scope: Scope, weeks: list[tuple[datetime, datetime]]) -> list[dict]:
    """Escalation hops requested per reason in each of ``weeks`` (this week, last week)."""
    teams = _teams(scope)
    parts, params = [], []
    case_team = "" if teams is None else " AND c.team_id = ANY(%s)"
    rollup_team = "" if teams is None else " AND team_id = ANY(%s)"
    team_param = [] if teams is None else [teams]
    for index, (start, end) in enumerate(weeks):
        this, prior = (1, 0) if index == 0 else (0, 1)
        days, edges = split_days(start, end)
        if days is not None:
            parts.append(
                f"SELECT reason_id, hops * {this} AS this, hops * {prior} AS last"  # noqa: S608
                f" FROM {HopDay._meta.db_table} WHERE day >= %s AND day < %s{rollup_team}"
            )
            params += [days[0], days[1], *team_param]
        for a, b in edges:
            parts.append(
                f"SELECT e.reason_id, {this}, {prior} FROM {Escalation._meta.db_table} e"  # noqa: S608
                f" JOIN {Case._meta.db_table} c ON c.id = e.case_id JOIN {Team._meta.db_table} t ON t.id = c.team_id"
                f" WHERE e.requested_at >= %s AND e.requested_at < %s AND t.kind <> %s{case_team}"
                f" AND NOT EXISTS (SELECT 1 FROM {Referral._meta.db_table} r WHERE r.case_id = e.case_id)"
            )
            params += [a, b, TeamKind.FIU, *team_param]
    sql = (
        f"SELECT x.reason_id, r.label, SUM(x.this), SUM(x.last) FROM ({' UNION ALL '.join(parts)}) AS x"  # noqa: S608
        f" LEFT JOIN {ReasonCode._meta.db_table} r ON r.id = x.reason_id GROUP BY x.reason_id, r.label"
    )
    return _rows(sql, params)
