"""The SLA sweep: warn and breach the timers that came due, in batches, set-based.

Each batch is one transaction: claim up to ``batch_size`` due timers with ``SELECT ... FOR
UPDATE SKIP LOCKED`` (timer and case rows, so a sweep never waits for a person editing a case
and never deadlocks with one), mark them with a conditional ``UPDATE ... RETURNING``, and act
only on the rows that update touched. The actions (timeline events, notifications, priority
raises, the audit row) are written in the same transaction, so a batch that fails leaves no
trace and its timers are claimed again by the next run. Two sweeps running at once split the
due timers between them; each timer is warned at most once and breached at most once.

The number of queries per batch does not depend on the batch size: everything is a bulk
insert or a set-based update. The one exception is ``cases.registry.sla_breach_handlers``
(escalation), which the escalations app implements per case.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, models, transaction
from django.db.models import F, Value, When
from django.utils import timezone
from django.utils.formats import date_format

from audit.services import audit_record
from cases import registry
from cases.choices import EventKind, Priority, SlaMetric
from cases.models import Case, CaseEvent, SlaTimer
from cases.sla import sla_remaining_minutes
from people.choices import Role
from people.models import Membership
from people.notifications import Message, notify_many

logger = logging.getLogger(__name__)

# One step up per breach; urgent stays urgent.
PRIORITY_RAISE = {Priority.LOW: Priority.NORMAL, Priority.NORMAL: Priority.HIGH, Priority.HIGH: Priority.URGENT}

WARN = "warn"
BREACH = "breach"


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    batches: int = 0
    # Timers that could not be judged (their pinned calendar version no longer loads); each
    # is audited and left for the next run once someone repairs the data.
    problems: int = 0
    seconds: float = 0.0
    problem_timer_ids: list[int] = field(default_factory=list)


def sla_sweep(*, now: datetime | None = None, batch_size: int = 1000) -> SweepResult:
    """Warn, then breach, every running unpaused timer due at ``now``. Safe to run twice, or
    twice at once. Raises whatever a batch raised after that batch rolled back (earlier batches
    stay committed)."""
    now = now or timezone.now()
    started = time.monotonic()
    result = SweepResult()
    for kind in (WARN, BREACH):
        # Broken timers stay due; remembering them keeps this run from claiming them forever.
        skip: set[int] = set()
        while True:
            with transaction.atomic():
                done = _batch(kind, now=now, batch_size=batch_size, skip=skip, result=result)
            if not done:
                break
            result.batches += 1
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _due(kind: str, now: datetime):
    running = SlaTimer.objects.filter(met_at__isnull=True, stopped_at__isnull=True, paused_at__isnull=True)
    if kind == WARN:
        # cases_sla_warn_sweep_idx. A timer already past due is left to the breach pass, so
        # nobody gets "due soon" and "breached" for the same timer in the same minute.
        return running.filter(
            warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=now, due_at__gt=now
        ).order_by("warn_at", "id")
    # cases_sla_breach_sweep_idx
    return running.filter(breached_at__isnull=True, due_at__lte=now).order_by("due_at", "id")


def _batch(kind: str, *, now: datetime, batch_size: int, skip: set[int], result: SweepResult) -> int:
    """Claim, mark and act on one batch; returns how many timers it claimed (0: nothing due)."""
    claimed = list(
        _due(kind, now)
        .exclude(pk__in=skip)
        .select_related("case", "policy_version", "calendar_version")
        # Lock the case rows too: case services lock the case before touching its timers, so
        # taking both (and skipping any already held) keeps the lock order and never waits.
        .select_for_update(skip_locked=True, of=("self", "case"))[:batch_size]
    )
    if not claimed:
        return 0
    usable, broken = [], []
    for timer in claimed:
        try:
            # The notification says how long is left, counted on the timer's own calendar.
            timer.remaining = sla_remaining_minutes(timer, now)
        except (ValueError, TypeError, KeyError) as exc:
            broken.append((timer, exc))
        else:
            usable.append(timer)
    touched = set(_mark(kind, [t.pk for t in usable], now=now))
    acted = [t for t in usable if t.pk in touched]
    escalation_failures: dict[str, str] = {}
    if acted:
        if kind == WARN:
            _warn(acted, now=now)
            result.warned += len(acted)
        else:
            escalation_failures = _breach(acted, now=now)
            result.breached += len(acted)
    if broken:
        skip.update(t.pk for t, _ in broken)
        result.problems += len(broken)
        result.problem_timer_ids += [t.pk for t, _ in broken]
        for timer, exc in broken:
            logger.error("SLA timer %s (case %s) skipped: %s", timer.pk, timer.case.reference, exc)
    if acted or broken:
        after: dict = {"timer_ids": sorted(t.pk for t in acted)}
        if broken:
            after["problems"] = {str(t.pk): f"{type(exc).__name__}: {exc}" for t, exc in broken}
        if escalation_failures:
            after["escalation_failed"] = escalation_failures
        # One row per batch: the sweep at this instant, and every timer it acted on.
        audit_record(
            actor=None,
            action="sla.warn" if kind == WARN else "sla.breach",
            object_type="sla_sweep",
            object_id=now.isoformat(),
            after=after,
        )
    return len(claimed)


def _mark(kind: str, ids: list[int], *, now: datetime) -> list[int]:
    """Set warned_at / breached_at where still unset; the ids this statement changed.

    The rows are locked already, so this is belt and braces: whatever happened since the
    claim, only a row this statement changed is acted on.
    """
    if not ids:
        return []
    column = "warned_at" if kind == WARN else "breached_at"
    table = connection.ops.quote_name(SlaTimer._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE {column} IS NULL AND id IN ({placeholders}) RETURNING id",  # noqa: S608 - column is one of two literals, values are placeholders
            [connection.ops.adapt_datetimefield_value(now), *ids],
        )
        return [row[0] for row in cursor.fetchall()]


def _recipients(timers: list[SlaTimer]) -> dict[int, list[int]]:
    """Case id -> the assignee and the leads of the case's team (one query for all leads)."""
    team_ids = {t.case.team_id for t in timers}
    leads: dict[int, list[int]] = defaultdict(list)
    for team_id, user_id in Membership.objects.filter(
        team_id__in=team_ids, user__role=Role.LEAD, user__is_active=True
    ).values_list("team_id", "user_id"):
        leads[team_id].append(user_id)
    return {t.case_id: ([t.case.assignee_id] if t.case.assignee_id else []) + leads[t.case.team_id] for t in timers}


def _when(at: datetime) -> str:
    return date_format(timezone.localtime(at), "Y-m-d H:i T")


def _minutes(timer: SlaTimer) -> str:
    # Business minutes can span a night or a weekend; say which kind the figure counts.
    return "min" if timer.calendar_version_id is None else "business min"


def _metric_label(timer: SlaTimer) -> str:
    return SlaMetric(timer.metric).label.lower()


def _warn(timers: list[SlaTimer], *, now: datetime) -> None:
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case_id=t.case_id,
            kind=EventKind.SLA,
            data={"event": "warning", "metric": t.metric, "due_at": t.due_at.isoformat(), "timer_id": t.pk},
            created_at=now,
        )
        for t in timers
    )
    recipients = _recipients(timers)
    # Reference, metric and time only: notification text must never carry restricted content.
    notify_many(
        (
            Message(
                recipient_ids=recipients[t.case_id],
                kind="sla.warning",
                title=f"{t.case.reference}: {_metric_label(t)} due in {t.remaining} {_minutes(t)}",
                body=f"The {_metric_label(t)} target of {t.case.reference} is due at {_when(t.due_at)}.",
                url=f"/cases/{t.case.reference}/",
            )
            for t in timers
        ),
        now=now,
    )
    for t in timers:
        registry.emit("sla.warning", case=t.case, data={"metric": t.metric, "due_at": t.due_at})


def _breach(timers: list[SlaTimer], *, now: datetime) -> dict[str, str]:
    """Timeline, notifications, priority raises and escalation hooks for breached timers;
    returns the escalation handlers that failed, by timer id (recorded, never fatal)."""
    events = [
        CaseEvent(
            case_id=t.case_id,
            kind=EventKind.SLA,
            data={"event": "breached", "metric": t.metric, "due_at": t.due_at.isoformat(), "timer_id": t.pk},
            created_at=now,
        )
        for t in timers
    ]
    events += _raise_priorities([t for t in timers if t.policy_version.breach_raise_priority], now=now)
    CaseEvent.objects.bulk_create(events)
    recipients = _recipients(timers)
    notify_many(
        (
            Message(
                recipient_ids=recipients[t.case_id],
                kind="sla.breach",
                title=f"{t.case.reference}: {_metric_label(t)} SLA breached",
                body=f"The {_metric_label(t)} target of {t.case.reference} was due at {_when(t.due_at)}.",
                url=f"/cases/{t.case.reference}/",
            )
            for t in timers
        ),
        now=now,
    )
    for t in timers:
        registry.emit("sla.breached", case=t.case, data={"metric": t.metric, "due_at": t.due_at})
    return _escalate([t for t in timers if t.policy_version.breach_escalate])


def _raise_priorities(timers: list[SlaTimer], *, now: datetime) -> list[CaseEvent]:
    """Raise each case one step (once, however many of its timers breached), bump its version
    so an editor holding the old one gets a conflict, and return the timeline entries."""
    cases = {t.case_id: t.case for t in timers if t.case.priority in PRIORITY_RAISE}
    if not cases:
        return []
    # The case rows are locked by the claim, so the priorities read there are current.
    Case.objects.filter(pk__in=list(cases)).update(
        priority=models.Case(
            *(When(priority=old, then=Value(new)) for old, new in PRIORITY_RAISE.items()), default=F("priority")
        ),
        version=F("version") + 1,
        updated_at=now,
    )
    metric_of = {t.case_id: t.metric for t in timers}
    events = []
    for case_id, case in cases.items():
        new = PRIORITY_RAISE[case.priority]
        events.append(
            CaseEvent(
                case_id=case_id,
                kind=EventKind.FIELDS,
                body=f"Raised because the {SlaMetric(metric_of[case_id]).label.lower()} SLA was breached.",
                data={"priority": {"from": case.priority, "to": new}, "reason": "sla_breach"},
                created_at=now,
            )
        )
        case.priority, case.version, case.updated_at = new, case.version + 1, now
    return events


def _escalate(timers: list[SlaTimer]) -> dict[str, str]:
    failures = {}
    for timer in timers:
        for handler in registry.sla_breach_handlers:
            try:
                # A savepoint per call: a handler that fails must not take the breach with it,
                # or the timer would be claimed, fail and roll back every minute forever.
                with transaction.atomic():
                    handler(timer.case, timer)
            except Exception as exc:
                logger.exception("SLA breach handler %r failed for timer %s", handler, timer.pk)
                failures[str(timer.pk)] = f"{getattr(handler, '__name__', handler)}: {exc}"
    return failures
