"""Knowledge vocabularies: document kinds, review decisions, the QA rubric and macro placeholders."""

from __future__ import annotations

from django.db import models


class DocKind(models.TextChoices):
    SOP = "sop", "SOP"
    GUIDE = "guide", "Quick guide"
    MACRO = "macro", "Reply template"


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class VersionState(models.TextChoices):
    """Where a version stands, derived from its submission, review and publication rows."""

    DRAFT = "draft", "Draft"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting compliance approval"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    CURRENT = "current", "Current"
    SUPERSEDED = "superseded", "Superseded"


class ScorecardStatus(models.TextChoices):
    SUBMITTED = "submitted", "Awaiting the agent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    DISPUTED = "disputed", "Disputed"


# A scorecard goes to the agent once; they acknowledge it or dispute it, and that is final.
SCORECARD_TRANSITIONS: dict[ScorecardStatus, frozenset[ScorecardStatus]] = {
    ScorecardStatus.SUBMITTED: frozenset({ScorecardStatus.ACKNOWLEDGED, ScorecardStatus.DISPUTED}),
    ScorecardStatus.ACKNOWLEDGED: frozenset(),
    ScorecardStatus.DISPUTED: frozenset(),
}


class RubricItem(models.TextChoices):
    FLAG_IDENTIFICATION = "flag_identification", "Correct identification of regulatory flags"
    SCRIPT_USED = "script_used", "Correct script used"
    TONE = "tone", "Tone"
    ACCURACY = "accuracy", "Accuracy"
    RESOLUTION = "resolution", "Resolution"


SCORE_MIN = 1
SCORE_MAX = 5

# What a reply template may say in double braces, e.g. "Hello {{ customer_first_name }}".
PLACEHOLDERS: dict[str, str] = {
    "customer_first_name": "The customer's first name",
    "customer_name": "The customer's full name",
    "case_reference": "The case reference, e.g. CS-2026-000123",
    "case_subject": "The case subject",
    "agent_first_name": "The first name of the person replying",
}

# Jurisdictions a document may be limited to: a whole country, or one state/territory.
COUNTRIES = (("US", "United States (all states)"), ("AU", "Australia (all states)"))
