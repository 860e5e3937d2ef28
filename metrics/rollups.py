"""Keeping the hourly rollup (``FactHour``): whole UTC hours recomputed from the facts.

The unit of work is an hour: every fact change names the hours it touched (its received hour
and survey hour, before and after the change), and each of those hours is recomputed from the
facts as a whole, in one statement. Recomputing is idempotent, so a retried or duplicated task
is harmless. It runs in the transaction that wrote the facts, after writing them, under one
transaction-scoped advisory lock held to commit: of two concurrent refreshes the second waits
until the first has committed, then recomputes seeing the first's facts and its own, so the
last to commit always saw every fact. PostgreSQL only: elsewhere every figure reads the facts
(``metrics.scope.reads_rollup``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from metrics.models import CaseFact

# pg_advisory_xact_lock key for rollup writes ("metr" "roll" as two int32s).
ROLLUP_LOCK = (0x6D657472, 0x726F6C6C)
# date_bin origin: hours on the UTC clock whatever the session's time zone.
ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
HOUR = timedelta(hours=1)

# One row per (hour, team, category) and one per (hour, team) over all categories (category NULL)
# from the facts (of the hours joined in, or all): arrivals by received_at, surveys by
# csat_sent_at. Restricted cases are never counted. Only this module's constant fragments are
# formatted in; the hours are a bound parameter.
_RECOMPUTE = f"""
INSERT INTO metrics_facthour
    (hour, team_id, category_id, received, csat_sent, csat_answered, csat_satisfied, csat_score_sum)
SELECT hour, team_id, category_id, SUM(received), SUM(sent), SUM(answered), SUM(satisfied), SUM(score)
FROM (
    SELECT date_bin('1 hour', f.received_at, {ORIGIN}) AS hour, f.team_id, f.category_id,
           1 AS received, 0 AS sent, 0 AS answered, 0 AS satisfied, 0 AS score
    FROM metrics_casefact f {{received_join}}
    WHERE NOT f.restricted
    UNION ALL
    SELECT date_bin('1 hour', f.csat_sent_at, {ORIGIN}), f.team_id, f.category_id,
           0, 1, (f.csat_score IS NOT NULL)::int, COALESCE(f.csat_score >= 4, false)::int, COALESCE(f.csat_score, 0)
    FROM metrics_casefact f {{csat_join}}
    WHERE NOT f.restricted AND f.csat_sent_at IS NOT NULL
) AS parts
GROUP BY GROUPING SETS ((hour, team_id, category_id), (hour, team_id))
"""  # noqa: S608 - constant fragments only, no input
# The hours' facts through the received_at and csat_sent_at indexes, one range scan per hour.
_HOURS_JOIN = (
    "JOIN unnest(%s::timestamptz[]) AS h(start) ON f.{field} >= h.start AND f.{field} < h.start + interval '1 hour'"
)


def rollups_enabled() -> bool:
    return connection.vendor == "postgresql"


def hour_of(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def fact_hours(case_ids: Iterable[int]) -> set[datetime]:
    """The hours the current facts of ``case_ids`` count in (received and survey hours)."""
    rows = CaseFact.objects.filter(pk__in=list(case_ids)).values_list("received_at", "csat_sent_at")
    return {hour_of(instant) for row in rows for instant in row if instant is not None}


def rollup_refresh(hours: Iterable[datetime]) -> int:
    """Recompute the rollup rows of ``hours`` from the facts; returns rows written.

    Call it last in the transaction that wrote the facts: the lock is held until that commits
    (taking it before writing more facts could deadlock with a concurrent refresh).
    """
    if not rollups_enabled():
        return 0
    starts = sorted({hour_of(h) for h in hours})
    if not starts:
        return 0
    with rollup_writer() as cursor:
        # The planner cannot see how few facts an hour holds and would JIT-compile the statement
        # (~0.6 s) to read a few hundred index entries (~2 ms).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("DELETE FROM metrics_facthour WHERE hour = ANY(%s::timestamptz[])", [starts])
        cursor.execute(
            _RECOMPUTE.format(
                received_join=_HOURS_JOIN.format(field="received_at"),
                csat_join=_HOURS_JOIN.format(field="csat_sent_at"),
            ),
            [starts, starts],
        )
        return cursor.rowcount


def rollup_rebuild() -> int:
    """Recompute the whole rollup from the facts (after a bulk load or a facts rebuild)."""
    return rollup_replace("metrics_facthour", _RECOMPUTE.format(received_join="", csat_join=""))


@contextmanager
def rollup_writer() -> Iterator:
    """A cursor in a transaction holding the rollups' lock, held to commit: every rollup
    (hourly, daily, hops) is written through it, so a refresh and a rebuild never interleave."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", ROLLUP_LOCK)
        yield cursor


def rollup_replace(table: str, recompute_sql: str, params: list | None = None) -> int:
    """Empty the rollup ``table`` and fill it again with ``recompute_sql`` (an INSERT ... SELECT
    over all the facts); returns the rows written, 0 when rollups are off."""
    if not rollups_enabled():
        return 0
    with rollup_writer() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a model's table name
        # The whole history is grouped at once: room to sort and hash it in memory.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(recompute_sql, params or [])
        return cursor.rowcount
