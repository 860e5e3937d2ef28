from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from people.choices import Role, TeamKind, Weekday


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone.")


class User(AbstractUser):
    """A person who signs in. Their role decides what they may do; teams decide which cases."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Languages the person can work in, ISO 639-1 codes separated by commas ("en,tl").
    languages = models.CharField(max_length=64, default="en", blank=True)
    # Routing: how many open cases the person may own at once (a lead sets it per person).
    max_open_cases = models.PositiveSmallIntegerField(default=8)
    # Skill codes that make the person eligible for routing rules that require them (e.g. "scam").
    # Stands in for SOP training records until the knowledge app keeps those.
    skills = models.JSONField(default=list, blank=True)
    # When routing (or "get next case") last gave them a case: ties go to whoever waited longest.
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="people_user_role_valid"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class BusinessCalendar(models.Model):
    """Where and when a team works: the clock that business-time SLAs are measured on.

    ``weekly_hours`` maps a weekday number (0 = Monday) to a list of ``["HH:MM", "HH:MM"]``
    opening intervals in the calendar's own time zone; public holidays come from the
    ``holidays`` package for ``holiday_country`` / ``holiday_subdivision``.
    """

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    holiday_country = models.CharField(max_length=2, blank=True)
    holiday_subdivision = models.CharField(max_length=8, blank=True)
    weekly_hours = models.JSONField(default=dict)
    # One-off closures (office move, outage): [{"start": ISO 8601, "end": ISO 8601, "reason": str}].
    closures = models.JSONField(default=list, blank=True)
    # The number of the latest BusinessCalendarVersion; every edit writes a new one.
    version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class BusinessCalendarVersion(models.Model):
    """A calendar exactly as it was from one edit to the next; never changed once written.

    SLA timers pin the version they started on, so editing opening hours or adding a closure
    moves no deadline already promised, and an auditor can recompute any timer as it ran.
    """

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    holiday_country = models.CharField(max_length=2, blank=True)
    holiday_subdivision = models.CharField(max_length=8, blank=True)
    weekly_hours = models.JSONField(default=dict)
    closures = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["calendar", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "number"], name="people_calendar_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="people_calendar_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.calendar_id} v{self.number}"


class Team(models.Model):
    """A queue of people who own cases together (e.g. "Manila L1", "Fraud & scam")."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    kind = models.CharField(max_length=16, choices=TeamKind.choices)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="teams"
    )
    members = models.ManyToManyField(User, through="Membership", related_name="teams")
    # Off: routing picks the team but assigns nobody; members pull cases with "Get next case".
    auto_assign = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TeamKind.values), name="people_team_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person belongs to a team; leads often belong to several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="people_membership_once_per_team"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class Shift(models.Model):
    """A weekly working window, in the person's own time zone (may run past midnight)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ["user", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="people_shift_weekday_valid"),
            models.CheckConstraint(condition=~Q(starts_at=models.F("ends_at")), name="people_shift_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_weekday_display()} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class Notification(models.Model):
    """Something a person should look at: an SLA warning or breach, an escalation, a sign-off.

    In-app first (the bell and its unread count); ``emailed_at`` is set by the task that sends
    the e-mail copy, which claims the row first so a retried task never sends twice.
    """

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # Where the notification leads, e.g. the case page; relative to the site.
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell: a person's unread notifications, newest first.
            models.Index(
                F("recipient"),
                F("created_at").desc(),
                name="people_notif_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
            # The notification list: everything of a person, newest first.
            models.Index(F("recipient"), F("created_at").desc(), name="people_notif_recipient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.title}"
