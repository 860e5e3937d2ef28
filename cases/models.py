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
    SlaMetric,
    SlaState,
    Status,
    Tier,
)
from cases.masking import PiiField
from people.models import BusinessCalendar, BusinessCalendarVersion, Team


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
    # The earliest due time of the case's running, unpaused SLA timers (breached ones included),
    # kept by cases.sla in the same transaction as the timers: the queue's "breaching soonest".
    sla_due_at = models.DateTimeField(null=True, blank=True)

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
            # Open cases newest first across teams: a lead of several teams (PostgreSQL cannot
            # merge the per-team index for team IN (...)) and org-wide readers; 0.4 ms instead
            # of sorting every open case of those teams (~20 ms at 10,000 open).
            models.Index(
                F("received_at").desc(),
                F("id").desc(),
                name="cases_case_open_received_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # "Breaching soonest" across teams (same reason as above): open cases by next SLA due
            # time, untimed last (ascending puts NULLs last on PostgreSQL), newest first among ties.
            models.Index(
                F("sla_due_at"),
                F("received_at").desc(),
                name="cases_case_open_sla_due_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # The queue filtered by priority (a lead's "urgent" view), newest first: walks only the
            # open cases of that priority instead of every open case, and counts them for the
            # pager from the index alone (the team is carried in it). At 1,000,000 cases the count
            # took 146 ms, reading ~100,000 open rows; through this index 6 ms.
            models.Index(
                F("priority"),
                F("received_at").desc(),
                name="cases_case_open_priority_idx",
                include=["team"],
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # "My cases": an assignee's open cases, newest first.
            models.Index(
                F("assignee"),
                F("received_at").desc(),
                name="cases_case_assignee_open_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # The queue over every status (a search's or "resolved last week"'s unfiltered view)
            # for several teams or the whole desk, newest first: PostgreSQL cannot merge the
            # per-team index below for team IN (...), and sorted all 915,000 of a lead's cases for
            # a page of 50 at 1,000,000 cases (1.2 s); walking this one stops after the page.
            models.Index(F("received_at").desc(), F("id").desc(), name="cases_case_received_idx"),
            # Queue with any status filter (e.g. resolved last week) for a team.
            models.Index(F("team"), F("received_at").desc(), name="cases_case_team_received_idx"),
            # Customer page: all of a customer's cases, newest first.
            models.Index(F("customer"), F("received_at").desc(), name="cases_case_customer_idx"),
            # "Breaching soonest": a team's open cases by their next SLA due time (ascending
            # puts cases with no running timer last on PostgreSQL without saying NULLS LAST,
            # which SQLite cannot index).
            models.Index(
                F("team"),
                F("sla_due_at"),
                name="cases_case_team_sla_due_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
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


# --- Service SLA ------------------------------------------------------------------------------


class SlaPolicy(models.Model):
    """A named promise, e.g. "Urgent, any channel": the first active policy matching a case applies.

    The policy row holds only identity and order; what it promises lives in its versions, so a
    timer that started under version 3 keeps version 3's targets after someone edits the policy.
    """

    name = models.CharField(max_length=100, unique=True)
    # Lower first: the first matching policy in this order applies to a new case.
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    current_version = models.ForeignKey(
        "SlaPolicyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class SlaPolicyVersion(models.Model):
    """What a policy matched and promised from one edit to the next; never changed once written.

    ``conditions`` maps a case attribute to the values it must have; a missing or empty list
    means "any": ``{"priority": ["urgent"], "channel": ["chat", "phone"], "category": [codes],
    "tier": [...], "jurisdiction": [...], "team": [slugs]}``. Targets are business minutes of
    ``calendar`` (its version at the time a timer starts), or elapsed minutes when ``calendar``
    is empty. A null target means the policy does not measure that metric.
    """

    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    conditions = models.JSONField(default=dict, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="sla_policy_versions"
    )
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    # Warn when this share of the target has passed (e.g. 80), or this many minutes before the
    # due time, whichever comes first; both empty means no warning.
    warn_percent = models.PositiveSmallIntegerField(null=True, blank=True, default=80)
    warn_minutes_before = models.PositiveIntegerField(null=True, blank=True)
    # What a breach does besides notifying and recording it on the timeline.
    breach_raise_priority = models.BooleanField(default=False)
    breach_escalate = models.BooleanField(default=False)
    change_note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="cases_sla_version_unique"),
            models.CheckConstraint(
                condition=Q(first_response_minutes__isnull=True) | Q(first_response_minutes__gt=0),
                name="cases_sla_first_response_positive",
            ),
            models.CheckConstraint(
                condition=Q(next_response_minutes__isnull=True) | Q(next_response_minutes__gt=0),
                name="cases_sla_next_response_positive",
            ),
            models.CheckConstraint(
                condition=Q(resolution_minutes__isnull=True) | Q(resolution_minutes__gt=0),
                name="cases_sla_resolution_positive",
            ),
            models.CheckConstraint(
                condition=Q(warn_percent__isnull=True) | Q(warn_percent__gt=0, warn_percent__lt=100),
                name="cases_sla_warn_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} v{self.number}"

    def target_minutes(self, metric: str) -> int | None:
        return getattr(self, f"{metric}_minutes")


class SlaTimerQuerySet(models.QuerySet):
    def running(self) -> SlaTimerQuerySet:
        return self.filter(met_at__isnull=True, stopped_at__isnull=True)


class SlaTimer(models.Model):
    """One promise being timed on one case: first response, next response or resolution.

    ``due_at`` already includes every finished pause (pushed out by the business time spent
    paused); while ``paused_at`` is set the timer is stopped and the sweep ignores it. The
    policy version and calendar version are pinned so the result can be recomputed later.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sla_timers")
    metric = models.CharField(max_length=20, choices=SlaMetric.choices)
    policy_version = models.ForeignKey(SlaPolicyVersion, on_delete=models.PROTECT, related_name="timers")
    # Null: the target counts elapsed minutes, around the clock.
    calendar_version = models.ForeignKey(
        BusinessCalendarVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_minutes = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # Business minutes of every finished pause (the stop-the-clock figure).
    paused_minutes = models.PositiveIntegerField(default=0)
    met_at = models.DateTimeField(null=True, blank=True)
    # Stopped without being met or breached, e.g. a next-response timer when the case closes.
    stopped_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    objects = SlaTimerQuerySet.as_manager()

    class Meta:
        ordering = ["case", "started_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(metric__in=SlaMetric.values), name="cases_sla_timer_metric_valid"),
            models.CheckConstraint(condition=Q(due_at__gte=F("started_at")), name="cases_sla_timer_due_after_start"),
            models.CheckConstraint(condition=Q(target_minutes__gt=0), name="cases_sla_timer_target_positive"),
            # At most one running timer per metric per case.
            models.UniqueConstraint(
                fields=["case", "metric"],
                condition=Q(met_at__isnull=True, stopped_at__isnull=True),
                name="cases_sla_timer_one_running",
            ),
        ]
        indexes = [
            # The sweep's warning pass: running, unpaused, not yet warned, by warning time.
            models.Index(
                fields=["warn_at"],
                name="cases_sla_warn_sweep_idx",
                condition=Q(
                    warned_at__isnull=True,
                    breached_at__isnull=True,
                    met_at__isnull=True,
                    stopped_at__isnull=True,
                    paused_at__isnull=True,
                    warn_at__isnull=False,
                ),
            ),
            # The sweep's breach pass: running, unpaused, not yet breached, by due time.
            models.Index(
                fields=["due_at"],
                name="cases_sla_breach_sweep_idx",
                condition=Q(
                    breached_at__isnull=True, met_at__isnull=True, stopped_at__isnull=True, paused_at__isnull=True
                ),
            ),
            # A case's running timers (case page, queue rows, service hooks).
            models.Index(
                fields=["case"],
                name="cases_sla_running_idx",
                condition=Q(met_at__isnull=True, stopped_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.metric} due {self.due_at:%Y-%m-%d %H:%M}"

    def state(self, now) -> str:
        if self.met_at is not None:
            return SlaState.BREACHED if self.breached_at or self.met_at > self.due_at else SlaState.MET
        if self.stopped_at is not None:
            return SlaState.STOPPED
        if self.paused_at is not None:
            return SlaState.PAUSED
        if self.breached_at is not None or now >= self.due_at:
            return SlaState.BREACHED
        if self.warned_at is not None or (self.warn_at is not None and now >= self.warn_at):
            return SlaState.WARNING
        return SlaState.OK


class SlaPause(models.Model):
    """A stretch during which a timer stood still, and why (the stop-the-clock record)."""

    timer = models.ForeignKey(SlaTimer, on_delete=models.PROTECT, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200)
    # Business minutes of the timer's calendar inside [started_at, ended_at), set when it ends.
    business_minutes = models.PositiveIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["timer", "started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="cases_sla_pause_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["timer"], condition=Q(ended_at__isnull=True), name="cases_sla_pause_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.timer_id} paused {self.started_at:%Y-%m-%d %H:%M}"


# --- Routing ----------------------------------------------------------------------------------


class RoutingTrigger(models.TextChoices):
    """What made routing look at a case."""

    NEW = "new", "New case"
    REOPENED = "reopened", "Reopened"
    ESCALATED = "escalated", "Escalated"
    UNASSIGNED = "unassigned", "Unassigned"
    CATCH_UP = "catch_up", "Catch-up sweep"
    PULL = "pull", "Get next case"


class RoutingOutcome(models.TextChoices):
    """What one routing decision did with the case."""

    ASSIGNED = "assigned", "Assigned"
    # The team takes no automatic assignments: its members pull cases themselves.
    QUEUE_PULL = "queue_pull", "Left for the team to pull"
    # Nobody eligible right now; the catch-up sweep tries again later.
    NO_CANDIDATE = "no_candidate", "Nobody eligible"
    CLAIMED = "claimed", "Claimed"


class RoutingRule(models.Model):
    """Where cases of a kind go: the first active rule (by ``position``) matching a case picks its team.

    ``conditions`` maps a case attribute to the values it must have; a missing or empty list
    means "any": ``{"category": [codes], "jurisdiction": ["US-CA", "AU"], "language": ["es"],
    "tier": ["vip"], "flag_kinds": ["scam"]}``. A jurisdiction may be a country ("US", "AU").
    ``required_skills`` are skill codes every assignee must have (e.g. trained on the scam SOP).
    """

    name = models.CharField(max_length=100, unique=True)
    # Lower first: the first matching active rule in this order decides.
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    conditions = models.JSONField(default=dict, blank=True)
    target_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="routing_rules")
    required_skills = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class RoutingDecision(models.Model):
    """Why a case went where it went, as routing saw it at that moment. Append-only.

    ``candidates`` is every team member routing considered, with what made each one eligible
    or not: ``[{"user_id", "name", "eligible", "chosen", "reasons": ["off shift", "at capacity
    8/8", "missing skill: scam"], "load", "capacity"}]``, the chosen one first. ``rule_name``
    keeps the rule's name as it was, whatever later happens to the rule.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="routing_decisions")
    created_at = models.DateTimeField()
    trigger = models.CharField(max_length=16, choices=RoutingTrigger.choices)
    rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions")
    rule_name = models.CharField(max_length=100, blank=True)
    # Set when the rule moved the case here from another team.
    from_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="routing_decisions")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="routing_decisions"
    )
    outcome = models.CharField(max_length=16, choices=RoutingOutcome.choices)
    # The decision in one sentence, as a lead reads it on the case page.
    summary = models.CharField(max_length=300)
    candidates = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger__in=RoutingTrigger.values), name="cases_routing_decision_trigger_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=RoutingOutcome.values), name="cases_routing_decision_outcome_valid"
            ),
            # Someone is named exactly when the case was given to someone.
            models.CheckConstraint(
                condition=Q(outcome__in=[RoutingOutcome.ASSIGNED, RoutingOutcome.CLAIMED], assignee__isnull=False)
                | (~Q(outcome__in=[RoutingOutcome.ASSIGNED, RoutingOutcome.CLAIMED]) & Q(assignee__isnull=True)),
                name="cases_routing_decision_assignee_iff_assigned",
            ),
        ]
        indexes = [
            # The case page's latest decision, and the catch-up sweep's "decided recently?" check.
            models.Index(F("case"), F("created_at").desc(), name="cases_routing_case_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.outcome} {self.created_at:%Y-%m-%d %H:%M}"


# --- PII reveals and ID documents -------------------------------------------------------------


class PiiReveal(models.Model):
    """Someone asked to see one of a customer's PII fields in full, said why, and saw it until
    ``expires_at``. Append-only (a trigger on PostgreSQL): the row is the record leads review,
    and its audit event was written in the same transaction."""

    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="pii_reveals")
    # The case page the reveal was made from, if any (a customer page has none).
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=32, choices=PiiField.choices)
    reason = models.TextField()
    revealed_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(field__in=PiiField.values), name="cases_piireveal_field_valid"),
            models.CheckConstraint(condition=~Q(reason=""), name="cases_piireveal_reason_given"),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("revealed_at")), name="cases_piireveal_expires_after_reveal"
            ),
        ]
        indexes = [
            # "What may this viewer see of these customers now?" (every page showing PII).
            models.Index(fields=["viewer", "customer", "expires_at"], name="cases_piireveal_active_idx"),
            # The leads' list of reveals, newest first.
            models.Index(F("revealed_at").desc(), F("id").desc(), name="cases_piireveal_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.viewer_id} revealed {self.field} of {self.customer_id} at {self.revealed_at:%Y-%m-%d %H:%M}"


class AttachmentKind(models.TextChoices):
    ID_DOCUMENT = "id_document", "ID document"


class Attachment(models.Model):
    """A file a case worker added to a case (an ID document for verification), stored outside
    the web root under ``storage_name`` and served only through the access-checked download
    view. ``sha256`` is the hash of the bytes as received. Append-only: a wrong upload is
    superseded by a new one, never edited or removed."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(max_length=20, choices=AttachmentKind.choices, default=AttachmentKind.ID_DOCUMENT)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    # The name as the uploader's computer called it, cleaned of any path; shown and offered on download.
    filename = models.CharField(max_length=200)
    # Detected from the bytes, never taken from the browser.
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Relative to the private document storage (settings.STORAGES["documents"]).
    storage_name = models.CharField(max_length=200, unique=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="cases_attachment_not_empty"),
            models.CheckConstraint(condition=Q(kind__in=AttachmentKind.values), name="cases_attachment_kind_valid"),
        ]
        indexes = [
            # The case page's documents panel, oldest first.
            models.Index(fields=["case", "uploaded_at", "id"], name="cases_attachment_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.case_id})"
