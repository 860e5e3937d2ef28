"""Service-SLA clocks: which policy a case falls under, when each timer is due, and how case
writes move the timers.

The maths (``sla_due_at``, ``sla_warn_at``, ``sla_remaining_minutes``) are pure functions of a
:class:`~people.business_time.WorkCalendar` and the instants passed in. The ``sla_*`` hooks are
called by ``cases.services`` inside the transaction of the case write, with the case row already
locked, so a timer never changes without the case change that caused it (and the sweep, which
locks the same case rows, never sees half of it).

A timer pins the policy version and the calendar version it started on: editing a policy or a
calendar moves no promise already made. A new timer (a next response, a reopened case) starts on
whatever policy matches the case at that moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cases.choices import EventKind, SlaMetric, Status
from cases.models import Case, CaseEvent, SlaPause, SlaPolicy, SlaPolicyVersion, SlaTimer
from people.business_time import (
    WorkCalendar,
    add_business_minutes,
    business_minutes_between,
    business_minutes_left,
)
from people.calendars import calendar_version_current, work_calendar

DEFAULT_PAUSE_REASON = "Waiting on the customer"

# Condition key -> how to read it from a case. Categories and teams are matched by their stable
# codes, not ids, so a policy reads the same in every environment.
_CASE_FACTS = {
    "priority": lambda case: case.priority,
    "category": lambda case: case.category.code,
    "tier": lambda case: case.customer.tier,
    "channel": lambda case: case.channel,
    "jurisdiction": lambda case: case.customer.jurisdiction,
    "team": lambda case: case.team.slug,
}


# --- which policy ----------------------------------------------------------------------------


def policy_conditions_match(conditions: dict, case) -> bool:
    """Whether a case meets every condition; a missing or empty list accepts any value.

    A key this code does not know never matches: a policy someone meant to narrow must not
    silently apply to every case.
    """
    for key, wanted in (conditions or {}).items():
        if wanted in (None, "", [], ()):
            continue
        if key not in _CASE_FACTS:
            return False
        allowed = {str(value) for value in ([wanted] if isinstance(wanted, str) else wanted)}
        if str(_CASE_FACTS[key](case)) not in allowed:
            return False
    return True


def sla_policy_version_for(case) -> SlaPolicyVersion | None:
    """The current version of the first active policy (by position, then id) that matches."""
    policies = (
        SlaPolicy.objects.filter(is_active=True, current_version__isnull=False)
        .select_related("current_version__calendar")
        .order_by("position", "id")
    )
    for policy in policies:
        if policy_conditions_match(policy.current_version.conditions, case):
            return policy.current_version
    return None


# --- the maths -------------------------------------------------------------------------------


def sla_due_at(cal: WorkCalendar, started_at: datetime, target_minutes: int, paused_minutes: int = 0) -> datetime:
    """When the target is used up: every finished pause pushes it out by its business minutes."""
    return add_business_minutes(cal, started_at, target_minutes + paused_minutes)


def sla_warn_at(
    version: SlaPolicyVersion, cal: WorkCalendar, started_at: datetime, target_minutes: int, paused_minutes: int = 0
) -> datetime | None:
    """When to warn: at ``warn_percent`` of the target or ``warn_minutes_before`` the due time,
    whichever comes first; None when the version asks for no warning."""
    offsets = []
    if version.warn_percent:
        offsets.append(target_minutes * version.warn_percent // 100)
    if version.warn_minutes_before and version.warn_minutes_before < target_minutes:
        offsets.append(target_minutes - version.warn_minutes_before)
    if not offsets:
        return None
    return add_business_minutes(cal, started_at, min(offsets) + paused_minutes)


def sla_remaining_minutes(timer: SlaTimer, now: datetime) -> int:
    """Signed business minutes left on the timer's pinned calendar; negative once overdue.

    A paused timer reads as it stood when paused, a met or stopped one as when it ended, so
    the figure does not keep counting down on a clock that has stopped.
    """
    as_of = timer.met_at or timer.stopped_at or timer.paused_at or now
    return business_minutes_left(work_calendar(timer.calendar_version), as_of, timer.due_at)


# --- hooks called by case services -----------------------------------------------------------


def _running(case: Case) -> list[SlaTimer]:
    # Served by cases_sla_running_idx; the case row is locked by the caller, so nobody else
    # changes these timers until we commit.
    return list(
        SlaTimer.objects.filter(case_id=case.pk)
        .running()
        .select_related("calendar_version", "policy_version")
        .order_by("started_at", "id")
    )


def _refresh_case_due(case: Case, timers: Iterable[SlaTimer]) -> None:
    """Keep ``case.sla_due_at`` (the queue's "breaching soonest") equal to the earliest due
    time of the running, unpaused timers. Written straight to the row so a caller that saves
    other fields with ``update_fields`` cannot undo it."""
    due = min(
        (t.due_at for t in timers if t.met_at is None and t.stopped_at is None and t.paused_at is None), default=None
    )
    if due != case.sla_due_at:
        Case.objects.filter(pk=case.pk).update(sla_due_at=due)
        case.sla_due_at = due


def _sla_event(case: Case, *, actor, at: datetime, data: dict, body: str = "") -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=EventKind.SLA, actor=actor, body=body, data=data, created_at=at)


def _start(case: Case, *, metrics: Iterable[str], version: SlaPolicyVersion, started_at: datetime) -> list[SlaTimer]:
    """Start a timer for each metric the version has a target for, all pinned to the version
    and to the calendar's current version (None: elapsed minutes)."""
    timers = _new_timers(case, metrics=metrics, version=version, started_at=started_at)
    # One INSERT for all of them (ids come back on PostgreSQL and SQLite alike).
    return SlaTimer.objects.bulk_create(timers) if timers else []


def _new_timers(
    case: Case, *, metrics: Iterable[str], version: SlaPolicyVersion, started_at: datetime
) -> list[SlaTimer]:
    """The timers ``_start`` writes, unsaved."""
    targets = [(metric, version.target_minutes(metric)) for metric in metrics if version.target_minutes(metric)]
    if not targets:
        return []
    calendar_version = calendar_version_current(version.calendar) if version.calendar_id else None
    cal = work_calendar(calendar_version)
    return [
        SlaTimer(
            case=case,
            metric=metric,
            policy_version=version,
            calendar_version=calendar_version,
            target_minutes=target,
            started_at=started_at,
            due_at=sla_due_at(cal, started_at, target),
            warn_at=sla_warn_at(version, cal, started_at, target),
        )
        for metric, target in targets
    ]


@dataclass(frozen=True)
class NewCaseClocks:
    """What a case about to be written will run under: the policy version (None when no policy
    matches) and its first timers, not yet saved."""

    version: SlaPolicyVersion | None
    timers: list[SlaTimer]

    @property
    def due_at(self) -> datetime | None:
        """The new case's ``sla_due_at``: the earliest due time (new timers are never paused)."""
        return min((timer.due_at for timer in self.timers), default=None)


def sla_clocks_for_new_case(case: Case) -> NewCaseClocks:
    """Plan the first-response and resolution timers of a case that is about to be inserted,
    so ``case_create`` writes the case with its ``sla_due_at`` already set.

    Both clocks run from ``received_at`` (when the customer first wrote), not from when the
    case was keyed in; a metric the version leaves empty is not timed.
    """
    version = sla_policy_version_for(case)
    if version is None:
        return NewCaseClocks(None, [])
    metrics = (SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION)
    return NewCaseClocks(version, _new_timers(case, metrics=metrics, version=version, started_at=case.received_at))


def sla_case_created(case: Case, clocks: NewCaseClocks, *, now: datetime) -> SlaPolicyVersion | None:
    """Start the planned timers of the case just inserted; returns the policy version they
    pinned, or None when no policy matched.

    A case no policy matches gets a timeline entry saying so and no timers: intake never fails
    for want of a policy. The caller's audit row records the outcome (``case_create`` puts the
    version id in its ``case.create`` row), so one write stays one audit entry. The new timers
    are left on the case as ``running_timers`` (what ``with_running_timers`` would read back),
    so answering with the new case needs no query for them.
    """
    if clocks.version is None:
        _sla_event(case, actor=None, at=now, data={"event": "no_policy"})
        case.running_timers = []
        return None
    started = SlaTimer.objects.bulk_create(clocks.timers) if clocks.timers else []
    case.running_timers = sorted(started, key=lambda timer: (timer.due_at, timer.pk))
    return clocks.version


def sla_public_reply(case: Case, *, now: datetime) -> None:
    """A public reply answers the customer: it meets the first- and next-response timers."""
    timers = _running(case)
    for timer in timers:
        if timer.metric in (SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_RESPONSE):
            _end(timer, now=now, met=True)
    _refresh_case_due(case, timers)


def sla_customer_message(case: Case, *, now: datetime) -> SlaTimer | None:
    """The customer wrote again: arm a next-response timer unless one is already running.

    A case still waiting for its first response is already on a clock for exactly this, so a
    follow-up before any answer starts nothing new; nor does a message on a resolved case.
    """
    if not case.is_open:
        return None
    timers = _running(case)
    if any(t.metric in (SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_RESPONSE) for t in timers):
        return None
    version = sla_policy_version_for(case)
    started = _start(case, metrics=[SlaMetric.NEXT_RESPONSE], version=version, started_at=now) if version else []
    _refresh_case_due(case, timers + started)
    return started[0] if started else None


def sla_status_changed(
    case: Case, *, from_status: str, to_status: str, now: datetime, actor=None, reason: str = ""
) -> None:
    """Move the clocks with a status change (called by ``_apply_status`` for every transition).

    - into pending customer: every running timer pauses, with the reason (stop-the-clock);
    - out of pending customer: every paused timer resumes, its due time pushed out by the
      business minutes it stood still;
    - resolved: resolution is met; the other timers stop (no one is waiting for a reply);
    - closed: anything still running stops;
    - resolved -> open (a reopen): a new resolution timer runs from the reopen instant.
    """
    timers = _running(case)
    if from_status == Status.PENDING_CUSTOMER and to_status != Status.PENDING_CUSTOMER:
        _resume_all(case, timers, actor=actor, now=now)
    if to_status == Status.PENDING_CUSTOMER:
        _pause_all(case, timers, actor=actor, now=now, reason=reason or DEFAULT_PAUSE_REASON)
    elif to_status == Status.RESOLVED:
        for timer in timers:
            _end(timer, now=now, met=timer.metric == SlaMetric.RESOLUTION)
    elif to_status == Status.CLOSED:
        for timer in timers:
            _end(timer, now=now, met=False)
    elif from_status == Status.RESOLVED and to_status == Status.OPEN:
        version = sla_policy_version_for(case)
        if version is not None and not any(t.metric == SlaMetric.RESOLUTION for t in timers):
            timers += _start(case, metrics=[SlaMetric.RESOLUTION], version=version, started_at=now)
    _refresh_case_due(case, timers)


def _pause_all(case: Case, timers: list[SlaTimer], *, actor, now: datetime, reason: str) -> None:
    paused = [t for t in timers if t.paused_at is None]
    if not paused:
        return
    SlaPause.objects.bulk_create([SlaPause(timer=t, started_at=now, reason=reason[:200], actor=actor) for t in paused])
    SlaTimer.objects.filter(pk__in=[t.pk for t in paused]).update(paused_at=now)
    for timer in paused:
        timer.paused_at = now
    _sla_event(
        case,
        actor=actor,
        at=now,
        body=reason,
        data={"event": "paused", "metrics": [t.metric for t in paused], "reason": reason},
    )


def _resume_all(case: Case, timers: list[SlaTimer], *, actor, now: datetime) -> None:
    resumed = {timer.metric: _resume(timer, now=now) for timer in timers if timer.paused_at is not None}
    if resumed:
        _sla_event(case, actor=actor, at=now, data={"event": "resumed", "business_minutes": resumed})


def _resume(timer: SlaTimer, *, now: datetime) -> int:
    """End the open pause and push the due (and warning) time out by its business minutes."""
    cal = work_calendar(timer.calendar_version)
    pause = SlaPause.objects.filter(timer=timer, ended_at__isnull=True).first()
    start = pause.started_at if pause else timer.paused_at
    # A message back-dated to before the pause began ends it the moment it began, never earlier.
    end = max(now, start)
    minutes = business_minutes_between(cal, start, end)
    if pause is not None:
        pause.ended_at, pause.business_minutes = end, minutes
        pause.save(update_fields=["ended_at", "business_minutes"])
    timer.paused_minutes += minutes
    timer.due_at = sla_due_at(cal, timer.started_at, timer.target_minutes, timer.paused_minutes)
    timer.warn_at = sla_warn_at(timer.policy_version, cal, timer.started_at, timer.target_minutes, timer.paused_minutes)
    timer.paused_at = None
    timer.save(update_fields=["paused_minutes", "due_at", "warn_at", "paused_at"])
    return minutes


def _end(timer: SlaTimer, *, now: datetime, met: bool) -> None:
    """Meet or stop a timer; a paused one is resumed first so its pause is on record and its
    due time includes it (a reply sent while waiting on the customer is judged fairly)."""
    if timer.paused_at is not None:
        _resume(timer, now=now)
    if met:
        timer.met_at = now
        timer.save(update_fields=["met_at"])
    else:
        timer.stopped_at = now
        timer.save(update_fields=["stopped_at"])


# --- recomputing for an auditor ---------------------------------------------------------------


@dataclass(frozen=True)
class Recomputed:
    """A timer as stored next to the same timer recomputed from its pinned versions."""

    due_at: datetime
    paused_minutes: int
    outcome: str
    stored_due_at: datetime
    stored_paused_minutes: int
    stored_outcome: str

    @property
    def differs(self) -> bool:
        return (self.due_at, self.paused_minutes, self.outcome) != (
            self.stored_due_at,
            self.stored_paused_minutes,
            self.stored_outcome,
        )


def _outcome(timer: SlaTimer, due_at: datetime, now: datetime) -> str:
    """met / breached / stopped / running, judged against ``due_at``."""
    if timer.met_at is not None:
        return "met" if timer.met_at <= due_at else "breached"
    if timer.stopped_at is not None:
        return "breached" if timer.stopped_at > due_at else "stopped"
    return "breached" if (timer.paused_at or now) >= due_at else "running"


def sla_timer_recompute(timer: SlaTimer, pauses: Iterable[SlaPause], *, now: datetime) -> Recomputed:
    """Recompute a timer from what it pinned: its start, target, calendar version and the
    spans of its finished pauses. Raises ValueError if the pinned calendar cannot be built.

    A pause that began after the target was already used up does not undo the breach, even
    though it pushes the due time out like any other pause.
    """
    cal = work_calendar(timer.calendar_version)
    paused = 0
    broken_before_a_pause = False
    for pause in sorted(pauses, key=lambda p: (p.started_at, p.pk)):
        if pause.started_at >= sla_due_at(cal, timer.started_at, timer.target_minutes, paused):
            broken_before_a_pause = True
        if pause.ended_at is not None:
            paused += business_minutes_between(cal, pause.started_at, pause.ended_at)
    due = sla_due_at(cal, timer.started_at, timer.target_minutes, paused)
    outcome = "breached" if broken_before_a_pause else _outcome(timer, due, now)
    stored_outcome = "breached" if timer.breached_at is not None else _outcome(timer, timer.due_at, now)
    return Recomputed(
        due_at=due,
        paused_minutes=paused,
        outcome=outcome,
        stored_due_at=timer.due_at,
        stored_paused_minutes=timer.paused_minutes,
        stored_outcome=stored_outcome,
    )
