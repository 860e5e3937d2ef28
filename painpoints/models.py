"""Case identifiers, pain points (problem records), their links, timeline, and bulk jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cases.models import Case, CaseEvent
from knowledge.models import DocumentVersion
from painpoints.choices import (
    Chain,
    DeliveryStatus,
    EventKind,
    IdentifierKind,
    IdentifierSource,
    JobKind,
    JobStatus,
    LinkSource,
    PainPointStatus,
)
from people.models import Team


class CaseIdentifier(models.Model):
    """Something a case mentions that other cases may share: a wallet, a transaction hash, a
    bank account, a card BIN, a device, a phone number, an e-mail or website domain.

    ``value`` is normalised (see painpoints.extraction) so the same thing written two ways is
    one key; ``display`` is what was written. ``verified`` is false when the format or its
    checksum did not hold: the value is kept as written, never corrected.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="identifiers")
    kind = models.CharField(max_length=16, choices=IdentifierKind.choices)
    chain = models.CharField(max_length=8, choices=Chain.choices, blank=True)
    value = models.CharField(max_length=200)
    display = models.CharField(max_length=200)
    verified = models.BooleanField(default=False)
    note = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=8, choices=IdentifierSource.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "value"], name="painpoints_identifier_once_per_case"),
            models.CheckConstraint(condition=Q(kind__in=IdentifierKind.values), name="painpoints_identifier_kind"),
            models.CheckConstraint(condition=~Q(value=""), name="painpoints_identifier_value_set"),
        ]
        indexes = [
            # "Other cases sharing this identifier" and each step of the cluster walk: exact
            # match on (kind, value), newest case first from the same index entries.
            models.Index(fields=["kind", "value", "case"], name="painpoints_identifier_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.display}"


class PainPoint(models.Model):
    """A problem record: one operational fault or scam wave behind many cases, owned by a team
    until its fix is verified. ``version`` rises on every change (optimistic locking)."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="pain_points")
    status = models.CharField(max_length=16, choices=PainPointStatus.choices, default=PainPointStatus.INVESTIGATING)
    target_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    fixed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PainPointStatus.values), name="painpoints_status_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=[PainPointStatus.FIXED, PainPointStatus.VERIFIED]) | Q(fixed_at__isnull=False),
                name="painpoints_fixed_at_set",
            ),
        ]
        indexes = [
            # An owner team's pain points (specialists' list), newest first.
            models.Index(fields=["owner_team", "-created_at"], name="painpoints_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class PainPointLink(models.Model):
    """A case counted against a pain point. ``amount_at_stake`` is the customer's loss or
    blocked amount in USD where known."""

    pain_point = models.ForeignKey(PainPoint, on_delete=models.PROTECT, related_name="links")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="pain_point_links")
    source = models.CharField(max_length=8, choices=LinkSource.choices)
    amount_at_stake = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["-linked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["pain_point", "case"], name="painpoints_link_once"),
            models.CheckConstraint(
                condition=Q(amount_at_stake__isnull=True) | Q(amount_at_stake__gte=0), name="painpoints_link_amount"
            ),
        ]
        indexes = [
            # The dashboard's growth this week: links per pain point by time.
            models.Index(fields=["pain_point", "linked_at"], name="painpoints_link_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pain_point_id} <- {self.case_id}"


class PainPointEvent(models.Model):
    """One entry of a pain point's own timeline. Append-only."""

    pain_point = models.ForeignKey(PainPoint, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["pain_point", "created_at", "id"], name="painpoints_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.pain_point_id} {self.kind}"


class BulkJob(models.Model):
    """A bulk link or a one-answer-to-many send, worked by a Celery task; its counters are the
    progress the lead watches. A send names the approved reply version it sends, once per pain
    point: a second send of the same answer is refused by the database."""

    pain_point = models.ForeignKey(PainPoint, on_delete=models.PROTECT, related_name="jobs")
    kind = models.CharField(max_length=8, choices=JobKind.choices)
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    macro_version = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=8, choices=LinkSource.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pain_point", "macro_version"],
                condition=Q(kind=JobKind.SEND),
                name="painpoints_job_one_send_per_answer",
            ),
            models.CheckConstraint(
                condition=~Q(kind=JobKind.SEND) | Q(macro_version__isnull=False), name="painpoints_job_send_has_text"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pain_point_id} ({self.done}/{self.total})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * (self.done + self.skipped) / self.total)


class JobItem(models.Model):
    """One case of a bulk job. Unique per job and case, and moved from pending exactly once in
    the same transaction as its effect (the link or the reply), so a retried task never links
    or sends twice."""

    job = models.ForeignKey(BulkJob, on_delete=models.PROTECT, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    reply = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "case"], name="painpoints_item_once_per_case"),
        ]
        indexes = [
            # The task's next chunk: a job's pending items in id order.
            models.Index(fields=["job", "id"], name="painpoints_item_pending_idx", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} {self.case_id} {self.status}"
