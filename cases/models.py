from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cases.choices import (
    JURISDICTIONS,
    OPEN_STATUSES,
    Channel,
    EventKind,
    Priority,
    Status,
    Tier,
)
from people.models import Team


class Category(models.Model):
    """What the customer's problem is about, in the exchange's own taxonomy."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True)
    # Cases in these categories may carry regulatory obligations (Reg E, complaints, scams).
    regulatory_sensitive = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """An exchange account holder. PII lives here and nowhere else."""

    account_number = models.CharField(max_length=20, unique=True)
    full_name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=32, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    government_id_last4 = models.CharField(max_length=4, blank=True)
    # ISO 3166-2: "US-CA", "AU-VIC". Decides which regulatory rules and calendars apply.
    jurisdiction = models.CharField(max_length=6, choices=JURISDICTIONS)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    language = models.CharField(max_length=8, default="en")
    # Set by an agent or from the date of birth (65+): elder-exploitation rules apply.
    is_older_adult = models.BooleanField(default=False)
    account_opened_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="cases_customer_tier_valid"),
            models.CheckConstraint(
                condition=Q(jurisdiction__startswith="US-") | Q(jurisdiction__startswith="AU-"),
                name="cases_customer_jurisdiction_us_or_au",
            ),
        ]
        indexes = [
            # Queue text search by e-mail ("which cases does jane@ have?").
            models.Index(fields=["email"], name="cases_customer_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.account_number})"

    @property
    def country(self) -> str:
        return self.jurisdiction[:2]


class CaseQuerySet(models.QuerySet):
    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def visible_to(self, user) -> CaseQuerySet:
        # One rule for every page, API, export and task: see cases.access.
        from cases.access import restrict_cases_to

        return restrict_cases_to(self, user)


class Case(models.Model):
    """One customer problem the support organisation owns until it is closed.

    ``received_at`` is when the customer first contacted us; it is the start of every clock
    and is never reset, whatever happens to the case later. ``version`` rises on every change
    so two people editing at once cannot overwrite each other (optimistic locking).
    """

    reference = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cases")
    subject = models.CharField(max_length=200)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cases")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_cases"
    )
    language = models.CharField(max_length=8, default="en")
    received_at = models.DateTimeField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    objects = CaseQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="cases_case_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="cases_case_priority_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="cases_case_channel_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=[Status.RESOLVED, Status.CLOSED]) | Q(resolved_at__isnull=False),
                name="cases_case_resolved_at_set",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED) | Q(closed_at__isnull=False), name="cases_case_closed_at_set"
            ),
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True) | Q(first_response_at__gte=F("received_at")),
                name="cases_case_first_response_after_receipt",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="cases_case_version_positive"),
        ]
        indexes = [
            # The team queue's default view: open cases of a team, newest first (partial,
            # in the order it is read, so LIMIT 50 stops after 50 index entries).
            models.Index(
                F("team"),
                F("received_at").desc(),
                name="cases_case_team_open_queue_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # "My cases": an assignee's open cases, newest first.
            models.Index(
                F("assignee"),
                F("received_at").desc(),
                name="cases_case_assignee_open_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # Queue with any status filter (e.g. resolved last week) for a team.
            models.Index(F("team"), F("received_at").desc(), name="cases_case_team_received_idx"),
            # Customer page: all of a customer's cases, newest first.
            models.Index(F("customer"), F("received_at").desc(), name="cases_case_customer_idx"),
            # Reopen-window sweep: resolved cases by resolution time (few rows).
            models.Index(
                fields=["resolved_at"], name="cases_case_resolved_sweep_idx", condition=Q(status=Status.RESOLVED)
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseEvent(models.Model):
    """One entry of a case's timeline. Append-only: nothing ever edits or deletes a row."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    # Null for the customer and for the system (sweeps, intake).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(blank=True)
    # Structured facts of the change, e.g. {"from": "open", "to": "resolved"}.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="cases_caseevent_kind_valid"),
        ]
        indexes = [
            # The case page's timeline, oldest first.
            models.Index(fields=["case", "created_at", "id"], name="cases_event_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_internal(self) -> bool:
        return self.kind != EventKind.REPLY and self.kind != EventKind.CUSTOMER_MESSAGE


class CaseReferenceCounter(models.Model):
    """The last case number issued in a year; references read ``CS-<year>-<number>``."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"
