"""Local days and hours of the week in SQL without a time zone conversion per row.

``AT TIME ZONE`` costs a zone lookup for every row: over a year of cases it was most of the
dashboard's time. A zone's offset from UTC only changes at a few instants a year, so for a
window the local time is ``epoch seconds + offset``, the offset a CASE over the window's
transitions (found here with zoneinfo). Integer arithmetic then gives the local day number and
hour of the week. Exact for every zone, half-hour offsets included. PostgreSQL only: SQLite
keeps Django's own time zone functions.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, Case, ExpressionWrapper, F, Func, IntegerField, Value, When

EPOCH_DAY = date(1970, 1, 1)  # a Thursday: Monday-based weeks start 3 days earlier


def offset_spans(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime | None, int]]:
    """``[(until, offset_seconds), ..., (None, last_offset)]`` covering ``[start, end)``."""

    def offset_at(instant: datetime) -> int:
        return int(instant.astimezone(tz).utcoffset().total_seconds())

    spans: list[tuple[datetime | None, int]] = []
    current = offset_at(start)
    day = start
    while day < end:
        # Offsets change at most a few times a year: look once a day, then find the quarter hour.
        following = min(day + timedelta(days=1), end)
        if offset_at(following) != current or following == end:
            at = day
            while at <= following:
                offset = offset_at(at)
                if offset != current:
                    spans.append((at, current))
                    current = offset
                at += timedelta(minutes=15)
        day = following
    spans.append((None, current))
    return spans


def local_seconds(field: str, tz: ZoneInfo, start: datetime, end: datetime):
    """Seconds since the epoch of ``field`` as read on a wall clock in ``tz``."""
    spans = offset_spans(tz, start, end)
    if len(spans) == 1:
        offset = Value(spans[0][1], output_field=IntegerField())
    else:
        whens = [When(**{f"{field}__lt": until}, then=Value(seconds)) for until, seconds in spans[:-1]]
        offset = Case(*whens, default=Value(spans[-1][1]), output_field=IntegerField())
    epoch = Func(F(field), template="date_part('epoch', %(expressions)s)::bigint", output_field=BigIntegerField())
    return ExpressionWrapper(epoch + offset, output_field=BigIntegerField())


def local_day_number(field: str, tz: ZoneInfo, start: datetime, end: datetime):
    return ExpressionWrapper(local_seconds(field, tz, start, end) / Value(86400), output_field=BigIntegerField())


def local_week_number(field: str, tz: ZoneInfo, start: datetime, end: datetime):
    """Monday-based week number (week 0 starts Monday 29 December 1969)."""
    day = local_day_number(field, tz, start, end)
    return ExpressionWrapper((day + Value(3)) / Value(7), output_field=BigIntegerField())


def local_hour_of_week(field: str, tz: ZoneInfo, start: datetime, end: datetime):
    """0 = Monday 00:00-01:00 local."""
    hours = local_seconds(field, tz, start, end) / Value(3600)
    return ExpressionWrapper((hours + Value(72)) % Value(168), output_field=BigIntegerField())


def day_of(number: int) -> date:
    return EPOCH_DAY + timedelta(days=number)


def monday_of_week(number: int) -> date:
    return EPOCH_DAY + timedelta(days=number * 7 - 3)
