"""Forms for business calendars: people type hours as text, the calendar service judges them."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from people.business_time import WEEKDAY_NAMES
from people.models import BusinessCalendar

HOURS_FIELDS = tuple(f"hours_{day}" for day in range(7))
_INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})\s*$")
_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


def hours_text(intervals: list) -> str:
    """Stored ``[["09:00", "12:00"], ...]`` as the text people type: ``09:00-12:00, 13:00-17:00``."""
    return ", ".join(f"{start}-{end}" for start, end in intervals)


def _hh_mm(text: str) -> str:
    # "9:00" reads as 09:00; the calendar validator judges whether the time exists.
    hours, minutes = text.split(":")
    return f"{int(hours):02d}:{minutes}"


class CalendarForm(forms.Form):
    name = forms.CharField(max_length=100)
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC")
    holiday_country = forms.CharField(
        max_length=2,
        required=False,
        label="Holiday country",
        help_text="ISO code such as US, AU, PH; empty for no public holidays.",
        widget=forms.TextInput(attrs={"size": 4, "autocomplete": "off"}),
    )
    holiday_subdivision = forms.CharField(
        max_length=8,
        required=False,
        label="Subdivision",
        help_text="Optional state or region, e.g. NSW or CA.",
        widget=forms.TextInput(attrs={"size": 6, "autocomplete": "off"}),
    )

    def __init__(self, *args, calendar: BusinessCalendar | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        for day, field in enumerate(HOURS_FIELDS):
            self.fields[field] = forms.CharField(
                label=WEEKDAY_NAMES[day],
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"placeholder": "closed", "size": 30}),
            )

    @classmethod
    def initial_for(cls, calendar: BusinessCalendar) -> dict[str, Any]:
        initial = {
            "name": calendar.name,
            "time_zone": calendar.time_zone,
            "holiday_country": calendar.holiday_country,
            "holiday_subdivision": calendar.holiday_subdivision,
        }
        for day, field in enumerate(HOURS_FIELDS):
            initial[field] = hours_text(calendar.weekly_hours.get(str(day), []))
        return initial

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = BusinessCalendar.objects.filter(name__iexact=name)
        if self.calendar is not None:
            others = others.exclude(pk=self.calendar.pk)
        if others.exists():
            raise ValidationError(f"A calendar called {name!r} exists already.")
        return name

    def hours_fields(self):
        return [self[field] for field in HOURS_FIELDS]

    def _clean_hours(self, text: str) -> list[list[str]]:
        intervals = []
        for part in filter(None, (piece.strip() for piece in text.split(","))):
            match = _INTERVAL.match(part)
            if match is None:
                raise ValidationError(
                    f"{part!r} is not a time range; write hours like 09:00-12:00, 13:00-17:00 "
                    "(22:00-24:00 for a window that runs to midnight)."
                )
            intervals.append([_hh_mm(match[1]), _hh_mm(match[2])])
        return intervals

    def clean(self):
        data = super().clean()
        for field in HOURS_FIELDS:
            if field in data:
                try:
                    data[field] = self._clean_hours(data[field])
                except ValidationError as exc:
                    self.add_error(field, exc)
        data["holiday_country"] = data.get("holiday_country", "").strip().upper()
        data["holiday_subdivision"] = data.get("holiday_subdivision", "").strip()
        return data

    def weekly_hours(self) -> dict[str, list[list[str]]]:
        return {str(day): self.cleaned_data[field] for day, field in enumerate(HOURS_FIELDS)}

    def add_service_errors(self, problems: dict[str, list[str]], closures: ClosureFormSet) -> None:
        """Put the calendar service's problems next to what caused them.

        Weekly-hours messages name their weekday ("Monday: 11:00–13:00 overlaps 09:00–12:00"),
        closure messages their position ("Closure 2: ..."), so each lands on its own field.
        """
        for key, messages in problems.items():
            for message in messages:
                if key == "weekly_hours":
                    self.add_error(self._weekday_field(message), message)
                elif key == "closures":
                    closures.add_closure_error(message)
                elif key == "holiday_country" and "subdivision" in message:
                    # The region is checked as one; a bad subdivision belongs on its own field.
                    self.add_error("holiday_subdivision", message)
                elif key in self.fields:
                    self.add_error(key, message)
                else:
                    self.add_error(None, message)

    @staticmethod
    def _weekday_field(message: str) -> str | None:
        for day, name in enumerate(WEEKDAY_NAMES):
            if message.startswith(f"{name} ") or message.startswith(f"{name}:"):
                return HOURS_FIELDS[day]
        return None


class ClosureForm(forms.Form):
    start = forms.CharField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    end = forms.CharField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    reason = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs={"size": 30}))

    def _local(self, field: str) -> datetime | None:
        text = (self.cleaned_data.get(field) or "").strip()
        if not text:
            return None
        for fmt in _LOCAL_FORMATS:
            try:
                # Naive on purpose: the wall-clock time means the calendar's own zone.
                return datetime.strptime(text, fmt)  # noqa: DTZ007
            except ValueError:
                continue
        self.add_error(field, "Enter a date and time, e.g. 2026-12-24 13:00.")
        return None

    def clean(self):
        data = super().clean()
        data["start_local"] = self._local("start")
        data["end_local"] = self._local("end")
        filled = [bool(data.get("start")), bool(data.get("end")), bool((data.get("reason") or "").strip())]
        if any(filled) and not all(filled):
            self.add_error(None, "A closure needs a start, an end and a reason.")
        return data

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("start") or data.get("end") or (data.get("reason") or "").strip())


class BaseClosureFormSet(forms.BaseFormSet):
    def closures(self, time_zone: str) -> list[dict[str, str]]:
        """Rows kept (not removed, not blank) as the service's ISO 8601 closures in ``time_zone``.

        Remembers which form each closure came from, so the service's "Closure 2" problem is
        shown on the second closure the user kept, not the second row on screen.
        """
        zone = zoneinfo.ZoneInfo(time_zone) if time_zone in zoneinfo.available_timezones() else zoneinfo.ZoneInfo("UTC")
        self._kept = []
        found = []
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.is_blank:
                continue
            data = form.cleaned_data
            self._kept.append(form)
            found.append(
                {
                    "start": data["start_local"].replace(tzinfo=zone).isoformat(),
                    "end": data["end_local"].replace(tzinfo=zone).isoformat(),
                    "reason": data["reason"].strip(),
                }
            )
        return found

    def add_closure_error(self, message: str) -> None:
        match = re.match(r"^Closure (\d+):\s*(.*)$", message)
        kept = getattr(self, "_kept", [])
        if match and 1 <= int(match[1]) <= len(kept):
            kept[int(match[1]) - 1].add_error(None, match[2])
        else:
            self.non_form_errors().append(message)


ClosureFormSet = forms.formset_factory(ClosureForm, formset=BaseClosureFormSet, extra=1, can_delete=True)


def closure_initial(calendar: BusinessCalendar) -> list[dict[str, str]]:
    """Stored closures as the wall-clock times of the calendar's zone, for editing."""
    zone = zoneinfo.ZoneInfo(calendar.time_zone)
    rows = []
    for item in calendar.closures or []:
        try:
            start = datetime.fromisoformat(item["start"]).astimezone(zone)
            end = datetime.fromisoformat(item["end"]).astimezone(zone)
        except (KeyError, TypeError, ValueError):
            continue
        rows.append(
            {"start": f"{start:%Y-%m-%dT%H:%M}", "end": f"{end:%Y-%m-%dT%H:%M}", "reason": item.get("reason", "")}
        )
    return rows


def add_problems(form, problems: dict[str, list[str]], *, field_prefix: str = "", fallback: str = "") -> None:
    """Put a service's problems ({key: [messages]}) on a form: each on the field its key names
    (``field_prefix`` + key) when the form has one, otherwise on the form itself. ``fallback``
    is the form-level message when the service named no problem."""
    for key, messages in problems.items():
        field = f"{field_prefix}{key}"
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
    if not problems and fallback:
        form.add_error(None, fallback)


class ServiceErrorsForm(forms.Form):
    """A form whose service reports problems by field (see :func:`add_problems`)."""

    problem_field_prefix = ""

    def add_service_errors(self, problems: dict[str, list[str]], *, fallback: str = "") -> None:
        add_problems(self, problems, field_prefix=self.problem_field_prefix, fallback=fallback)


def validation_problems(exc: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as {field: [messages]} (a bare message becomes non-field)."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {NON_FIELD_ERRORS: exc.messages}
