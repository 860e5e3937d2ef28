"""The escalation queue's filters, shared by the page and (later) the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from cases.choices import Priority, Tier
from escalations.choices import EscalationStatus, Urgency
from escalations.models import Escalation, ReasonCode
from people.models import Team
from people.selectors import team_ids_of, user_list_assignable


def _teams(request):
    return Team.objects.filter(pk__in=team_ids_of(request.user)) if request else Team.objects.none()


def _owners(request):
    return user_list_assignable(team_ids=team_ids_of(request.user) if request else [])


class EscalationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Search")
    status = django_filters.MultipleChoiceFilter(
        choices=[(EscalationStatus.REQUESTED, "Waiting for us"), (EscalationStatus.ACCEPTED, "Accepted")],
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    to_team = django_filters.ModelMultipleChoiceFilter(queryset=_teams, label="Team", distinct=False)
    urgency = django_filters.MultipleChoiceFilter(choices=Urgency.choices, distinct=False)
    reason = django_filters.ModelMultipleChoiceFilter(queryset=ReasonCode.objects.all(), distinct=False)
    priority = django_filters.MultipleChoiceFilter(
        field_name="case__priority", choices=Priority.choices, distinct=False
    )
    tier = django_filters.MultipleChoiceFilter(field_name="case__customer__tier", choices=Tier.choices, distinct=False)
    owner = django_filters.ModelChoiceFilter(queryset=_owners, null_label="Nobody yet", empty_label="Anyone")
    ola = django_filters.ChoiceFilter(
        choices=[("breached", "Response overdue"), ("warning", "Response due soon")],
        method="filter_ola",
        label="Response clock",
        empty_label="Any",
    )

    class Meta:
        model = Escalation
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(case__reference__icontains=value)
            | Q(case__subject__icontains=value)
            | Q(case__customer__full_name__icontains=value)
        )

    def filter_ola(self, queryset, name, value):
        now = timezone.now()
        waiting = queryset.filter(status=EscalationStatus.REQUESTED)
        if value == "breached":
            return waiting.filter(ola_due_at__lte=now)
        return waiting.filter(ola_warn_at__lte=now, ola_due_at__gt=now)
