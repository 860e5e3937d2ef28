"""Business calendars: validating and saving them, and the pinned versions SLA timers run on.

Every save writes a new :class:`BusinessCalendarVersion` (and an audit event) in the same
transaction, so a timer that started on version 2 is recomputed on version 2 however the
calendar is edited afterwards.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from people.business_time import WorkCalendar, validate_holiday_region, validate_weekly_hours
from people.models import BusinessCalendar, BusinessCalendarVersion, User

CONFIG_FIELDS = ("time_zone", "holiday_country", "holiday_subdivision", "weekly_hours", "closures")


def calendar_validate(
    *, time_zone: str, weekly_hours: Any, holiday_country: str = "", holiday_subdivision: str = "", closures: Any = ()
) -> dict[str, list[str]]:
    """Every problem with a calendar's configuration, by field name; empty when it is valid."""
    problems: dict[str, list[str]] = {}
    if time_zone not in zoneinfo.available_timezones():
        problems["time_zone"] = [f"{time_zone!r} is not a known IANA time zone, e.g. Asia/Manila."]
    if found := validate_weekly_hours(weekly_hours):
        problems["weekly_hours"] = found
    if found := validate_holiday_region(holiday_country, holiday_subdivision):
        problems["holiday_country"] = found
    if found := _closure_problems(closures):
        problems["closures"] = found
    return problems


def _closure_problems(closures: Any) -> list[str]:
    if not isinstance(closures, list | tuple):
        return ['Closures must be a list of {"start": ..., "end": ..., "reason": ...}.']
    problems = []
    for position, item in enumerate(closures, start=1):
        if not isinstance(item, dict):
            problems.append(f"Closure {position}: expected start, end and reason.")
            continue
        start, end = _instant(item.get("start")), _instant(item.get("end"))
        if start is None or end is None:
            problems.append(f"Closure {position}: start and end must be ISO 8601 date-times with a time zone.")
        elif end <= start:
            problems.append(f"Closure {position}: the end must be after the start.")
        if not str(item.get("reason", "")).strip():
            problems.append(f"Closure {position}: say why the team is closed.")
    return problems


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else None


@transaction.atomic
def calendar_save(
    *,
    actor: User | None,
    calendar: BusinessCalendar | None,
    name: str,
    time_zone: str,
    weekly_hours: Any,
    holiday_country: str = "",
    holiday_subdivision: str = "",
    closures: Any = (),
) -> BusinessCalendar:
    """Create or edit a calendar; writes its next version. Raises ValidationError by field."""
    problems = calendar_validate(
        time_zone=time_zone,
        weekly_hours=weekly_hours,
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
        closures=closures,
    )
    if not name.strip():
        problems["name"] = ["Give the calendar a name."]
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    if calendar is None:
        calendar = BusinessCalendar(name=name.strip())
        before = None
    else:
        calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        before = _config(calendar) | {"name": calendar.name, "version": calendar.version}
    calendar.name = name.strip()
    calendar.time_zone = time_zone
    calendar.weekly_hours = weekly_hours
    calendar.holiday_country = holiday_country
    calendar.holiday_subdivision = holiday_subdivision
    calendar.closures = list(closures)
    calendar.version += 1
    calendar.save()
    _write_version(calendar, actor=actor, at=now)
    audit_record(
        actor=actor,
        action="calendar.save",
        object_type="business_calendar",
        object_id=calendar.pk,
        before=before,
        after=_config(calendar) | {"name": calendar.name, "version": calendar.version},
    )
    return calendar


def calendar_version_current(calendar: BusinessCalendar) -> BusinessCalendarVersion:
    """The version a timer starting now pins. A calendar never saved through calendar_save
    (loaded by a fixture or an old import) gets its first version written here."""
    if calendar.version:
        found = BusinessCalendarVersion.objects.filter(calendar_id=calendar.pk, number=calendar.version).first()
        if found is not None:
            return found
    with transaction.atomic():
        locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        if locked.version:
            found = BusinessCalendarVersion.objects.filter(calendar_id=locked.pk, number=locked.version).first()
            if found is not None:
                return found
        locked.version = max(locked.version, 0) + 1
        locked.save(update_fields=["version"])
        calendar.version = locked.version
        return _write_version(locked, actor=None, at=timezone.now())


def _write_version(calendar: BusinessCalendar, *, actor: User | None, at: datetime) -> BusinessCalendarVersion:
    return BusinessCalendarVersion.objects.create(
        calendar=calendar, number=calendar.version, created_by=actor, created_at=at, **_config(calendar)
    )


def _config(row) -> dict:
    return {name: getattr(row, name) for name in CONFIG_FIELDS}


def work_calendar(version: BusinessCalendarVersion | None) -> WorkCalendar:
    """The pure calendar a version describes; None means around the clock (elapsed minutes)."""
    if version is None:
        return _AROUND_THE_CLOCK
    # A version row never changes, so its identity (with its creation instant, which a test
    # database that reuses ids after a flush does not repeat) keys the memo without re-reading
    # its JSON: queue pages ask for the same few calendars hundreds of times.
    key = (version.pk, version.created_at)
    found = _BY_VERSION.get(key)
    if found is not None:
        return found
    if len(_BY_VERSION) >= 1024:
        _BY_VERSION.clear()
    found = _BY_VERSION[key] = _work_calendar(version.pk, version.time_zone, _freeze(version.weekly_hours),
                          version.holiday_country, version.holiday_subdivision,
                          _freeze(version.closures))  # fmt: skip
    return found


_AROUND_THE_CLOCK = WorkCalendar.always_open("UTC")
_BY_VERSION: dict[tuple, WorkCalendar] = {}


@lru_cache(maxsize=256)
def _work_calendar(pk, time_zone, weekly_hours, country, subdivision, closures) -> WorkCalendar:
    # Versions never change, so memoising on their content (and id) is safe across requests.
    return WorkCalendar.from_config(
        time_zone=time_zone,
        weekly_hours={key: [list(pair) for pair in value] for key, value in weekly_hours},
        holiday_country=country,
        holiday_subdivision=subdivision,
        closures=[(datetime.fromisoformat(start), datetime.fromisoformat(end)) for start, end, _ in closures],
    )


def _freeze(value):
    if isinstance(value, dict):
        if {"start", "end"} <= value.keys():
            return (value["start"], value["end"], value.get("reason", ""))
        return tuple(sorted((str(key), _freeze(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    return value
