"""Compliance pages: raising a flag, the review queue, reviewing and signing off."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.access import can_edit_case, get_case_for_user
from compliance import services
from compliance.choices import FACTS, FlagKind, FlagStatus
from compliance.errors import FlagError
from compliance.filters import FlagReviewFilter
from compliance.forms import KindForm, SignOffForm, TriggerCorrectionForm, facts_correction_form_class, facts_form_class
from compliance.models import Obligation, RegulatoryFlag
from compliance.obligations import obligation_satisfy
from compliance.queue_rows import render_deadlines, render_rows
from compliance.restricted import NEUTRAL_STATE, can_read_restricted
from compliance.selectors import (
    flag_decisions_voided,
    flag_evidence,
    flag_list_for_review,
    flags_of_case,
    obligations_needing_attention,
)
from compliance.services import REVIEWER_ROLES, flag_evidence_hash, flag_sign_off_blocker, flag_trigger_key
from people.forms import add_problems
from people.fragments import FILTERS_CACHE_SECONDS
from people.roles import role_of


def _flag_for(request, pk: int) -> RegulatoryFlag:
    flag = RegulatoryFlag.objects.select_related("case", "case__customer", "raised_by").filter(pk=pk).first()
    if flag is None:
        raise Http404("No such flag.")
    get_case_for_user(request.user, flag.case.reference)  # 404 when the case is not theirs to see
    return flag


@require_http_methods(["GET", "POST"])
def flag_new(request, reference: str):
    """Raise a flag: choose the kind, then record the facts that kind needs."""
    case = get_case_for_user(request.user, reference, for_write=True)
    data = request.POST if request.method == "POST" else request.GET
    kind_form = KindForm(data or None)
    kind = kind_form.cleaned_data["kind"] if kind_form.is_valid() else ""
    facts_form = facts_form_class(kind)(request.POST if request.method == "POST" else None) if kind else None
    status = 200
    if request.method == "POST" and facts_form is not None and facts_form.is_valid():
        try:
            services.flag_raise(actor=request.user, case=case, kind=kind, facts=facts_form.cleaned_data)
        except FlagError as exc:
            status = exc.status_code
            add_problems(facts_form, exc.problems, fallback=exc.message)
        else:
            messages.success(request, f"{FlagKind(kind).label} flag raised.")
            return redirect("cases:detail", reference=case.reference)
    elif request.method == "POST":
        status = 400
    context = {"case": case, "kind_form": kind_form, "kind": kind, "facts_form": facts_form}
    return render(request, "compliance/flag_new.html", context, status=status)


@require_POST
def flag_submit(request, pk: int):
    flag = _flag_for(request, pk)
    try:
        services.flag_submit(actor=request.user, flag=flag)
    except FlagError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Submitted for compliance review; the evidence is frozen.")
    return redirect("cases:detail", reference=flag.case.reference)


# Missed and nearly due obligations listed on the reviewer's home page, each; the queue's
# deadline filter shows the rest.
ATTENTION_LIMIT = 10


@require_GET
def review_queue(request):
    if role_of(request.user) not in REVIEWER_ROLES:
        raise PermissionDenied("The review queue is for compliance reviewers.")
    # The page reads a row's few shown columns (not facts or hashes).
    qs = flag_list_for_review(user=request.user).only(
        "kind", "submitted_at", "next_due_at", "required_approvals",
        "case__reference", "case__customer__full_name", "case__customer__jurisdiction",
        "raised_by__first_name", "raised_by__last_name", "raised_by__username",
    )  # fmt: skip
    filterset = FlagReviewFilter(request.GET, queryset=qs, request=request)
    status = 200
    if filterset.is_valid():
        flags = filterset.qs
    else:
        flags, status = qs.none(), 400
    page = Paginator(flags, settings.CASE_QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    attention = obligations_needing_attention(user=request.user, now=timezone.now(), limit=ATTENTION_LIMIT)
    context = {
        "page": page,
        "rows": render_rows(page.object_list),
        "breached_rows": render_deadlines(attention["breached"], missed=True),
        "due_soon_rows": render_deadlines(attention["due_soon"], missed=False),
        "attention_limit": ATTENTION_LIMIT,
        # The filter form depends on nothing but the query (no per-viewer choices).
        "filters_cache_key": hashlib.sha256(request.GET.urlencode().encode()).hexdigest(),
        "filters_cache_seconds": FILTERS_CACHE_SECONDS,
        "filter": filterset,
        "querystring": query.urlencode(),
        **attention,
    }
    return render(request, "compliance/review_queue.html", context, status=status)


def _fact_text(fact, value) -> str:
    if fact.kind == "bool":
        return "Yes" if value else "No"
    if fact.kind == "choice":
        return dict(fact.choices).get(value, value or "")
    return "" if value is None else str(value)


@require_http_methods(["GET", "POST"])
def flag_review(request, pk: int):
    """A flag as a reviewer sees it, and their sign-off."""
    flag = _flag_for(request, pk)
    reviewer = role_of(request.user) in REVIEWER_ROLES
    form = SignOffForm(request.POST or None, kind=flag.kind, initial={"seen_hash": flag_evidence_hash(flag)})
    status = 200
    if request.method == "POST":
        if not reviewer:
            raise PermissionDenied("Only compliance reviewers sign off regulatory flags.")
        if form.is_valid():
            try:
                services.flag_sign_off(
                    actor=request.user,
                    flag=flag,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    seen_hash=form.cleaned_data["seen_hash"],
                    amount=form.cleaned_data["amount"],
                )
            except FlagError as exc:
                status = exc.status_code
                if status == 409:
                    # The evidence moved: show it as it is now, with a form that names it.
                    messages.error(request, exc.message)
                    form = SignOffForm(kind=flag.kind, initial={"seen_hash": flag_evidence_hash(flag)})
                else:
                    add_problems(form, exc.problems, fallback=exc.message)
            else:
                messages.success(request, "Decision recorded.")
                return redirect("compliance:review", pk=flag.pk)
        else:
            status = 400
    return _render_review(request, flag, form=form if reviewer else None, status=status)


def _render_review(request, flag: RegulatoryFlag, *, form=None, trigger_form=None, status: int = 200):
    reviewer = role_of(request.user) in REVIEWER_ROLES
    trigger_key = flag_trigger_key(flag)
    if reviewer and trigger_key and trigger_form is None:
        trigger_form = TriggerCorrectionForm(initial={"trigger_date": flag.facts.get(trigger_key)})
    [flag_with_details] = [f for f in flags_of_case(case=flag.case) if f.pk == flag.pk]
    context = {
        "flag": flag_with_details,
        "case": flag.case,
        "facts": [(fact.label, _fact_text(fact, flag.facts.get(fact.key))) for fact in FACTS[flag.kind]],
        "form": form,
        "blocker": flag_sign_off_blocker(request.user, flag) if flag.status == FlagStatus.IN_REVIEW else None,
        "trigger_form": trigger_form if trigger_key else None,
        "trigger_label": next((f.label for f in FACTS[flag.kind] if f.key == trigger_key), ""),
        "evidence": flag_evidence(flag=flag),
        "voided": flag_decisions_voided(flag=flag),
        "can_correct_facts": can_edit_case(request.user, flag.case) and flag.case.is_open,
        "restricted_reader": can_read_restricted(request.user),
        "neutral_state": NEUTRAL_STATE,
    }
    return render(request, "compliance/flag_review.html", context, status=status)


@require_POST
def flag_trigger(request, pk: int):
    """A compliance reviewer corrects the date the flag's regulatory clocks run from."""
    flag = _flag_for(request, pk)
    if role_of(request.user) not in REVIEWER_ROLES:
        raise PermissionDenied("Only a compliance reviewer can correct a trigger date.")
    form = TriggerCorrectionForm(request.POST)
    if form.is_valid():
        try:
            services.flag_correct_trigger(
                actor=request.user, flag=flag, trigger_date=form.cleaned_data["trigger_date"],
                reason=form.cleaned_data["reason"],
            )  # fmt: skip
        except FlagError as exc:
            # The service names the trigger fact (e.g. notice_date); this form calls it trigger_date.
            key = flag_trigger_key(flag)
            problems = {("trigger_date" if k == key else k): v for k, v in exc.problems.items()}
            add_problems(form, problems, fallback=exc.message)
        else:
            messages.success(
                request, "Trigger date corrected; the clocks were recomputed and the flag is back in review."
            )
            return redirect("compliance:review", pk=flag.pk)
    sign_off = SignOffForm(kind=flag.kind, initial={"seen_hash": flag_evidence_hash(flag)})
    return _render_review(request, flag, form=sign_off, trigger_form=form, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def flag_facts(request, pk: int):
    """People working the case correct a flag's facts, saying why; a standing sign-off is voided."""
    flag = _flag_for(request, pk)
    if not can_edit_case(request.user, flag.case):
        raise PermissionDenied("Only people working this case can correct its flag.")
    trigger_key = flag_trigger_key(flag)
    form_class = facts_correction_form_class(flag.kind, trigger_key=trigger_key)
    form = form_class(request.POST or None, initial=flag.facts)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            facts = {key: value for key, value in form.cleaned_data.items() if key != "reason"}
            try:
                services.flag_update_facts(
                    actor=request.user, flag=flag, facts=facts, reason=form.cleaned_data["reason"]
                )
            except FlagError as exc:
                add_problems(form, exc.problems, fallback=exc.message)
                status = exc.status_code
            else:
                messages.success(request, "Flag facts corrected.")
                return redirect("cases:detail", reference=flag.case.reference)
        else:
            status = 400
    return render(request, "compliance/flag_facts.html", {"flag": flag, "case": flag.case, "form": form}, status=status)


@require_POST
def obligation_met(request, pk: int):
    """Record the step that meets an obligation (people working the case, or compliance)."""
    obligation = Obligation.objects.select_related("case").filter(pk=pk).first()
    if obligation is None:
        raise Http404("No such obligation.")
    case = get_case_for_user(request.user, obligation.case.reference)
    if not (can_edit_case(request.user, case) or role_of(request.user) in REVIEWER_ROLES):
        raise PermissionDenied("Only people working this case, or compliance, record that an obligation is met.")
    note = request.POST.get("note", "").strip()
    if not note:
        messages.error(request, "Say what was done (e.g. results letter sent on 3 Dec).")
        return redirect("cases:detail", reference=case.reference)
    obligation_satisfy(actor=request.user, obligation=obligation, note=note)
    messages.success(request, f"Recorded that '{obligation.rule_name}' is met.")
    return redirect("cases:detail", reference=case.reference)
