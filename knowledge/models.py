"""SOPs, quick guides and reply templates with their versions; training records; QA scorecards."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q

from cases.models import Case, Category
from knowledge.choices import SCORE_MAX, SCORE_MIN, DocKind, ReviewDecision, RubricItem, ScorecardStatus
from people.models import Team


class Document(models.Model):
    """One SOP, quick guide or reply template, whatever its versions say.

    ``current_version`` is the published version people read now (null until the first one is
    published). ``required_number`` is the version an acknowledgement must be at or above to
    count as training: the first published version, then each published "material change".
    ``script_kind`` marks a reply template as *the* customer script for a regulatory flag kind.
    """

    kind = models.CharField(max_length=8, choices=DocKind.choices)
    slug = models.SlugField(max_length=80, unique=True)
    # The current version's title (the first draft's until one is published), for lists.
    title = models.CharField(max_length=200)
    current_version = models.ForeignKey(
        "DocumentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="current_of"
    )
    required_number = models.PositiveIntegerField(default=0)
    latest_number = models.PositiveIntegerField(default=0)
    script_kind = models.CharField(max_length=30, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DocKind.values), name="knowledge_document_kind_valid"),
            # One customer script per flag kind, and only reply templates are scripts.
            models.UniqueConstraint(
                fields=["script_kind"], condition=~Q(script_kind=""), name="knowledge_document_one_script_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(script_kind="") | Q(kind=DocKind.MACRO), name="knowledge_document_script_is_macro"
            ),
            models.CheckConstraint(
                condition=Q(required_number__lte=F("latest_number")), name="knowledge_document_required_known"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DocumentVersion(models.Model):
    """A document's text and links exactly as written; never changed once written.

    Links (categories, flag kinds, jurisdictions, teams) belong to the version, so what a
    compliance reviewer approved is what people read. ``requires_approval`` is set when the
    version is linked to a regulatory flag kind. ``search`` is the full-text vector (PostgreSQL).
    """

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    change_note = models.CharField(max_length=300, blank=True)
    material_change = models.BooleanField(default=False)
    requires_approval = models.BooleanField(default=False)
    # Whether the version names any category/flag kind, any jurisdiction (case page matching).
    has_topics = models.BooleanField(default=False)
    has_jurisdictions = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    search = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="knowledge_version_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="knowledge_version_number_positive"),
            models.CheckConstraint(condition=~Q(body=""), name="knowledge_version_body_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


class VersionLink(models.Model):
    """One thing a version is about or for: a category, a flag kind, a jurisdiction ("US",
    "US-CA") or a team whose agents must acknowledge it. Exactly one of them per row."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="links")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    flag_kind = models.CharField(max_length=30, blank=True)
    jurisdiction = models.CharField(max_length=6, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(category__isnull=False, flag_kind="", jurisdiction="", team__isnull=True)
                    | Q(~Q(flag_kind=""), category__isnull=True, jurisdiction="", team__isnull=True)
                    | Q(~Q(jurisdiction=""), category__isnull=True, flag_kind="", team__isnull=True)
                    | Q(category__isnull=True, flag_kind="", jurisdiction="", team__isnull=False)
                ),
                name="knowledge_link_exactly_one",
            ),
        ]
        indexes = [
            # Routing's training check and the case panel: versions linked to a flag kind.
            models.Index(fields=["flag_kind", "version"], name="knowledge_link_kind_idx", condition=~Q(flag_kind="")),
            # The case panel: versions linked to a category.
            models.Index(fields=["category", "version"], name="knowledge_link_category_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.category_id or self.flag_kind or self.jurisdiction or self.team_id}"


class VersionSubmission(models.Model):
    """A lead asked for this version to be published, and it needs compliance approval first."""

    version = models.OneToOneField(DocumentVersion, on_delete=models.PROTECT, related_name="submission")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.version_id} submitted"


class VersionReview(models.Model):
    """A compliance reviewer's decision on a version: approved, or changes requested (final:
    the lead writes a new version). Never by the version's author or submitter."""

    version = models.OneToOneField(DocumentVersion, on_delete=models.PROTECT, related_name="review")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices)
    note = models.TextField(blank=True)
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=ReviewDecision.values), name="knowledge_review_decision_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} {self.decision}"


class Publication(models.Model):
    """When a version became the one people read, and who published it."""

    version = models.OneToOneField(DocumentVersion, on_delete=models.PROTECT, related_name="publication")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.version_id} published {self.published_at:%Y-%m-%d}"


class Acknowledgement(models.Model):
    """A training record: "I have read and understood v4". Append-only, never overwritten.

    ``document`` and ``version_number`` repeat the version's, so "trained at or above the
    required version" is one indexed comparison.
    """

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="acknowledgements")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="acknowledgements")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    version_number = models.PositiveIntegerField()
    acknowledged_at = models.DateTimeField()

    class Meta:
        ordering = ["acknowledged_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "version"], name="knowledge_ack_once_per_version"),
        ]
        indexes = [
            # Routing's training check and the acknowledgement pages: a document's acks by person.
            models.Index(fields=["document", "agent", "version_number"], name="knowledge_ack_lookup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} read {self.version_id}"


class AckReminder(models.Model):
    """A reminder sent to a person about a version they have not acknowledged; one a day at
    most (the unique constraint makes a duplicated reminder task harmless)."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="+")
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "version", "sent_on"], name="knowledge_reminder_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} reminded of {self.version_id} on {self.sent_on}"


# --- QA coaching ------------------------------------------------------------------------------


class QaSample(models.Model):
    """A resolved case the system drew for review of its agent in one week (Monday)."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qa_samples")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="qa_samples")
    week_start = models.DateField()
    # The draw's weight (regulatory-sensitive categories weigh more), kept to explain the draw.
    weight = models.PositiveSmallIntegerField()
    drawn_at = models.DateTimeField()

    class Meta:
        ordering = ["-week_start", "agent", "id"]
        constraints = [
            # A case is reviewed once, whoever and whenever.
            models.UniqueConstraint(fields=["case"], name="knowledge_qa_sample_case_once"),
        ]
        indexes = [
            # The draw's "already drawn this week?" and the lead's list for a week.
            models.Index(fields=["week_start", "agent"], name="knowledge_qa_sample_week_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.case_id} {self.week_start}"


class Scorecard(models.Model):
    """A lead's review of one sampled case: a score per rubric item, with comments; the agent
    acknowledges or disputes it."""

    sample = models.OneToOneField(QaSample, on_delete=models.PROTECT, related_name="scorecard")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scorecards")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=ScorecardStatus.choices, default=ScorecardStatus.SUBMITTED)
    comment = models.TextField(blank=True)
    total = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    agent_response = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ScorecardStatus.values), name="knowledge_scorecard_status"),
            models.CheckConstraint(
                condition=Q(status=ScorecardStatus.SUBMITTED) | Q(responded_at__isnull=False),
                name="knowledge_scorecard_response_dated",
            ),
            models.CheckConstraint(
                condition=~Q(status=ScorecardStatus.DISPUTED) | ~Q(agent_response=""),
                name="knowledge_scorecard_dispute_says_why",
            ),
        ]
        indexes = [
            # An agent's scorecards, newest first; the QA trend by agent.
            models.Index(fields=["agent", "-created_at"], name="knowledge_scorecard_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sample_id} {self.total}"


class ScorecardScore(models.Model):
    """One rubric item's score on a scorecard, with the reviewer's comment."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="scores")
    item = models.CharField(max_length=30, choices=RubricItem.choices)
    score = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["scorecard", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "item"], name="knowledge_score_once_per_item"),
            models.CheckConstraint(condition=Q(item__in=RubricItem.values), name="knowledge_score_item_valid"),
            models.CheckConstraint(
                condition=Q(score__gte=SCORE_MIN, score__lte=SCORE_MAX), name="knowledge_score_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard_id} {self.item} {self.score}"
