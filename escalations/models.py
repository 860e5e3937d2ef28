from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cases.models import Case
from escalations.choices import OPEN_ESCALATION_STATUSES, EscalationStatus, ReturnOutcome, Urgency
from people.models import BusinessCalendarVersion, Team


class ReasonCode(models.Model):
    """Why a case is escalated: a maintained taxonomy, reported on and routed by."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    default_urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "label"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_urgency__in=Urgency.values), name="escalations_reason_urgency_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class OlaTarget(models.Model):
    """How fast a receiving team promises to answer an escalation of a given urgency (its OLA)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="ola_targets")
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    # Business minutes of the team's calendar (elapsed minutes if the team has none).
    minutes = models.PositiveIntegerField()

    class Meta:
        ordering = ["team", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["team", "urgency"], name="escalations_ola_target_once"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="escalations_ola_target_positive"),
            models.CheckConstraint(condition=Q(urgency__in=Urgency.values), name="escalations_ola_urgency_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.urgency}: {self.minutes} min"


class EscalationQuerySet(models.QuerySet):
    def open(self) -> EscalationQuerySet:
        return self.filter(status__in=OPEN_ESCALATION_STATUSES)


class Escalation(models.Model):
    """One hop of a case from one team to another, and what the receiving team did with it.

    A hop is never rewritten into another: handing on closes this row as ``handed_on`` and
    opens a new one whose ``previous`` is this row, so the whole path (and any ping-pong
    between teams) stays readable. The receiving team's response clock (OLA) runs from
    ``requested_at`` to ``responded_at`` (accept, return or hand on) on the calendar version
    pinned when the request was made.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="escalations")
    from_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="outgoing_escalations")
    to_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="incoming_escalations")
    reason = models.ForeignKey(ReasonCode, on_delete=models.PROTECT, related_name="escalations")
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    # The customer's tier when the escalation was raised: part of its place in the queue, kept
    # here so sorting the queue reads no customer rows.
    customer_tier = models.CharField(max_length=16, blank=True)
    # The queue's sort key, kept on the row so the queue is read in index order instead of
    # joining and sorting every open escalation's case. The case's next SLA due time and
    # priority follow the case through a database trigger (migration 0004); the tier and
    # urgency ranks are fixed when the escalation is raised. Lower ranks are more urgent.
    case_sla_due_at = models.DateTimeField(null=True, blank=True)
    case_priority_rank = models.PositiveSmallIntegerField(default=2)
    tier_rank = models.PositiveSmallIntegerField(default=3)
    urgency_rank = models.PositiveSmallIntegerField(default=2)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=EscalationStatus.choices, default=EscalationStatus.REQUESTED)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_hops")
    hop = models.PositiveSmallIntegerField(default=1)
    # Null when the system raised it (an SLA breach).
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    # Who in the receiving team owns it once accepted (or was assigned it by a lead).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=ReturnOutcome.choices, blank=True)
    guidance = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    ola_calendar_version = models.ForeignKey(
        BusinessCalendarVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ola_target_minutes = models.PositiveIntegerField()
    ola_due_at = models.DateTimeField()
    ola_warn_at = models.DateTimeField(null=True, blank=True)
    ola_warned_at = models.DateTimeField(null=True, blank=True)
    ola_breached_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EscalationStatus.values), name="escalations_escalation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=Urgency.values), name="escalations_escalation_urgency_valid"
            ),
            models.CheckConstraint(condition=~Q(to_team=F("from_team")), name="escalations_escalation_other_team"),
            models.CheckConstraint(
                condition=~Q(status=EscalationStatus.RETURNED) | ~Q(outcome=""),
                name="escalations_escalation_return_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OPEN_ESCALATION_STATUSES) | Q(closed_at__isnull=False),
                name="escalations_escalation_closed_at_set",
            ),
            models.CheckConstraint(condition=Q(ola_target_minutes__gt=0), name="escalations_escalation_ola_positive"),
            # One open escalation per case per receiving team.
            models.UniqueConstraint(
                fields=["case", "to_team"],
                condition=Q(status__in=OPEN_ESCALATION_STATUSES),
                name="escalations_one_open_per_team",
            ),
        ]
        indexes = [
            # The escalation queue: a team's open escalations, oldest request first.
            models.Index(
                fields=["to_team", "requested_at"],
                name="escalations_open_queue_idx",
                condition=Q(status__in=OPEN_ESCALATION_STATUSES),
            ),
            # The escalation queue, most urgent first (escalations.selectors.escalation_queue_order).
            # Ascending puts escalations of cases without a running timer last on PostgreSQL
            # (SQLite cannot index NULLS LAST, so it is not spelled out).
            models.Index(
                fields=["case_sla_due_at", "case_priority_rank", "tier_rank", "urgency_rank", "requested_at", "id"],
                name="escalations_queue_order_idx",
                condition=Q(status__in=OPEN_ESCALATION_STATUSES),
            ),
            # A case page's escalations, in order.
            models.Index(fields=["case", "requested_at"], name="escalations_case_idx"),
            # The OLA sweep's warning pass: unanswered requests not yet warned.
            models.Index(
                fields=["ola_warn_at"],
                name="escalations_ola_warn_idx",
                condition=Q(status=EscalationStatus.REQUESTED, ola_warned_at__isnull=True, ola_warn_at__isnull=False),
            ),
            # The OLA sweep's breach pass: unanswered requests not yet breached.
            models.Index(
                fields=["ola_due_at"],
                name="escalations_ola_due_idx",
                condition=Q(status=EscalationStatus.REQUESTED, ola_breached_at__isnull=True),
            ),
            # Dashboards: hops requested in a window (the metrics app's escalation figures and
            # drivers, and the ends of a window its daily rollup does not cover).
            models.Index(fields=["requested_at"], name="escalations_requested_idx"),
            # Dashboards: unanswered hops past their OLA due time, counted when read.
            models.Index(
                fields=["ola_due_at"], name="escalations_unanswered_idx", condition=Q(responded_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.to_team_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ESCALATION_STATUSES
