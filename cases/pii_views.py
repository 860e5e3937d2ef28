"""PII pages: reveal a customer's field (htmx, or a plain form without JavaScript) and the
leads' list of who revealed what and why."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from cases.access import get_case_for_user
from cases.masking import PiiField, customer_pii_fields
from cases.pii import (
    PiiRevealFilter,
    RevealForm,
    RevealRefused,
    may_review_reveals,
    pii_may_reveal,
    pii_reveal,
    pii_reveal_list_visible_to,
)
from cases.selectors import customer_get_for_user
from people.roles import can_read_cases


def pii_context(request, customer, *, case=None, error: tuple[str, str] | None = None) -> dict:
    """What ``cases/_pii_facts.html`` needs: the fields as this viewer sees them now, whether
    they may reveal, and where the no-JavaScript form returns to."""
    back = (
        reverse("cases:detail", args=[case.reference])
        if case is not None
        else reverse("customers:customer", args=[customer.account_number])
    )
    return {
        "pii_customer": customer,
        "pii": customer_pii_fields(request.user, customer),
        "pii_case": case.reference if case is not None else "",
        "pii_next": back,
        # Callers fetched the case or customer through cases.access, so the viewer may read
        # it and therefore ask for a reveal (the service checks again when they do).
        "pii_may_reveal": can_read_cases(request.user),
        "pii_error": error,
        "pii_reveal_minutes": settings.PII_REVEAL_MINUTES,
    }


def _customer_or_404(request, account_number: str):
    if not can_read_cases(request.user):
        raise PermissionDenied("Your role does not work with customer data.")
    customer = customer_get_for_user(user=request.user, account_number=account_number)
    if customer is None:
        raise Http404("No such customer.")
    return customer


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@require_http_methods(["GET", "POST"])
def customer_reveal(request, account_number: str) -> HttpResponse:
    """POST reveals one field for ``settings.PII_REVEAL_MINUTES``; GET is the plain form."""
    customer = _customer_or_404(request, account_number)
    data = request.POST if request.method == "POST" else request.GET
    form = RevealForm(data)
    case = None
    reference = data.get("case") or ""
    if reference:
        # A forged or foreign case reference answers 404 like any case the user may not read.
        case = get_case_for_user(request.user, reference)
        if case.customer_id != customer.pk:
            raise Http404("No such case for this customer.")
    fallback = pii_context(request, customer, case=case)["pii_next"]
    back = _safe_next(request, fallback)
    if not form.is_valid():
        return _refused(request, customer, case, form, back, "", "Choose a field to reveal.")
    field = form.cleaned_data["field"]
    if request.method == "GET":
        return _form_page(request, customer, case, form, back, status=200)
    try:
        reveal = pii_reveal(
            viewer=request.user, customer=customer, field=field, reason=form.cleaned_data["reason"], case=case
        )
    except RevealRefused as exc:
        return _refused(request, customer, case, form, back, field, exc.message)
    label = PiiField(field).label
    if request.htmx:
        return render(request, "cases/_pii_facts.html", pii_context(request, customer, case=case))
    until = timezone.localtime(reveal.expires_at)
    messages.success(
        request,
        f"{label} shown until {until:%H:%M} ({timezone.get_current_timezone_name()}); your reason was recorded.",
    )
    return redirect(back)


def _refused(request, customer, case, form, back, field, message) -> HttpResponse:
    if request.method == "POST" and not pii_may_reveal(request.user, customer):
        raise PermissionDenied(message)
    if request.htmx:
        context = pii_context(request, customer, case=case, error=(field, message))
        return render(request, "cases/_pii_facts.html", context, status=400)
    form.add_error(None, message)
    return _form_page(request, customer, case, form, back, status=400)


def _form_page(request, customer, case, form, back, *, status: int) -> HttpResponse:
    field = form.cleaned_data.get("field") if hasattr(form, "cleaned_data") else None
    context = {
        "customer": customer,
        "case": case,
        "form": form,
        "field_label": PiiField(field).label if field else "",
        "field": field or "",
        "next": back,
        "minutes": settings.PII_REVEAL_MINUTES,
    }
    return render(request, "cases/pii_reveal_form.html", context, status=status)


# Reveals per page of the leads' list.
REVEALS_PAGE_SIZE = 50


@require_GET
def reveal_list(request) -> HttpResponse:
    """Who revealed which customer's what, when and why: leads for their teams' customers,
    compliance, FIU and auditors for everyone."""
    if not may_review_reveals(request.user):
        raise PermissionDenied("Only leads and reviewers see who revealed customer details.")
    filterset = PiiRevealFilter(request.GET, queryset=pii_reveal_list_visible_to(request.user), request=request)
    status = 200
    if filterset.is_valid():
        rows = filterset.qs
    else:
        rows = filterset.queryset.none()
        status = 400
    page = Paginator(rows, REVEALS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": filterset, "page": page, "querystring": query.urlencode()}
    return render(request, "cases/pii_reveals.html", context, status=status)
