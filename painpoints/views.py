"""Pain point pages: parse, authorize, call one service or selector, render or redirect."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.access import get_case_for_user
from cases.filters import CaseFilter
from cases.models import Case
from painpoints import selectors, services
from painpoints.access import (
    can_change_status,
    can_manage_pain_points,
    can_read_pain_points,
    can_see_clusters,
    get_pain_point_for_user,
)
from painpoints.choices import IdentifierKind, JobKind, LinkSource, PainPointStatus, allowed_next
from painpoints.errors import PainPointError
from painpoints.forms import (
    ClusterLinkForm,
    IdentifierForm,
    LinkForm,
    PainPointForm,
    QueueLinkForm,
    SendForm,
    StatusForm,
)
from painpoints.models import BulkJob
from people.roles import can_read_cases

PAGE_SIZE = 50


def _require_reader(user) -> None:
    if not can_read_pain_points(user):
        raise PermissionDenied("Your role does not work with pain points.")


def _require_lead(user) -> None:
    if not can_manage_pain_points(user):
        raise PermissionDenied("Only CS leads manage pain points.")


def _fail(request, exc: PainPointError) -> None:
    if exc.status_code == 404 and not exc.problems:
        raise Http404(exc.message)
    messages.error(request, exc.message)


# --- identifiers on the case page ----------------------------------------------------------------


@require_POST
def identifier_add(request, reference: str):
    case = get_case_for_user(request.user, reference, for_write=True)
    form = IdentifierForm(request.POST)
    back = reverse("cases:detail", args=[case.reference])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{back}#identifiers-panel")
    try:
        identifier = services.identifier_add(
            actor=request.user,
            case=case,
            kind=form.cleaned_data["kind"],
            raw=form.cleaned_data["value"],
            chain=form.cleaned_data["chain"],
        )
    except PainPointError as exc:
        messages.error(request, exc.message)
    else:
        state = "verified" if identifier.verified else f"unverified ({identifier.note})"
        messages.success(request, f"Recorded {identifier.get_kind_display().lower()} {identifier.display}: {state}.")
    return redirect(f"{back}#identifiers-panel")


@require_POST
def identifier_extract(request, reference: str):
    case = get_case_for_user(request.user, reference, for_write=True)
    try:
        found = services.identifiers_extract(actor=request.user, case=case)
    except PainPointError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Found {found} new identifier{'s' if found != 1 else ''} in the customer's messages."
        )
    return redirect(f"{reverse('cases:detail', args=[case.reference])}#identifiers-panel")


@require_GET
def shared(request):
    if not can_read_cases(request.user):
        raise PermissionDenied("Your role does not see case data.")
    kind, value = request.GET.get("kind", ""), request.GET.get("value", "")[:200]
    if kind not in IdentifierKind.values or not value:
        raise Http404("No such identifier.")
    page = Paginator(selectors.cases_sharing(user=request.user, kind=kind, value=value), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"kind_label": IdentifierKind(kind).label, "kind": kind, "value": value, "page": page}
    return render(request, "painpoints/shared.html", context)


# --- the cluster ---------------------------------------------------------------------------------


@require_GET
def cluster(request, reference: str):
    if not can_see_clusters(request.user):
        raise PermissionDenied("The cluster view is for leads, compliance and audit.")
    case = get_case_for_user(request.user, reference)
    result = selectors.case_cluster(user=request.user, case=case)
    context = {
        "cluster": result,
        "case": case,
        "can_link": can_manage_pain_points(request.user),
        "pain_points": selectors.pain_point_list(user=request.user, status="open")
        if can_manage_pain_points(request.user)
        else [],
    }
    return render(request, "painpoints/cluster.html", context)


@require_POST
def cluster_link(request, reference: str):
    _require_lead(request.user)
    case = get_case_for_user(request.user, reference)
    form = ClusterLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the pain point to link these cases to.")
        return redirect("painpoints:cluster", reference=case.reference)
    pain_point = get_pain_point_for_user(request.user, form.cleaned_data["pain_point"], for_write=True)
    try:
        job = services.bulk_link_start(
            actor=request.user, pain_point=pain_point, case_ids=form.cleaned_data["cases"], source=LinkSource.CLUSTER
        )
    except PainPointError as exc:
        _fail(request, exc)
        return redirect("painpoints:cluster", reference=case.reference)
    messages.success(request, f"Linking {job.total} cases to “{pain_point.title}”.")
    return redirect("painpoints:detail", pk=pain_point.pk)


# --- pain points ---------------------------------------------------------------------------------


@require_GET
def index(request):
    _require_reader(request.user)
    status = request.GET.get("status", "open")
    context = {
        "pain_points": list(selectors.pain_point_list(user=request.user, status=status)[:200]),
        "status": status,
        "statuses": [("open", "Open"), *PainPointStatus.choices, ("all", "All")],
        "dashboard": selectors.pain_point_dashboard(user=request.user),
        "can_manage": can_manage_pain_points(request.user),
    }
    return render(request, "painpoints/index.html", context)


@require_http_methods(["GET", "POST"])
def new(request):
    _require_lead(request.user)
    form = PainPointForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                pain_point = services.pain_point_create(
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    owner_team=form.cleaned_data["owner_team"],
                    target_date=form.cleaned_data["target_date"],
                )
            except PainPointError as exc:
                form.add_service_errors(exc.problems, fallback=exc.message)
            else:
                messages.success(request, "Pain point opened.")
                return redirect("painpoints:detail", pk=pain_point.pk)
    return render(request, "painpoints/form.html", {"form": form, "pain_point": None}, status=status)


@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    _require_reader(request.user)
    pain_point = get_pain_point_for_user(request.user, pk, for_write=True)
    initial = {
        "title": pain_point.title,
        "description": pain_point.description,
        "owner_team": pain_point.owner_team_id,
        "target_date": pain_point.target_date,
        "version": pain_point.version,
    }
    form = PainPointForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.pain_point_update(
                    actor=request.user,
                    pain_point=pain_point,
                    expected_version=form.cleaned_data["version"],
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    owner_team=form.cleaned_data["owner_team"],
                    target_date=form.cleaned_data["target_date"],
                )
            except PainPointError as exc:
                form.add_service_errors(exc.problems, fallback=exc.message)
                status = exc.status_code
            else:
                messages.success(request, "Pain point updated.")
                return redirect("painpoints:detail", pk=pain_point.pk)
    return render(request, "painpoints/form.html", {"form": form, "pain_point": pain_point}, status=status)


def _detail_context(request, pain_point, **forms) -> dict:
    user = request.user
    manage = can_manage_pain_points(user)
    links = Paginator(selectors.pain_point_cases(user=user, pain_point=pain_point), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    next_statuses = [
        (s.value, s.label) for s in allowed_next(pain_point.status) if can_change_status(user, pain_point, s)
    ]
    answerable = manage and pain_point.status in (PainPointStatus.FIXED, PainPointStatus.VERIFIED)
    return {
        "pain_point": pain_point,
        "events": selectors.pain_point_timeline(pain_point=pain_point),
        "links": links,
        "jobs": selectors.pain_point_jobs(pain_point=pain_point),
        "can_manage": manage,
        "status_form": forms.get("status_form")
        or (StatusForm(initial={"version": pain_point.version}) if next_statuses else None),
        "next_statuses": next_statuses,
        "link_form": forms.get("link_form") or (LinkForm() if manage else None),
        "queue_form": forms.get("queue_form") or (QueueLinkForm() if manage else None),
        "send_form": forms.get("send_form") or (SendForm() if answerable else None),
        "answers": selectors.approved_answers() if answerable else [],
        "preview": selectors.answer_preview(user=user, pain_point=pain_point) if answerable else None,
    }


@require_GET
def detail(request, pk: int):
    _require_reader(request.user)
    pain_point = selectors.pain_point_for_page(user=request.user, pk=pk)
    return render(request, "painpoints/detail.html", _detail_context(request, pain_point))


def _render_detail(request, pain_point, status: int, **forms):
    pain_point = selectors.pain_point_for_page(user=request.user, pk=pain_point.pk)
    return render(request, "painpoints/detail.html", _detail_context(request, pain_point, **forms), status=status)


@require_POST
def change_status(request, pk: int):
    _require_reader(request.user)
    pain_point = get_pain_point_for_user(request.user, pk)
    if not can_change_status(request.user, pain_point):
        raise PermissionDenied("You can read this pain point but not change it.")
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, pain_point, 400, status_form=form)
    try:
        pain_point = services.pain_point_change_status(
            actor=request.user,
            pain_point=pain_point,
            to_status=form.cleaned_data["to_status"],
            expected_version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
        )
    except PainPointError as exc:
        if exc.status_code == 403:
            raise PermissionDenied(exc.message) from exc
        form.add_service_errors(exc.problems, fallback=exc.message)
        return _render_detail(request, pain_point, exc.status_code, status_form=form)
    messages.success(request, f"Status: {pain_point.get_status_display()}.")
    return redirect("painpoints:detail", pk=pain_point.pk)


@require_POST
def link(request, pk: int):
    _require_reader(request.user)
    pain_point = get_pain_point_for_user(request.user, pk, for_write=True)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, pain_point, 400, link_form=form)
    try:
        created = services.pain_point_link_case(
            actor=request.user,
            pain_point=pain_point,
            reference=form.cleaned_data["reference"],
            amount_at_stake=form.cleaned_data["amount_at_stake"],
        )
    except PainPointError as exc:
        form.add_service_errors(exc.problems, fallback=exc.message)
        return _render_detail(request, pain_point, exc.status_code, link_form=form)
    messages.success(request, f"Linked {created.case.reference}.")
    return redirect("painpoints:detail", pk=pain_point.pk)


@require_POST
def unlink(request, pk: int):
    _require_reader(request.user)
    pain_point = get_pain_point_for_user(request.user, pk, for_write=True)
    reference = request.POST.get("reference", "")
    try:
        services.pain_point_unlink_case(actor=request.user, pain_point=pain_point, reference=reference)
    except PainPointError as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"Unlinked {reference}.")
    return redirect("painpoints:detail", pk=pain_point.pk)


def _queue_cases(request, raw: str) -> list[int]:
    """The cases a triage queue filter matches, exactly as the queue page reads them."""
    query = urlsplit(raw.strip()).query if "?" in raw or "://" in raw else raw.strip().lstrip("?")
    data = QueryDict(query)
    filterset = CaseFilter(data=data, queryset=Case.objects.visible_to(request.user), request=request)
    if not filterset.is_valid():
        raise PainPointError("That queue filter is not valid: " + "; ".join(
            f"{field}: {' '.join(errors)}" for field, errors in filterset.errors.items()
        ))  # fmt: skip
    return list(filterset.qs.values_list("pk", flat=True)[: services.MAX_BULK_CASES + 1])


@require_POST
def link_queue(request, pk: int):
    _require_reader(request.user)
    pain_point = get_pain_point_for_user(request.user, pk, for_write=True)
    form = QueueLinkForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, pain_point, 400, queue_form=form)
    try:
        ids = _queue_cases(request, form.cleaned_data["queue_filter"])
        job = services.bulk_link_start(actor=request.user, pain_point=pain_point, case_ids=ids, source=LinkSource.QUEUE)
    except PainPointError as exc:
        form.add_error("queue_filter", exc.message)
        return _render_detail(request, pain_point, exc.status_code, queue_form=form)
    messages.success(request, f"Linking {job.total} cases that match the queue filter.")
    return redirect("painpoints:detail", pk=pain_point.pk)


@require_POST
def send(request, pk: int):
    _require_reader(request.user)
    pain_point = get_pain_point_for_user(request.user, pk, for_write=True)
    form = SendForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, pain_point, 400, send_form=form)
    try:
        job = services.answer_send_start(
            actor=request.user, pain_point=pain_point, macro_version_id=form.cleaned_data["macro_version"]
        )
    except PainPointError as exc:
        form.add_service_errors(exc.problems, fallback=exc.message)
        return _render_detail(request, pain_point, exc.status_code, send_form=form)
    messages.success(request, f"Sending “{job.macro_version.title}” to {job.total} cases.")
    return redirect("painpoints:detail", pk=pain_point.pk)


@require_GET
def job(request, pk: int):
    """A bulk job's progress, polled by the pain point page while it runs."""
    _require_reader(request.user)
    found = BulkJob.objects.select_related("macro_version", "requested_by").filter(pk=pk).first()
    if found is None:
        raise Http404("No such job.")
    get_pain_point_for_user(request.user, found.pain_point_id)
    return render(request, "painpoints/_job.html", {"job": found, "JobKind": JobKind})
