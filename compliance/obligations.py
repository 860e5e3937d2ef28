"""Regulatory obligations: started from a flag's trigger facts, satisfied by a recorded step.

The clock maths is compliance.clocks (pure). Obligations never pause and never move when a
case changes hands; only a compliance reviewer corrects a trigger date, with a reason
(``compliance.services.flag_correct_trigger``), and the correction recomputes the due dates
(:func:`obligations_recompute`) and is audited.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from cases.choices import EventKind
from cases.models import CaseEvent
from compliance.choices import FlagKind
from compliance.clocks import applicable, jurisdiction_calendar, obligation_due, rules_for
from compliance.models import Obligation, RegulatoryFlag
from people.models import User

# A date-only trigger fact (a notice received "on 20 November") counts from midday local time
# that day: the same local date whatever the server's zone.
_TRIGGER_HOUR = time(12, 0)


def flag_next_due_refresh(flag: RegulatoryFlag) -> None:
    """Keep ``flag.next_due_at`` equal to the nearest due time of its open obligations."""
    nearest = (
        Obligation.objects.filter(flag_id=flag.pk, satisfied_at__isnull=True)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    RegulatoryFlag.objects.filter(pk=flag.pk).update(next_due_at=nearest)
    flag.next_due_at = nearest


def flag_triggers(flag: RegulatoryFlag) -> list[tuple[str, str, dict]]:
    """``(trigger, date fact key, facts for the clocks)`` that a flag starts."""
    facts = dict(flag.facts)
    country = flag.case.customer.jurisdiction.split("-")[0]
    if flag.kind == FlagKind.UNAUTHORIZED_TRANSFER and country == "US":
        return [("notice_of_error", "notice_date", facts)]
    if flag.kind == FlagKind.REGULATOR_COMPLAINT and "received_date" in facts:
        regulator = facts.get("regulator")
        if regulator == "cfpb" and country == "US":
            return [
                ("complaint_sent_to_company", "received_date", {**facts, "sent_to_company_at": facts["received_date"]})
            ]
        if regulator == "afca" and country == "AU":
            return [("afca_referral", "received_date", {**facts, "referred_at": facts["received_date"]})]
        if country == "AU":
            return [("complaint_received", "received_date", {**facts, "received_at": facts["received_date"]})]
    return []


def _triggered_at(day: str, jurisdiction: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), _TRIGGER_HOUR, tzinfo=jurisdiction_calendar(jurisdiction).tz)


def obligations_start(flag: RegulatoryFlag, *, actor: User | None) -> list[Obligation]:
    """Create the obligations a new flag's facts trigger, inside the caller's transaction."""
    jurisdiction = flag.case.customer.jurisdiction
    made = []
    for trigger, key, facts in flag_triggers(flag):
        at = _triggered_at(facts[key], jurisdiction)
        for rule in rules_for(trigger, jurisdiction, at.date()):
            if rule.restricted or not applicable(rule, facts, triggered_at=at, jurisdiction=jurisdiction):
                continue
            made.append(
                Obligation.objects.create(
                    flag=flag,
                    case=flag.case,
                    rule_code=rule.code,
                    rule_name=rule.name,
                    citation=rule.citation,
                    jurisdiction=jurisdiction,
                    triggered_at=at,
                    due_at=obligation_due(rule, triggered_at=at, facts=facts, jurisdiction=jurisdiction),
                    satisfied_by=rule.satisfied_by,
                )
            )
    if made:
        flag_next_due_refresh(flag)
        now = timezone.now()
        CaseEvent.objects.create(
            case=flag.case,
            kind=EventKind.FLAG,
            actor=actor,
            created_at=now,
            data={"event": "obligations_started", "flag_id": flag.pk,
                  "obligations": [{"rule": o.rule_name, "due_at": o.due_at.isoformat()} for o in made]},
        )  # fmt: skip
    return made


def obligations_recompute(flag: RegulatoryFlag) -> list[Obligation]:
    """Recompute the flag's open obligations from its (corrected) trigger facts, inside the
    caller's transaction with the flag locked; met obligations keep the dates they were met
    against. Returns the recomputed obligations."""
    triggers = flag_triggers(flag)
    if not triggers:
        return []
    jurisdiction = flag.case.customer.jurisdiction
    trigger, key, facts = triggers[0]
    at = _triggered_at(facts[key], jurisdiction)
    rules = {rule.code: rule for rule in rules_for(trigger, jurisdiction, at.date())}
    changed = []
    for obligation in flag.obligations.select_for_update().filter(satisfied_at__isnull=True).order_by("due_at", "id"):
        rule = rules.get(obligation.rule_code)
        if rule is None:
            continue
        obligation.triggered_at = at
        obligation.due_at = obligation_due(rule, triggered_at=at, facts=facts, jurisdiction=jurisdiction)
        obligation.warned_at = obligation.breached_at = None
        obligation.save(update_fields=["triggered_at", "due_at", "warned_at", "breached_at"])
        changed.append(obligation)
    flag_next_due_refresh(flag)
    return changed


@transaction.atomic
def obligation_satisfy(*, actor: User, obligation: Obligation, note: str = "") -> Obligation:
    """Record the step that meets an obligation (e.g. the results notice was sent)."""
    obligation = Obligation.objects.select_for_update().select_related("case", "flag").get(pk=obligation.pk)
    if obligation.satisfied_at is not None:
        return obligation
    now = timezone.now()
    obligation.satisfied_at = now
    obligation.save(update_fields=["satisfied_at"])
    flag_next_due_refresh(obligation.flag)
    CaseEvent.objects.create(
        case=obligation.case, kind=EventKind.FLAG, actor=actor, body=note.strip(), created_at=now,
        data={"event": "obligation_satisfied", "rule": obligation.rule_name, "late": now > obligation.due_at},
    )  # fmt: skip
    audit_record(
        actor=actor,
        action="obligation.satisfy",
        object_type="obligation",
        object_id=obligation.pk,
        after={"rule": obligation.rule_code, "satisfied_at": now.isoformat(), "due_at": obligation.due_at.isoformat()},
    )
    return obligation


def obligations_close_check(case, to_status: str) -> str | None:
    """Registered in cases.registry.close_checks: an open obligation keeps a case open."""
    open_one = Obligation.objects.filter(case=case, satisfied_at__isnull=True).order_by("due_at").first()
    if open_one is None:
        return None
    return f"the obligation {open_one.rule_name!r} ({open_one.citation}) is not met yet."
