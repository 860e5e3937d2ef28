"""Metrics vocabularies: survey states, trend granularity, backlog age buckets."""

from __future__ import annotations

from django.db import models


class SurveyStatus(models.TextChoices):
    """Where one case's satisfaction survey stands. A case has at most one survey, ever."""

    SENT = "sent", "Sent, awaiting an answer"
    ANSWERED = "answered", "Answered"


class Granularity(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"


class FactSla(models.TextChoices):
    """How one SLA promise of a case ended (as the case fact records it)."""

    MET = "met", "Met"
    BREACHED = "breached", "Breached"


# Backlog age buckets: (label, lower bound in hours, upper bound in hours or None).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("< 1 day", 0, 24),
    ("1–3 days", 24, 72),
    ("3–7 days", 72, 168),
    ("7–30 days", 168, 720),
    ("30+ days", 720, None),
)

# Each regulatory flag kind has one bit in CaseFact.flag_mask, so "has a flag of kind X" is a
# bitwise test on the fact row instead of a join to the flags table.
FLAG_KIND_BITS: dict[str, int] = {
    "scam_fraud": 1,
    "id_verification": 2,
    "unauthorized_transfer": 4,
    "regulator_complaint": 8,
    "sanctions_match": 16,
    "elder_exploitation": 32,
    "law_enforcement": 64,
    "vulnerable_customer": 128,
}
