"""Service-SLA timers as case writes move them: start, meet, pause, resume, stop, reopen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from audit.models import AuditEvent
from cases.choices import EventKind, Priority, SlaMetric, SlaState, Status
from cases.errors import CaseError
from cases.models import Case, CaseEvent, Category, Customer, SlaPause, SlaPolicyVersion, SlaTimer
from cases.services import (
    case_add_customer_message,
    case_add_message,
    case_change_status,
    case_create,
)
from cases.sla import (
    policy_conditions_match,
    sla_due_at,
    sla_policy_version_for,
    sla_remaining_minutes,
    sla_warn_at,
)
from people.business_time import WorkCalendar
from people.models import Team
from tests.factories import (
    BusinessCalendarFactory,
    CaseFactory,
    CategoryFactory,
    CustomerFactory,
    SlaPolicyFactory,
    SlaPolicyVersionFactory,
)

pytestmark = pytest.mark.django_db

US_HOURS = {str(day): [["09:00", "17:00"]] for day in range(5)}
# New York is UTC-4 all summer: 09:00 EDT is 13:00 UTC, 17:00 EDT is 21:00 UTC.
FRIDAY_BEFORE_MEMORIAL_DAY_3PM = datetime(2026, 5, 22, 19, 0, tzinfo=UTC)  # Fri 15:00 EDT
TUESDAY_AFTER_MEMORIAL_DAY = datetime(2026, 5, 26, tzinfo=UTC)


def utc(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def us_calendar(db):
    return BusinessCalendarFactory(
        name="New York support", time_zone="America/New_York", holiday_country="US", weekly_hours=US_HOURS
    )


@pytest.fixture
def policy(us_calendar):
    return SlaPolicyFactory(
        name="Standard",
        version__calendar=us_calendar,
        version__first_response_minutes=60,
        version__next_response_minutes=240,
        version__resolution_minutes=480,
        version__warn_percent=80,
    )


def _create(team, *, at: datetime, received_at: datetime | None = None, **kwargs) -> Case:
    with time_machine.travel(at, tick=False):
        return case_create(
            actor=None,
            customer=kwargs.pop("customer", None) or CustomerFactory(),
            subject="Withdrawal pending",
            body="My withdrawal has been pending since Monday.",
            channel=kwargs.pop("channel", "email"),
            category=kwargs.pop("category", None) or CategoryFactory(code="withdrawals"),
            team=team,
            received_at=received_at,
            **kwargs,
        )


def _timer(case: Case, metric: str, *, running: bool = True) -> SlaTimer:
    timers = SlaTimer.objects.filter(case=case, metric=metric)
    if running:
        timers = timers.running()
    return timers.select_related("calendar_version", "policy_version").latest("started_at", "id")


def _sla_events(case: Case) -> list[dict]:
    return [e.data for e in CaseEvent.objects.filter(case=case, kind=EventKind.SLA).order_by("created_at", "id")]


def _reply(case: Case, agent, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        case_add_message(actor=agent, case=case, body="We are looking into it.", internal=False)


def _status(case: Case, to_status: str, at: datetime, actor=None, reason: str = "") -> Case:
    with time_machine.travel(at, tick=False):
        return case_change_status(actor=actor, case=case, to_status=to_status, expected_version=None, reason=reason)


# --- starting ----------------------------------------------------------------------------


def test_a_new_case_starts_first_response_and_resolution_across_the_weekend_and_memorial_day(team, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)

    first, resolution = _timer(case, SlaMetric.FIRST_RESPONSE), _timer(case, SlaMetric.RESOLUTION)
    version = policy.current_version
    assert (first.policy_version, resolution.policy_version) == (version, version)
    assert first.calendar_version.calendar_id == version.calendar_id
    assert first.calendar_version.number == 1
    assert first.started_at == resolution.started_at == FRIDAY_BEFORE_MEMORIAL_DAY_3PM
    # 60 business minutes from Friday 15:00 EDT: Friday 16:00 EDT.
    assert first.due_at == utc(2026, 5, 22, 20)
    # Warning at 80 %: 48 minutes in.
    assert first.warn_at == utc(2026, 5, 22, 19, 48)
    # 480 minutes: 120 on Friday, weekend and Memorial Day closed, 360 on Tuesday -> 15:00 EDT.
    assert resolution.due_at == utc(2026, 5, 26, 19)
    # 384 minutes: 120 on Friday, 264 on Tuesday -> 13:24 EDT.
    assert resolution.warn_at == utc(2026, 5, 26, 17, 24)
    assert not SlaTimer.objects.filter(case=case, metric=SlaMetric.NEXT_RESPONSE).exists()

    case.refresh_from_db()
    assert case.sla_due_at == first.due_at
    assert _sla_events(case) == []
    audit = AuditEvent.objects.get(object_id=case.reference, action="case.create")
    assert audit.after["sla_policy_version_id"] == version.pk


def test_the_clock_starts_when_the_customer_wrote_and_skips_independence_day_observed(team, policy):
    # Keyed in on Monday from a voicemail left on Thursday 16:30 EDT; Friday 3 July 2026 is
    # the observed Independence Day holiday.
    case = _create(team, at=utc(2026, 7, 6, 14), received_at=utc(2026, 7, 2, 20, 30))

    first = _timer(case, SlaMetric.FIRST_RESPONSE)
    assert first.started_at == utc(2026, 7, 2, 20, 30)
    # 30 minutes on Thursday, then Monday 09:00 + 30 minutes.
    assert first.due_at == utc(2026, 7, 6, 13, 30)
    assert first.state(utc(2026, 7, 6, 14)) == SlaState.BREACHED


def test_a_metric_the_policy_leaves_empty_is_not_timed(team, us_calendar):
    SlaPolicyFactory(version__calendar=us_calendar, version__first_response_minutes=None)

    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)

    assert list(SlaTimer.objects.filter(case=case).values_list("metric", flat=True)) == [SlaMetric.RESOLUTION]


def test_a_policy_without_a_calendar_counts_elapsed_minutes(team):
    SlaPolicyFactory(version__calendar=None, version__first_response_minutes=90)

    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)

    first = _timer(case, SlaMetric.FIRST_RESPONSE)
    assert first.calendar_version is None
    assert first.due_at == FRIDAY_BEFORE_MEMORIAL_DAY_3PM + timedelta(minutes=90)


def test_a_case_no_policy_matches_says_so_on_its_timeline_and_starts_no_clock(team, us_calendar):
    SlaPolicyFactory(version__calendar=us_calendar, version__conditions={"priority": ["urgent"]})

    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM, priority=Priority.NORMAL)

    assert not SlaTimer.objects.filter(case=case).exists()
    assert _sla_events(case) == [{"event": "no_policy"}]
    case.refresh_from_db()
    assert case.sla_due_at is None
    audit = AuditEvent.objects.get(object_id=case.reference, action="case.create")
    assert audit.after["sla_policy_version_id"] is None


def test_the_first_matching_active_policy_in_order_applies(team, us_calendar):
    SlaPolicyFactory(name="Off", position=0, is_active=False, version__calendar=us_calendar)
    SlaPolicyFactory(name="VIP", position=1, version__calendar=us_calendar, version__conditions={"tier": ["vip"]})
    urgent = SlaPolicyFactory(
        name="Urgent",
        position=2,
        version__calendar=us_calendar,
        version__conditions={"priority": ["urgent"], "channel": ["chat", "phone"]},
        version__first_response_minutes=15,
    )
    SlaPolicyFactory(name="Everything", position=3, version__calendar=us_calendar)

    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM, priority=Priority.URGENT, channel="chat")

    assert sla_policy_version_for(case) == urgent.current_version
    assert _timer(case, SlaMetric.FIRST_RESPONSE).target_minutes == 15


# --- policy conditions (pure) -----------------------------------------------------------------


def _unsaved_case(**overrides) -> Case:
    return Case(
        priority=overrides.get("priority", "high"),
        channel=overrides.get("channel", "email"),
        category=Category(code=overrides.get("category", "card")),
        customer=Customer(tier=overrides.get("tier", "vip"), jurisdiction=overrides.get("jurisdiction", "AU-NSW")),
        team=Team(slug=overrides.get("team", "sydney-l1")),
    )


@pytest.mark.parametrize(
    ("conditions", "matches"),
    [
        ({}, True),
        ({"priority": [], "tier": None}, True),
        ({"priority": ["high", "urgent"]}, True),
        ({"priority": ["urgent"]}, False),
        ({"category": ["card"], "tier": ["vip"], "jurisdiction": ["AU-NSW"], "team": ["sydney-l1"]}, True),
        ({"category": ["card"], "tier": ["standard"]}, False),
        ({"channel": ["chat", "phone"]}, False),
        ({"team": ["manila-l1"]}, False),
        # A key the engine cannot read never matches, rather than matching everything.
        ({"language": ["en"]}, False),
    ],
)
def test_policy_conditions_match_every_listed_attribute(conditions, matches):
    assert policy_conditions_match(conditions, _unsaved_case()) is matches


# --- due and warning maths (pure) -------------------------------------------------------------


def test_the_warning_comes_at_whichever_threshold_is_first():
    cal = WorkCalendar.always_open()
    start = utc(2026, 3, 2, 9)
    version = SlaPolicyVersion(warn_percent=80, warn_minutes_before=30)
    assert sla_warn_at(version, cal, start, 100) == start + timedelta(minutes=70)
    version.warn_minutes_before = 10
    assert sla_warn_at(version, cal, start, 100) == start + timedelta(minutes=80)
    # Paused minutes push the warning out like the due time.
    assert sla_warn_at(version, cal, start, 100, paused_minutes=15) == start + timedelta(minutes=95)
    # "Warn 200 minutes before" a 100-minute target cannot be honoured; the percentage still is.
    version.warn_minutes_before = 200
    assert sla_warn_at(version, cal, start, 100) == start + timedelta(minutes=80)
    version.warn_percent = None
    assert sla_warn_at(version, cal, start, 100) is None
    assert sla_due_at(cal, start, 100, paused_minutes=15) == start + timedelta(minutes=115)


# --- responses ---------------------------------------------------------------------------------


def test_the_first_public_reply_meets_the_first_response_but_a_note_does_not(team, agent, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    with time_machine.travel(utc(2026, 5, 22, 19, 10), tick=False):
        case_add_message(actor=agent, case=case, body="Checking with payments.", internal=True)
    assert _timer(case, SlaMetric.FIRST_RESPONSE).met_at is None

    _reply(case, agent, utc(2026, 5, 22, 19, 40))

    first = _timer(case, SlaMetric.FIRST_RESPONSE, running=False)
    assert first.met_at == utc(2026, 5, 22, 19, 40)
    assert first.breached_at is None
    assert first.state(utc(2026, 5, 26, 12)) == SlaState.MET
    case.refresh_from_db()
    # The queue now sorts the case by the resolution promise.
    assert case.sla_due_at == _timer(case, SlaMetric.RESOLUTION).due_at


def test_a_late_first_reply_is_met_but_counts_as_breached(team, agent, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)

    _reply(case, agent, utc(2026, 5, 26, 13, 5))

    first = _timer(case, SlaMetric.FIRST_RESPONSE, running=False)
    assert first.met_at == utc(2026, 5, 26, 13, 5)
    assert first.state(utc(2026, 5, 26, 14)) == SlaState.BREACHED


def test_a_customer_message_after_our_reply_arms_one_next_response_that_the_next_reply_meets(team, agent, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    # A follow-up before any answer: the first-response clock already covers it.
    with time_machine.travel(utc(2026, 5, 22, 19, 20), tick=False):
        case_add_customer_message(actor=None, case=case, body="Any news?")
    assert not SlaTimer.objects.filter(case=case, metric=SlaMetric.NEXT_RESPONSE).exists()
    _reply(case, agent, utc(2026, 5, 22, 19, 30))

    with time_machine.travel(utc(2026, 5, 22, 20, 30), tick=False):
        case_add_customer_message(actor=agent, case=case, body="Called: still not received.")
        case_add_customer_message(actor=None, case=case, body="Hello??")

    [next_response] = SlaTimer.objects.filter(case=case, metric=SlaMetric.NEXT_RESPONSE)
    assert next_response.started_at == utc(2026, 5, 22, 20, 30)
    # 240 minutes: 30 left on Friday, then Tuesday 09:00 + 210 -> 12:30 EDT.
    assert next_response.due_at == utc(2026, 5, 26, 16, 30)
    case.refresh_from_db()
    assert case.sla_due_at == next_response.due_at

    _reply(case, agent, utc(2026, 5, 26, 14))
    next_response.refresh_from_db()
    assert next_response.met_at == utc(2026, 5, 26, 14)
    assert next_response.state(utc(2026, 5, 27, 12)) == SlaState.MET


def test_a_logged_customer_message_shows_the_customer_as_author_and_is_audited(team, agent, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)

    with time_machine.travel(utc(2026, 5, 22, 20), tick=False):
        event = case_add_customer_message(
            actor=agent, case=case, body="Phoned in at 15:30.", at=utc(2026, 5, 22, 19, 30)
        )

    assert (event.kind, event.actor, event.created_at) == (EventKind.CUSTOMER_MESSAGE, None, utc(2026, 5, 22, 19, 30))
    assert event.data == {"logged_by": agent.pk}
    audit = AuditEvent.objects.get(object_id=case.reference, action="case.customer_message")
    assert audit.actor == agent
    case.refresh_from_db()
    assert case.version == 2


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (utc(2026, 5, 22, 21), "cannot arrive in the future"),
        (utc(2026, 5, 22, 18), "cannot be older than the case"),
    ],
)
def test_a_customer_message_refuses_impossible_times(team, policy, at, message):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    with time_machine.travel(utc(2026, 5, 22, 20), tick=False), pytest.raises(CaseError, match=message):
        case_add_customer_message(actor=None, case=case, body="Hello", at=at)


def test_a_customer_message_on_a_closed_case_is_refused(team):
    case = CaseFactory(team=team, status=Status.CLOSED)
    with pytest.raises(CaseError, match="closed"):
        case_add_customer_message(actor=None, case=case, body="One more thing")


# --- pausing ----------------------------------------------------------------------------------


def test_waiting_on_the_customer_stops_the_clock_and_their_reply_pushes_due_by_the_business_time_paused(
    team, agent, policy
):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    _reply(case, agent, utc(2026, 5, 22, 19, 10))
    resolution = _timer(case, SlaMetric.RESOLUTION)
    assert resolution.due_at == utc(2026, 5, 26, 19)

    # Friday 16:00 EDT: 60 of the 480 minutes used.
    _status(case, Status.PENDING_CUSTOMER, utc(2026, 5, 22, 20), actor=agent, reason="Asked for the TX hash")

    resolution.refresh_from_db()
    assert resolution.paused_at == utc(2026, 5, 22, 20)
    [pause] = SlaPause.objects.filter(timer=resolution)
    assert (pause.reason, pause.actor, pause.ended_at) == ("Asked for the TX hash", agent, None)
    case.refresh_from_db()
    assert case.sla_due_at is None
    # The remaining time stands still while paused, whatever the clock says.
    assert sla_remaining_minutes(resolution, utc(2026, 5, 25, 12)) == 420
    assert sla_remaining_minutes(resolution, utc(2026, 5, 26, 20)) == 420
    assert resolution.state(utc(2026, 5, 26, 20)) == SlaState.PAUSED

    # The customer answers on Tuesday 10:00 EDT: paused 60 min on Friday + 60 on Tuesday.
    with time_machine.travel(utc(2026, 5, 26, 14), tick=False):
        case_add_customer_message(actor=None, case=case, body="Here is the hash: 0xabc")

    case.refresh_from_db()
    assert case.status == Status.OPEN
    resolution.refresh_from_db()
    pause.refresh_from_db()
    assert (pause.ended_at, pause.business_minutes) == (utc(2026, 5, 26, 14), 120)
    assert (resolution.paused_at, resolution.paused_minutes) == (None, 120)
    # 420 minutes left from Tuesday 10:00 EDT -> 17:00 EDT.
    assert resolution.due_at == utc(2026, 5, 26, 21)
    assert resolution.warn_at == utc(2026, 5, 26, 19, 24)
    assert sla_remaining_minutes(resolution, utc(2026, 5, 26, 14)) == 420
    next_response = _timer(case, SlaMetric.NEXT_RESPONSE)
    assert next_response.due_at == utc(2026, 5, 26, 18)
    assert case.sla_due_at == next_response.due_at
    paused_event, resumed_event = _sla_events(case)
    assert paused_event == {
        "event": "paused",
        "metrics": [SlaMetric.RESOLUTION],
        "reason": "Asked for the TX hash",
    }
    assert resumed_event == {"event": "resumed", "business_minutes": {SlaMetric.RESOLUTION: 120}}
    assert list(CaseEvent.objects.filter(case=case, kind=EventKind.STATUS).values_list("data__to", flat=True)) == [
        Status.OPEN,
        Status.PENDING_CUSTOMER,
        Status.OPEN,
    ]


def test_a_pause_without_a_reason_records_the_default_one(team, agent, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)

    _status(case, Status.PENDING_CUSTOMER, utc(2026, 5, 22, 19, 30), actor=agent)

    assert set(SlaPause.objects.filter(timer__case=case).values_list("reason", flat=True)) == {
        "Waiting on the customer"
    }
    assert SlaPause.objects.filter(timer__case=case).count() == 2


def test_pending_internal_does_not_stop_the_clock(team, agent, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)

    _status(case, Status.PENDING_INTERNAL, utc(2026, 5, 22, 19, 30), actor=agent)

    assert not SlaPause.objects.exists()
    assert _timer(case, SlaMetric.RESOLUTION).paused_at is None


def test_a_reply_while_waiting_on_the_customer_ends_the_pause_before_meeting_the_timer(team, agent, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    _status(case, Status.PENDING_CUSTOMER, utc(2026, 5, 22, 19, 30), actor=agent)

    # Paused Friday 15:30 EDT, answered Tuesday 09:15 EDT: 90 business minutes on Friday, 15 on Tuesday.
    _reply(case, agent, utc(2026, 5, 26, 13, 15))

    first = _timer(case, SlaMetric.FIRST_RESPONSE, running=False)
    assert (first.met_at, first.paused_at, first.paused_minutes) == (utc(2026, 5, 26, 13, 15), None, 105)
    # 60 + 105 business minutes from Friday 15:00 EDT: 120 on Friday, 45 on Tuesday -> 09:45 EDT. Met in time.
    assert first.due_at == utc(2026, 5, 26, 13, 45)
    assert first.state(utc(2026, 5, 26, 14)) == SlaState.MET
    # The resolution timer is still waiting on the customer.
    assert _timer(case, SlaMetric.RESOLUTION).paused_at == utc(2026, 5, 22, 19, 30)


# --- resolving, closing, reopening ------------------------------------------------------------


def test_resolving_meets_resolution_and_stops_next_response(team, agent, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    _reply(case, agent, utc(2026, 5, 22, 19, 10))
    with time_machine.travel(utc(2026, 5, 22, 19, 20), tick=False):
        case_add_customer_message(actor=None, case=case, body="Thanks, and?")

    _status(case, Status.RESOLVED, utc(2026, 5, 22, 19, 30), actor=agent)

    resolution = _timer(case, SlaMetric.RESOLUTION, running=False)
    next_response = _timer(case, SlaMetric.NEXT_RESPONSE, running=False)
    assert (resolution.met_at, resolution.stopped_at) == (utc(2026, 5, 22, 19, 30), None)
    assert (next_response.met_at, next_response.stopped_at) == (None, utc(2026, 5, 22, 19, 30))
    assert next_response.state(utc(2026, 5, 30, 12)) == SlaState.STOPPED
    assert not SlaTimer.objects.filter(case=case).running().exists()
    case.refresh_from_db()
    assert case.sla_due_at is None


def test_resolving_while_waiting_on_the_customer_counts_the_pause(team, agent, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    _reply(case, agent, utc(2026, 5, 22, 19, 10))
    _status(case, Status.PENDING_CUSTOMER, utc(2026, 5, 22, 20), actor=agent)

    _status(case, Status.RESOLVED, utc(2026, 5, 26, 20), actor=agent, reason="No answer; resolved.")

    resolution = _timer(case, SlaMetric.RESOLUTION, running=False)
    assert resolution.paused_minutes == 60 + 420
    assert resolution.state(utc(2026, 5, 27, 12)) == SlaState.MET
    assert [e["event"] for e in _sla_events(case)] == ["paused", "resumed"]


def test_closing_stops_whatever_still_runs_and_reopening_arms_a_new_resolution_timer(team, agent, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    _reply(case, agent, utc(2026, 5, 22, 19, 10))
    _status(case, Status.RESOLVED, utc(2026, 5, 22, 19, 30), actor=agent)

    reopened_at = utc(2026, 5, 26, 14)
    _status(case, Status.OPEN, reopened_at, actor=agent, reason="Customer says it is still missing")

    [old, new] = SlaTimer.objects.filter(case=case, metric=SlaMetric.RESOLUTION).order_by("started_at")
    assert old.met_at == utc(2026, 5, 22, 19, 30)
    assert (new.started_at, new.met_at, new.stopped_at) == (reopened_at, None, None)
    # 480 business minutes from Tuesday 10:00 EDT: 420 on Tuesday, 60 on Wednesday -> 10:00 EDT.
    assert new.due_at == utc(2026, 5, 27, 14)
    case.refresh_from_db()
    assert case.sla_due_at == new.due_at

    _status(case, Status.RESOLVED, utc(2026, 5, 26, 15), actor=agent)
    case.refresh_from_db()
    with time_machine.travel(utc(2026, 5, 26, 16), tick=False):
        case = case_change_status(actor=agent, case=case, to_status=Status.OPEN, expected_version=case.version)
    with time_machine.travel(utc(2026, 5, 26, 16, 30), tick=False):
        case_add_customer_message(actor=None, case=case, body="Still waiting")
    assert SlaTimer.objects.filter(case=case).running().count() == 2

    _status(case, Status.RESOLVED, utc(2026, 5, 26, 17), actor=agent)
    _status(case, Status.CLOSED, utc(2026, 5, 26, 18), actor=agent)
    assert not SlaTimer.objects.filter(case=case).running().exists()
    case.refresh_from_db()
    assert case.sla_due_at is None


def test_closing_stops_a_timer_left_running(team, agent, policy):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    _status(case, Status.RESOLVED, utc(2026, 5, 22, 19, 30), actor=agent)
    # A timer left running by an older release (or a direct fix) is stopped when the case closes.
    leftover = _timer(case, SlaMetric.RESOLUTION, running=False)
    SlaTimer.objects.filter(pk=leftover.pk).update(met_at=None)

    _status(case, Status.CLOSED, utc(2026, 5, 22, 20), actor=agent)

    leftover.refresh_from_db()
    assert (leftover.met_at, leftover.stopped_at) == (None, utc(2026, 5, 22, 20))


# --- versions are pinned ----------------------------------------------------------------------


def test_editing_a_policy_leaves_running_timers_on_the_version_they_started_on(team, agent, policy, us_calendar):
    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    before = {t.metric: (t.policy_version_id, t.due_at) for t in SlaTimer.objects.filter(case=case)}

    newer = SlaPolicyVersionFactory(
        policy=policy,
        calendar=us_calendar,
        first_response_minutes=15,
        next_response_minutes=30,
        resolution_minutes=120,
    )

    after = {t.metric: (t.policy_version_id, t.due_at) for t in SlaTimer.objects.filter(case=case)}
    assert after == before
    assert {version_id for version_id, _ in after.values()} == {policy.versions.get(number=1).pk}
    # A clock that starts from now on runs on the policy as it reads today.
    _reply(case, agent, utc(2026, 5, 22, 19, 10))
    with time_machine.travel(utc(2026, 5, 22, 19, 20), tick=False):
        case_add_customer_message(actor=None, case=case, body="And?")
    next_response = _timer(case, SlaMetric.NEXT_RESPONSE)
    assert (next_response.policy_version, next_response.target_minutes) == (newer, 30)
    assert next_response.due_at == utc(2026, 5, 22, 19, 50)


def test_editing_a_calendar_leaves_running_timers_on_the_calendar_version_they_pinned(team, policy, us_calendar):
    from people.calendars import calendar_save

    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    pinned = _timer(case, SlaMetric.RESOLUTION)

    with time_machine.travel(utc(2026, 5, 22, 19, 30), tick=False):
        calendar_save(
            actor=None,
            calendar=us_calendar,
            name=us_calendar.name,
            time_zone="America/New_York",
            weekly_hours={str(day): [["08:00", "20:00"]] for day in range(7)},
            holiday_country="US",
        )
    pinned.refresh_from_db()
    assert pinned.calendar_version.number == 1
    assert pinned.due_at == utc(2026, 5, 26, 19)
    # A case arriving after the edit runs on version 2: Saturday and Sunday are open now.
    later = _create(team, at=utc(2026, 5, 22, 20))
    assert _timer(later, SlaMetric.RESOLUTION).calendar_version.number == 2


# --- changing hands ---------------------------------------------------------------------------


def test_a_transfer_to_another_team_keeps_the_clock_running(team, other_team, agent, policy):
    from cases.services import case_transfer
    from tests.factories import UserFactory

    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)
    before = {t.pk: t.due_at for t in SlaTimer.objects.filter(case=case)}
    receiver = UserFactory(role="agent", teams=[other_team])

    with time_machine.travel(utc(2026, 5, 22, 19, 30), tick=False):
        moved = case_transfer(actor=agent, case=case, team=other_team, assignee=receiver, reason="Escalation accepted")

    assert (moved.team, moved.assignee, moved.version) == (other_team, receiver, 2)
    event = CaseEvent.objects.get(case=case, kind=EventKind.TRANSFER)
    assert (event.data["from_team"], event.data["to_team"], event.body) == (
        "Manila L1",
        "Sydney L1",
        "Escalation accepted",
    )
    assert {t.pk: t.due_at for t in SlaTimer.objects.filter(case=case).running()} == before
    assert AuditEvent.objects.filter(object_id=case.reference, action="case.transfer").count() == 1


def test_a_transfer_refuses_an_assignee_outside_the_new_team(team, other_team, agent, policy):
    from cases.services import case_transfer

    case = _create(team, at=FRIDAY_BEFORE_MEMORIAL_DAY_3PM)

    with pytest.raises(CaseError, match="not in Sydney L1"):
        case_transfer(actor=None, case=case, team=other_team, assignee=agent)
    case.refresh_from_db()
    assert case.team == team
