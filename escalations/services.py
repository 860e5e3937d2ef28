"""Every write to an escalation: request, accept, assign, return, hand on, withdraw, complete.

Each service follows the state-change recipe: one transaction, the escalation row locked,
the transition checked against ``ESCALATION_TRANSITIONS``, the case's timeline and the audit
ledger written in the same transaction, notifications sent after commit. Moving the case
between teams goes through ``cases.services.case_transfer`` so the case's own rules hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from cases import registry
from cases.choices import OPEN_STATUSES, PRIORITY_RANK, EventKind
from cases.models import Case, CaseEvent
from cases.services import case_transfer
from escalations.choices import (
    DEFAULT_OLA_MINUTES,
    ESCALATION_TRANSITIONS,
    SLA_BREACH_REASON,
    TIER_RANK,
    URGENCY_RANK,
    EscalationStatus,
    ReturnOutcome,
    Urgency,
)
from escalations.errors import EscalationError, EscalationStale
from escalations.models import Escalation, OlaTarget, ReasonCode
from people.business_time import add_business_minutes
from people.calendars import calendar_version_current, work_calendar
from people.choices import Role, TeamKind
from people.models import Team, User
from people.notifications import notify
from people.roles import can_triage, can_work_cases
from people.selectors import team_ids_of

MAX_NOTE_LENGTH = 5_000
# Warn the receiving team when this share of its response time has passed.
OLA_WARN_PERCENT = 80


def _snapshot(escalation: Escalation) -> dict:
    return {
        "case": escalation.case.reference,
        "from_team_id": escalation.from_team_id,
        "to_team_id": escalation.to_team_id,
        "reason": escalation.reason.code,
        "urgency": escalation.urgency,
        "status": escalation.status,
        "owner_id": escalation.owner_id,
        "hop": escalation.hop,
        "outcome": escalation.outcome,
        "version": escalation.version,
    }


def _audit(escalation: Escalation, *, actor: User | None, action: str, before: dict | None) -> None:
    """The ledger entry of one step: the hop as it was and as it is now."""
    audit_record(
        actor=actor, action=action, object_type="escalation", object_id=escalation.pk, before=before,
        after=_snapshot(escalation),
    )  # fmt: skip


def _lock(escalation_id: int) -> Escalation:
    return Escalation.objects.select_for_update().select_related("case", "reason").get(pk=escalation_id)


def _check_version(escalation: Escalation, expected_version: int | None) -> None:
    if expected_version is not None and escalation.version != expected_version:
        raise EscalationStale(current_version=escalation.version, expected_version=expected_version)


def _check_transition(escalation: Escalation, target: EscalationStatus) -> None:
    current = EscalationStatus(escalation.status)
    if target not in ESCALATION_TRANSITIONS[current]:
        raise EscalationError(
            f"This escalation is already {current.label.lower()}; it cannot be {target.label.lower()} now.",
            status_code=409,
        )


def _case_event(case: Case, *, actor: User | None, at: datetime, body: str = "", data: dict) -> None:
    CaseEvent.objects.create(case=case, kind=EventKind.ESCALATION, actor=actor, body=body, data=data, created_at=at)


def _team_leads(team_id: int) -> list[User]:
    return list(User.objects.filter(memberships__team_id=team_id, role=Role.LEAD, is_active=True))


def _notify_after_commit(recipients: Iterable[User], *, kind: str, title: str, case: Case, now: datetime) -> None:
    recipients = [user for user in recipients if user is not None]
    if recipients:
        notify(recipients, kind=kind, title=title, url=f"/cases/{case.reference}/", now=now)


def ola_minutes(team: Team, urgency: str) -> int:
    target = OlaTarget.objects.filter(team=team, urgency=urgency).values_list("minutes", flat=True).first()
    return target or DEFAULT_OLA_MINUTES[Urgency(urgency)]


def _start_ola(escalation: Escalation, *, now: datetime) -> None:
    """Pin the receiving team's calendar and set the response clock's due and warning times."""
    team = escalation.to_team
    version = calendar_version_current(team.calendar) if team.calendar_id else None
    cal = work_calendar(version)
    minutes = ola_minutes(team, escalation.urgency)
    escalation.ola_calendar_version = version
    escalation.ola_target_minutes = minutes
    escalation.ola_due_at = add_business_minutes(cal, now, minutes)
    escalation.ola_warn_at = add_business_minutes(cal, now, minutes * OLA_WARN_PERCENT // 100)


def _clean_note(note: str, *, required: str | None = None) -> str:
    note = (note or "").strip()
    if required and not note:
        raise EscalationError(required)
    if len(note) > MAX_NOTE_LENGTH:
        raise EscalationError(f"Notes are limited to {MAX_NOTE_LENGTH:,} characters.")
    return note


@transaction.atomic
def escalation_request(
    *,
    actor: User | None,
    case: Case,
    to_team: Team | None,
    reason: ReasonCode | None,
    urgency: str | None = None,
    note: str = "",
    previous: Escalation | None = None,
    now: datetime | None = None,
) -> Escalation:
    """Ask another team to take a case on. ``actor`` None means the system (an SLA breach).

    Raises EscalationError when the target is missing or is the case's own team, the reason
    is unknown or retired, the case is not open, the actor may not work the case, or the case
    already has an open escalation to that team.
    """
    now = now or timezone.now()
    # NO KEY UPDATE, as in cases.services: writers still exclude each other, but a transaction
    # that only references the case (a foreign key check at commit) is not blocked, which is
    # what deadlocked with the audit ledger's append lock under load.
    case = Case.objects.select_for_update(of=("self",), no_key=True).select_related("team", "customer").get(pk=case.pk)
    if to_team is None:
        raise EscalationError("Choose the team to escalate to.")
    if to_team.kind == TeamKind.FIU:
        # An escalation is on the case for everyone to read; a referral stays in the FIU's inbox.
        raise EscalationError(
            "Cases go to the FIU through “Refer to the FIU” on the case page, which keeps the referral "
            "from everyone else."
        )
    if reason is None or not reason.is_active:
        raise EscalationError("Choose a reason from the list.")
    if case.status not in OPEN_STATUSES:
        raise EscalationError(f"{case.reference} is {case.get_status_display().lower()}; only open cases escalate.")
    from_team = previous.to_team if previous is not None else case.team
    if to_team.pk == from_team.pk:
        raise EscalationError(f"{case.reference} is already with {to_team}; choose another team.")
    may_work = actor is not None and can_work_cases(actor) and case.team_id in team_ids_of(actor)
    if actor is not None and previous is None and not may_work:
        raise EscalationError("Only people working this case's team can escalate it.", status_code=403)
    urgency = urgency or reason.default_urgency
    if urgency not in Urgency.values:
        raise EscalationError(f"{urgency!r} is not an urgency; use one of {', '.join(Urgency.values)}.")
    escalation = Escalation(
        case=case,
        from_team=from_team,
        to_team=to_team,
        reason=reason,
        urgency=urgency,
        customer_tier=case.customer.tier,
        case_sla_due_at=case.sla_due_at,
        case_priority_rank=PRIORITY_RANK.get(case.priority, 2),
        tier_rank=TIER_RANK.get(case.customer.tier, 3),
        urgency_rank=URGENCY_RANK.get(urgency, 2),
        note=_clean_note(note),
        previous=previous,
        hop=(previous.hop + 1) if previous is not None else 1,
        requested_by=actor,
        requested_at=now,
    )
    _start_ola(escalation, now=now)
    try:
        with transaction.atomic():
            escalation.save()
    except IntegrityError as exc:
        raise EscalationError(
            f"{case.reference} already has an open escalation to {to_team}.", status_code=409
        ) from exc
    _case_event(
        case,
        actor=actor,
        at=now,
        body=escalation.note,
        data={
            "event": "requested",
            "escalation_id": escalation.pk,
            "from_team": str(from_team),
            "to_team": str(to_team),
            "reason": reason.label,
            "urgency": urgency,
            "hop": escalation.hop,
        },
    )
    _audit(escalation, actor=actor, action="escalation.request", before=None)
    registry.emit(
        "escalation.raised",
        case=case,
        data={"escalation_id": escalation.pk, "from_team": from_team.slug, "to_team": to_team.slug,
              "reason": reason.code, "urgency": urgency, "hop": escalation.hop},
    )  # fmt: skip
    _notify_after_commit(
        _team_leads(to_team.pk),
        kind="escalation_requested",
        title=f"{case.reference} escalated to {to_team}: {reason.label}",
        case=case,
        now=now,
    )
    return escalation


def _respond(escalation: Escalation, *, actor: User | None, now: datetime) -> None:
    # The first answer of any kind stops the receiving team's response clock.
    if escalation.responded_at is None:
        escalation.responded_at = now
        escalation.responded_by = actor


def _check_receiver(actor: User, escalation: Escalation) -> None:
    if not can_work_cases(actor) or escalation.to_team_id not in team_ids_of(actor):
        raise EscalationError(f"Only {escalation.to_team} can answer this escalation.", status_code=403)


_FIELDS = [
    "status",
    "owner",
    "responded_at",
    "responded_by",
    "outcome",
    "guidance",
    "closed_at",
    "version",
]


@transaction.atomic
def escalation_accept(
    *, actor: User, escalation: Escalation, owner: User | None = None, expected_version: int | None = None
) -> Escalation:
    """The receiving team takes the case: it moves to that team, owned by ``owner`` (default the actor).

    A lead of the receiving team may accept on someone's behalf (``owner``); anyone else
    accepts for themselves. Raises EscalationError (403 for outsiders, 409 if already answered).
    """
    escalation = _lock(escalation.pk)
    _check_version(escalation, expected_version)
    _check_receiver(actor, escalation)
    owner = owner or actor
    if owner.pk != actor.pk and not can_triage(actor):
        raise EscalationError("Only a lead can accept an escalation for someone else.", status_code=403)
    if escalation.to_team_id not in team_ids_of(owner) or not can_work_cases(owner) or not owner.is_active:
        raise EscalationError(f"{owner} is not in {escalation.to_team}.")
    if escalation.status == EscalationStatus.ACCEPTED:
        if escalation.owner_id == owner.pk:
            return escalation
        # Taking over an accepted escalation is a lead's reassignment, not a second accept.
        if not can_triage(actor):
            raise EscalationError(f"{escalation.owner} already accepted this escalation.", status_code=409)
    else:
        _check_transition(escalation, EscalationStatus.ACCEPTED)
    before = _snapshot(escalation)
    now = timezone.now()
    _respond(escalation, actor=actor, now=now)
    escalation.status = EscalationStatus.ACCEPTED
    escalation.owner = owner
    escalation.version += 1
    escalation.save(update_fields=_FIELDS)
    case_transfer(
        actor=actor,
        case=escalation.case,
        team=escalation.to_team,
        assignee=owner,
        reason=f"Escalation accepted by {escalation.to_team}",
    )
    _case_event(
        escalation.case,
        actor=actor,
        at=now,
        data={"event": "accepted", "escalation_id": escalation.pk, "to_team": str(escalation.to_team),
              "owner": str(owner)},
    )  # fmt: skip
    _audit(escalation, actor=actor, action="escalation.accept", before=before)
    registry.emit(
        "escalation.accepted",
        case=escalation.case,
        data={"escalation_id": escalation.pk, "to_team": escalation.to_team.slug},
    )
    if escalation.requested_by_id and escalation.requested_by_id != actor.pk:
        _notify_after_commit(
            [escalation.requested_by],
            kind="escalation_accepted",
            title=f"{escalation.case.reference}: {escalation.to_team} accepted your escalation",
            case=escalation.case,
            now=now,
        )
    return escalation


@transaction.atomic
def escalation_return(
    *,
    actor: User,
    escalation: Escalation,
    outcome: str,
    guidance: str,
    expected_version: int | None = None,
) -> Escalation:
    """Send the case back to the team that escalated it, with an outcome and guidance.

    The case returns to the sending team, to the person who asked if they are still in it.
    """
    escalation = _lock(escalation.pk)
    _check_version(escalation, expected_version)
    _check_receiver(actor, escalation)
    if outcome not in ReturnOutcome.values:
        raise EscalationError("Choose an outcome for the sender.")
    guidance = _clean_note(guidance, required="Tell the sender what to do next.")
    _check_transition(escalation, EscalationStatus.RETURNED)
    before = _snapshot(escalation)
    now = timezone.now()
    _respond(escalation, actor=actor, now=now)
    escalation.status = EscalationStatus.RETURNED
    escalation.outcome = outcome
    escalation.guidance = guidance
    escalation.closed_at = now
    escalation.version += 1
    escalation.save(update_fields=_FIELDS)
    sender = escalation.requested_by
    back_to = sender if sender is not None and escalation.from_team_id in team_ids_of(sender) else None
    case_transfer(
        actor=actor,
        case=escalation.case,
        team=escalation.from_team,
        assignee=back_to,
        reason=f"Escalation returned by {escalation.to_team}",
    )
    _case_event(
        escalation.case,
        actor=actor,
        at=now,
        body=guidance,
        data={"event": "returned", "escalation_id": escalation.pk, "to_team": str(escalation.from_team),
              "outcome": ReturnOutcome(outcome).label},
    )  # fmt: skip
    _audit(escalation, actor=actor, action="escalation.return", before=before)
    registry.emit(
        "escalation.returned",
        case=escalation.case,
        data={"escalation_id": escalation.pk, "to_team": escalation.from_team.slug, "outcome": outcome},
    )
    _notify_after_commit(
        [back_to] if back_to else _team_leads(escalation.from_team_id),
        kind="escalation_returned",
        title=f"{escalation.case.reference} returned by {escalation.to_team}: {ReturnOutcome(outcome).label}",
        case=escalation.case,
        now=now,
    )
    return escalation


@transaction.atomic
def escalation_hand_on(
    *,
    actor: User,
    escalation: Escalation,
    to_team: Team | None,
    reason: ReasonCode | None,
    urgency: str | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Escalation:
    """Pass the escalation to a further team: this hop closes as handed on, a new hop opens."""
    escalation = _lock(escalation.pk)
    _check_version(escalation, expected_version)
    _check_receiver(actor, escalation)
    _check_transition(escalation, EscalationStatus.HANDED_ON)
    note = _clean_note(note, required="Say why it goes on to another team.")
    before = _snapshot(escalation)
    now = timezone.now()
    _respond(escalation, actor=actor, now=now)
    escalation.status = EscalationStatus.HANDED_ON
    escalation.closed_at = now
    escalation.version += 1
    escalation.save(update_fields=_FIELDS)
    _audit(escalation, actor=actor, action="escalation.hand_on", before=before)
    return escalation_request(
        actor=actor,
        case=escalation.case,
        to_team=to_team,
        reason=reason,
        urgency=urgency or escalation.urgency,
        note=note,
        previous=escalation,
        now=now,
    )


@transaction.atomic
def escalation_withdraw(*, actor: User, escalation: Escalation, note: str = "") -> Escalation:
    """The requester (or a lead of the sending team) takes back a request nobody answered yet."""
    escalation = _lock(escalation.pk)
    sender_lead = can_triage(actor) and escalation.from_team_id in team_ids_of(actor)
    if escalation.requested_by_id != actor.pk and not sender_lead:
        raise EscalationError("Only the person who escalated, or their lead, can withdraw it.", status_code=403)
    _check_transition(escalation, EscalationStatus.WITHDRAWN)
    before = _snapshot(escalation)
    now = timezone.now()
    escalation.status = EscalationStatus.WITHDRAWN
    escalation.closed_at = now
    escalation.version += 1
    escalation.save(update_fields=_FIELDS)
    _case_event(
        escalation.case,
        actor=actor,
        at=now,
        body=_clean_note(note),
        data={"event": "withdrawn", "escalation_id": escalation.pk, "to_team": str(escalation.to_team)},
    )
    _audit(escalation, actor=actor, action="escalation.withdraw", before=before)
    return escalation


def escalations_complete_for_case(case: Case, *, actor: User | None, now: datetime) -> int:
    """Close the accepted escalations of a case that has just been resolved (inside its transaction)."""
    done = 0
    accepted = Escalation.objects.select_for_update(of=("self",)).select_related("case", "reason")
    for escalation in accepted.filter(case=case, status=EscalationStatus.ACCEPTED):
        before = _snapshot(escalation)
        escalation.status = EscalationStatus.COMPLETED
        escalation.closed_at = now
        escalation.version += 1
        escalation.save(update_fields=["status", "closed_at", "version"])
        _audit(escalation, actor=actor, action="escalation.complete", before=before)
        done += 1
    return done


@transaction.atomic
def escalation_bulk_accept(*, actor: User, escalation_ids: Iterable[int], owner: User | None = None) -> int:
    """Accept several escalations at once (all or nothing); returns how many changed."""
    changed = 0
    for escalation in Escalation.objects.filter(pk__in=list(escalation_ids)).order_by("pk"):
        try:
            before = escalation.status, escalation.owner_id
            result = escalation_accept(actor=actor, escalation=escalation, owner=owner)
        except EscalationError as exc:
            raise EscalationError(f"{escalation.case.reference}: {exc.message}", status_code=exc.status_code) from exc
        changed += (result.status, result.owner_id) != before
    return changed


def escalation_for_sla_breach(case: Case, timer) -> Escalation | None:
    """Registered in cases.registry.sla_breach_handlers: raise an escalation to the case team's leads.

    The target is the CS-leads team that shares a lead with the case's team. Nothing is raised
    when no such team exists or one is already open (the breach event itself is still recorded).
    """
    reason = ReasonCode.objects.filter(code=SLA_BREACH_REASON, is_active=True).first()
    leads_team = (
        Team.objects.filter(kind=TeamKind.LEADS, memberships__user__role=Role.LEAD,
                            memberships__user__memberships__team_id=case.team_id)
        .exclude(pk=case.team_id)
        .order_by("pk")
        .first()
    )  # fmt: skip
    if reason is None or leads_team is None:
        return None
    if Escalation.objects.open().filter(case=case, to_team=leads_team).exists():
        return None
    return escalation_request(
        actor=None,
        case=case,
        to_team=leads_team,
        reason=reason,
        note=f"{timer.get_metric_display()} target breached at {timer.due_at:%Y-%m-%d %H:%M} UTC.",
    )
