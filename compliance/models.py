from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cases.models import Case
from compliance.choices import UNSIGNED_FLAG_STATUSES, FlagKind, FlagStatus


class DecisionReason(models.Model):
    """Why a reviewer decided as they did: a maintained taxonomy, each code for some flag kinds."""

    code = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=150)
    # Flag kinds this reason may close; a reason of another kind is refused.
    kinds = models.JSONField(default=list)
    # Decisions like an account off-boarding or a large goodwill payment need a second reviewer.
    needs_two_reviewers = models.BooleanField(default=False)
    # A payment decision (goodwill): the reviewer records the amount, and an amount above this
    # threshold needs a second reviewer. Empty for decisions that pay nothing.
    two_reviewers_above = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        help_text="For payment decisions: the amount above which a second reviewer must agree.",
    )  # fmt: skip
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label

    def needs_second_reviewer(self, amount) -> bool:
        if self.needs_two_reviewers:
            return True
        return self.two_reviewers_above is not None and amount is not None and amount > self.two_reviewers_above


class RegulatoryFlag(models.Model):
    """A regulatory fact about a case that compliance must sign off (Reg E dispute, scam, ...).

    ``facts`` holds what the kind requires (see compliance.choices.FACTS). Submitting for review
    freezes the evidence: ``evidence_hash`` is a digest of exactly what reviewers see, and a
    sign-off counts only while the evidence still hashes the same.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="flags")
    kind = models.CharField(max_length=30, choices=FlagKind.choices)
    facts = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=FlagStatus.choices, default=FlagStatus.RAISED)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    evidence_hash = models.CharField(max_length=64, blank=True)
    required_approvals = models.PositiveSmallIntegerField(default=1)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    # The nearest due time of the flag's open obligations, kept by compliance.obligations in the
    # same transaction: the review queue's order, read from an index instead of an aggregate.
    next_due_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["case", "raised_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=FlagKind.values), name="compliance_flag_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=FlagStatus.values), name="compliance_flag_status_valid"),
            models.CheckConstraint(
                condition=Q(required_approvals__gte=1, required_approvals__lte=2),
                name="compliance_flag_one_or_two_approvals",
            ),
            models.CheckConstraint(
                condition=~Q(status=FlagStatus.SIGNED_OFF) | (Q(signed_off_at__isnull=False) & ~Q(evidence_hash="")),
                name="compliance_flag_signed_off_has_evidence",
            ),
        ]
        indexes = [
            # The review queue: flags awaiting review, nearest regulatory deadline first (ascending
            # puts flags without one last on PostgreSQL), then oldest submission.
            models.Index(
                fields=["next_due_at", "submitted_at", "id"],
                name="compliance_flag_review_idx",
                condition=Q(status=FlagStatus.IN_REVIEW),
            ),
            # The close check: a case's unsigned flags.
            models.Index(
                fields=["case"], name="compliance_flag_unsigned_idx", condition=Q(status__in=UNSIGNED_FLAG_STATUSES)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} ({self.status})"


class FlagDecision(models.Model):
    """One reviewer's sign-off of a flag, on exactly the evidence they saw. Never edited: a change
    to the evidence sets ``voided_at`` and the flag goes back to review."""

    flag = models.ForeignKey(RegulatoryFlag, on_delete=models.PROTECT, related_name="decisions")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.ForeignKey(DecisionReason, on_delete=models.PROTECT, related_name="decisions")
    note = models.TextField(blank=True)
    # What the decision pays the customer (goodwill), when its reason records an amount.
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    evidence_hash = models.CharField(max_length=64)
    decided_at = models.DateTimeField()
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["flag", "decided_at", "id"]
        constraints = [
            # Four eyes means two different people: one standing decision per reviewer per flag.
            models.UniqueConstraint(
                fields=["flag", "reviewer"],
                condition=Q(voided_at__isnull=True),
                name="compliance_decision_once_per_reviewer",
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | Q(voided_at__gte=F("decided_at")),
                name="compliance_decision_voided_after_decided",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="compliance_decision_amount_positive"
            ),
        ]
        indexes = [
            # Dashboards: decisions made in a window (sign-off turnaround; the metrics sweep).
            models.Index(fields=["decided_at"], name="compliance_decided_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.flag_id} by {self.reviewer_id}"


class Obligation(models.Model):
    """A deadline the law sets for a flagged case (Reg E investigation, CFPB response, ...).

    Started from the flag's trigger facts by the rule in force on the trigger date (see
    compliance.clocks); it never pauses and does not move when the case changes hands. Only a
    compliance reviewer corrects its trigger date, with a reason, and the correction is audited.
    """

    flag = models.ForeignKey(RegulatoryFlag, on_delete=models.PROTECT, related_name="obligations")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="obligations")
    rule_code = models.CharField(max_length=60)
    rule_name = models.CharField(max_length=200)
    citation = models.CharField(max_length=200)
    jurisdiction = models.CharField(max_length=6)
    triggered_at = models.DateTimeField()
    due_at = models.DateTimeField()
    # The case event that meets it, e.g. "results_notice_sent".
    satisfied_by = models.CharField(max_length=60)
    satisfied_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(due_at__gte=F("triggered_at")), name="compliance_obligation_due_after"),
            models.UniqueConstraint(fields=["flag", "rule_code"], name="compliance_obligation_once_per_rule"),
        ]
        indexes = [
            # Open obligations by due date: the review queue's order, the home page, the sweep.
            models.Index(
                fields=["due_at"], name="compliance_obligation_open_idx", condition=Q(satisfied_at__isnull=True)
            ),
            # A case's open obligations (close check, case page).
            models.Index(
                fields=["case"], name="compliance_obligation_case_idx", condition=Q(satisfied_at__isnull=True)
            ),
            # Dashboards: obligations breached in a window (regulatory breaches, target zero).
            models.Index(
                fields=["breached_at"], name="compliance_breached_idx", condition=Q(breached_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.rule_code} due {self.due_at:%Y-%m-%d}"

    @property
    def satisfied_by_label(self) -> str:
        from compliance.choices import SATISFIED_BY

        return SATISFIED_BY.get(self.satisfied_by, self.satisfied_by.replace("_", " "))

    @property
    def due_day(self):
        """The last day of the deadline in its jurisdiction (it is due as that day ends)."""
        from datetime import timedelta

        from compliance.clocks import jurisdiction_calendar

        return (self.due_at - timedelta(seconds=1)).astimezone(jurisdiction_calendar(self.jurisdiction).tz).date()


class ReferralStatus(models.TextChoices):
    OPEN = "open", "Open"
    REPORTED = "reported", "Report filed"
    NO_REPORT = "no_report", "No report"


class Referral(models.Model):
    """A case referred to the FIU's restricted inbox: suspicion reporting (SAR / SMR).

    Nothing here may reach anyone outside the FIU and auditors (no tipping off): there is no
    reverse accessor from Case, no case timeline entry, and every read goes through
    ``compliance.restricted``, which audits it. Everyone else sees the case "with a specialist
    team" (see ``compliance.restricted.referral_case_panel``).
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_at = models.DateTimeField()
    reason = models.TextField()
    status = models.CharField(max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.OPEN)
    # The reporting clock (FinCEN SAR 30 days; AUSTRAC SMR 3 business days or 24 hours for
    # terrorism financing), from the rule table in compliance.clocks, in the customer's jurisdiction.
    suspicion_formed_at = models.DateTimeField()
    terrorism_financing = models.BooleanField(default=False)
    report_rule_code = models.CharField(max_length=60, blank=True)
    report_rule_name = models.CharField(max_length=200, blank=True)
    report_citation = models.CharField(max_length=200, blank=True)
    report_due_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_rationale = models.TextField(blank=True)
    filed_on = models.DateField(null=True, blank=True)
    filing_reference = models.CharField(max_length=100, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["referred_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values), name="compliance_referral_status_valid"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(status=ReferralStatus.OPEN), name="compliance_referral_one_open_per_case"
            ),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.REPORTED) | (Q(filed_on__isnull=False) & ~Q(filing_reference="")),
                name="compliance_referral_filing_recorded",
            ),
        ]
        indexes = [
            # The restricted inbox: open referrals, nearest reporting deadline first.
            models.Index(
                fields=["report_due_at", "id"],
                name="compliance_referral_open_idx",
                condition=Q(status=ReferralStatus.OPEN),
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.status})"


class ReferralNote(models.Model):
    """The FIU's working notes on a referral; append-only, never shown outside the FIU."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
