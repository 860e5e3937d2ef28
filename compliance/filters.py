"""The review queue's filters: one FilterSet for the page (and the API when it lands)."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cases.models import Case, CaseEvent
from compliance.choices import FlagKind
from compliance.models import FlagDecision, RegulatoryFlag
from compliance.services import WORK_KINDS

COUNTRIES = [("US", "United States"), ("AU", "Australia")]
DEADLINES = [
    ("missed", "Deadline missed"),
    ("2d", "Due within 2 days"),
    ("7d", "Due within 7 days"),
    ("none", "No regulatory clock"),
]
STAGES = [("undecided", "No decision yet"), ("second", "Awaiting a second reviewer")]


class FlagReviewFilter(django_filters.FilterSet):
    # distinct=False: no filter crosses a to-many relation (EXISTS instead), so the queue keeps
    # walking its partial index and stops after a page.
    kind = django_filters.MultipleChoiceFilter(choices=FlagKind.choices, distinct=False, label="Kind")
    country = django_filters.ChoiceFilter(
        choices=COUNTRIES, method="filter_country", empty_label="Any", label="Customer in"
    )
    deadline = django_filters.ChoiceFilter(
        choices=DEADLINES, method="filter_deadline", empty_label="Any", label="Regulatory deadline"
    )
    stage = django_filters.ChoiceFilter(choices=STAGES, method="filter_stage", empty_label="Any", label="Stage")
    mine = django_filters.BooleanFilter(
        method="filter_mine", widget=forms.CheckboxInput, label="Only flags I may sign off"
    )
    submitted = django_filters.DateFromToRangeFilter(
        field_name="submitted_at", widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )

    class Meta:
        model = RegulatoryFlag
        fields: list[str] = []

    def filter_country(self, queryset, name, value):
        return queryset.filter(case__customer__jurisdiction__startswith=f"{value}-")

    def filter_deadline(self, queryset, name, value):
        now = timezone.now()
        if value == "none":
            return queryset.filter(next_due_at__isnull=True)
        if value == "missed":
            return queryset.filter(next_due_at__lte=now)
        days = 2 if value == "2d" else 7
        return queryset.filter(next_due_at__gt=now, next_due_at__lte=now + timedelta(days=days))

    def filter_stage(self, queryset, name, value):
        standing = FlagDecision.objects.filter(flag=OuterRef("pk"), voided_at__isnull=True)
        if value == "undecided":
            return queryset.filter(~Exists(standing))
        return queryset.filter(Exists(standing))

    def filter_mine(self, queryset, name, value):
        """Flags the viewer is not ruled out of deciding by four-eyes (the service still checks)."""
        if not value or self.request is None:
            return queryset
        me = self.request.user
        worked = CaseEvent.objects.filter(case=OuterRef("case_id"), actor=me, kind__in=WORK_KINDS)
        assigned = Case.objects.filter(pk=OuterRef("case_id"), assignee=me)
        decided = FlagDecision.objects.filter(flag=OuterRef("pk"), reviewer=me, voided_at__isnull=True)
        return queryset.exclude(Q(raised_by=me) | Q(submitted_by=me)).filter(
            ~Exists(worked), ~Exists(assigned), ~Exists(decided)
        )
