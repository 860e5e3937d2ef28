"""SLA policies: validating, saving (a new version every time), ordering and switching them.

A policy's row holds its name, place in the order and whether it is active; what it matches
and promises lives in :class:`SlaPolicyVersion` rows, which are never edited (a PostgreSQL
trigger refuses it). Timers pin the version they started on, so an edit here moves no deadline
already promised.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import audit_record
from cases.choices import JURISDICTION_CODES, Channel, Priority, Tier
from cases.models import Category, SlaPolicy, SlaPolicyVersion
from cases.ordering import ordered_move
from people.models import BusinessCalendar, Team, User

# The case attributes a policy may match on, in the order the pages show them.
CONDITION_KEYS = ("priority", "category", "tier", "channel", "jurisdiction", "team")
TARGET_FIELDS = ("first_response_minutes", "next_response_minutes", "resolution_minutes")
VERSION_FIELDS = (
    "conditions",
    "calendar_id",
    *TARGET_FIELDS,
    "warn_percent",
    "warn_minutes_before",
    "breach_raise_priority",
    "breach_escalate",
)


def condition_values_known(key: str) -> frozenset[str]:
    """Every value a case can have for ``key`` today (one query for categories and teams)."""
    if key == "priority":
        return frozenset(Priority.values)
    if key == "tier":
        return frozenset(Tier.values)
    if key == "channel":
        return frozenset(Channel.values)
    if key == "jurisdiction":
        return JURISDICTION_CODES
    if key == "category":
        return frozenset(Category.objects.filter(is_active=True).values_list("code", flat=True))
    if key == "team":
        return frozenset(Team.objects.values_list("slug", flat=True))
    raise KeyError(key)


def _condition_problems(conditions: Any) -> list[str]:
    if not isinstance(conditions, dict):
        return [f"Conditions must map {', '.join(CONDITION_KEYS)} to lists of values."]
    problems = []
    for key in sorted(set(conditions) - set(CONDITION_KEYS)):
        problems.append(f"{key!r} is not something a policy can match on; use {', '.join(CONDITION_KEYS)}.")
    for key in CONDITION_KEYS:
        values = conditions.get(key)
        if values in (None, []):
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(f"{key.capitalize()}: expected a list of codes.")
            continue
        unknown = [value for value in values if value not in condition_values_known(key)]
        if not unknown:
            continue
        named = f"{key.capitalize()}: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not known"
        if len(unknown) == len(values):
            # Saving it would make a policy that silently never applies.
            problems.append(f"{named}, so this policy would match nothing.")
        else:
            problems.append(f"{named}.")
    return problems


def sla_policy_validate(
    *,
    policy: SlaPolicy | None,
    name: str,
    conditions: Any,
    first_response_minutes: int | None,
    next_response_minutes: int | None,
    resolution_minutes: int | None,
    warn_percent: int | None,
    warn_minutes_before: int | None,
) -> dict[str, list[str]]:
    """Every problem with a policy as it would be saved, by field name; empty when it is valid."""
    problems: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        problems["name"] = ["Give the policy a name."]
    elif SlaPolicy.objects.filter(name__iexact=name).exclude(pk=getattr(policy, "pk", None)).exists():
        problems["name"] = [f"A policy called {name!r} exists already."]
    if found := _condition_problems(conditions):
        problems["conditions"] = found
    given = {
        "first_response_minutes": first_response_minutes,
        "next_response_minutes": next_response_minutes,
        "resolution_minutes": resolution_minutes,
    }
    targets = {field: value for field, value in given.items() if value is not None}
    for field, value in targets.items():
        if value <= 0:
            problems[field] = ["A target is a number of minutes greater than zero; leave it empty to not measure it."]
    if not targets:
        problems[NON_FIELD_ERRORS] = ["Set at least one target: first response, next response or resolution."]
    if warn_percent is not None and not 1 <= warn_percent <= 99:
        problems["warn_percent"] = ["Warn at a share of the target between 1 and 99 per cent."]
    if warn_minutes_before is not None:
        positive = [value for value in targets.values() if value > 0]
        if warn_minutes_before <= 0:
            problems["warn_minutes_before"] = ["Warn a number of minutes greater than zero before the due time."]
        elif positive and warn_minutes_before >= min(positive):
            problems["warn_minutes_before"] = [
                f"Warn less than {min(positive)} minutes before the due time (the smallest target), "
                "or the warning would come before the clock starts."
            ]
    return problems


def _version_snapshot(version: SlaPolicyVersion | None) -> dict | None:
    if version is None:
        return None
    return {"number": version.number, **{field: getattr(version, field) for field in VERSION_FIELDS}}


def _policy_snapshot(policy: SlaPolicy, version: SlaPolicyVersion | None) -> dict:
    return {
        "name": policy.name,
        "position": policy.position,
        "is_active": policy.is_active,
        "version": _version_snapshot(version),
    }


def _clean_conditions(conditions: dict) -> dict[str, list[str]]:
    # Stored in one canonical shape: known keys only, no empty lists, values sorted, no repeats.
    return {key: sorted(set(conditions[key])) for key in CONDITION_KEYS if conditions.get(key)}


@transaction.atomic
def sla_policy_save(
    *,
    actor: User | None,
    policy: SlaPolicy | None = None,
    name: str,
    position: int | None,
    is_active: bool,
    conditions: Any,
    calendar: BusinessCalendar | None,
    first_response_minutes: int | None,
    next_response_minutes: int | None,
    resolution_minutes: int | None,
    warn_percent: int | None,
    warn_minutes_before: int | None,
    breach_raise_priority: bool,
    breach_escalate: bool,
    change_note: str = "",
) -> SlaPolicy:
    """Create a policy or edit one; either way writes its next version and points at it.

    ``position`` None puts a new policy last (and keeps an existing one where it is).
    Raises ``ValidationError`` keyed by field name; nothing is written then.
    """
    problems = sla_policy_validate(
        policy=policy,
        name=name,
        conditions=conditions,
        first_response_minutes=first_response_minutes,
        next_response_minutes=next_response_minutes,
        resolution_minutes=resolution_minutes,
        warn_percent=warn_percent,
        warn_minutes_before=warn_minutes_before,
    )
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    if policy is None:
        if position is None:
            last = SlaPolicy.objects.aggregate(last=Max("position"))["last"]
            position = 0 if last is None else last + 1
        policy = SlaPolicy(created_at=now, position=position)
        before = None
        number = 1
    else:
        # Locked so two leads saving at once get versions n+1 and n+2, not two n+1s.
        policy = SlaPolicy.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=policy.pk)
        before = _policy_snapshot(policy, policy.current_version)
        number = (policy.versions.aggregate(last=Max("number"))["last"] or 0) + 1
        if position is not None:
            policy.position = position
    policy.name = name.strip()
    policy.is_active = is_active
    policy.save()
    version = SlaPolicyVersion.objects.create(
        policy=policy,
        number=number,
        conditions=_clean_conditions(conditions),
        calendar=calendar,
        first_response_minutes=first_response_minutes,
        next_response_minutes=next_response_minutes,
        resolution_minutes=resolution_minutes,
        warn_percent=warn_percent,
        warn_minutes_before=warn_minutes_before,
        breach_raise_priority=breach_raise_priority,
        breach_escalate=breach_escalate,
        change_note=change_note.strip()[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    policy.current_version = version
    policy.save(update_fields=["current_version"])
    audit_record(
        actor=actor,
        action="sla_policy.save",
        object_type="sla_policy",
        object_id=policy.pk,
        before=before,
        after=_policy_snapshot(policy, version),
    )
    return policy


@transaction.atomic
def sla_policy_move(*, actor: User | None, policy: SlaPolicy, direction: str) -> SlaPolicy:
    """Swap a policy with its neighbour above ("up") or below ("down") in the matching order.

    Positions are renumbered 0..n-1 on the way, so gaps and ties left by older data vanish.
    Moving the first policy up (or the last down) changes nothing and records nothing.
    """
    return ordered_move(SlaPolicy, policy, direction, actor=actor, action="sla_policy.move", object_type="sla_policy")


@transaction.atomic
def sla_policy_set_active(*, actor: User | None, policy: SlaPolicy, is_active: bool) -> SlaPolicy:
    """Switch a policy on or off for cases that arrive from now on.

    Timers already running keep the version they pinned. No new version is written: what the
    policy promises has not changed, only whether new cases get it.
    """
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    if policy.is_active == is_active:
        return policy
    policy.is_active = is_active
    policy.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="sla_policy.activate" if is_active else "sla_policy.deactivate",
        object_type="sla_policy",
        object_id=policy.pk,
        before={"is_active": not is_active},
        after={"is_active": is_active},
    )
    return policy
