"""Routing pages: rules and the auto-assign switch (leads, admins), "Get next case" (case
workers), and a case's routing history (leads of its team, auditors)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.access import get_case_for_user
from cases.errors import CaseError
from cases.models import RoutingRule
from cases.routing import (
    CONDITION_KEYS,
    CONDITION_LABELS,
    can_read_decisions,
    case_claim_next,
    routing_decisions_for_case,
)
from cases.routing_forms import RoutingRuleForm
from cases.routing_rules import (
    can_switch_auto_assign,
    routing_rule_list,
    routing_rule_move,
    routing_rule_save,
    routing_rule_set_active,
    team_list_for_auto_assign,
    team_set_auto_assign,
)
from people.forms import validation_problems
from people.models import Team
from people.roles import can_configure_routing, can_work_cases


def _require_configurer(user) -> None:
    if not can_configure_routing(user):
        raise PermissionDenied("Only leads and administrators configure routing.")


def conditions_summary(rule: RoutingRule) -> list[tuple[str, str]]:
    """``[("Category", "kyc, scam-fraud"), ...]`` for the rule table; empty means every case."""
    conditions = rule.conditions or {}
    return [(CONDITION_LABELS[key], ", ".join(conditions[key])) for key in CONDITION_KEYS if conditions.get(key)]


@require_GET
def rules(request):
    _require_configurer(request.user)
    rows = [(rule, conditions_summary(rule)) for rule in routing_rule_list()]
    context = {"rows": rows, "teams": team_list_for_auto_assign(request.user)}
    return render(request, "routing/rules.html", context)


def _rule_or_404(pk: int) -> RoutingRule:
    rule = RoutingRule.objects.select_related("target_team").filter(pk=pk).first()
    if rule is None:
        raise Http404("No such rule.")
    return rule


def _rule_form_page(request, rule: RoutingRule | None):
    _require_configurer(request.user)
    status = 200
    if request.method == "POST":
        form = RoutingRuleForm(request.POST)
        if form.is_valid():
            try:
                saved = routing_rule_save(actor=request.user, rule=rule, **form.service_kwargs())
            except ValidationError as exc:
                form.add_service_errors(validation_problems(exc))
            else:
                messages.success(request, f"Saved rule {saved.name}: it applies to cases routed from now on.")
                return redirect("routing:rules")
        status = 400
    else:
        form = RoutingRuleForm(initial=RoutingRuleForm.initial_for(rule) if rule else None)
    return render(request, "routing/rule_form.html", {"form": form, "rule": rule}, status=status)


@require_http_methods(["GET", "POST"])
def rule_new(request):
    return _rule_form_page(request, None)


@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int):
    _require_configurer(request.user)
    return _rule_form_page(request, _rule_or_404(pk))


@require_POST
def rule_move(request, pk: int):
    _require_configurer(request.user)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return HttpResponseBadRequest("Move a rule up or down.")
    rule = _rule_or_404(pk)
    routing_rule_move(actor=request.user, rule=rule, direction=direction)
    messages.success(request, f"Moved {rule.name} {direction}.")
    return redirect("routing:rules")


@require_POST
def rule_active(request, pk: int):
    _require_configurer(request.user)
    wanted = request.POST.get("is_active")
    if wanted not in ("0", "1"):
        return HttpResponseBadRequest("Say whether the rule should be active.")
    rule = routing_rule_set_active(actor=request.user, rule=_rule_or_404(pk), is_active=wanted == "1")
    state = "now routes cases" if rule.is_active else "no longer routes cases"
    messages.success(request, f"{rule.name} {state}.")
    return redirect("routing:rules")


@require_POST
def team_auto_assign(request, pk: int):
    _require_configurer(request.user)
    team = Team.objects.filter(pk=pk).first()
    # A lead of another team does not manage this one: as far as they are concerned it is not here.
    if team is None or not can_switch_auto_assign(request.user, team):
        raise Http404("No such team.")
    wanted = request.POST.get("auto_assign")
    if wanted not in ("0", "1"):
        return HttpResponseBadRequest("Say whether the team should be assigned automatically.")
    team = team_set_auto_assign(actor=request.user, team=team, auto_assign=wanted == "1")
    if team.auto_assign:
        messages.success(request, f"{team} is assigned automatically again; waiting cases are routed within minutes.")
    else:
        messages.success(request, f"{team} now pulls its cases: members use Get next case.")
    return redirect("routing:rules")


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_POST
def next_case(request):
    """Get next case: claim the most urgent free case and open it, or say why there is none."""
    if not can_work_cases(request.user):
        raise PermissionDenied("Only agents, leads and specialists take cases from a queue.")
    back = _safe_next(request, reverse("cases:queue"))
    try:
        case = case_claim_next(actor=request.user)
    except CaseError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if case is None:
        messages.info(request, "No unassigned case in your teams' queues is free for you right now.")
        return redirect(back)
    messages.success(request, f"{case.reference} is yours: the most urgent free case in your queues.")
    return redirect("cases:detail", reference=case.reference)


@require_GET
def case_decisions(request, reference: str):
    """Every routing decision on a case, newest first: the rule, the candidates and their reasons."""
    case = get_case_for_user(request.user, reference)
    if not can_read_decisions(request.user, case):
        raise PermissionDenied("Routing decisions are shown to the leads of the case's team.")
    return render(request, "routing/decisions.html", {"case": case, "decisions": routing_decisions_for_case(case)})
