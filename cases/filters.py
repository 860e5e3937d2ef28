"""The queue's filters: one FilterSet for the page (and, later, the API)."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Case as When_
from django.db.models import Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from cases.choices import JURISDICTIONS, PRIORITY_RANK, Channel, Priority, Status, Tier
from cases.models import Case, Category, Customer, SlaTimer
from cases.widgets import (
    NAME_LABEL_FIELDS,
    USER_LABEL_FIELDS,
    LabelOnlyChoiceIterator,
    LabelOnlyMixin,
    QuickSelect,
    QuickSelectMultiple,
)
from people.selectors import team_ids_of, team_list_visible_to, user_list_assignable

_REFERENCE = re.compile(r"^CS-\d{4}-\d{1,6}$", re.IGNORECASE)

SORTS = {
    "received": ("received_at", "id"),
    "-received": ("-received_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    # Higher priority ranks lower (urgent is 0), so descending priority, the first click on the
    # column, puts urgent cases on top.
    "priority": ("-priority_rank", "-received_at"),
    "-priority": ("priority_rank", "-received_at"),
    "reference": ("reference",),
    "-reference": ("-reference",),
    "status": ("status", "-received_at"),
    "-status": ("-status", "-received_at"),
    # "Breaching soonest": the earliest due time of a case's running, unpaused timers; cases
    # with no such timer come last either way. Ascending is the order of the partial index
    # cases_case_team_sla_due_idx (PostgreSQL puts NULLs last in ascending order by default).
    "sla": (F("sla_due_at").asc(nulls_last=True), "-received_at"),
    "-sla": (F("sla_due_at").desc(nulls_last=True), "-received_at"),
}
SLA_STATES = [("breached", "Breached"), ("warning", "Warning"), ("paused", "Paused")]
DEFAULT_SORT = "-received"


def _teams(request):
    return team_list_visible_to(request.user) if request else team_list_visible_to(None)


def _assignees(request):
    if request is None:
        return user_list_assignable(team_ids=[])
    return user_list_assignable(team_ids=team_ids_of(request.user))


class _ChoiceIterator(django_filters.fields.ModelChoiceIterator, LabelOnlyChoiceIterator):
    """django-filter's "null" option (Unassigned) on top of options that load only their label."""


class _ModelChoiceField(LabelOnlyMixin, django_filters.fields.ModelChoiceField):
    iterator = _ChoiceIterator


class _ModelMultipleChoiceField(LabelOnlyMixin, django_filters.fields.ModelMultipleChoiceField):
    iterator = _ChoiceIterator

    def clean(self, value):
        if not value and not self.required:
            # Django answers an empty choice with queryset.none(), which the filter then tests for
            # truth by compiling it: a millisecond per empty filter on every queue page.
            return []
        return super().clean(value)


class LabelOnlyModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _ModelChoiceField


class LabelOnlyModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = _ModelMultipleChoiceField


class CaseFilter(django_filters.FilterSet):
    # distinct=False throughout: no filter crosses a to-many relation, and SELECT DISTINCT would
    # make PostgreSQL read and sort every open case before LIMIT instead of walking the partial
    # queue index and stopping after one page.
    q = django_filters.CharFilter(method="filter_text", label="Search")
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    # The selects render in Python and their model options load only their names (cases.widgets):
    # on a queue page whose sidebar is not cached they were the most expensive part.
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False, widget=QuickSelectMultiple)
    category = LabelOnlyModelMultipleChoiceFilter(
        queryset=Category.objects.filter(is_active=True), distinct=False, label_fields=NAME_LABEL_FIELDS
    )
    team = LabelOnlyModelMultipleChoiceFilter(queryset=_teams, distinct=False, label_fields=NAME_LABEL_FIELDS)
    assignee = LabelOnlyModelChoiceFilter(
        queryset=_assignees, null_label="Unassigned", empty_label="Anyone", label_fields=USER_LABEL_FIELDS
    )
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False, widget=QuickSelectMultiple)
    jurisdiction = django_filters.MultipleChoiceFilter(
        field_name="customer__jurisdiction", choices=JURISDICTIONS, distinct=False, widget=QuickSelectMultiple
    )
    tier = django_filters.MultipleChoiceFilter(
        field_name="customer__tier", choices=Tier.choices, distinct=False, widget=QuickSelectMultiple
    )
    received = django_filters.DateFromToRangeFilter(
        field_name="received_at", widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at", widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )
    sla = django_filters.ChoiceFilter(
        choices=SLA_STATES, method="filter_sla", label="SLA", empty_label="Any", widget=QuickSelect
    )
    sort = django_filters.ChoiceFilter(
        choices=[(key, key) for key in SORTS], method="filter_sort", empty_label=None, label="Sort"
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        # Applied last, in filter_queryset, so the search can use every other filter (see there).
        return queryset

    def search(self, queryset, value: str):
        value = value.strip()
        if not value:
            return queryset
        if _REFERENCE.match(value):
            year, number = value.upper().split("-")[1:]
            return queryset.filter(reference=f"CS-{year}-{int(number):06d}")
        # Two index lookups joined by UNION, rather than one OR across the case and its customer:
        # PostgreSQL cannot combine indexes of two tables in an OR, so it read every case of the
        # viewer's teams. Each half is a bitmap OR of indexes (trigram GIN on the UPPER(...)
        # expressions icontains compares, see migration 0012; the customer's e-mail and account
        # number), inside the viewer's cases with the other filters already applied, so a search
        # of open cases matches open cases only (at 1,000,000 cases 340 -> 90 ms) instead of
        # every case of every customer with the name.
        customers = Customer.objects.filter(
            Q(full_name__icontains=value) | Q(email__iexact=value) | Q(account_number=value)
        ).values("pk")
        candidates = queryset.order_by().values("pk")
        by_case = candidates.filter(Q(reference__icontains=value) | Q(subject__icontains=value))
        by_customer = candidates.filter(customer__in=customers)
        return queryset.filter(pk__in=by_case.union(by_customer))

    def filter_sla(self, queryset, name, value):
        """Cases with a running timer in that state, as an EXISTS per case (no join, no
        DISTINCT), so the queue still walks its partial index and stops after a page."""
        now = timezone.now()
        running = SlaTimer.objects.running().filter(case=OuterRef("pk"))
        if value == "paused":
            running = running.filter(paused_at__isnull=False)
        elif value == "breached":
            # A timer breached before it was paused stays breached; a paused timer's due time
            # is stale until it resumes, so it only counts once the sweep has marked it.
            running = running.filter(Q(breached_at__isnull=False) | Q(paused_at__isnull=True, due_at__lte=now))
        else:
            running = running.filter(
                Q(warned_at__isnull=False) | Q(warn_at__lte=now),
                paused_at__isnull=True,
                breached_at__isnull=True,
                due_at__gt=now,
            )
        return queryset.filter(Exists(running))

    def filter_sort(self, queryset, name, value):
        # Applied last in filter_queryset, so it is only ordering.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        queryset = self.search(queryset, self.form.cleaned_data.get("q") or "")
        sort = self.form.cleaned_data.get("sort") or DEFAULT_SORT
        if "priority" in sort:
            queryset = queryset.annotate(
                priority_rank=When_(
                    *[When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()],
                    output_field=IntegerField(),
                )
            )
        return queryset.order_by(*SORTS[sort])
