from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cases.choices import OPEN_STATUSES, Channel, Tier
from cases.models import Case, Category, Customer
from metrics.choices import FactSla, SurveyStatus
from people.models import Team


class CaseFact(models.Model):
    """One case as the dashboards count it: a narrow, denormalised copy kept by Celery.

    The dashboard aggregates over a year of cases; reading the wide case rows joined to customers,
    timers, escalations and flags for each figure would cost seconds at a million cases. This row
    holds exactly what the definitions need, including business minutes (which need the team's
    calendar and cannot be computed in SQL). ``metrics.facts`` writes it from the source tables;
    ``tests/metrics/test_facts.py`` proves figures from facts equal figures from the sources.
    """

    case = models.OneToOneField(Case, on_delete=models.DO_NOTHING, primary_key=True, related_name="+")
    received_at = models.DateTimeField()
    team = models.ForeignKey(Team, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    # No index of its own: metrics_fact_assignee_idx (assignee, received_at) serves the lookups.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    category = models.ForeignKey(Category, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    jurisdiction = models.CharField(max_length=6)
    tier = models.CharField(max_length=16, choices=Tier.choices)
    status = models.CharField(max_length=20)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_minutes = models.IntegerField(null=True, blank=True)
    first_response_business_minutes = models.IntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_minutes = models.IntegerField(null=True, blank=True)
    resolution_business_minutes = models.IntegerField(null=True, blank=True)
    reopened = models.BooleanField(default=False)
    escalated = models.BooleanField(default=False)
    # Bits of metrics.choices.FLAG_KIND_BITS for every regulatory flag the case carries.
    flag_mask = models.IntegerField(default=0)
    # The FIU's own case or referred to its restricted inbox: never in any figure, drill-down or export.
    restricted = models.BooleanField(default=False)
    sla_first_response = models.CharField(max_length=10, choices=FactSla.choices, blank=True)
    sla_resolution = models.CharField(max_length=10, choices=FactSla.choices, blank=True)
    sla_next_response_met = models.PositiveIntegerField(default=0)
    sla_next_response_breached = models.PositiveIntegerField(default=0)
    # Business minutes the resolution clock stood still (stop-the-clock).
    sla_paused_minutes = models.PositiveIntegerField(default=0)
    # The case's CSAT survey: when it was sent and the answer, if any (metrics.Survey holds the rest).
    csat_sent_at = models.DateTimeField(null=True, blank=True)
    csat_score = models.PositiveSmallIntegerField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Every windowed figure on arrivals (first response, SLA, escalation rate; the facts
            # path of volume and coverage). It carries the columns those figures read, so a month
            # of a million-case desk is read from the index alone (no visit to the wide rows);
            # with the case id, drill-downs walk it newest first a page at a time (keyset).
            models.Index(
                fields=["received_at", "case"],
                include=[
                    "team",
                    "category",
                    "first_response_at",
                    "first_response_minutes",
                    "first_response_business_minutes",
                    "escalated",
                    "sla_first_response",
                    "sla_resolution",
                    "sla_next_response_met",
                    "sla_next_response_breached",
                ],
                name="metrics_fact_received_idx",
                condition=Q(restricted=False),
            ),
            # Resolution figures, the trend's medians and handle times read resolved cases by
            # resolution time: covered the same way; drill-downs as above.
            models.Index(
                fields=["resolved_at", "case"],
                include=[
                    "team",
                    "category",
                    "channel",
                    "resolution_minutes",
                    "resolution_business_minutes",
                    "first_response_minutes",
                    "reopened",
                    "sla_paused_minutes",
                ],
                name="metrics_fact_resolved_idx",
                condition=Q(resolved_at__isnull=False, restricted=False),
            ),
            # The backlog: open cases by team, age and status, read from the index alone.
            models.Index(
                fields=["team", "received_at"],
                include=["status", "case"],
                name="metrics_fact_open_idx",
                condition=Q(status__in=OPEN_STATUSES, restricted=False),
            ),
            # An agent's own figures.
            models.Index(fields=["assignee", "received_at"], name="metrics_fact_assignee_idx"),
            # Team-scoped dashboards (a lead's teams).
            models.Index(fields=["team", "received_at"], name="metrics_fact_team_idx"),
            # CSAT figures: surveys sent in a window, by agent and escalation, from the index alone
            # (COUNT(case_id) too: the key is included wherever a figure counts).
            models.Index(
                fields=["csat_sent_at"],
                include=["team", "category", "assignee", "csat_score", "escalated", "case"],
                name="metrics_fact_csat_idx",
                condition=Q(csat_sent_at__isnull=False, restricted=False),
            ),
            # CSAT by category, team and agent: a window's answers from the index alone (a year of
            # answers is too large a share of the facts for the planner to walk the survey index).
            models.Index(
                fields=["csat_sent_at"],
                include=["team", "category", "assignee", "csat_score"],
                name="metrics_fact_answered_idx",
                condition=Q(csat_score__isnull=False, restricted=False),
            ),
            # CSAT by escalation path and reason: the answered, escalated cases of a window (a small
            # share of the answers), without reading the others.
            models.Index(
                fields=["csat_sent_at"],
                include=["team", "category", "assignee", "csat_score", "case"],
                name="metrics_fact_csat_hops_idx",
                condition=Q(csat_sent_at__isnull=False, csat_score__isnull=False, escalated=True, restricted=False),
            ),
        ]

    def __str__(self) -> str:
        return f"fact {self.case_id}"


class FactHour(models.Model):
    """The dashboard's hourly rollup: what the facts of one team and category add up to in one UTC hour.

    A row with no category is the team's hour over all categories (a subtotal), so figures that
    neither filter nor break down by category read one row per team and hour. Each count is over
    the cases whose own instant falls in the hour: ``received`` by ``received_at``, ``csat_*`` by
    the survey's ``csat_sent_at`` (answers of 4-5, the sum of scores for the mean). Restricted
    (FIU) cases are never in it. An hour is the grain because any zone with whole-hour offsets
    (almost all) cuts its local days on UTC hours, so a window or a local day in the viewer's zone
    is a set of whole rows; the few half-hour zones read the facts.
    ``metrics.rollups`` recomputes the hours a fact change touches, with the facts;
    ``tests/metrics/test_rollups.py`` proves every figure read from here equals live aggregation.
    """

    hour = models.DateTimeField()
    team = models.ForeignKey(Team, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    received = models.IntegerField(default=0)
    csat_sent = models.IntegerField(default=0)
    csat_answered = models.IntegerField(default=0)
    csat_satisfied = models.IntegerField(default=0)
    csat_score_sum = models.IntegerField(default=0)

    class Meta:
        # Each constraint's index serves the windowed reads of its kind of row: (hour, team,
        # category) by category, (hour, team) the subtotals. A lead's teams are most rows, so
        # team-first indexes would not read fewer.
        constraints = [
            models.UniqueConstraint(fields=["hour", "team", "category"], name="metrics_facthour_unique"),
            models.UniqueConstraint(
                fields=["hour", "team"], condition=Q(category__isnull=True), name="metrics_facthour_team_unique"
            ),
        ]
        indexes = [
            # Arrivals by hour of week and category (coverage, staffing, campaigns): a year of a
            # lead's category rows from the index alone.
            models.Index(
                fields=["hour", "team", "category"],
                include=["received"],
                name="metrics_facthour_cat_idx",
                condition=Q(category__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}:00 team {self.team_id} category {self.category_id}"


class FactDay(models.Model):
    """The daily rollup of the resolution and first-response figures: per UTC day and team, a
    count (``bin`` 0) or the cases whose duration falls in one value bin, for each ``metric``
    of ``metrics.daily`` (resolved cases by ``resolved_at``'s day, received ones by
    ``received_at``'s). Restricted (FIU) cases are never in it. ``metrics.daily`` keeps it and
    reads exact percentiles from it; ``tests/metrics/test_daily.py`` proves them equal to live
    aggregation."""

    day = models.DateField()
    team = models.ForeignKey(Team, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False)
    metric = models.SmallIntegerField()
    bin = models.IntegerField()
    n = models.BigIntegerField()

    class Meta:
        constraints = [
            # Metric first: a panel reads its own metrics of a window, not the other panels'; it
            # carries n, so a year of rows is read from the index alone.
            models.UniqueConstraint(
                fields=["metric", "day", "team", "bin"], include=["n"], name="metrics_factday_metric_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} team {self.team_id} metric {self.metric} bin {self.bin}: {self.n}"


class HopDay(models.Model):
    """The escalations panel's daily rollup: escalation hops requested on one UTC day, by the
    case's team, reason, receiving and sending team.

    A year holds about as many of these rows as a fortnight holds hops. Each count is over the
    hops requested that day: ``returned`` (bounce-backs), ``answered`` (accepted, returned or
    handed on) and ``on_time`` (answered by the OLA due time). Hops of restricted cases (the
    FIU's own, or referred to it) are never in it. Whether an unanswered hop is overdue depends
    on the time of reading, so that is counted live. A window's whole UTC days read these rows;
    its partial days at either end read the hops (``metrics.hops``), so every zone is exact.
    ``tests/metrics/test_hops.py`` proves the panel read from here equals live aggregation.
    """

    day = models.DateField()
    team = models.ForeignKey(Team, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False)
    reason = models.ForeignKey(
        "escalations.ReasonCode", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    to_team = models.ForeignKey(
        Team, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    from_team = models.ForeignKey(
        Team, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    hops = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "team", "reason", "to_team", "from_team"], name="metrics_hopday_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} team {self.team_id}: {self.hops} hops"


class DecisionFact(models.Model):
    """One compliance sign-off decision as the dashboard counts it: when it was made, its case's
    team and its turnaround (``decided_at`` − the flag's ``submitted_at``), kept with the case's
    facts (``metrics.decisions``). Sign-off turnaround over a year is then one narrow index read
    instead of joining every decision to its flag and its case. Decisions of restricted cases
    (the FIU's, or referred to it) and of flags never submitted are not kept."""

    decision = models.OneToOneField(
        "compliance.FlagDecision", on_delete=models.DO_NOTHING, primary_key=True, related_name="+", db_constraint=False
    )
    case = models.ForeignKey(Case, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    team = models.ForeignKey(Team, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False)
    decided_at = models.DateTimeField()
    turnaround = models.DurationField()

    class Meta:
        indexes = [
            models.Index(fields=["decided_at"], include=["team", "turnaround"], name="metrics_decisionfact_idx"),
        ]

    def __str__(self) -> str:
        return f"decision {self.decision_id}"


class FactWatermark(models.Model):
    """How far the periodic fact refresh has read (one row, ``name='facts'``)."""

    name = models.CharField(max_length=40, primary_key=True)
    refreshed_through = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.refreshed_through:%Y-%m-%d %H:%M}"


class Campaign(models.Model):
    """A product or marketing launch that will drive contacts, entered by a lead.

    Drawn as a band on volume charts; ``expected_extra_cases`` is compared with the cases that
    actually arrived in ``categories`` above their usual level (see metrics.definitions).
    """

    name = models.CharField(max_length=120)
    starts_on = models.DateField()
    ends_on = models.DateField()
    expected_extra_cases = models.PositiveIntegerField()
    categories = models.ManyToManyField(Category, related_name="+", blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="metrics_campaign_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name


class HandleTime(models.Model):
    """A lead's estimate of the agent minutes one case of a category takes, for staffing
    estimates where the timeline does not allow measuring it."""

    category = models.OneToOneField(Category, on_delete=models.CASCADE, related_name="+")
    minutes = models.PositiveIntegerField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gte=1, minutes__lte=480), name="metrics_handle_time_range"),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.minutes} min"


class SurveyOptOut(models.Model):
    """A customer who asked not to receive satisfaction surveys."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="+")
    opted_out_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.customer_id} opted out"


class Survey(models.Model):
    """The satisfaction survey of one resolved case: sent once, answered at most once.

    The link carries the survey id and ``nonce`` signed with the site's key; it expires
    ``CSAT_LINK_MAX_AGE`` after sending, and the answer is claimed with a conditional update, so a
    second answer (or a replayed link) records nothing.
    """

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    nonce = models.CharField(max_length=32)
    status = models.CharField(max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.SENT)
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SurveyStatus.values), name="metrics_survey_status_valid"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="metrics_survey_score_1_to_5"
            ),
            models.CheckConstraint(
                condition=~Q(status=SurveyStatus.ANSWERED) | Q(score__isnull=False, answered_at__isnull=False),
                name="metrics_survey_answered_has_score",
            ),
        ]
        indexes = [
            # CSAT figures: surveys sent and answered in a window.
            models.Index(fields=["sent_at"], name="metrics_survey_sent_idx"),
            models.Index(
                fields=["answered_at"], name="metrics_survey_answered_idx", condition=Q(answered_at__isnull=False)
            ),
            # The dashboard's latest comments: newest answers with a comment, a page at a time.
            models.Index(
                fields=["-answered_at", "-id"],
                name="metrics_survey_commented_idx",
                condition=Q(status=SurveyStatus.ANSWERED) & ~Q(comment=""),
            ),
        ]

    def __str__(self) -> str:
        return f"survey {self.case_id} ({self.status})"
