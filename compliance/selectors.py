"""Reads for compliance pages: a case's flags and obligations, the review queue."""

from __future__ import annotations

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from cases.models import Case, CaseEvent
from compliance.choices import FlagStatus
from compliance.models import FlagDecision, Obligation, RegulatoryFlag
from people.roles import ORG_WIDE_READERS, role_of


def flags_of_case(*, case: Case) -> list[RegulatoryFlag]:
    """Every flag of a case with its obligations and standing decisions (three queries)."""
    return list(
        RegulatoryFlag.objects.filter(case=case)
        .select_related("raised_by")
        .prefetch_related(
            Prefetch("obligations", queryset=Obligation.objects.order_by("due_at")),
            Prefetch(
                "decisions",
                queryset=FlagDecision.objects.filter(voided_at__isnull=True).select_related("reviewer", "reason"),
            ),
        )
        .order_by("raised_at", "id")
    )


def open_flag_kinds(case: Case) -> list[str]:
    """The kinds of the case's flags (routing's ``flag_kind_sources``): one query."""
    return list(RegulatoryFlag.objects.filter(case_id=case.pk).values_list("kind", flat=True).distinct())


def flag_list_for_review(*, user) -> QuerySet[RegulatoryFlag]:
    """Flags awaiting review, nearest regulatory deadline first (then oldest submission)."""
    if role_of(user) not in ORG_WIDE_READERS:
        return RegulatoryFlag.objects.none()
    # Counted per row shown (a correlated subquery after LIMIT), not grouped over every flag.
    standing = (
        FlagDecision.objects.filter(flag=OuterRef("pk"), voided_at__isnull=True)
        .order_by()
        .values("flag")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        RegulatoryFlag.objects.filter(status=FlagStatus.IN_REVIEW)
        .select_related("case", "case__customer", "raised_by")
        .annotate(decisions_standing=Coalesce(Subquery(standing, output_field=IntegerField()), 0))
        .order_by(F("next_due_at").asc(nulls_last=True), "submitted_at", "id")
    )


def flag_evidence(*, flag: RegulatoryFlag) -> list[CaseEvent]:
    """What the reviewer decides on besides the facts: the customer's messages and our replies,
    oldest first (exactly what ``flag_evidence_hash`` covers)."""
    from compliance.services import EVIDENCE_KINDS

    return list(
        CaseEvent.objects.filter(case_id=flag.case_id, kind__in=EVIDENCE_KINDS).select_related("actor").order_by("id")
    )


def flag_decisions_voided(*, flag: RegulatoryFlag) -> list[FlagDecision]:
    """Sign-offs that no longer stand (the evidence or facts moved after them), newest first."""
    return list(
        FlagDecision.objects.filter(flag=flag, voided_at__isnull=False)
        .select_related("reviewer", "reason")
        .order_by("-voided_at", "-id")
    )


def obligations_needing_attention(*, user, now, within=None, limit: int = 20) -> dict:
    """Open obligations already breached and those due soon, nearest first (two queries)."""
    from datetime import timedelta

    if role_of(user) not in ORG_WIDE_READERS:
        return {"breached": [], "due_soon": []}
    within = within or timedelta(days=2)
    open_ones = Obligation.objects.filter(satisfied_at__isnull=True).select_related("case").order_by("due_at", "id")
    return {
        "breached": list(open_ones.filter(due_at__lte=now)[:limit]),
        "due_soon": list(open_ones.filter(due_at__gt=now, due_at__lte=now + within)[:limit]),
    }
