"""Case pages: parse, authorize, call one service or selector, render or redirect."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import registry, services
from cases.access import can_assign_case, can_edit_case, get_case_for_user
from cases.choices import OPEN_STATUSES
from cases.documents import document_panel
from cases.errors import CaseError, StaleVersion
from cases.filters import CaseFilter
from cases.forms import AssignForm, BulkActionForm, MessageForm, PropertiesForm, SlaPolicyForm, StatusForm
from cases.models import SlaPolicy
from cases.pagination import CappedPaginator
from cases.pii_views import pii_context
from cases.selectors import (
    case_get_for_page,
    case_list_for_queue,
    case_list_mine,
    case_sla_timers,
    case_timeline,
    customer_cases,
    customer_get_for_user,
    sla_policy_overview,
    sla_policy_versions,
    sla_stop_the_clock,
)
from cases.sla_policies import sla_policy_move, sla_policy_save, sla_policy_set_active
from people.choices import Role
from people.forms import validation_problems
from people.fragments import FILTERS_CACHE_SECONDS, viewer_fragment_key
from people.roles import can_configure_sla, can_read_cases, can_triage, can_work_cases, role_of

# The stop-the-clock table looks back this far.
STOP_THE_CLOCK_DAYS = 30


@require_GET
def home(request):
    """Land each role on the page made for it."""
    role = role_of(request.user)
    if role == Role.ADMIN or (role is None and request.user.is_superuser):
        return redirect("admin:index")
    if role in (Role.AGENT, Role.SPECIALIST):
        return redirect("cases:mine")
    if role == Role.COMPLIANCE:
        # Their work is the review queue with its regulatory deadlines (a URL name, not an import).
        return redirect("compliance:queue")
    if role == Role.FIU:
        return redirect("fiu:inbox")
    if can_read_cases(request.user):
        return redirect("cases:queue")
    raise PermissionDenied("Your account has no role that can use the desk yet.")


def _require_reader(user) -> None:
    if not can_read_cases(user):
        raise PermissionDenied("Your role does not work with case data.")


def _queue_data(request):
    data = request.GET.copy()
    # A queue opened without the filter form submitted shows the open work, newest first,
    # unless the link itself names the statuses (e.g. ?status=resolved).
    if "f" not in data and "status" not in data:
        data.setlist("status", list(OPEN_STATUSES))
    return data


def _render_list(request, *, title: str, qs, template_name: str, show_bulk: bool):
    filterset = CaseFilter(_queue_data(request), queryset=qs, request=request)
    status = 200
    if filterset.is_valid():
        object_list = filterset.qs
    else:
        object_list = qs.none()
        status = 400
    page = CappedPaginator(object_list, settings.CASE_QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": title,
        "filter": filterset,
        "page": page,
        "querystring": query.urlencode(),
        "sort": filterset.form.cleaned_data.get("sort") if filterset.is_valid() else "",
        "show_bulk": show_bulk,
        # "Get next case": people who own cases pull the most urgent eligible one.
        "can_pull": can_work_cases(request.user),
        "bulk_form": BulkActionForm(user=request.user) if show_bulk else None,
        # One instant for every timer on the page, so two rows never disagree about "now".
        "now": timezone.now(),
        "filters_cache_key": viewer_fragment_key(request, query.urlencode()),
        "filters_cache_seconds": FILTERS_CACHE_SECONDS,
    }
    template = "cases/_queue_table.html" if request.htmx and not request.htmx.boosted else template_name
    return render(request, template, context, status=status)


@require_GET
def queue(request):
    _require_reader(request.user)
    return _render_list(
        request,
        title="Triage queue" if can_triage(request.user) else "Team queue",
        qs=case_list_for_queue(user=request.user),
        template_name="cases/queue.html",
        show_bulk=can_triage(request.user),
    )


@require_GET
def mine(request):
    if not can_work_cases(request.user):
        raise PermissionDenied("Only people who work cases have a personal queue.")
    return _render_list(
        request,
        title="My cases",
        qs=case_list_mine(user=request.user),
        template_name="cases/queue.html",
        show_bulk=False,
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@require_POST
def bulk(request):
    if not can_triage(request.user):
        raise PermissionDenied("Only leads can act on many cases at once.")
    back = _safe_next(request, reverse("cases:queue"))
    form = BulkActionForm(request.POST, user=request.user)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{'' if field == '__all__' else field + ': '}{error}")
        return redirect(back)
    ids = [case.pk for case in form.cleaned_data["cases"]]
    try:
        if form.cleaned_data["action"] == "assign":
            changed = services.case_bulk_assign(
                actor=request.user, case_ids=ids, assignee=form.cleaned_data["assignee"]
            )
        else:
            changed = services.case_bulk_change_status(
                actor=request.user, case_ids=ids, to_status=form.cleaned_data["to_status"]
            )
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Updated {changed} of {len(ids)} selected case{'s' if len(ids) != 1 else ''}.")
    return redirect(back)


def _case_context(request, case, *, forms: dict | None = None, conflict: str = "") -> dict:
    forms = forms or {}
    editable = can_edit_case(request.user, case)
    assignable = can_assign_case(request.user, case)
    initial = {"version": case.version}
    panels = [panel(request.user, case, editable) for panel in registry.case_panels]
    return {
        "case": case,
        # The customer's PII as this viewer may see it now (masked unless revealed).
        **pii_context(request, case.customer, case=case),
        "documents_panel": document_panel(request.user, case),
        "panels": [panel for panel in panels if panel],
        "events": list(case_timeline(case=case)),
        **_sla_panel_timers(case_sla_timers(case=case), show_all=False),
        "now": timezone.now(),
        "editable": editable,
        "assignable": assignable,
        "conflict": conflict,
        "message_form": forms.get("message") or (MessageForm() if editable else None),
        "status_form": forms.get("status") or (StatusForm(initial=initial, case=case) if editable else None),
        "properties_form": forms.get("properties")
        or (
            PropertiesForm(initial={**initial, "priority": case.priority, "category": case.category_id})
            if editable
            else None
        ),
        "assign_form": forms.get("assign")
        or (AssignForm(initial={**initial, "assignee": case.assignee_id}, case=case) if assignable else None),
    }


def _render_case(request, case, *, status: int = 200, **kwargs) -> HttpResponse:
    template = "cases/_case_main.html" if request.htmx else "cases/case_detail.html"
    return render(request, template, _case_context(request, case, **kwargs), status=status)


@require_GET
def case_detail(request, reference: str):
    _require_reader(request.user)
    case = case_get_for_page(user=request.user, reference=reference)
    return _render_case(request, case)


@require_GET
def case_sla(request, reference: str):
    """The case's SLA panel alone: the case page polls it so the time left stays current."""
    _require_reader(request.user)
    case = get_case_for_user(request.user, reference)
    show_all = request.GET.get("all") == "1"
    context = {"case": case, **_sla_panel_timers(case_sla_timers(case=case), show_all=show_all), "now": timezone.now()}
    return render(request, "cases/_sla_panel.html", context)


# Finished timers the case page shows below the running ones; a long case has dozens of
# next-response timers, and the rest are one click away.
SLA_PANEL_FINISHED = 3


def _sla_panel_timers(timers: list, *, show_all: bool) -> dict:
    """Running timers and the latest finished ones (all of them with ``show_all``)."""
    if show_all:
        return {"sla_timers": timers, "sla_hidden": 0, "sla_all": True}
    running = [t for t in timers if t.met_at is None and t.stopped_at is None]
    finished = [t for t in timers if t.met_at is not None or t.stopped_at is not None]
    shown = finished[-SLA_PANEL_FINISHED:]
    keep = {t.pk for t in running} | {t.pk for t in shown}
    return {
        "sla_timers": [t for t in timers if t.pk in keep],
        "sla_hidden": len(finished) - len(shown),
        "sla_all": False,
    }


def _after_write(request, case, message: str) -> HttpResponse:
    if request.htmx:
        messages.success(request, message)
        fresh = case_get_for_page(user=request.user, reference=case.reference)
        return _render_case(request, fresh)
    messages.success(request, message)
    return redirect("cases:detail", reference=case.reference)


def _form_kwargs(form_key: str, case) -> dict:
    return {"case": case} if form_key in ("status", "assign") else {}


def _domain_error(request, reference: str, form_key: str, form, exc: CaseError) -> HttpResponse:
    """Re-render the case with the fresh state, the user's input and the reason it was refused."""
    fresh = case_get_for_page(user=request.user, reference=reference)
    if isinstance(exc, StaleVersion):
        # Keep what they typed on a form bound to the fresh version, so a deliberate retry
        # after reading the new state is one click (a choice no longer allowed drops out).
        retry = type(form)(initial={**form.cleaned_data, "version": fresh.version}, **_form_kwargs(form_key, fresh))
        return _render_case(request, fresh, status=409, conflict=exc.message, forms={form_key: retry})
    form.add_error(None, exc.message)
    return _render_case(request, fresh, status=exc.status_code, forms={form_key: form})


@require_POST
def case_message(request, reference: str):
    case = get_case_for_user(request.user, reference, for_write=True)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, status=400, forms={"message": form})
    internal = form.cleaned_data["internal"] or request.POST.get("kind") == "note"
    try:
        services.case_add_message(
            actor=request.user,
            case=case,
            body=form.cleaned_data["body"],
            internal=internal,
            macro_version_id=form.cleaned_data["macro_version"],
        )
    except CaseError as exc:
        return _domain_error(request, reference, "message", form, exc)
    return _after_write(request, case, "Internal note added." if internal else "Reply sent to the customer.")


@require_POST
def case_status(request, reference: str):
    case = get_case_for_user(request.user, reference, for_write=True)
    form = StatusForm(request.POST, case=case)
    if not form.is_valid():
        # A version that moved on also makes the choice list stale: report it as a conflict.
        posted = request.POST.get("version", "")
        if posted.isdigit() and int(posted) != case.version:
            return _render_case(
                request,
                case,
                status=409,
                conflict=StaleVersion(current_version=case.version, expected_version=int(posted)).message,
            )
        return _render_case(request, case, status=400, forms={"status": form})
    try:
        services.case_change_status(
            actor=request.user,
            case=case,
            to_status=form.cleaned_data["to_status"],
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except CaseError as exc:
        return _domain_error(request, reference, "status", form, exc)
    return _after_write(request, case, "Status changed.")


@require_POST
def case_assign(request, reference: str):
    case = get_case_for_user(request.user, reference)
    if not can_assign_case(request.user, case):
        raise PermissionDenied("Only a lead of this case's team can assign it.")
    form = AssignForm(request.POST, case=case)
    if not form.is_valid():
        return _render_case(request, case, status=400, forms={"assign": form})
    try:
        services.case_assign(
            actor=request.user,
            case=case,
            assignee=form.cleaned_data["assignee"],
            expected_version=form.cleaned_data["version"],
        )
    except CaseError as exc:
        return _domain_error(request, reference, "assign", form, exc)
    return _after_write(request, case, "Assignment saved.")


@require_POST
def case_properties(request, reference: str):
    case = get_case_for_user(request.user, reference, for_write=True)
    form = PropertiesForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, status=400, forms={"properties": form})
    try:
        services.case_update_properties(
            actor=request.user,
            case=case,
            expected_version=form.cleaned_data["version"],
            priority=form.cleaned_data["priority"],
            category=form.cleaned_data["category"],
        )
    except CaseError as exc:
        return _domain_error(request, reference, "properties", form, exc)
    return _after_write(request, case, "Properties saved.")


@require_GET
def customer_detail(request, account_number: str):
    _require_reader(request.user)
    customer = customer_get_for_user(user=request.user, account_number=account_number)
    if customer is None:
        raise Http404("No such customer.")
    cases = customer_cases(user=request.user, customer=customer)
    page = Paginator(cases, settings.CASE_QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"customer": customer, "page": page, **pii_context(request, customer)}
    return render(request, "cases/customer_detail.html", context)


# --- service SLA configuration (leads and admins) -----------------------------------------------


def _require_configurer(user) -> None:
    if not can_configure_sla(user):
        raise PermissionDenied("Only leads and administrators configure service SLAs.")


@require_GET
def sla_overview(request):
    _require_configurer(request.user)
    since = timezone.now() - timedelta(days=STOP_THE_CLOCK_DAYS)
    return render(
        request,
        "cases/sla_overview.html",
        {
            "rows": sla_policy_overview(),
            "stop_the_clock": sla_stop_the_clock(since=since),
            "since": since,
            "days": STOP_THE_CLOCK_DAYS,
        },
    )


def _policy_form_page(request, policy: SlaPolicy | None):
    _require_configurer(request.user)
    status = 200
    if request.method == "POST":
        form = SlaPolicyForm(request.POST)
        if form.is_valid():
            try:
                saved = sla_policy_save(actor=request.user, policy=policy, position=None, **form.service_kwargs())
            except ValidationError as exc:
                form.add_service_errors(validation_problems(exc))
            else:
                number = saved.current_version.number
                messages.success(
                    request, f"Saved {saved.name}: version {number} applies to timers that start from now."
                )
                return redirect("sla:policy", pk=saved.pk)
        status = 400
    else:
        form = SlaPolicyForm(initial=SlaPolicyForm.initial_for(policy) if policy else None)
    context = {"form": form, "policy": policy, "versions": sla_policy_versions(policy=policy) if policy else []}
    return render(request, "cases/sla_policy_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def sla_policy_new(request):
    return _policy_form_page(request, None)


def _policy_or_404(pk: int) -> SlaPolicy:
    policy = SlaPolicy.objects.select_related("current_version").filter(pk=pk).first()
    if policy is None:
        raise Http404("No such policy.")
    return policy


@require_http_methods(["GET", "POST"])
def sla_policy_edit(request, pk: int):
    _require_configurer(request.user)
    return _policy_form_page(request, _policy_or_404(pk))


@require_POST
def sla_policy_move_view(request, pk: int):
    _require_configurer(request.user)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return HttpResponseBadRequest("Move a policy up or down.")
    policy = sla_policy_move(actor=request.user, policy=_policy_or_404(pk), direction=direction)
    messages.success(request, f"Moved {policy.name} {direction}.")
    return redirect("sla:overview")


@require_POST
def sla_policy_active_view(request, pk: int):
    _require_configurer(request.user)
    wanted = request.POST.get("is_active")
    if wanted not in ("0", "1"):
        return HttpResponseBadRequest("Say whether the policy should be active.")
    policy = sla_policy_set_active(actor=request.user, policy=_policy_or_404(pk), is_active=wanted == "1")
    state = "now applies to new cases" if policy.is_active else "no longer applies to new cases"
    messages.success(request, f"{policy.name} {state}.")
    return redirect("sla:overview")
