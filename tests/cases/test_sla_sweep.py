"""The SLA sweep: warnings and breaches exactly once, in batches, under concurrency and failure."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from cases import registry
from cases import sla_sweep as sweep_module
from cases.choices import EventKind, Priority, SlaMetric, SlaState, Status
from cases.models import Case, CaseEvent, SlaTimer
from cases.services import case_add_message, case_change_status, case_create
from cases.sla_sweep import sla_sweep
from people.choices import Role
from people.models import BusinessCalendarVersion, Notification
from tests.factories import (
    BusinessCalendarFactory,
    CategoryFactory,
    CustomerFactory,
    SlaPolicyFactory,
    SlaTimerFactory,
    UserFactory,
)

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday


@pytest.fixture(autouse=True)
def _no_breach_handlers(monkeypatch):
    # Higher apps register escalation handlers; these tests install their own.
    monkeypatch.setattr(registry, "sla_breach_handlers", [])


@pytest.fixture
def policy(db):
    """Elapsed minutes, so due times are plain arithmetic: first response 60 (warn at 48),
    resolution 480 (warn at 384)."""
    return SlaPolicyFactory(
        name="Around the clock",
        version__calendar=None,
        version__first_response_minutes=60,
        version__next_response_minutes=None,
        version__resolution_minutes=480,
        version__warn_percent=80,
    )


def _new_case(team, *, at: datetime = T0, assignee=None, priority: str = Priority.NORMAL, n: int = 0) -> Case:
    with time_machine.travel(at, tick=False):
        case = case_create(
            actor=None,
            customer=CustomerFactory(),
            subject=f"Card blocked abroad {n}",
            body="My card was declined in Lisbon.",
            channel="chat",
            category=CategoryFactory(code="card"),
            team=team,
            priority=priority,
        )
    if assignee is not None:
        Case.objects.filter(pk=case.pk).update(assignee=assignee)
        case.assignee = assignee
    return case


def _sla_events(case: Case, event: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.SLA, data__event=event))


def _breach_counts(cases) -> dict[int, int]:
    counts = dict.fromkeys((c.pk for c in cases), 0)
    for case_id in CaseEvent.objects.filter(case__in=cases, kind=EventKind.SLA, data__event="breached").values_list(
        "case_id", flat=True
    ):
        counts[case_id] += 1
    return counts


def _statements(captured) -> list[str]:
    return [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


# --- warnings and breaches -------------------------------------------------------------------


def test_it_warns_once_then_breaches_once_however_often_it_runs(team, agent, lead, second_agent, policy):
    case = _new_case(team, assignee=agent)

    first = sla_sweep(now=T0 + timedelta(minutes=47))
    assert (first.warned, first.breached) == (0, 0)

    warned = sla_sweep(now=T0 + timedelta(minutes=50))
    again = sla_sweep(now=T0 + timedelta(minutes=55))

    assert (warned.warned, warned.breached, again.warned) == (1, 0, 0)
    [warning] = _sla_events(case, "warning")
    assert warning.data["metric"] == SlaMetric.FIRST_RESPONSE
    timer = SlaTimer.objects.get(case=case, metric=SlaMetric.FIRST_RESPONSE)
    assert timer.warned_at == T0 + timedelta(minutes=50)
    assert timer.state(T0 + timedelta(minutes=55)) == SlaState.WARNING
    # The assignee and the team's lead; another agent of the team is not disturbed.
    notes = Notification.objects.filter(kind="sla.warning")
    assert sorted(n.recipient.username for n in notes) == ["ana", "lena"]
    assert notes[0].title == f"{case.reference}: first response due in 10 min"
    assert notes[0].url == f"/cases/{case.reference}/"
    # Only the reference: a subject can carry what a notification must not.
    assert "Lisbon" not in notes[0].title + notes[0].body

    breached = sla_sweep(now=T0 + timedelta(minutes=61))
    sla_sweep(now=T0 + timedelta(minutes=90))

    assert breached.breached == 1
    [breach] = _sla_events(case, "breached")
    assert breach.data["metric"] == SlaMetric.FIRST_RESPONSE
    assert breach.actor is None
    timer.refresh_from_db()
    assert timer.breached_at == T0 + timedelta(minutes=61)
    assert Notification.objects.filter(kind="sla.breach", recipient__in=[agent, lead]).count() == 2
    assert not Notification.objects.filter(recipient=second_agent).exists()
    audits = list(AuditEvent.objects.filter(object_type="sla_sweep").order_by("id"))
    assert [(a.action, a.after["timer_ids"]) for a in audits] == [("sla.warn", [timer.pk]), ("sla.breach", [timer.pk])]
    assert (audits[0].actor, audits[0].actor_label) == (None, "system")


def test_a_warning_on_a_business_calendar_counts_business_minutes_left(team, agent):
    calendar = BusinessCalendarFactory(
        time_zone="America/New_York",
        holiday_country="US",
        weekly_hours={str(d): [["09:00", "17:00"]] for d in range(5)},
    )
    SlaPolicyFactory(version__calendar=calendar, version__first_response_minutes=60)
    # Friday 16:30 EDT: 30 minutes on Friday, the rest from Monday 09:00; warning at 48 minutes.
    case = _new_case(team, assignee=agent, at=datetime(2026, 3, 13, 20, 30, tzinfo=UTC))
    friday_evening = datetime(2026, 3, 13, 22, 0, tzinfo=UTC)
    monday_0920 = datetime(2026, 3, 16, 13, 20, tzinfo=UTC)

    assert sla_sweep(now=friday_evening).warned == 0
    assert sla_sweep(now=monday_0920).warned == 1

    note = Notification.objects.get(recipient=agent)
    assert note.title == f"{case.reference}: first response due in 10 business min"
    assert note.body == f"The first response target of {case.reference} is due at 2026-03-16 13:30 UTC."


def test_a_timer_already_past_due_is_breached_without_a_late_warning(team, agent, policy):
    case = _new_case(team, assignee=agent)

    result = sla_sweep(now=T0 + timedelta(hours=2))

    assert (result.warned, result.breached) == (0, 1)
    assert _sla_events(case, "warning") == []
    assert Notification.objects.filter(recipient=agent).count() == 1


def test_timers_that_are_paused_met_or_stopped_are_left_alone(team, agent, lead, policy):
    paused = _new_case(team, n=1)
    met = _new_case(team, n=2)
    resolved = _new_case(team, n=3)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        case_change_status(actor=agent, case=paused, to_status=Status.PENDING_CUSTOMER, expected_version=None)
        case_add_message(actor=agent, case=met, body="On it.", internal=False)
        case_change_status(actor=agent, case=resolved, to_status=Status.RESOLVED, expected_version=None)

    result = sla_sweep(now=T0 + timedelta(hours=10))

    # Only the met case's resolution timer is still running and unpaused.
    assert (result.warned, result.breached) == (0, 1)
    assert list(SlaTimer.objects.exclude(breached_at=None).values_list("case_id", "metric")) == [
        (met.pk, SlaMetric.RESOLUTION)
    ]
    assert not CaseEvent.objects.filter(
        case__in=[paused, resolved], kind=EventKind.SLA, data__event__in=["warning", "breached"]
    ).exists()


def test_a_case_without_assignee_or_lead_still_gets_its_breach_on_the_timeline(team, policy):
    case = _new_case(team)

    assert sla_sweep(now=T0 + timedelta(hours=2)).breached == 1

    assert len(_sla_events(case, "breached")) == 1
    assert not Notification.objects.exists()


# --- actions at breach ------------------------------------------------------------------------


def test_a_breach_raises_priority_one_step_when_the_policy_says_so(team, agent, lead):
    SlaPolicyFactory(version__calendar=None, version__breach_raise_priority=True)
    normal = _new_case(team, priority=Priority.NORMAL, n=1)
    urgent = _new_case(team, priority=Priority.URGENT, n=2)

    # Both first response and resolution have breached: the case still rises one step only.
    sla_sweep(now=T0 + timedelta(days=2))

    normal.refresh_from_db()
    urgent.refresh_from_db()
    assert (normal.priority, normal.version) == (Priority.HIGH, 2)
    assert (urgent.priority, urgent.version) == (Priority.URGENT, 1)
    [raised] = CaseEvent.objects.filter(case=normal, kind=EventKind.FIELDS)
    assert raised.data == {"priority": {"from": "normal", "to": "high"}, "reason": "sla_breach"}
    assert raised.actor is None
    assert not CaseEvent.objects.filter(case=urgent, kind=EventKind.FIELDS).exists()
    assert len(_sla_events(normal, "breached")) == 2


def test_a_policy_without_priority_raise_leaves_priority_alone(team, policy):
    case = _new_case(team)

    sla_sweep(now=T0 + timedelta(days=2))

    case.refresh_from_db()
    assert (case.priority, case.version) == (Priority.NORMAL, 1)


def test_a_breach_calls_the_escalation_handlers_for_policies_that_escalate(team, monkeypatch):
    SlaPolicyFactory(
        position=0, version__calendar=None, version__breach_escalate=True, version__conditions={"priority": ["high"]}
    )
    SlaPolicyFactory(position=1, version__calendar=None, version__breach_escalate=False)
    escalating = _new_case(team, priority=Priority.HIGH, n=1)
    quiet = _new_case(team, priority=Priority.NORMAL, n=2)
    calls = []

    def escalate(case, timer):
        calls.append((case.pk, timer.metric))
        CaseEvent.objects.create(case=case, kind=EventKind.NOTE, body="escalated", created_at=T0)

    monkeypatch.setattr(registry, "sla_breach_handlers", [escalate])

    sla_sweep(now=T0 + timedelta(minutes=61))

    assert calls == [(escalating.pk, SlaMetric.FIRST_RESPONSE)]
    assert CaseEvent.objects.filter(case=escalating, body="escalated").exists()
    assert not CaseEvent.objects.filter(case=quiet, body="escalated").exists()


def test_a_failing_escalation_handler_does_not_undo_the_breach(team):
    SlaPolicyFactory(version__calendar=None, version__breach_escalate=True)
    case = _new_case(team)

    def broken(case, timer):
        CaseEvent.objects.create(case=case, kind=EventKind.NOTE, body="half-written", created_at=T0)
        raise RuntimeError("escalation team unknown")

    registry.sla_breach_handlers.append(broken)

    result = sla_sweep(now=T0 + timedelta(minutes=61))

    assert result.breached == 1
    assert len(_sla_events(case, "breached")) == 1
    # The handler's own writes went with its savepoint; the failure is on the audit row.
    assert not CaseEvent.objects.filter(body="half-written").exists()
    audit = AuditEvent.objects.get(action="sla.breach")
    timer = SlaTimer.objects.get(case=case, metric=SlaMetric.FIRST_RESPONSE)
    assert audit.after["escalation_failed"] == {str(timer.pk): "broken: escalation team unknown"}


# --- problems, failures, batches --------------------------------------------------------------


def test_a_timer_whose_calendar_version_cannot_be_loaded_is_recorded_and_skipped(team, policy):
    good = _new_case(team, n=1)
    # A version loaded by an old import, with hours no calendar can have (17:00 to 09:00).
    broken_version = BusinessCalendarVersion.objects.create(
        calendar=BusinessCalendarFactory(),
        number=99,
        time_zone="America/New_York",
        weekly_hours={"0": [["17:00", "09:00"]]},
        created_at=T0,
    )
    bad = SlaTimerFactory(
        case=_new_case(team, n=2),
        metric=SlaMetric.NEXT_RESPONSE,
        policy_version=policy.current_version,
        calendar_version=broken_version,
        started_at=T0,
    )

    result = sla_sweep(now=T0 + timedelta(hours=2), batch_size=1)

    assert (result.breached, result.problems, result.problem_timer_ids) == (2, 1, [bad.pk])
    bad.refresh_from_db()
    assert bad.breached_at is None
    assert len(_sla_events(good, "breached")) == 1
    [problem] = [a for a in AuditEvent.objects.filter(action="sla.breach") if a.after.get("problems")]
    assert list(problem.after["problems"]) == [str(bad.pk)]
    # Still broken next minute: recorded again, never crashing the sweep.
    assert sla_sweep(now=T0 + timedelta(hours=2, minutes=1)).problems == 1


def test_a_batch_that_fails_leaves_no_trace_and_the_next_run_picks_it_up(team, agent, policy, monkeypatch):
    cases = [_new_case(team, assignee=agent, n=n) for n in range(5)]
    real_notify = sweep_module.notify_many
    calls = []

    def notify_failing_on_the_second_batch(messages, *, now):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("database connection lost mid-batch")
        return real_notify(messages, now=now)

    monkeypatch.setattr(sweep_module, "notify_many", notify_failing_on_the_second_batch)
    # Past first-response due, before resolution's: five timers, batches of two.
    now = T0 + timedelta(hours=2)
    with pytest.raises(ConnectionError):
        sla_sweep(now=now, batch_size=2)

    assert SlaTimer.objects.exclude(breached_at=None).count() == 2
    assert sorted(_breach_counts(cases).values()) == [0, 0, 0, 1, 1]
    assert Notification.objects.count() == 2

    monkeypatch.setattr(sweep_module, "notify_many", real_notify)
    result = sla_sweep(now=now + timedelta(minutes=1), batch_size=2)

    assert (result.breached, result.batches) == (3, 2)
    assert set(_breach_counts(cases).values()) == {1}
    assert Notification.objects.count() == 5
    assert AuditEvent.objects.filter(action="sla.breach").count() == 3


@pytest.mark.parametrize("due", [3, 30])
def test_a_batch_costs_the_same_number_of_queries_however_many_timers_it_holds(
    team, agent, lead, due, django_assert_max_num_queries
):
    SlaPolicyFactory(version__calendar=None, version__breach_raise_priority=True, version__resolution_minutes=None)
    for n in range(due):
        _new_case(team, assignee=agent, n=n)

    # Savepoints included: inside the test's transaction each batch is one (two statements).
    with CaptureQueriesContext(connection) as captured, django_assert_max_num_queries(19):
        result = sla_sweep(now=T0 + timedelta(hours=2))

    assert (result.breached, result.batches) == (due, 1)
    # Claim, mark, raise priority, events, leads, active users, notifications, the outbox row for
    # their e-mail copies, audit (lock, last hash, insert); then the empty claim that ends each
    # of the two passes.
    assert len(_statements(captured)) == 11 + 2
    assert Notification.objects.count() == 2 * due


def test_batches_split_the_work_and_each_costs_the_same(team, agent, lead):
    SlaPolicyFactory(version__calendar=None, version__resolution_minutes=None)
    for n in range(25):
        _new_case(team, assignee=agent, n=n)

    with CaptureQueriesContext(connection) as captured:
        result = sla_sweep(now=T0 + timedelta(hours=2), batch_size=10)

    assert (result.breached, result.batches) == (25, 3)
    claims = [q for q in captured if "FOR UPDATE" in q["sql"]]
    # One claim per batch plus the empty claim that ends each pass.
    assert len(claims) == 3 + 2
    # Ten statements per batch (no priority to raise here), whatever the batch holds.
    assert len(_statements(captured)) == 3 * 10 + 2


# --- two sweeps at once -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_breach_every_timer_exactly_once(categories_back_after_flush, team, agent, lead):
    SlaPolicyFactory(version__calendar=None, version__resolution_minutes=None)
    cases = [_new_case(team, assignee=agent, n=n) for n in range(40)]
    start = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            start.wait(timeout=10)
            results.append(sla_sweep(now=T0 + timedelta(hours=2), batch_size=3))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(r.breached for r in results) == 40
    # Both really ran side by side: SKIP LOCKED split the timers between them.
    assert len(results) == 2 and min(r.breached for r in results) > 0
    assert set(_breach_counts(cases).values()) == {1}
    assert Notification.objects.filter(kind="sla.breach").count() == 80
    # Each timer appears in exactly one batch's audit row, and the chain is intact.
    audited = [pk for a in AuditEvent.objects.filter(action="sla.breach") for pk in a.after["timer_ids"]]
    assert sorted(audited) == sorted(SlaTimer.objects.values_list("pk", flat=True))
    assert audit_chain_verify().first_broken_id is None


@pytest.mark.django_db(transaction=True)
def test_a_case_someone_is_editing_is_skipped_not_waited_for(categories_back_after_flush, team, agent):
    SlaPolicyFactory(version__calendar=None, version__resolution_minutes=None)
    held, free = _new_case(team, n=1), _new_case(team, n=2)
    locked, release = threading.Event(), threading.Event()

    def editor():
        # A case service holds the case row for the length of its transaction.
        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=editor)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        # Had the sweep waited for the lock, it would have breached both once released.
        first = sla_sweep(now=T0 + timedelta(hours=2))
    finally:
        release.set()
        thread.join(timeout=30)

    assert first.breached == 1
    assert _breach_counts([held, free]) == {held.pk: 0, free.pk: 1}
    assert sla_sweep(now=T0 + timedelta(hours=2, minutes=1)).breached == 1
    assert _breach_counts([held, free]) == {held.pk: 1, free.pk: 1}


def test_the_beat_schedule_runs_the_sweep_every_minute_on_the_sla_queue():
    from config.celery import app

    entry = app.conf.beat_schedule["sla-sweep"]
    assert entry["task"] == "cases.tasks.sla_sweep_task"
    assert entry["schedule"] == timedelta(minutes=1)
    assert app.amqp.router.route({}, "cases.tasks.sla_sweep_task")["queue"].name == "sla"


def test_the_task_runs_the_sweep_and_reports_what_it_did(team, agent, policy):
    from cases.tasks import sla_sweep_task

    case = _new_case(team, assignee=agent, at=datetime.now(tz=UTC) - timedelta(hours=2))

    summary = sla_sweep_task()

    assert (summary["warned"], summary["breached"], summary["problems"]) == (0, 1, 0)
    assert len(_sla_events(case, "breached")) == 1
    assert len(AuditEvent.objects.get(action="sla.breach").request_id) == 32


def test_a_lead_who_left_gets_nothing(team, agent, policy):
    UserFactory(username="gone", role=Role.LEAD, teams=[team], is_active=False)
    _new_case(team, assignee=agent)

    sla_sweep(now=T0 + timedelta(hours=2))

    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["ana"]
