"""Escalation pages: the receiving teams' queue, requesting, answering and handing on."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.access import get_case_for_user
from cases.errors import CaseError
from escalations import services
from escalations.choices import OPEN_ESCALATION_STATUSES, EscalationStatus
from escalations.filters import EscalationFilter
from escalations.forms import AcceptForm, BulkEscalationForm, EscalationRequestForm, HandOnForm, ReturnForm
from escalations.selectors import (
    escalation_bounce_figures_cached,
    escalation_get_for_user,
    escalation_list_for_queue,
    escalation_queue_order,
    escalation_rows,
    escalations_of_case,
    ola_remaining_minutes,
)
from people.fragments import FILTERS_CACHE_SECONDS, viewer_fragment_key
from people.roles import can_read_cases, can_triage, can_work_cases
from people.selectors import team_ids_of


def _queue_data(request):
    data = request.GET.copy()
    if "f" not in data and "status" not in data:
        data.setlist("status", list(OPEN_ESCALATION_STATUSES))
    return data


class _QueuePaginator(Paginator):
    """Pages of ids in queue order, counted on the plain filtered rows (no sorting joins)."""

    def __init__(self, ordered_ids, per_page, *, count_qs):
        super().__init__(ordered_ids, per_page)
        self._count_qs = count_qs

    @cached_property
    def count(self) -> int:
        return self._count_qs.count()


@require_GET
def queue(request):
    """Open escalations addressed to the user's teams, most urgent first."""
    if not can_read_cases(request.user):
        raise PermissionDenied("Your role does not work with case data.")
    qs = escalation_list_for_queue(user=request.user)
    filterset = EscalationFilter(_queue_data(request), queryset=qs, request=request)
    status = 200
    if filterset.is_valid():
        rows = filterset.qs
    else:
        rows, status = qs.none(), 400
    ordered_ids = escalation_queue_order(rows).values_list("id", flat=True)
    page = _QueuePaginator(ordered_ids, settings.CASE_QUEUE_PAGE_SIZE, count_qs=rows).get_page(request.GET.get("page"))
    page.object_list = escalation_rows(ids=list(page.object_list))
    now = timezone.now()
    for escalation in page.object_list:
        escalation.ola_left = ola_remaining_minutes(escalation, now)
    query = request.GET.copy()
    query.pop("page", None)
    show_bulk = can_triage(request.user)
    teams = team_ids_of(request.user)
    context = {
        "filter": filterset,
        "page": page,
        "querystring": query.urlencode(),
        "show_bulk": show_bulk,
        "bulk_form": BulkEscalationForm(user=request.user) if show_bulk else None,
        "figures": escalation_bounce_figures_cached(team_ids=teams) if show_bulk else None,
        "filters_cache_key": viewer_fragment_key(request, query.urlencode()),
        "filters_cache_seconds": FILTERS_CACHE_SECONDS,
    }
    template = (
        "escalations/_queue_table.html" if request.htmx and not request.htmx.boosted else "escalations/queue.html"
    )
    return render(request, template, context, status=status)


@require_POST
def bulk(request):
    if not can_triage(request.user):
        raise PermissionDenied("Only leads can act on many escalations at once.")
    form = BulkEscalationForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("escalations:queue")
    chosen = form.cleaned_data["escalations"]
    owner = form.cleaned_data["owner"] if form.cleaned_data["action"] == "assign" else None
    try:
        changed = services.escalation_bulk_accept(
            actor=request.user, escalation_ids=[e.pk for e in chosen], owner=owner
        )
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Accepted {changed} of {len(chosen)} selected escalations.")
    return redirect("escalations:queue")


@require_http_methods(["GET", "POST"])
def request_escalation(request, reference: str):
    """The agent's escalation form for one case (GET shows it, POST raises the escalation)."""
    case = get_case_for_user(request.user, reference, for_write=True)
    form = EscalationRequestForm(request.POST or None, from_team_id=case.team_id)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                escalation = services.escalation_request(
                    actor=request.user,
                    case=case,
                    to_team=form.cleaned_data["to_team"],
                    reason=form.cleaned_data["reason"],
                    urgency=form.cleaned_data["urgency"] or None,
                    note=form.cleaned_data["note"],
                )
            except CaseError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, f"Escalated to {escalation.to_team}.")
                return redirect("cases:detail", reference=case.reference)
        else:
            status = 400
    context = {"case": case, "form": form, "hops": list(escalations_of_case(case=case))}
    return render(request, "escalations/request.html", context, status=status)


def _get(request, pk: int):
    escalation = escalation_get_for_user(user=request.user, pk=pk)
    if escalation is None:
        raise Http404("No such escalation.")
    return escalation


def _detail_context(request, escalation, forms: dict | None = None) -> dict:
    forms = forms or {}
    initial = {"version": escalation.version}
    receiver = can_work_cases(request.user) and escalation.to_team_id in team_ids_of(request.user)
    answerable = receiver and escalation.status in OPEN_ESCALATION_STATUSES
    waiting = escalation.status == EscalationStatus.REQUESTED
    return {
        "escalation": escalation,
        "case": escalation.case,
        "hops": list(escalations_of_case(case=escalation.case)),
        "ola_left": ola_remaining_minutes(escalation, timezone.now()),
        "accept_form": forms.get("accept")
        or (AcceptForm(initial=initial, escalation=escalation) if receiver and waiting else None),
        "return_form": forms.get("return") or (ReturnForm(initial=initial) if answerable else None),
        "hand_on_form": forms.get("hand_on")
        or (HandOnForm(initial=initial, from_team_id=escalation.to_team_id) if answerable else None),
        "can_withdraw": waiting
        and (escalation.requested_by_id == request.user.pk
             or (can_triage(request.user) and escalation.from_team_id in team_ids_of(request.user))),
    }  # fmt: skip


@require_GET
def detail(request, pk: int):
    escalation = _get(request, pk)
    return render(request, "escalations/detail.html", _detail_context(request, escalation))


def _answer(request, pk: int, form_key: str, form_class, call, success: str):
    escalation = _get(request, pk)
    kwargs = {"escalation": escalation} if form_class is AcceptForm else {}
    if form_class is HandOnForm:
        kwargs = {"from_team_id": escalation.to_team_id}
    form = form_class(request.POST, **kwargs)
    if form.is_valid():
        try:
            call(escalation, form.cleaned_data)
        except CaseError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            messages.success(request, success)
            return redirect("escalations:detail", pk=escalation.pk)
    else:
        status = 400
    escalation = _get(request, pk)
    return render(
        request, "escalations/detail.html", _detail_context(request, escalation, {form_key: form}), status=status
    )


@require_POST
def accept(request, pk: int):
    return _answer(
        request,
        pk,
        "accept",
        AcceptForm,
        lambda e, data: services.escalation_accept(
            actor=request.user, escalation=e, owner=data["owner"], expected_version=data["version"]
        ),
        "Accepted: the case is now with your team.",
    )


@require_POST
def return_(request, pk: int):
    return _answer(
        request,
        pk,
        "return",
        ReturnForm,
        lambda e, data: services.escalation_return(
            actor=request.user,
            escalation=e,
            outcome=data["outcome"],
            guidance=data["guidance"],
            expected_version=data["version"],
        ),
        "Returned to the sender with your guidance.",
    )


@require_POST
def hand_on(request, pk: int):
    return _answer(
        request,
        pk,
        "hand_on",
        HandOnForm,
        lambda e, data: services.escalation_hand_on(
            actor=request.user,
            escalation=e,
            to_team=data["to_team"],
            reason=data["reason"],
            urgency=data["urgency"] or None,
            note=data["note"],
            expected_version=data["version"],
        ),
        "Handed on to the next team.",
    )


@require_POST
def withdraw(request, pk: int):
    escalation = _get(request, pk)
    try:
        services.escalation_withdraw(actor=request.user, escalation=escalation, note=request.POST.get("note", ""))
    except CaseError as exc:
        messages.error(request, exc.message)
        return redirect("escalations:detail", pk=pk)
    messages.success(request, "Escalation withdrawn.")
    return redirect(reverse("cases:detail", args=[escalation.case.reference]))
