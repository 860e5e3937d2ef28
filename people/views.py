"""Business-calendar and notification pages: parse, authorize, one service call, render or redirect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import holidays as holidays_package
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from people.business_time import WorkCalendar, is_open, next_open
from people.calendars import calendar_save
from people.forms import CalendarForm, ClosureFormSet, closure_initial, validation_problems
from people.models import BusinessCalendar, Notification
from people.notifications import notification_mark_read
from people.roles import can_configure_sla

HOLIDAYS_SHOWN = 10
NOTIFICATIONS_PAGE_SIZE = 25


def _require_configurer(user) -> None:
    if not can_configure_sla(user):
        raise PermissionDenied("Only leads and administrators configure business calendars.")


# --- calendars --------------------------------------------------------------------------------


@require_GET
def calendar_list(request):
    _require_configurer(request.user)
    calendars = BusinessCalendar.objects.prefetch_related("teams").order_by("name")
    return render(request, "people/calendar_list.html", {"calendars": calendars})


@dataclass
class CalendarPreview:
    """What a lead checks after saving: is the team open right now, and which days are off."""

    open_now: bool
    next_open_at: datetime | None
    local_now: datetime
    holidays: list[tuple[date, str]]
    problem: str = ""


def calendar_preview(calendar: BusinessCalendar, *, now: datetime) -> CalendarPreview:
    zone = ZoneInfo(calendar.time_zone)
    local_now = now.astimezone(zone)
    closures = [
        (datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"])) for item in calendar.closures or []
    ]
    try:
        cal = WorkCalendar.from_business_calendar(calendar, closures=closures)
        open_now = is_open(cal, now)
        upcoming = None if open_now else next_open(cal, now).astimezone(zone)
    except ValueError as exc:
        # Rows written before validation existed may not describe a usable calendar.
        return CalendarPreview(False, None, local_now, [], problem=str(exc))
    found: list[tuple[date, str]] = []
    if calendar.holiday_country:
        today = local_now.date()
        years = [today.year, today.year + 1]
        region = holidays_package.country_holidays(
            calendar.holiday_country, subdiv=calendar.holiday_subdivision or None, years=years
        )
        found = sorted((day, name) for day, name in region.items() if day >= today)[:HOLIDAYS_SHOWN]
    return CalendarPreview(open_now, upcoming, local_now, found)


def _calendar_form_page(request, calendar: BusinessCalendar | None):
    status = 200
    if request.method == "POST":
        form = CalendarForm(request.POST, calendar=calendar)
        closures = ClosureFormSet(request.POST, prefix="closures")
        if form.is_valid() and closures.is_valid():
            data = form.cleaned_data
            try:
                saved = calendar_save(
                    actor=request.user,
                    calendar=calendar,
                    name=data["name"],
                    time_zone=data["time_zone"],
                    weekly_hours=form.weekly_hours(),
                    holiday_country=data["holiday_country"],
                    holiday_subdivision=data["holiday_subdivision"],
                    closures=closures.closures(data["time_zone"]),
                )
            except ValidationError as exc:
                form.add_service_errors(validation_problems(exc), closures)
            else:
                messages.success(
                    request, f"Saved {saved.name} (version {saved.version}); timers that start from now use it."
                )
                return redirect("calendars:edit", pk=saved.pk)
        status = 400
    elif calendar is not None:
        form = CalendarForm(initial=CalendarForm.initial_for(calendar), calendar=calendar)
        closures = ClosureFormSet(initial=closure_initial(calendar), prefix="closures")
    else:
        initial = {"time_zone": request.user.time_zone or "UTC"}
        initial |= {f"hours_{day}": "09:00-17:00" for day in range(5)}
        form = CalendarForm(initial=initial)
        closures = ClosureFormSet(prefix="closures")
    context = {
        "form": form,
        "closures": closures,
        "calendar": calendar,
        "preview": calendar_preview(calendar, now=timezone.now()) if calendar is not None else None,
        "versions": calendar.versions.select_related("created_by").order_by("-number") if calendar else [],
    }
    return render(request, "people/calendar_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def calendar_new(request):
    _require_configurer(request.user)
    return _calendar_form_page(request, None)


@require_http_methods(["GET", "POST"])
def calendar_edit(request, pk: int):
    _require_configurer(request.user)
    calendar = BusinessCalendar.objects.filter(pk=pk).first()
    if calendar is None:
        raise Http404("No such calendar.")
    return _calendar_form_page(request, calendar)


# --- notifications ----------------------------------------------------------------------------


def _safe_link(url: str) -> str:
    # Notifications link inside the site only; anything else is shown without a link.
    return url if url.startswith("/") and not url.startswith("//") else ""


@require_GET
def notification_list(request):
    rows = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-id")
    page = Paginator(rows, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page:
        item.safe_url = _safe_link(item.url)
    return render(request, "people/notification_list.html", {"page": page})


@require_POST
def notification_read(request, pk: int):
    changed = notification_mark_read(request.user, ids=[pk])
    if not changed and not Notification.objects.filter(pk=pk, recipient=request.user).exists():
        raise Http404("No such notification.")
    return redirect(_back(request))


@require_POST
def notification_read_all(request):
    changed = notification_mark_read(request.user)
    messages.success(request, f"Marked {changed} notification{'s' if changed != 1 else ''} as read.")
    return redirect(_back(request))


def _back(request) -> str:
    page = request.POST.get("page", "")
    url = reverse("notifications:list")
    return f"{url}?page={int(page)}" if page.isdigit() else url
