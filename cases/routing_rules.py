"""Routing rules and the per-team auto-assign switch: validating, saving, ordering, switching.

Rules hold no case data, so leads and administrators edit them; every change is audited and
applies to cases routed from the moment it commits (decisions already made keep the rule's
name as it was). The engine that applies them is ``cases.routing``.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import audit_record
from cases.choices import JURISDICTION_CODES, Tier
from cases.errors import CaseError
from cases.models import Category, RoutingRule
from cases.ordering import ordered_move
from cases.routing import CONDITION_KEYS, CONDITION_LABELS
from people.choices import Role
from people.models import Team, User
from people.roles import can_configure_routing, role_of
from people.selectors import team_ids_of

COUNTRIES = frozenset({"US", "AU"})
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def _known_values(key: str) -> frozenset[str] | None:
    """Every value a case can have for ``key``; None where any well-formed code is accepted."""
    if key == "category":
        return frozenset(Category.objects.filter(is_active=True).values_list("code", flat=True))
    if key == "jurisdiction":
        return JURISDICTION_CODES | COUNTRIES
    if key == "tier":
        return frozenset(Tier.values)
    return None


def _well_formed(key: str, value: str) -> bool:
    return bool(_LANGUAGE.match(value) if key == "language" else _CODE.match(value))


def _condition_problems(conditions: Any) -> dict[str, list[str]]:
    """Problems by condition key (the form shows each under its field); others under "conditions"."""
    if not isinstance(conditions, dict):
        return {"conditions": [f"Conditions must map {', '.join(CONDITION_KEYS)} to lists of values."]}
    problems: dict[str, list[str]] = {}
    for key in sorted(set(conditions) - set(CONDITION_KEYS)):
        problems.setdefault("conditions", []).append(
            f"{key!r} is not something a rule can match on; use {', '.join(CONDITION_KEYS)}."
        )
    for key in CONDITION_KEYS:
        values = conditions.get(key)
        if not values:
            continue
        label = CONDITION_LABELS[key]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems[key] = [f"{label}: expected a list of codes."]
            continue
        known = _known_values(key)
        unknown = [v for v in values if (v not in known if known is not None else not _well_formed(key, v))]
        if unknown:
            verb = "is" if len(unknown) == 1 else "are"
            problems[key] = [f"{label}: {', '.join(unknown)} {verb} not a known code."]
    return problems


def routing_rule_validate(
    *, rule: RoutingRule | None, name: str, conditions: Any, target_team: Team | None, required_skills: Any
) -> dict[str, list[str]]:
    """Every problem with a rule as it would be saved, by field name; empty when it is valid."""
    problems: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        problems["name"] = ["Give the rule a name."]
    elif len(name) > 100:
        problems["name"] = ["Keep the name within 100 characters."]
    elif RoutingRule.objects.filter(name__iexact=name).exclude(pk=getattr(rule, "pk", None)).exists():
        problems["name"] = [f"A rule called {name!r} exists already."]
    if target_team is None or getattr(target_team, "pk", None) is None:
        problems["target_team"] = ["Choose the team this rule sends cases to; a rule without a target routes nothing."]
    problems |= _condition_problems(conditions)
    if not isinstance(required_skills, list) or not all(isinstance(s, str) for s in required_skills):
        problems["required_skills"] = ["Required skills are a list of skill codes."]
    elif bad := [s for s in required_skills if not _CODE.match(s)]:
        problems["required_skills"] = [
            f"{', '.join(bad)}: a skill code is lower-case letters, digits, '-' or '_' (e.g. scam, reg-e)."
        ]
    return problems


def _clean_conditions(conditions: dict) -> dict[str, list[str]]:
    # One canonical shape: known keys only, no empty lists, values sorted without repeats.
    return {key: sorted(set(conditions[key])) for key in CONDITION_KEYS if conditions.get(key)}


def _rule_snapshot(rule: RoutingRule) -> dict:
    return {
        "name": rule.name,
        "position": rule.position,
        "is_active": rule.is_active,
        "conditions": rule.conditions,
        "target_team_id": rule.target_team_id,
        "required_skills": rule.required_skills,
    }


def _check_configurer(actor) -> None:
    if actor is not None and not can_configure_routing(actor):
        raise CaseError("Only leads and administrators change routing rules.")


@transaction.atomic
def routing_rule_save(
    *,
    actor: User | None,
    rule: RoutingRule | None = None,
    name: str,
    position: int | None = None,
    is_active: bool,
    conditions: Any,
    target_team: Team | None,
    required_skills: Any,
) -> RoutingRule:
    """Create or edit a rule. It applies to cases routed from the moment this commits.

    ``position`` None puts a new rule last and keeps an existing one where it is. Raises
    ``ValidationError`` keyed by field name (a rule without a target team among them), and
    then writes nothing; CaseError if the actor may not configure routing.
    """
    _check_configurer(actor)
    problems = routing_rule_validate(
        rule=rule, name=name, conditions=conditions, target_team=target_team, required_skills=required_skills
    )
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    if rule is None:
        if position is None:
            last = RoutingRule.objects.aggregate(last=Max("position"))["last"]
            position = 0 if last is None else last + 1
        rule = RoutingRule(created_at=now, position=position)
        before = None
    else:
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        before = _rule_snapshot(rule)
        if position is not None:
            rule.position = position
    rule.name = name.strip()
    rule.is_active = is_active
    rule.conditions = _clean_conditions(conditions)
    rule.target_team = target_team
    rule.required_skills = sorted(set(required_skills))
    rule.updated_at = now
    rule.save()
    audit_record(
        actor=actor,
        action="routing_rule.save",
        object_type="routing_rule",
        object_id=rule.pk,
        before=before,
        after=_rule_snapshot(rule),
    )
    return rule


@transaction.atomic
def routing_rule_move(*, actor: User | None, rule: RoutingRule, direction: str) -> RoutingRule:
    """Swap a rule with its neighbour above ("up") or below ("down"); positions become 0..n-1.

    Moving the first rule up or the last one down changes nothing and records nothing.
    """
    _check_configurer(actor)
    return ordered_move(
        RoutingRule, rule, direction, actor=actor, action="routing_rule.move", object_type="routing_rule"
    )


@transaction.atomic
def routing_rule_set_active(*, actor: User | None, rule: RoutingRule, is_active: bool) -> RoutingRule:
    """Switch a rule on or off for cases routed from now on; decisions already made stay as they are."""
    _check_configurer(actor)
    rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    if rule.is_active == is_active:
        return rule
    rule.is_active = is_active
    rule.updated_at = timezone.now()
    rule.save(update_fields=["is_active", "updated_at"])
    audit_record(
        actor=actor,
        action="routing_rule.activate" if is_active else "routing_rule.deactivate",
        object_type="routing_rule",
        object_id=rule.pk,
        before={"is_active": not is_active},
        after={"is_active": is_active},
    )
    return rule


def can_switch_auto_assign(user, team: Team) -> bool:
    """Leads switch their own teams; administrators any team."""
    role = role_of(user)
    return role == Role.ADMIN or (role == Role.LEAD and team.pk in team_ids_of(user))


@transaction.atomic
def team_set_auto_assign(*, actor: User, team: Team, auto_assign: bool) -> Team:
    """Turn automatic assignment on or off for a team (off: members pull with "Get next case").

    Cases already assigned keep their assignee. Turning it back on leaves the waiting cases
    to the catch-up sweep, which routes them within its next runs. Raises CaseError if the
    actor is not a lead of the team or an administrator.
    """
    if not can_switch_auto_assign(actor, team):
        raise CaseError(f"Only a lead of {team} or an administrator switches its automatic assignment.")
    team = Team.objects.select_for_update().get(pk=team.pk)
    if team.auto_assign == auto_assign:
        return team
    team.auto_assign = auto_assign
    team.save(update_fields=["auto_assign"])
    audit_record(
        actor=actor,
        action="team.auto_assign_on" if auto_assign else "team.auto_assign_off",
        object_type="team",
        object_id=team.pk,
        before={"auto_assign": not auto_assign},
        after={"auto_assign": auto_assign},
    )
    return team


def team_list_for_auto_assign(user) -> list[Team]:
    """Teams whose automatic assignment the user may switch: administrators all, leads their own."""
    qs = Team.objects.order_by("name")
    if role_of(user) != Role.ADMIN:
        qs = qs.filter(pk__in=team_ids_of(user))
    return list(qs)


def routing_rule_list() -> list[RoutingRule]:
    return list(RoutingRule.objects.select_related("target_team").order_by("position", "id"))
