"""Every write to a regulatory flag: raise, correct facts, submit for review, sign off.

Four-eyes is enforced here, so pages, API and admin all obey it: nobody signs off a flag they
raised, submitted, or whose case they worked (replies, notes, status, assignment), leads and
supervisors included; kinds and decisions that need two reviewers need two different people.
A refused sign-off writes nothing to the flag but leaves an audit row saying who tried and why.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from cases import registry
from cases.choices import OPEN_STATUSES, EventKind
from cases.models import Case, CaseEvent
from compliance.choices import FACTS, TWO_REVIEWER_KINDS, Fact, FlagKind, FlagStatus
from compliance.errors import FlagError
from compliance.models import DecisionReason, FlagDecision, Obligation, RegulatoryFlag
from compliance.obligations import flag_triggers, obligations_recompute, obligations_start
from compliance.restricted import NEUTRAL_STATE, REFER_REASON, open_referral_for, referral_create
from people.choices import Role
from people.models import User
from people.roles import can_work_cases, role_of
from people.selectors import team_ids_of

REVIEWER_ROLES = frozenset({Role.COMPLIANCE})
# Timeline entries that are the case's evidence: what the customer said and what we told them.
EVIDENCE_KINDS = (EventKind.CUSTOMER_MESSAGE, EventKind.REPLY)
# What counts as having worked a case (and so rules a person out as its reviewer).
WORK_KINDS = (EventKind.REPLY, EventKind.NOTE, EventKind.STATUS, EventKind.ASSIGNMENT, EventKind.FIELDS)


# --- facts -----------------------------------------------------------------------------------


def _clean_fact(fact: Fact, raw: Any, *, today: date) -> tuple[Any, str | None]:
    if raw in (None, ""):
        if fact.kind == "bool":
            return False, None
        return None, (f"{fact.label} is required." if fact.required else None)
    if fact.kind == "bool":
        return raw in (True, "true", "on", "1", 1, "yes"), None
    if fact.kind == "choice":
        allowed = dict(fact.choices)
        return (raw, None) if raw in allowed else (None, f"{fact.label}: choose one of {', '.join(allowed.values())}.")
    if fact.kind == "decimal":
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            return None, f"{fact.label} must be a number."
        if value < 0:
            return None, f"{fact.label} cannot be negative."
        return str(value), None
    if fact.kind == "date":
        try:
            value = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        except ValueError:
            return None, f"{fact.label} must be a date (YYYY-MM-DD)."
        if value > today:
            return None, f"{fact.label} cannot be in the future."
        return value.isoformat(), None
    text = str(raw).strip()
    return (text, None) if text else (None, f"{fact.label} is required." if fact.required else None)


def flag_facts_validate(kind: str, raw: dict, *, case: Case, today: date) -> tuple[dict, dict[str, list[str]]]:
    """The facts a kind needs, cleaned, and every problem by fact key (empty when valid)."""
    if kind not in FlagKind.values:
        return {}, {"kind": [f"{kind!r} is not a kind of regulatory flag."]}
    facts: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for fact in FACTS[kind]:
        value, problem = _clean_fact(fact, (raw or {}).get(fact.key), today=today)
        if problem:
            problems.setdefault(fact.key, []).append(problem)
        elif value is not None:
            facts[fact.key] = value
    notice, transfer = facts.get("notice_date"), facts.get("transfer_date")
    if kind == FlagKind.UNAUTHORIZED_TRANSFER and notice and transfer and notice < transfer:
        problems.setdefault("notice_date", []).append("The notice of error cannot predate the transfer.")
    if kind == FlagKind.SANCTIONS_MATCH and "match_score" in facts and Decimal(facts["match_score"]) > 100:
        problems.setdefault("match_score", []).append("Match score (0-100) cannot exceed 100.")
    if kind == FlagKind.ELDER_EXPLOITATION and not case.customer.is_older_adult:
        problems.setdefault("kind", []).append("Elder exploitation applies to customers 65 or older.")
    return facts, problems


# --- evidence --------------------------------------------------------------------------------


def flag_evidence_hash(flag: RegulatoryFlag) -> str:
    """A digest of what a reviewer sees: the flag's kind and facts and the case's messages.

    Recomputed at sign-off and whenever the flag is read for closing; any difference means the
    evidence moved since the reviewer looked, so their sign-off no longer counts.
    """
    messages = list(
        CaseEvent.objects.filter(case_id=flag.case_id, kind__in=EVIDENCE_KINDS)
        .order_by("id")
        .values_list("id", "kind", "body")
    )
    payload = json.dumps(
        {"kind": flag.kind, "facts": flag.facts, "messages": messages}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# --- writes ----------------------------------------------------------------------------------


def _event(case: Case, *, actor: User | None, at: datetime, data: dict, body: str = "") -> None:
    CaseEvent.objects.create(case=case, kind=EventKind.FLAG, actor=actor, body=body, data=data, created_at=at)


def _snapshot(flag: RegulatoryFlag) -> dict:
    return {
        "case": flag.case.reference,
        "kind": flag.kind,
        "status": flag.status,
        "facts": flag.facts,
        "evidence_hash": flag.evidence_hash,
        "required_approvals": flag.required_approvals,
        "version": flag.version,
    }


@transaction.atomic
def flag_raise(*, actor: User, case: Case, kind: str, facts: dict) -> RegulatoryFlag:
    """Record a regulatory flag on an open case the actor works. Raises FlagError with the
    problems by fact when the kind's required facts are missing or wrong; nothing is written."""
    case = Case.objects.select_for_update(of=("self",), no_key=True).select_related("customer").get(pk=case.pk)
    if not can_work_cases(actor) or case.team_id not in team_ids_of(actor):
        raise FlagError("Only people working this case's team can flag it.", status_code=403)
    if case.status not in OPEN_STATUSES:
        raise FlagError(f"{case.reference} is {case.get_status_display().lower()}; flags go on open cases.")
    now = timezone.now()
    cleaned, problems = flag_facts_validate(kind, facts, case=case, today=timezone.localdate(now))
    if problems:
        raise FlagError("The flag is missing facts or has wrong ones.", problems=problems)
    flag = RegulatoryFlag.objects.create(
        case=case,
        kind=kind,
        facts=cleaned,
        raised_by=actor,
        raised_at=now,
        required_approvals=2 if kind in TWO_REVIEWER_KINDS else 1,
    )
    _event(case, actor=actor, at=now, data={"event": "raised", "flag_id": flag.pk, "kind": kind})
    obligations = obligations_start(flag, actor=actor)
    registry.emit("flag.raised", case=case, data={"flag_id": flag.pk, "kind": kind})
    audit_record(
        actor=actor,
        action="flag.raise",
        object_type="flag",
        object_id=flag.pk,
        after={**_snapshot(flag), "obligations": {o.rule_code: o.due_at.isoformat() for o in obligations}},
    )
    return flag


def _void_decisions(flag: RegulatoryFlag, *, at: datetime, reason: str) -> int:
    return FlagDecision.objects.filter(flag=flag, voided_at__isnull=True).update(voided_at=at, void_reason=reason)


def _back_to_review(flag: RegulatoryFlag, *, now: datetime, why: str) -> int:
    """Void the flag's standing sign-offs and, once submitted, freeze the evidence as it now is
    so reviewers decide on what is there. Returns how many sign-offs were voided."""
    voided = _void_decisions(flag, at=now, reason=why)
    flag.required_approvals = 2 if flag.kind in TWO_REVIEWER_KINDS else 1
    if flag.status != FlagStatus.RAISED:
        flag.status = FlagStatus.IN_REVIEW
        flag.signed_off_at = None
        flag.evidence_hash = flag_evidence_hash(flag)
    flag.version += 1
    flag.save(update_fields=["facts", "status", "signed_off_at", "evidence_hash", "required_approvals", "version"])
    return voided


def _lock_flag(flag: RegulatoryFlag) -> RegulatoryFlag:
    return RegulatoryFlag.objects.select_for_update(of=("self",)).select_related("case__customer").get(pk=flag.pk)


def _cleaned_facts(flag: RegulatoryFlag, facts: dict, *, now: datetime) -> dict:
    cleaned, problems = flag_facts_validate(flag.kind, facts, case=flag.case, today=timezone.localdate(now))
    if problems:
        raise FlagError("The flag is missing facts or has wrong ones.", problems=problems)
    return cleaned


@transaction.atomic
def flag_update_facts(*, actor: User, flag: RegulatoryFlag, facts: dict, reason: str) -> RegulatoryFlag:
    """Correct a flag's facts (people working the case). Any standing sign-off is voided and a
    submitted flag goes back to review. A date a regulatory clock runs from is compliance's to
    correct (:func:`flag_correct_trigger`)."""
    flag = _lock_flag(flag)
    if not can_work_cases(actor) or flag.case.team_id not in team_ids_of(actor):
        raise FlagError("Only people working this case's team can correct its flag.", status_code=403)
    if not reason.strip():
        raise FlagError("Say why the facts change.", problems={"reason": ["Say why the facts change."]})
    now = timezone.now()
    cleaned = _cleaned_facts(flag, facts, now=now)
    if cleaned == flag.facts:
        return flag
    for _trigger, key, _facts in flag_triggers(flag):
        if cleaned.get(key) != flag.facts.get(key):
            raise FlagError(
                "A regulatory clock runs from this date; only a compliance reviewer can correct it.",
                status_code=403,
                problems={key: ["Ask compliance to correct the trigger date."]},
            )
    before = _snapshot(flag)
    flag.facts = cleaned
    voided = _back_to_review(flag, now=now, why="Facts changed after the decision.")
    _event(flag.case, actor=actor, at=now, body=reason.strip(),
           data={"event": "facts_changed", "flag_id": flag.pk, "voided": voided})  # fmt: skip
    audit_record(
        actor=actor, action="flag.facts", object_type="flag", object_id=flag.pk, before=before, after=_snapshot(flag)
    )
    return flag


def flag_trigger_key(flag: RegulatoryFlag) -> str | None:
    """The fact a flag's regulatory clocks run from (e.g. the Reg E notice date), if any."""
    triggers = flag_triggers(flag)
    return triggers[0][1] if triggers else None


@transaction.atomic
def flag_correct_trigger(*, actor: User, flag: RegulatoryFlag, trigger_date: date, reason: str) -> list[Obligation]:
    """A compliance reviewer corrects when the trigger happened (with a reason). The flag's open
    obligations are recomputed from the new date, a standing sign-off is voided (the facts it
    decided on changed), and both the case timeline and the audit ledger say so. Returns the
    obligations whose due date was recomputed."""
    if role_of(actor) not in REVIEWER_ROLES:
        raise FlagError("Only a compliance reviewer can correct a trigger date.", status_code=403)
    if not reason.strip():
        raise FlagError("Say why the trigger date changes.", problems={"reason": ["Say why the trigger date changes."]})
    flag = _lock_flag(flag)
    key = flag_trigger_key(flag)
    if key is None:
        raise FlagError("This flag starts no regulatory clock.")
    now = timezone.now()
    cleaned = _cleaned_facts(flag, {**flag.facts, key: trigger_date.isoformat()}, now=now)
    if cleaned == flag.facts:
        raise FlagError("That is already the trigger date.", problems={"trigger_date": ["Nothing to correct."]})
    before = _snapshot(flag)
    due_before = {o.rule_code: o.due_at.isoformat() for o in flag.obligations.all()}
    flag.facts = cleaned
    voided = _back_to_review(flag, now=now, why="Trigger date corrected after the decision.")
    changed = obligations_recompute(flag)
    _event(flag.case, actor=actor, at=now, body=reason.strip(),
           data={"event": "trigger_corrected", "flag_id": flag.pk, "kind": flag.kind, "voided": voided,
                 "trigger_date": cleaned[key],
                 "obligations": [{"rule": o.rule_name, "due_at": o.due_at.isoformat()} for o in changed]})  # fmt: skip
    audit_record(
        actor=actor,
        action="obligation.correct_trigger",
        object_type="flag",
        object_id=flag.pk,
        before={**before, "due": due_before},
        after={**_snapshot(flag), "trigger_date": cleaned[key], "reason": reason.strip(),
               "due": {o.rule_code: o.due_at.isoformat() for o in changed}},
    )  # fmt: skip
    return changed


def flag_evidence_added(case: Case, event: CaseEvent, actor: User | None) -> None:
    """Registered in cases.registry.evidence_added: a reply or customer message on a case whose
    flag is in review or signed off voids standing sign-offs and freezes the new evidence for
    review, so no decision stands on evidence its reviewer never saw."""
    flags = RegulatoryFlag.objects.select_for_update(of=("self",)).filter(
        case_id=case.pk, status__in=(FlagStatus.IN_REVIEW, FlagStatus.SIGNED_OFF)
    )
    now = timezone.now()
    for flag in flags.select_related("case").order_by("id"):
        before = _snapshot(flag)
        voided = _back_to_review(flag, now=now, why="New evidence on the case after the decision.")
        _event(case, actor=actor, at=now,
               data={"event": "evidence_changed", "flag_id": flag.pk, "kind": flag.kind, "voided": voided,
                     "event_id": event.pk})  # fmt: skip
        audit_record(
            actor=actor, action="flag.evidence_changed", object_type="flag", object_id=flag.pk,
            before=before, after=_snapshot(flag),
        )  # fmt: skip


@transaction.atomic
def flag_submit(*, actor: User, flag: RegulatoryFlag) -> RegulatoryFlag:
    """Send the flag for review, freezing the evidence reviewers will sign off on."""
    flag = RegulatoryFlag.objects.select_for_update(of=("self",)).select_related("case").get(pk=flag.pk)
    if not can_work_cases(actor) or flag.case.team_id not in team_ids_of(actor):
        raise FlagError("Only people working this case's team can submit its flag.", status_code=403)
    if flag.status != FlagStatus.RAISED:
        raise FlagError(f"This flag is already {flag.get_status_display().lower()}.", status_code=409)
    now = timezone.now()
    before = _snapshot(flag)
    flag.status = FlagStatus.IN_REVIEW
    flag.submitted_by = actor
    flag.submitted_at = now
    flag.evidence_hash = flag_evidence_hash(flag)
    flag.version += 1
    flag.save(update_fields=["status", "submitted_by", "submitted_at", "evidence_hash", "version"])
    _event(flag.case, actor=actor, at=now, data={"event": "submitted", "flag_id": flag.pk, "kind": flag.kind})
    audit_record(
        actor=actor, action="flag.submit", object_type="flag", object_id=flag.pk, before=before, after=_snapshot(flag)
    )
    return flag


def _worked_on(user: User, case_id: int) -> bool:
    return (
        CaseEvent.objects.filter(case_id=case_id, actor=user, kind__in=WORK_KINDS).exists()
        or Case.objects.filter(pk=case_id, assignee=user).exists()
    )


def flag_sign_off_blocker(actor: User, flag: RegulatoryFlag) -> str | None:
    """Why ``actor`` may not sign this flag off now, whatever reason code they pick (None when
    they may): the page shows it instead of a form that could only be refused."""
    if role_of(actor) not in REVIEWER_ROLES:
        return "Only compliance reviewers sign off regulatory flags."
    if flag.status == FlagStatus.RAISED:
        return "This flag has not been submitted for review yet."
    if flag.status == FlagStatus.SIGNED_OFF:
        return "This flag is already signed off."
    if actor.pk == flag.raised_by_id:
        return "You raised this flag; someone else must sign it off."
    if actor.pk == flag.submitted_by_id:
        return "You submitted this flag for review; someone else must sign it off."
    if _worked_on(actor, flag.case_id):
        return "You worked on this case; someone who did not must sign it off."
    if FlagDecision.objects.filter(flag=flag, reviewer=actor, voided_at__isnull=True).exists():
        return "You have already signed off this flag; the second sign-off must come from another reviewer."
    return None


def _sign_off_refusal(actor: User, flag: RegulatoryFlag, reason: DecisionReason | None) -> str | None:
    blocker = flag_sign_off_blocker(actor, flag)
    if blocker:
        return blocker
    if reason is None or not reason.is_active:
        return "Choose a reason code."
    if flag.kind not in reason.kinds:
        return f"{reason.label!r} is not a decision for a {FlagKind(flag.kind).label.lower()} flag."
    return None


def _amount_problem(reason: DecisionReason, amount: Decimal | None) -> str | None:
    if reason.two_reviewers_above is not None:
        if amount is None or amount <= 0:
            return f"{reason.label} records the amount paid; enter it."
    elif amount is not None:
        return f"{reason.label} pays nothing; leave the amount empty."
    return None


def flag_sign_off(
    *,
    actor: User,
    flag: RegulatoryFlag,
    reason: DecisionReason | None,
    seen_hash: str,
    note: str = "",
    amount: Decimal | None = None,
) -> RegulatoryFlag:
    """Record the actor's decision on the evidence they saw (``seen_hash``: the digest the page
    or API showed them; it must still match the case's evidence now).

    A payment decision (goodwill) records ``amount``; above its reason's threshold, or for a
    reason or kind that always needs two, a second reviewer must agree. A second reviewer who
    decides otherwise voids the first decision, and theirs waits for another reviewer to agree.

    Refuses (FlagError, 403 for a forbidden person, 400 for a missing amount, 409 for moved
    evidence) without changing the flag, and audits every refusal in its own transaction so it
    outlives the refusal.
    """
    try:
        return _sign_off(actor=actor, flag=flag, reason=reason, note=note, seen_hash=seen_hash, amount=amount)
    except FlagError as exc:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="flag.sign_off_refused",
                object_type="flag",
                object_id=flag.pk,
                after={
                    "reason": reason.code if reason else None,
                    "amount": str(amount) if amount else None,
                    "refused": exc.message,
                },  # fmt: skip
            )
        raise


@transaction.atomic
def _sign_off(
    *, actor: User, flag: RegulatoryFlag, reason: DecisionReason | None, note: str, seen_hash: str, amount
) -> RegulatoryFlag:
    flag = RegulatoryFlag.objects.select_for_update(of=("self",)).select_related("case").get(pk=flag.pk)
    refusal = _sign_off_refusal(actor, flag, reason)
    if refusal:
        raise FlagError(refusal, status_code=403)
    problem = _amount_problem(reason, amount)
    if problem:
        raise FlagError(problem, status_code=400, problems={"amount": [problem]})
    if not seen_hash:
        raise FlagError("Name the evidence you reviewed: the sign-off records its digest.", status_code=400)
    current = flag_evidence_hash(flag)
    if current != flag.evidence_hash or seen_hash != current:
        raise FlagError(
            "The evidence changed since it was submitted or since you opened it; review it again.", status_code=409
        )
    now = timezone.now()
    before = _snapshot(flag)
    # Four eyes means two people agreeing: an earlier decision this one contradicts stops counting.
    disagreed = (
        FlagDecision.objects.filter(flag=flag, voided_at__isnull=True)
        .exclude(reason=reason, amount=amount)
        .update(voided_at=now, void_reason=f"A second reviewer decided otherwise: {reason.label}.")
    )
    # A referral's reason belongs to the restricted inbox, not to the flag everyone can read.
    referring = reason.code == REFER_REASON
    FlagDecision.objects.create(
        flag=flag, reviewer=actor, reason=reason, note="" if referring else note.strip(), amount=amount,
        evidence_hash=current, decided_at=now,
    )  # fmt: skip
    standing = list(FlagDecision.objects.filter(flag=flag, voided_at__isnull=True).select_related("reason"))
    needed = max(
        2 if flag.kind in TWO_REVIEWER_KINDS else 1,
        2 if any(d.reason.needs_second_reviewer(d.amount) for d in standing) else 1,
    )
    if len(standing) >= needed:
        flag.status = FlagStatus.SIGNED_OFF
        flag.signed_off_at = now
    flag.required_approvals = needed
    flag.version += 1
    flag.save(update_fields=["status", "signed_off_at", "required_approvals", "version"])
    if flag.status == FlagStatus.SIGNED_OFF:
        registry.emit("flag.signed_off", case=flag.case, data={"flag_id": flag.pk, "kind": flag.kind})
    if referring and open_referral_for(flag.case) is None:
        why = note.strip() or f"Referred at sign-off of the {flag.get_kind_display().lower()} flag."
        referral_create(actor=actor, case=flag.case, reason=why)
    # The case timeline is read by everyone on the case: a referral shows as the neutral state.
    _event(flag.case, actor=actor, at=now, body="" if referring else note.strip(),
           data={"event": "signed_off" if flag.status == FlagStatus.SIGNED_OFF else "first_sign_off",
                 "flag_id": flag.pk, "reason": NEUTRAL_STATE if referring else reason.label,
                 "amount": str(amount) if amount else None, "disagreed": disagreed})  # fmt: skip
    audit_record(
        actor=actor, action="flag.sign_off", object_type="flag", object_id=flag.pk, before=before, after=_snapshot(flag)
    )
    return flag


def flag_close_check(case, to_status: str) -> str | None:
    """Registered in cases.registry.close_checks: unsigned flags, or sign-offs whose evidence
    has moved since, keep a case from being resolved or closed."""
    for flag in RegulatoryFlag.objects.filter(case=case).order_by("id"):
        label = FlagKind(flag.kind).label.lower()
        if flag.status != FlagStatus.SIGNED_OFF:
            return f"its {label} flag is not signed off yet."
        if flag_evidence_hash(flag) != flag.evidence_hash:
            return f"its {label} flag's evidence changed after sign-off; it needs review again."
    return None


def case_flags_panel(user, case, editable: bool) -> dict | None:
    """The case page's flag panel (a cases.registry.case_panels hook): flags, their clocks, and
    the way to raise one. Three queries when the case has flags, one when it has none."""
    from compliance.selectors import flags_of_case

    flags = flags_of_case(case=case)
    if not flags and not editable:
        return None
    return {"template": "compliance/_case_panel.html", "flags": flags, "can_flag": editable and case.is_open}
