"""Keeping and reading the daily rollup of escalation hops (``HopDay``).

The unit of work is a UTC day: a change to a case's hops (or to the case's team, or a referral
to the FIU) names the days its hops were requested on, and each of those days is recomputed
from the hops as a whole, in one statement, in the transaction that refreshed the case's facts
and under the same advisory lock as the hourly rollup (``metrics.rollups``). A hop's
``requested_at`` never changes, so the case's current hops name every day it counts in.

A window read from the rollup takes its whole UTC days from here and the hours at either end
that do not fill a UTC day from the hops themselves, so a window in any zone is exact.
PostgreSQL only, like the hourly rollup.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from cases.models import Case
from compliance.models import Referral
from escalations.choices import EscalationStatus
from escalations.models import Escalation
from metrics.models import HopDay
from metrics.rollups import rollup_replace, rollup_writer, rollups_enabled
from people.choices import TeamKind
from people.models import Team

# The hops of the days joined in (or all), with their case's team; restricted cases left out.
# Only table names and constants are formatted in; days and values are bound parameters.
_RECOMPUTE = """
INSERT INTO {rollup} (day, team_id, reason_id, to_team_id, from_team_id, hops, returned, answered, on_time)
SELECT (e.requested_at AT TIME ZONE 'UTC')::date, c.team_id, e.reason_id, e.to_team_id, e.from_team_id,
       COUNT(*),
       COUNT(*) FILTER (WHERE e.status = %s),
       COUNT(*) FILTER (WHERE e.responded_at IS NOT NULL),
       COUNT(*) FILTER (WHERE e.responded_at IS NOT NULL AND e.responded_at <= e.ola_due_at)
FROM {hop} e
JOIN {case} c ON c.id = e.case_id
JOIN {team} t ON t.id = c.team_id
{days_join}
WHERE t.kind <> %s AND NOT EXISTS (SELECT 1 FROM {referral} r WHERE r.case_id = e.case_id)
GROUP BY 1, 2, 3, 4, 5
"""
_DAYS_JOIN = (
    "JOIN unnest(%s::date[]) AS d(day) ON e.requested_at >= d.day::timestamp AT TIME ZONE 'UTC'"
    " AND e.requested_at < (d.day + 1)::timestamp AT TIME ZONE 'UTC'"
)


def _sql(days_join: str) -> str:
    return _RECOMPUTE.format(
        rollup=HopDay._meta.db_table,
        hop=Escalation._meta.db_table,
        case=Case._meta.db_table,
        team=Team._meta.db_table,
        referral=Referral._meta.db_table,
        days_join=days_join,
    )


def day_of(instant: datetime) -> date:
    return instant.astimezone(UTC).date()


def hop_days(case_ids: Iterable[int]) -> set[date]:
    """The UTC days the hops of ``case_ids`` were requested on."""
    instants = Escalation.objects.filter(case_id__in=list(case_ids)).values_list("requested_at", flat=True)
    return {day_of(instant) for instant in instants}


def hops_refresh(days: Iterable[date]) -> int:
    """Recompute the rollup rows of ``days`` from the hops; returns rows written. Called last in
    the transaction that refreshed the cases' facts (the rollup lock is held to its commit)."""
    if not rollups_enabled():
        return 0
    days = sorted(set(days))
    if not days:
        return 0
    with rollup_writer() as cursor:
        cursor.execute(f"DELETE FROM {HopDay._meta.db_table} WHERE day = ANY(%s::date[])", [days])  # noqa: S608
        cursor.execute(_sql(_DAYS_JOIN), [EscalationStatus.RETURNED, days, TeamKind.FIU])
        return cursor.rowcount


def hops_rebuild() -> int:
    """Recompute every day of the rollup from the hops."""
    return rollup_replace(HopDay._meta.db_table, _sql(""), [EscalationStatus.RETURNED, TeamKind.FIU])


def split_days(start: datetime, end: datetime) -> tuple[tuple[date, date] | None, list[tuple[datetime, datetime]]]:
    """``[start, end)`` as the whole UTC days inside it, ``(first, last_exclusive)`` or None,
    and the instants left at either end, ``[(from, to), ...]``."""
    first = datetime.combine(day_of(start), time(0), tzinfo=UTC)
    if first < start:
        first += timedelta(days=1)
    last = datetime.combine(day_of(end), time(0), tzinfo=UTC)
    if first >= last:
        return None, [(start, end)] if start < end else []
    edges = [(a, b) for a, b in ((start, first), (last, end)) if a < b]
    return (first.date(), last.date()), edges
