"""Every write to a case goes through here: lock, check, save, event, audit, on-commit.

Each service is atomic: if any step fails, nothing of it is written (the audit row included).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.services import audit_record
from cases import registry, sla
from cases.choices import EventKind, Priority, Status, allowed_next
from cases.errors import CaseBlocked, CaseError, StaleVersion, TransitionNotAllowed
from cases.models import Case, CaseEvent, CaseReferenceCounter, Category, Customer, RoutingTrigger
from cases.routing import routing_enqueue
from people.models import Team, User
from people.roles import can_triage
from people.selectors import team_ids_of

MAX_BODY_LENGTH = 20_000


# Case writes lock the row FOR NO KEY UPDATE, not FOR UPDATE. Writers still queue behind each
# other, but a transaction that only references the case (a timeline row, a notification, an
# outbox row) is not held up: PostgreSQL checks those foreign keys at commit with FOR KEY SHARE,
# which FOR UPDATE blocks. Under load that wait closed a cycle with the audit ledger's append
# lock (taken by the referencing transaction, wanted by the case's locker): a deadlock.
def _lock(case_id: int) -> Case:
    return Case.objects.select_for_update(no_key=True).get(pk=case_id)


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise StaleVersion(current_version=case.version, expected_version=expected_version)


def _snapshot(case: Case) -> dict:
    return {
        "status": case.status,
        "priority": case.priority,
        "category_id": case.category_id,
        "team_id": case.team_id,
        "assignee_id": case.assignee_id,
        "version": case.version,
    }


def _event(case: Case, *, kind: str, actor: User | None, at: datetime, body: str = "", data=None) -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, actor=actor, body=body, data=data or {}, created_at=at)


def case_reference_next(*, received_at: datetime) -> str:
    """Issue the next ``CS-<year>-<number>`` reference; the counter row lock makes it gap-safe."""
    year = received_at.year
    # The UPDATE takes the row lock (held to commit) and hands the number back in the same
    # statement (RETURNING: PostgreSQL, and SQLite since 3.35); a year's first case creates the
    # row and goes round again.
    table = connection.ops.quote_name(CaseReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        sql = f"UPDATE {table} SET last_number = last_number + 1 WHERE year = %s RETURNING last_number"  # noqa: S608
        cursor.execute(sql, [year])
        row = cursor.fetchone()
    if row is None:
        CaseReferenceCounter.objects.get_or_create(year=year)
        return case_reference_next(received_at=received_at)
    return f"CS-{year}-{row[0]:06d}"


@transaction.atomic
def case_create(
    *,
    actor: User | None,
    customer: Customer,
    subject: str,
    body: str,
    channel: str,
    category: Category,
    team: Team,
    priority: str = Priority.NORMAL,
    received_at: datetime | None = None,
) -> Case:
    """Open a case from a customer's first message. ``received_at`` defaults to now and is kept forever."""
    subject, body = subject.strip(), body.strip()
    if not subject:
        raise CaseError("A case needs a subject.")
    if not body:
        raise CaseError("A case needs the customer's message.")
    now = timezone.now()
    received_at = received_at or now
    if received_at > now:
        raise CaseError("A case cannot be received in the future.")
    case = Case(
        customer=customer,
        subject=subject[:200],
        channel=channel,
        category=category,
        priority=priority,
        team=team,
        language=customer.language,
        received_at=received_at,
        created_at=now,
        updated_at=now,
    )
    # The clocks are planned before the INSERT so the row is written once, "breaching soonest"
    # included, rather than inserted and then updated.
    clocks = sla.sla_clocks_for_new_case(case)
    case.sla_due_at = clocks.due_at
    case.reference = case_reference_next(received_at=received_at)
    case.save(force_insert=True)
    _event(case, kind=EventKind.CUSTOMER_MESSAGE, actor=None, at=received_at, body=body)
    sla_version = sla.sla_case_created(case, clocks, now=now)
    audit_record(
        actor=actor,
        action="case.create",
        object_type="case",
        object_id=case.reference,
        # Which promise the case runs under; None is the "no policy matched" record.
        after={**_snapshot(case), "sla_policy_version_id": sla_version.pk if sla_version else None},
    )
    routing_enqueue(case_id=case.pk, trigger=RoutingTrigger.NEW)
    registry.emit("case.created", case=case)
    return case


@transaction.atomic
def case_add_message(
    *, actor: User, case: Case, body: str, internal: bool, macro_version_id: int | None = None
) -> CaseEvent:
    """Post a public reply (the customer sees it) or an internal note (they never do).

    A first public reply records ``first_response_at`` and moves a new case to open.
    Appending never conflicts with another editor, so no version is required.
    ``macro_version_id`` names the reply template version the reply started from; a public
    reply keeps it on its event, so the approved wording can be shown beside what was sent.
    """
    body = body.strip()
    if not body:
        raise CaseError("Write something before sending." if not internal else "An internal note cannot be empty.")
    if len(body) > MAX_BODY_LENGTH:
        raise CaseError(f"Messages are limited to {MAX_BODY_LENGTH:,} characters.")
    case = _lock(case.pk)
    if case.status == Status.CLOSED:
        raise CaseError("This case is closed; open a new case for a follow-up.")
    now = timezone.now()
    before = _snapshot(case)
    data = {"macro_version_id": macro_version_id} if macro_version_id and not internal else None
    event = _event(
        case, kind=EventKind.NOTE if internal else EventKind.REPLY, actor=actor, at=now, body=body, data=data
    )
    fields = ["updated_at", "version"]
    if not internal:
        if case.first_response_at is None:
            case.first_response_at = now
            fields.append("first_response_at")
        if case.status == Status.NEW:
            _event(case, kind=EventKind.STATUS, actor=actor, at=now, data={"from": case.status, "to": Status.OPEN})
            case.status = Status.OPEN
            fields.append("status")
        sla.sla_public_reply(case, now=now)
        for hook in registry.evidence_added:
            hook(case, event, actor)
    case.updated_at = now
    case.version += 1
    case.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="case.note" if internal else "case.reply",
        object_type="case",
        object_id=case.reference,
        before=before,
        after={**_snapshot(case), "event_id": event.pk, **(data or {})},
    )
    return event


def _apply_status(case: Case, *, actor: User | None, to_status: str, now: datetime, reason: str = "") -> None:
    """Check and apply one transition on a locked case (no save)."""
    current = Status(case.status)
    target = Status(to_status)
    if target not in allowed_next(current):
        raise TransitionNotAllowed(
            f"{case.reference}: a case that is {current.label.lower()} cannot become {target.label.lower()}."
        )
    if current == Status.RESOLVED and target == Status.OPEN:
        if case.resolved_at and now - case.resolved_at > settings.CASE_REOPEN_WINDOW:
            raise TransitionNotAllowed(
                f"{case.reference}: the reopen window ({settings.CASE_REOPEN_WINDOW.days} days) has passed; "
                f"open a new case instead."
            )
        case.reopen_count += 1
        case.resolved_at = None
        # The router leaves a reopened case with its assignee; one without goes back to routing.
        routing_enqueue(case_id=case.pk, trigger=RoutingTrigger.REOPENED)
    if target in (Status.RESOLVED, Status.CLOSED):
        for check in registry.close_checks:
            problem = check(case, target)
            if problem:
                raise CaseBlocked(f"{case.reference}: {problem}")
    if target == Status.RESOLVED:
        case.resolved_at = now
    if target == Status.CLOSED:
        case.closed_at = now
        case.resolved_at = case.resolved_at or now
    case.status = target
    _event(case, kind=EventKind.STATUS, actor=actor, at=now, body=reason, data={"from": current, "to": target})
    sla.sla_status_changed(case, from_status=current, to_status=target, now=now, actor=actor, reason=reason)
    for hook in registry.after_status_change:
        hook(case, current, target, actor)
    registry.emit("case.status_changed", case=case, data={"from": current.value, "to": target.value})


_STATUS_FIELDS = ["status", "resolved_at", "closed_at", "reopen_count", "updated_at", "version"]


@transaction.atomic
def case_change_status(
    *, actor: User | None, case: Case, to_status: str, expected_version: int | None, reason: str = ""
) -> Case:
    """Move a case along the transition table. Raises StaleVersion, TransitionNotAllowed, CaseBlocked."""
    case = _lock(case.pk)
    _check_version(case, expected_version)
    if case.status == to_status:
        return case
    before = _snapshot(case)
    now = timezone.now()
    _apply_status(case, actor=actor, to_status=to_status, now=now, reason=reason.strip())
    case.updated_at = now
    case.version += 1
    case.save(update_fields=_STATUS_FIELDS)
    audit_record(
        actor=actor,
        action="case.status",
        object_type="case",
        object_id=case.reference,
        before=before,
        after=_snapshot(case),
    )
    return case


@transaction.atomic
def case_add_customer_message(*, actor: User | None, case: Case, body: str, at: datetime | None = None) -> CaseEvent:
    """Record a message from the customer that did not open a case: an e-mail reply, or a phone
    call an agent logs (``actor``; None for intake). ``at`` is when the customer wrote or called.

    A case waiting on the customer goes back to open (its SLA timers resume) and the
    next-response clock starts from ``at``. Raises CaseError for an empty message, a closed
    case, or a time in the future or before the case was received.
    """
    body = body.strip()
    if not body:
        raise CaseError("Write down what the customer said.")
    if len(body) > MAX_BODY_LENGTH:
        raise CaseError(f"Messages are limited to {MAX_BODY_LENGTH:,} characters.")
    case = _lock(case.pk)
    if case.status == Status.CLOSED:
        raise CaseError("This case is closed; open a new case for the customer's follow-up.")
    now = timezone.now()
    at = at or now
    if at > now:
        raise CaseError("A customer message cannot arrive in the future.")
    if at < case.received_at:
        raise CaseError("A customer message cannot be older than the case it belongs to.")
    before = _snapshot(case)
    # The timeline shows the customer as the author; who keyed it in is kept in the data.
    event = _event(
        case,
        kind=EventKind.CUSTOMER_MESSAGE,
        actor=None,
        at=at,
        body=body,
        data={"logged_by": actor.pk} if actor else {},
    )
    if case.status == Status.PENDING_CUSTOMER:
        _apply_status(case, actor=actor, to_status=Status.OPEN, now=at, reason="The customer replied.")
    sla.sla_customer_message(case, now=at)
    for hook in registry.evidence_added:
        hook(case, event, actor)
    case.updated_at = now
    case.version += 1
    case.save(update_fields=_STATUS_FIELDS)
    audit_record(
        actor=actor,
        action="case.customer_message",
        object_type="case",
        object_id=case.reference,
        before=before,
        after={**_snapshot(case), "event_id": event.pk},
    )
    return event


def _check_assignee(case: Case, assignee: User | None) -> None:
    if assignee is None:
        return
    if not assignee.is_active or assignee.role not in ("agent", "lead", "specialist"):
        raise CaseError(f"{assignee} cannot own cases.")
    if case.team_id not in team_ids_of(assignee):
        raise CaseError(f"{assignee} is not in {case.team}; move the case to their team first.")


@transaction.atomic
def case_assign(*, actor: User, case: Case, assignee: User | None, expected_version: int | None) -> Case:
    """Give the case to a team member (or nobody). Only leads of the case's team may assign."""
    case = _lock(case.pk)
    _check_version(case, expected_version)
    if not can_triage(actor) or case.team_id not in team_ids_of(actor):
        raise CaseError("Only a lead of this case's team can assign it.")
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    _check_assignee(case, assignee)
    before = _snapshot(case)
    now = timezone.now()
    _event(
        case,
        kind=EventKind.ASSIGNMENT,
        actor=actor,
        at=now,
        data={
            "from": case.assignee_id,
            "from_name": str(case.assignee) if case.assignee else None,
            "to": assignee.pk if assignee else None,
            "to_name": str(assignee) if assignee else None,
        },
    )
    case.assignee = assignee
    case.updated_at = now
    case.version += 1
    case.save(update_fields=["assignee", "updated_at", "version"])
    audit_record(
        actor=actor,
        action="case.assign",
        object_type="case",
        object_id=case.reference,
        before=before,
        after=_snapshot(case),
    )
    if assignee is None:
        # Unassigned by a lead: back to routing (queue-pull teams just record the decision).
        routing_enqueue(case_id=case.pk, trigger=RoutingTrigger.UNASSIGNED)
    return case


@transaction.atomic
def case_transfer(*, actor: User | None, case: Case, team: Team, assignee: User | None, reason: str = "") -> Case:
    """Move the case to another team (and optionally a member of it), keeping its history.

    For higher apps (an accepted or returned escalation, routing), which decide who may move
    it; this guarantees the case's own rules: not when closed, the assignee must belong to the
    new team, one TRANSFER event and one audit row. SLA timers keep running: the customer's
    promise does not restart because the case changed hands. Raises CaseError.
    """
    case = _lock(case.pk)
    if case.status == Status.CLOSED:
        raise CaseError(f"{case.reference} is closed; a closed case stays where it is.")
    if case.team_id == team.pk and case.assignee_id == (assignee.pk if assignee else None):
        return case
    from_team = case.team
    case.team = team
    _check_assignee(case, assignee)
    before = {**_snapshot(case), "team_id": from_team.pk}
    now = timezone.now()
    _event(
        case,
        kind=EventKind.TRANSFER,
        actor=actor,
        at=now,
        body=reason.strip(),
        data={
            "from_team_id": from_team.pk,
            "from_team": str(from_team),
            "to_team_id": team.pk,
            "to_team": str(team),
            "from_assignee": str(case.assignee) if case.assignee else None,
            "to_assignee": str(assignee) if assignee else None,
        },
    )
    case.assignee = assignee
    case.updated_at = now
    case.version += 1
    case.save(update_fields=["team", "assignee", "updated_at", "version"])
    audit_record(
        actor=actor,
        action="case.transfer",
        object_type="case",
        object_id=case.reference,
        before=before,
        after=_snapshot(case),
    )
    if case.assignee_id is None:
        # Moved to a team without an owner (an escalation accepted for the team): route it there.
        routing_enqueue(case_id=case.pk, trigger=RoutingTrigger.ESCALATED)
    return case


@transaction.atomic
def case_update_properties(
    *, actor: User, case: Case, expected_version: int | None, priority: str, category: Category
) -> Case:
    """Change priority and category, keeping the old values on the timeline."""
    case = _lock(case.pk)
    _check_version(case, expected_version)
    changes = {}
    if case.priority != priority:
        changes["priority"] = {"from": case.priority, "to": priority}
    if case.category_id != category.pk:
        changes["category"] = {"from": case.category.name, "to": category.name}
    if not changes:
        return case
    before = _snapshot(case)
    now = timezone.now()
    case.priority, case.category = priority, category
    case.updated_at = now
    case.version += 1
    case.save(update_fields=["priority", "category", "updated_at", "version"])
    _event(case, kind=EventKind.FIELDS, actor=actor, at=now, data=changes)
    audit_record(
        actor=actor,
        action="case.update",
        object_type="case",
        object_id=case.reference,
        before=before,
        after=_snapshot(case),
    )
    return case


def _lock_many(case_ids: Iterable[int]) -> list[Case]:
    # Lock in id order so two bulk actions over overlapping sets cannot deadlock.
    locking = Case.objects.select_for_update(no_key=True)
    return list(locking.filter(pk__in=list(case_ids)).select_related("team").order_by("pk"))


@transaction.atomic
def case_bulk_assign(*, actor: User, case_ids: Iterable[int], assignee: User | None) -> int:
    """Assign many cases at once; all or nothing, and the error names the case. Returns how many changed."""
    changed = 0
    for case in _lock_many(case_ids):
        try:
            updated = case_assign(actor=actor, case=case, assignee=assignee, expected_version=None)
        except CaseError as exc:
            # Raising rolls the whole batch back: say so, and say which of the selected cases refused.
            raise CaseError(f"Nothing was changed. {case.reference}: {exc.message}") from exc
        changed += int(updated.version != case.version)
    return changed


@transaction.atomic
def case_bulk_change_status(*, actor: User, case_ids: Iterable[int], to_status: str, reason: str = "") -> int:
    """Move many cases at once; if any one may not move, none do and the error names it."""
    cases = _lock_many(case_ids)
    problems = []
    changed = 0
    for case in cases:
        if case.status == to_status:
            continue
        try:
            case_change_status(actor=actor, case=case, to_status=to_status, expected_version=None, reason=reason)
            changed += 1
        except CaseError as exc:
            problems.append(exc.message)
    if problems:
        # Raising rolls the whole batch back: a bulk action is one decision.
        raise TransitionNotAllowed(
            "Nothing was changed. " + " ".join(problems[:5]) + (" …" if len(problems) > 5 else "")
        )
    return changed


def case_close_expired_resolved(*, now: datetime | None = None, limit: int = 500) -> int:
    """Close resolved cases whose reopen window has passed (the beat sweep). Idempotent.

    Picks due rows through the partial index on resolved cases and closes each through the
    normal transition (event + audit), so a closed case looks the same however it was closed.
    """
    now = now or timezone.now()
    cutoff = now - settings.CASE_REOPEN_WINDOW
    due_ids = list(
        Case.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff)
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:limit]
    )
    closed = 0
    for case_id in due_ids:
        with transaction.atomic():
            case = _lock(case_id)
            # The world may have moved on since we picked it (reopened, closed by hand).
            if case.status != Status.RESOLVED or case.resolved_at >= cutoff:
                continue
            before = _snapshot(case)
            try:
                # Its own savepoint: a refusal by a hook after the status event was written
                # must not leave that event behind.
                with transaction.atomic():
                    _apply_status(case, actor=None, to_status=Status.CLOSED, now=now, reason="Reopen window ended.")
            except CaseError:
                continue
            case.updated_at = now
            case.version += 1
            case.save(update_fields=_STATUS_FIELDS)
            audit_record(
                actor=None,
                action="case.auto_close",
                object_type="case",
                object_id=case.reference,
                before=before,
                after=_snapshot(case),
            )
            closed += 1
    return closed
