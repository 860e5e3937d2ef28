"""PII reveals: who may ask to see a customer's field in full, the audited reveal, and the
leads' list of who revealed what and why. How a field is shown lives in ``cases.masking``."""

from __future__ import annotations

from datetime import datetime, timedelta

import django_filters
from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from audit.services import audit_record
from cases.access import restrict_cases_to
from cases.errors import CaseError
from cases.masking import REVEALABLE_FIELDS, PiiField
from cases.models import Case, Customer, PiiReveal
from people.models import User
from people.roles import ORG_WIDE_READERS, can_read_cases, can_triage, role_of
from people.selectors import team_ids_of

# A reason has to say something; "ok" or "x" is not a reason an auditor can follow up.
REASON_MIN_LENGTH = 5
REASON_MAX_LENGTH = 500


class RevealRefused(CaseError):
    """The reveal was not made: nothing was shown and nothing was written."""


def pii_reveal_duration() -> timedelta:
    return timedelta(minutes=settings.PII_REVEAL_MINUTES)


def pii_may_reveal(user, customer: Customer) -> bool:
    """Whether ``user`` may ask to see ``customer``'s PII in full (with a reason, audited).

    Everyone who may read one of the customer's cases, as ``cases.access`` decides it: workers
    (agents, leads, specialists) of a team that has one of the customer's cases, and the
    org-wide readers (compliance, FIU, auditors). Admins see no case data, so never.
    """
    if not can_read_cases(user) or not user.is_active:
        return False
    if role_of(user) in ORG_WIDE_READERS:
        return True
    return restrict_cases_to(Case.objects.filter(customer=customer), user, with_grants=True).exists()


@transaction.atomic
def pii_reveal(
    *, viewer, customer: Customer, field: str, reason: str, case: Case | None = None, now: datetime | None = None
) -> PiiReveal:
    """Let ``viewer`` see one field of ``customer`` in full until the returned row's ``expires_at``.

    The reveal row and its audit event ("pii.reveal", a read of PII) are written in one
    transaction: if the audit event cannot be written, there is no reveal. The audit event
    records the field and the reason, never the value.

    Raises ``RevealRefused`` (nothing written) for a missing or too-short reason, a field that
    is not revealable, or a viewer who may not read this customer.
    """
    reason = (reason or "").strip()
    if field not in REVEALABLE_FIELDS:
        raise RevealRefused("That field cannot be revealed.")
    if len(reason) < REASON_MIN_LENGTH:
        raise RevealRefused(
            f"Say why you need to see the customer's {PiiField(field).label.lower()} "
            f"(at least {REASON_MIN_LENGTH} characters); nothing was revealed."
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise RevealRefused(f"Keep the reason under {REASON_MAX_LENGTH} characters; nothing was revealed.")
    if not pii_may_reveal(viewer, customer):
        raise RevealRefused("You cannot reveal this customer's details.")
    if case is not None and case.customer_id != customer.pk:
        raise RevealRefused("That case is not this customer's.")
    now = now or timezone.now()
    reveal = PiiReveal.objects.create(
        viewer=viewer,
        customer=customer,
        case=case,
        field=field,
        reason=reason,
        revealed_at=now,
        expires_at=now + pii_reveal_duration(),
    )
    audit_record(
        actor=viewer,
        action="pii.reveal",
        object_type="customer",
        object_id=customer.pk,
        after={
            "field": field,
            "reason": reason,
            "case": case.reference if case else None,
            "reveal_id": reveal.pk,
            "expires_at": reveal.expires_at,
        },
    )
    return reveal


# --- the leads' list ----------------------------------------------------------------------------


def pii_reveal_list_visible_to(user) -> QuerySet[PiiReveal]:
    """Reveals ``user`` may review, newest first, with viewer, customer and case joined in.

    Leads see reveals of the customers their teams serve (a customer with a case in one of
    their teams), whoever made them; compliance, FIU and auditors see every reveal; nobody
    else sees any. The team test is an EXISTS per row, so the page's query count does not
    grow with the rows.
    """
    qs = PiiReveal.objects.select_related("viewer", "customer", "case").order_by("-revealed_at", "-id")
    role = role_of(user)
    if role in ORG_WIDE_READERS:
        return qs
    if can_triage(user):
        teams_cases = Case.objects.filter(customer=OuterRef("customer_id"), team_id__in=team_ids_of(user))
        return qs.filter(Exists(teams_cases))
    return qs.none()


def may_review_reveals(user) -> bool:
    return can_triage(user) or role_of(user) in ORG_WIDE_READERS


def _viewers(request):
    # People who may have revealed something a lead sees: members of the lead's teams and the
    # org-wide readers. Org-wide reviewers pick from everyone who can read cases.
    qs = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    if request is None:
        return qs.none()
    if role_of(request.user) in ORG_WIDE_READERS:
        return qs
    return qs.filter(memberships__team_id__in=team_ids_of(request.user)).distinct()


class PiiRevealFilter(django_filters.FilterSet):
    viewer = django_filters.ModelChoiceFilter(queryset=_viewers, empty_label="Anyone")
    field = django_filters.ChoiceFilter(choices=[(f.value, f.label) for f in REVEALABLE_FIELDS], empty_label="Any")
    customer = django_filters.CharFilter(field_name="customer__account_number", label="Account number")
    revealed = django_filters.DateFromToRangeFilter(
        field_name="revealed_at", widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )

    class Meta:
        model = PiiReveal
        fields: list[str] = []


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[(f.value, f.label) for f in REVEALABLE_FIELDS])
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        required=False,  # the service says why an empty reason is refused, in one place
        widget=forms.TextInput(attrs={"placeholder": "Why do you need it?", "autocomplete": "off"}),
    )
    case = forms.CharField(max_length=20, required=False, widget=forms.HiddenInput)
