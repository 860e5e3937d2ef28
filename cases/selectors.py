"""Reads for case pages and the API. Every list starts from ``visible_to(user)``."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cases.choices import OPEN_STATUSES
from cases.models import Case, CaseEvent, Customer
from people.roles import ORG_WIDE_READERS, role_of


def case_list_for_queue(*, user) -> QuerySet[Case]:
    """Cases the user may see, with what a queue row shows joined in (no N+1)."""
    return Case.objects.visible_to(user).select_related("customer", "category", "team", "assignee")


def case_list_mine(*, user) -> QuerySet[Case]:
    return case_list_for_queue(user=user).filter(assignee=user, status__in=OPEN_STATUSES)


def case_get_for_page(*, user, reference: str) -> Case:
    from cases.access import get_case_for_user

    return get_case_for_user(
        user, reference, queryset=Case.objects.select_related("customer", "category", "team", "assignee")
    )


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    """The whole timeline, oldest first, with authors joined in: one query however long."""
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "id")


def customer_get_for_user(*, user, account_number: str) -> Customer | None:
    """A customer the user may see: org-wide readers see all, workers those with a case of theirs."""
    qs = Customer.objects.filter(account_number=account_number)
    if role_of(user) not in ORG_WIDE_READERS:
        qs = qs.filter(Q(cases__in=Case.objects.visible_to(user))).distinct()
    return qs.first()


def customer_cases(*, user, customer: Customer) -> QuerySet[Case]:
    return case_list_for_queue(user=user).filter(customer=customer).order_by("-received_at")
