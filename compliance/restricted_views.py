"""The restricted inbox's pages, for the FIU (and auditors, read-only). Everyone else: 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.access import get_case_for_user
from compliance import restricted
from compliance.errors import FlagError
from compliance.models import Referral, ReferralStatus
from people.forms import add_problems


class ReferForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False)
    terrorism_financing = forms.BooleanField(required=False, label="Suspected terrorism financing")


class NoteForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, required=False, label="Note")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("", "Choose"), (ReferralStatus.REPORTED, "Report filed"), (ReferralStatus.NO_REPORT, "No report")],
        required=False,
    )
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, required=False)
    filed_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Filed on")
    filing_reference = forms.CharField(max_length=100, required=False, label="Filing reference")


def _require_reader(user) -> None:
    # Not 403: the inbox's existence is nobody else's business.
    if not restricted.can_read_restricted(user):
        raise Http404("No such page.")


def _referral(request, pk: int) -> Referral:
    _require_reader(request.user)
    referral = (
        Referral.objects.select_related("case", "case__customer", "referred_by", "decided_by").filter(pk=pk).first()
    )
    if referral is None:
        raise Http404("No such referral.")
    return referral


@require_GET
def inbox(request):
    _require_reader(request.user)
    status = request.GET.get("status", ReferralStatus.OPEN)
    if status not in ("", *ReferralStatus.values):
        status, code = ReferralStatus.OPEN, 400
        messages.error(request, "Unknown status; showing open referrals.")
    else:
        code = 200
    page = Paginator(restricted.referral_inbox(user=request.user, status=status), 50).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": ReferralStatus.choices, "now": timezone.now()}
    return render(request, "fiu/inbox.html", context, status=code)


@require_http_methods(["GET", "POST"])
def referral_detail(request, pk: int):
    referral = _referral(request, pk)
    can_work = restricted.can_work_restricted(request.user) and referral.status == ReferralStatus.OPEN
    if request.method == "POST" and not can_work:
        raise PermissionDenied("Only the FIU works open referrals.")
    restricted.referral_read(actor=request.user, referral=referral)
    note_form, decision_form, code = NoteForm(), DecisionForm(), 200
    if request.method == "POST":
        try:
            if "decide" in request.POST:
                decision_form = DecisionForm(request.POST)
                if decision_form.is_valid():
                    data = decision_form.cleaned_data
                    restricted.referral_decide(actor=request.user, referral=referral, decision=data["decision"],
                                               rationale=data["rationale"], filed_on=data["filed_on"],
                                               filing_reference=data["filing_reference"])  # fmt: skip
                    messages.success(request, "Decision recorded; the case is back with its team.")
                    return redirect("fiu:referral", pk=referral.pk)
                code = 400
            else:
                note_form = NoteForm(request.POST)
                if note_form.is_valid():
                    restricted.referral_add_note(
                        actor=request.user, referral=referral, body=note_form.cleaned_data["body"]
                    )
                    messages.success(request, "Note added.")
                    return redirect("fiu:referral", pk=referral.pk)
                code = 400
        except FlagError as exc:
            form = decision_form if "decide" in request.POST else note_form
            add_problems(form, exc.problems, fallback=exc.message)
            code = exc.status_code
    context = {
        "referral": referral,
        "case": referral.case,
        "notes": referral.notes.select_related("author"),
        "can_work": can_work,
        "note_form": note_form,
        "decision_form": decision_form,
        "now": timezone.now(),
    }
    return render(request, "fiu/referral.html", context, status=code)


@require_POST
def refer(request, reference: str):
    """Send a case into the restricted inbox (people working it, or compliance)."""
    case = get_case_for_user(request.user, reference)
    form = ReferForm(request.POST)
    if form.is_valid():
        try:
            restricted.referral_create(actor=request.user, case=case, reason=form.cleaned_data["reason"],
                                       terrorism_financing=form.cleaned_data["terrorism_financing"])  # fmt: skip
        except FlagError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{case.reference} is now {restricted.NEUTRAL_STATE.lower()}.")
    return redirect("cases:detail", reference=case.reference)
