"""Business-time maths: when a calendar is open, and how much open time lies between two instants.

Service SLA timers count business minutes; regulatory obligations count business days or calendar
days. Everything here is a pure function of a :class:`WorkCalendar` value and the instants passed
in: nothing touches the database or reads the clock, so callers pass ``now`` and tests need no DB.

Conventions
-----------
* Every datetime argument must be timezone-aware; every datetime returned is in UTC.
* Weekly hours are local wall-clock intervals ``[start, end)`` per weekday (0 = Monday) in the
  calendar's own zone. ``end`` may be 24:00 (``time(0, 0)`` as an end, or ``"24:00"`` in JSON). An
  overnight window is two intervals: 22:00–24:00, then 00:00–06:00 on the next weekday.
* A holiday closes the opening hours of that whole local date; a closure closes a real-time span
  ``[start, end)``.
* Business minutes are real elapsed minutes while open, not wall-clock differences. Each local
  boundary is placed at the *first instant at which the wall clock shows that time or later*:

  - a time skipped by a spring-forward gap maps to the instant the clocks jump, so 01:00–03:00 on
    the night New York springs forward is 60 real minutes, and 22:00–06:00 is 7 hours;
  - a time repeated by a fall-back fold maps to its first occurrence, so 22:00–06:00 on the night
    the clocks fall back is 9 real hours (06:00 itself is shown only once).

  With this rule the spans of one local date never overlap the next date's, and 24:00 of one day
  meets 00:00 of the next exactly, so an overnight window is one unbroken stretch of open time.
"""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import holidays as holidays_package

Interval = tuple[time, time]
Span = tuple[datetime, datetime]

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MIDNIGHT = time(0, 0)
_FULL_DAY: Interval = (_MIDNIGHT, _MIDNIGHT)
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_ONE_MINUTE = timedelta(minutes=1)
# A calendar with weekly hours always reopens within a week; only closures or holidays can keep it
# shut longer. Ten years of nothing open means the data is wrong, not that the caller should wait.
_MAX_CLOSED_DAYS = 3660
# Per-calendar memo of each local date's open spans: sweeps recompute the same weeks many times.
_SPAN_CACHE_SIZE = 4096
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class CalendarSource(Protocol):
    """What :meth:`WorkCalendar.from_business_calendar` reads (a ``people.BusinessCalendar`` row)."""

    time_zone: str
    holiday_country: str
    holiday_subdivision: str
    weekly_hours: Any


@dataclass(frozen=True)
class WorkCalendar:
    """When a team (or a regulator's business day) is open.

    ``weekly_hours[weekday]`` is a tuple of ``(start, end)`` local times, 0 = Monday; an ``end`` of
    ``time(0, 0)`` means 24:00. The constructor also accepts lists and a mapping missing some
    weekdays, and normalises them (sorted tuples, all seven weekdays present).
    ``holidays`` are extra closed local dates; ``holiday_country`` / ``holiday_subdivision`` add the
    public holidays of that region from the ``holidays`` package, looked up lazily for whichever
    years a computation reaches. ``closures`` are one-off ``(start, end)`` aware instants.
    """

    time_zone: str
    weekly_hours: Mapping[int, tuple[Interval, ...]]
    holidays: frozenset[date] = frozenset()
    closures: tuple[Span, ...] = ()
    holiday_country: str = ""
    holiday_subdivision: str = ""
    tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _always_open: bool = field(init=False, repr=False, compare=False)
    _closure_ends: tuple[datetime, ...] = field(init=False, repr=False, compare=False)
    _spans: dict[date, tuple[Span, ...]] = field(init=False, repr=False, compare=False)
    # Open time of each whole local date, for business_minutes_between's interior days.
    _day_open: dict[date, timedelta] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        week = {weekday: tuple(sorted(tuple(i) for i in self.weekly_hours.get(weekday, ()))) for weekday in range(7)}
        unknown = sorted(set(self.weekly_hours) - set(range(7)), key=repr)
        problems = [f"{key!r} is not a weekday number; use 0 (Monday) to 6 (Sunday)." for key in unknown]
        for weekday, intervals in week.items():
            problems += _interval_problems(weekday, intervals)
        if not problems and not any(week.values()):
            problems.append("No open hours: a calendar needs at least one weekday with an opening interval.")
        if problems:
            raise ValueError(" ".join(problems))
        closures = _normalise_closures(self.closures)
        set_ = object.__setattr__  # frozen dataclass: normalise once, here
        set_(self, "weekly_hours", week)
        set_(self, "holidays", frozenset(self.holidays))
        set_(self, "closures", closures)
        set_(self, "tz", ZoneInfo(self.time_zone))
        set_(self, "_closure_ends", tuple(end for _, end in closures))
        set_(self, "_spans", {})
        set_(self, "_day_open", {})
        set_(
            self,
            "_always_open",
            all(hours == (_FULL_DAY,) for hours in week.values())
            and not self.holidays
            and not self.holiday_country
            and not closures,
        )

    def __hash__(self) -> int:
        # Explicit because weekly_hours is a dict; the calendar is still an immutable value.
        return hash(
            (
                self.time_zone,
                tuple(self.weekly_hours.items()),
                self.holidays,
                self.closures,
                self.holiday_country,
                self.holiday_subdivision,
            )
        )

    @classmethod
    def from_config(
        cls,
        *,
        time_zone: str,
        weekly_hours: Mapping[Any, Any],
        holiday_country: str = "",
        holiday_subdivision: str = "",
        extra_holidays: Iterable[date] = (),
        closures: Iterable[Span] = (),
    ) -> WorkCalendar:
        """Build a calendar from stored configuration (the ``BusinessCalendar`` JSON shape).

        Raises ``ValueError`` listing every problem with the weekly hours or the holiday region.
        """
        problems = validate_weekly_hours(weekly_hours) + validate_holiday_region(holiday_country, holiday_subdivision)
        if problems:
            raise ValueError(" ".join(problems))
        return cls(
            time_zone=time_zone,
            weekly_hours=_parse_weekly_hours(weekly_hours),
            holidays=frozenset(extra_holidays),
            closures=tuple(closures),
            holiday_country=holiday_country,
            holiday_subdivision=holiday_subdivision,
        )

    @classmethod
    def from_business_calendar(cls, row: CalendarSource, *, closures: Iterable[Span] = ()) -> WorkCalendar:
        """Build from a ``people.BusinessCalendar`` row (reads attributes only; no queries)."""
        return cls.from_config(
            time_zone=row.time_zone,
            weekly_hours=row.weekly_hours,
            holiday_country=row.holiday_country,
            holiday_subdivision=row.holiday_subdivision,
            closures=closures,
        )

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> WorkCalendar:
        """24×7, no holidays: business minutes are calendar minutes; the zone only decides dates."""
        return cls(time_zone=time_zone, weekly_hours=dict.fromkeys(range(7), (_FULL_DAY,)))

    def is_holiday(self, day: date) -> bool:
        if day in self.holidays:
            return True
        return bool(self.holiday_country) and day in _public_holidays(
            self.holiday_country, self.holiday_subdivision, day.year
        )


# --- validation ------------------------------------------------------------------------------


def validate_weekly_hours(raw: Any) -> list[str]:
    """Problems with weekly hours in their JSON shape, as messages for a form; empty when valid.

    Expected: ``{"0": [["09:00", "17:00"]], ...}`` with weekday keys 0 (Monday) to 6 (Sunday), times
    ``HH:MM``, ``24:00`` (or ``00:00``) allowed as an end, intervals neither inverted nor overlapping.
    """
    if not isinstance(raw, Mapping):
        return ['Weekly hours must map weekday numbers (0 = Monday … 6 = Sunday) to lists of ["HH:MM", "HH:MM"].']
    problems: list[str] = []
    seen: set[int] = set()
    any_open = False
    for key, value in raw.items():
        weekday = _weekday_number(key)
        if weekday is None:
            problems.append(f"{key!r} is not a weekday number; use 0 (Monday) to 6 (Sunday).")
            continue
        name = WEEKDAY_NAMES[weekday]
        if weekday in seen:
            problems.append(f"{name} is given twice.")
            continue
        seen.add(weekday)
        if not isinstance(value, list | tuple):
            problems.append(f'{name}: expected a list of ["HH:MM", "HH:MM"] intervals, got {value!r}.')
            continue
        intervals: list[Interval] = []
        for position, item in enumerate(value, start=1):
            if not (isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(t, str) for t in item)):
                problems.append(f'{name} interval {position}: expected ["HH:MM", "HH:MM"], got {item!r}.')
                continue
            start, end = _parse_time(item[0], as_end=False), _parse_time(item[1], as_end=True)
            if start is None:
                problems.append(f"{name} interval {position}: {item[0]!r} is not a start time in HH:MM (00:00–23:59).")
            if end is None:
                problems.append(f"{name} interval {position}: {item[1]!r} is not an end time in HH:MM (up to 24:00).")
            if start is not None and end is not None:
                intervals.append((start, end))
        any_open = any_open or bool(intervals)
        problems += _interval_problems(weekday, sorted(intervals))
    if not problems and not any_open:
        problems.append("No open hours: give at least one weekday an opening interval.")
    return problems


def validate_holiday_region(country: str, subdivision: str = "") -> list[str]:
    """Problems with a holiday region (ISO 3166-1 alpha-2 country, optional subdivision code).

    An empty country means no public holidays at all.
    """
    if not country:
        return ["A holiday subdivision needs a country."] if subdivision else []
    supported = _supported_regions()
    if country not in supported:
        hint = f" Did you mean {country.upper()!r}?" if country.upper() in supported else ""
        return [
            f"{country!r} is not a country code the holidays package knows.{hint} Use an ISO 3166-1 "
            f"alpha-2 code such as US, AU, PH, GB or SG ({len(supported)} are supported)."
        ]
    subdivisions = supported[country]
    if subdivision and subdivision not in subdivisions:
        if not subdivisions:
            return [f"{country} has no holiday subdivisions; leave the subdivision empty."]
        shown = ", ".join(subdivisions[:20]) + (f" and {len(subdivisions) - 20} more" if len(subdivisions) > 20 else "")
        return [f"{subdivision!r} is not a holiday subdivision of {country}; use one of {shown}."]
    return []


# --- queries ---------------------------------------------------------------------------------


def is_open(cal: WorkCalendar, at: datetime) -> bool:
    """Whether ``at`` falls in an opening interval (not a holiday, not in a closure)."""
    at = _as_utc(at)
    return next_open(cal, at) == at


def next_open(cal: WorkCalendar, at: datetime) -> datetime:
    """The first open instant at or after ``at`` (``at`` itself, in UTC, when open)."""
    at = _as_utc(at)
    if cal._always_open:
        return at
    for start, _ in _open_spans_from(cal, at):
        return start
    raise AssertionError("unreachable: _open_spans_from never ends without raising")  # pragma: no cover


def add_business_minutes(cal: WorkCalendar, start: datetime, minutes: int) -> datetime:
    """The instant at which ``minutes`` minutes of open time have passed since ``start``.

    For ``minutes > 0`` this is the earliest such instant, so a target met exactly as the office
    closes is due at the close (Friday 17:00), not at the next opening (Monday 09:00). For
    ``minutes == 0`` it is :func:`next_open` (``start`` itself if open). The result is always open or
    the end of an opening interval. Raises ``ValueError`` for negative minutes.
    """
    minutes = operator.index(minutes)
    if minutes < 0:
        raise ValueError("minutes must be zero or more")
    start = _as_utc(start)
    if minutes == 0:
        return next_open(cal, start)
    remaining = timedelta(minutes=minutes)
    if cal._always_open:
        return start + remaining
    for span_start, span_end in _open_spans_from(cal, start):
        length = span_end - span_start
        if remaining <= length:
            return span_start + remaining
        remaining -= length
    raise AssertionError("unreachable: _open_spans_from never ends without raising")  # pragma: no cover


def business_minutes_between(cal: WorkCalendar, start: datetime, end: datetime) -> int:
    """Whole minutes of open time in ``[start, end)``, rounded down; 0 when ``end <= start``."""
    start, end = _as_utc(start), _as_utc(end)
    if end <= start:
        return 0
    if cal._always_open:
        return (end - start) // _ONE_MINUTE
    total = timedelta(0)
    day = start.astimezone(cal.tz).date()
    # One date past end's local date: where the clocks fall back across midnight, the next date's
    # first spans can begin before instants that still read as the previous date.
    last = end.astimezone(cal.tz).date() + _ONE_DAY
    day_open = cal._day_open
    while day <= last:
        spans = _day_spans(cal, day)
        if spans and start <= spans[0][0] and spans[-1][1] <= end:
            # A date wholly inside the range counts all its open time: a timer months overdue
            # costs one lookup per day, not an overlap per span.
            whole = day_open.get(day)
            if whole is None:
                whole = day_open[day] = sum((span_end - span_start for span_start, span_end in spans), timedelta(0))
            total += whole
        else:
            for span_start, span_end in spans:
                overlap = min(span_end, end) - max(span_start, start)
                if overlap > timedelta(0):
                    total += overlap
        day += _ONE_DAY
    return total // _ONE_MINUTE


def business_minutes_left(cal: WorkCalendar, at: datetime, due: datetime) -> int:
    """Signed open minutes from ``at`` to ``due``: positive while time is left, negative once
    overdue (the open time since ``due``). What every clock on screen shows."""
    if at <= due:
        return business_minutes_between(cal, at, due)
    return -business_minutes_between(cal, due, at)


def is_business_day(cal: WorkCalendar, day: date) -> bool:
    """A local date with some open time: its weekday has hours, it is no holiday, closures leave some."""
    return bool(_day_spans(cal, day))


def add_business_days(cal: WorkCalendar, start: date | datetime, days: int) -> date:
    """The ``days``-th business day after ``start``'s local date.

    The start date itself never counts, business day or not: a Reg E notice received on Friday
    16 January 2026 (Monday the 19th a holiday) has day 1 on Tuesday 20 and day 10 on Monday
    2 February. ``days == 0`` returns the start date. A datetime is read as its local date in the
    calendar's zone (a notice at 23:30 New York time on Friday is Friday's). Raises ``ValueError``
    for negative days.
    """
    days = operator.index(days)
    if days < 0:
        raise ValueError("days must be zero or more")
    day = _local_date(cal, start)
    closed_run = 0
    while days:
        day += _ONE_DAY
        if is_business_day(cal, day):
            days -= 1
            closed_run = 0
        else:
            closed_run += 1
            if closed_run > _MAX_CLOSED_DAYS:
                raise ValueError(f"{cal.time_zone} calendar has no business day after {day - _ONE_DAY * closed_run}")
    return day


def add_calendar_days(cal: WorkCalendar, start: date | datetime, days: int) -> date:
    """``start``'s local date in the calendar's zone plus ``days`` days (open or not)."""
    days = operator.index(days)
    if days < 0:
        raise ValueError("days must be zero or more")
    return _local_date(cal, start) + timedelta(days=days)


def end_of_day(cal: WorkCalendar, day: date) -> datetime:
    """The instant (UTC) the local date ``day`` ends: a deadline "by day N" is due then."""
    return _local_to_utc(day + _ONE_DAY, _MIDNIGHT, cal.tz)


# --- internals -------------------------------------------------------------------------------


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: business-time maths needs aware datetimes")
    return value.astimezone(UTC)


def _local_date(cal: WorkCalendar, value: date | datetime) -> date:
    if isinstance(value, datetime):
        return _as_utc(value).astimezone(cal.tz).date()
    return value


def _local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The first instant at which the wall clock in ``tz`` shows ``day at`` or later (UTC)."""
    naive = datetime.combine(day, at)
    local = naive.replace(tzinfo=tz)
    # zoneinfo answers fold=0 with the offset in force before a transition, fold=1 after it.
    before, after = local.utcoffset(), local.replace(fold=1).utcoffset()
    assert before is not None and after is not None
    if before >= after:
        # Ordinary time (equal offsets), or a time repeated when the clocks fall back: its first
        # occurrence is the one under the earlier (larger) offset.
        return (naive - before).replace(tzinfo=UTC)
    # The wall clock skips this time (spring forward). The first instant showing it or later is
    # the jump itself, somewhere in (naive - after, naive - before]; transitions fall on whole
    # seconds, so bisect to the second.
    low, high = (naive - after).replace(tzinfo=UTC), (naive - before).replace(tzinfo=UTC)
    while high - low > _ONE_SECOND:
        middle = low + _ONE_SECOND * ((high - low) // _ONE_SECOND // 2)
        if middle.astimezone(tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high


def _day_spans(cal: WorkCalendar, day: date) -> tuple[Span, ...]:
    """The open spans (UTC, ordered, disjoint) contributed by the local date ``day``."""
    cached = cal._spans.get(day)
    if cached is not None:
        return cached
    intervals = cal.weekly_hours[day.weekday()]
    spans: list[Span] = []
    if intervals and not cal.is_holiday(day):
        for start, end in intervals:
            span_start = _local_to_utc(day, start, cal.tz)
            span_end = (
                _local_to_utc(day + _ONE_DAY, _MIDNIGHT, cal.tz)
                if end == _MIDNIGHT
                else _local_to_utc(day, end, cal.tz)
            )
            if span_start < span_end:  # an interval entirely inside a spring-forward gap is empty
                spans.append((span_start, span_end))
        if cal.closures:
            spans = _subtract_closures(cal, spans)
    result = tuple(spans)
    if len(cal._spans) >= _SPAN_CACHE_SIZE:
        cal._spans.clear()
    cal._spans[day] = result
    return result


def _subtract_closures(cal: WorkCalendar, spans: list[Span]) -> list[Span]:
    result: list[Span] = []
    for span_start, span_end in spans:
        start = span_start
        # Closures are sorted and merged; the first that can overlap is the first ending after start.
        index = bisect.bisect_right(cal._closure_ends, start)
        while index < len(cal.closures) and cal.closures[index][0] < span_end:
            closure_start, closure_end = cal.closures[index]
            if closure_start > start:
                result.append((start, closure_start))
            start = max(start, closure_end)
            index += 1
        if start < span_end:
            result.append((start, span_end))
    return result


def _open_spans_from(cal: WorkCalendar, at: datetime) -> Iterator[Span]:
    """Open spans from ``at`` onwards, in order, the first clipped to start at ``at``.

    Starts at ``at``'s local date: every span of an earlier date ends by that date's first instant.
    Skips closed days one date at a time and gives up after ten closed years.
    """
    day = at.astimezone(cal.tz).date()
    closed_run = 0
    while closed_run <= _MAX_CLOSED_DAYS:
        spans = _day_spans(cal, day)
        found = False
        for span_start, span_end in spans:
            if span_end > at:
                found = True
                yield max(span_start, at), span_end
        closed_run = 0 if found else closed_run + 1
        day += _ONE_DAY
    raise ValueError(f"{cal.time_zone} calendar is not open at any time in the ten years after {at.isoformat()}")


def _interval_problems(weekday: int, intervals: Sequence[Interval]) -> list[str]:
    """Inverted or overlapping intervals of one weekday (sorted by start)."""
    name = WEEKDAY_NAMES[weekday]
    problems: list[str] = []
    previous_end: time | None = None
    previous: Interval | None = None
    for start, end in intervals:
        if end != _MIDNIGHT and end <= start:
            problems.append(
                f"{name}: {_fmt(start)}–{_fmt(end)} ends before it starts; split an overnight window into "
                f"{_fmt(start)}–24:00 and 00:00–{_fmt(end)} of the next day."
            )
            continue
        if previous is not None and previous_end is not None and (previous_end == _MIDNIGHT or start < previous_end):
            problems.append(f"{name}: {_fmt_interval(start, end)} overlaps {_fmt_interval(*previous)}.")
            continue
        previous, previous_end = (start, end), end
    return problems


def _normalise_closures(closures: Iterable[Span]) -> tuple[Span, ...]:
    spans = []
    for start, end in closures:
        start, end = _as_utc(start), _as_utc(end)
        if end <= start:
            raise ValueError(f"closure {start.isoformat()}–{end.isoformat()} ends before it starts")
        spans.append((start, end))
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _parse_weekly_hours(raw: Mapping[Any, Any]) -> dict[int, tuple[Interval, ...]]:
    """Valid JSON weekly hours (see :func:`validate_weekly_hours`) as ``time`` intervals."""
    week: dict[int, tuple[Interval, ...]] = {}
    for key, value in raw.items():
        weekday = _weekday_number(key)
        assert weekday is not None
        week[weekday] = tuple(
            (_require(_parse_time(start, as_end=False)), _require(_parse_time(end, as_end=True)))
            for start, end in value
        )
    return week


def _weekday_number(key: Any) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key if 0 <= key <= 6 else None
    if isinstance(key, str) and len(key) == 1 and key in "0123456":
        return int(key)
    return None


def _parse_time(text: str, *, as_end: bool) -> time | None:
    if as_end and text == "24:00":
        return _MIDNIGHT
    match = _HHMM.match(text)
    if match is None:
        return None
    return time(int(match[1]), int(match[2]))


def _require(value: time | None) -> time:
    assert value is not None
    return value


def _fmt(value: time) -> str:
    return value.strftime("%H:%M")


def _fmt_interval(start: time, end: time) -> str:
    return f"{_fmt(start)}–{'24:00' if end == _MIDNIGHT else _fmt(end)}"


@lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    # One year at a time, on demand: a deadline can reach into any year, and the holidays package
    # computes movable feasts (Easter, Eid, "first Monday of") per year anyway.
    return frozenset(holidays_package.country_holidays(country, subdiv=subdivision or None, years=year))


@lru_cache(maxsize=1)
def _supported_regions() -> dict[str, list[str]]:
    return holidays_package.list_supported_countries(include_aliases=False)
