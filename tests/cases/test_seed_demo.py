"""``manage.py seed_demo``: the demo a new user logs into, and the data the benchmarks run on."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, Sum

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from cases.choices import OPEN_STATUSES, TRANSITIONS, EventKind, SlaMetric, SlaState, Status
from cases.demo import (
    BENCH_EVENTS,
    BENCH_SUBJECT_PREFIX,
    CUSTOMER_REPLIED,
    DEMO_PASSWORD,
    PERSONA_USERNAMES,
    SLA_POLICIES,
)
from cases.models import Case, CaseEvent, Customer, SlaPause, SlaPolicy, SlaPolicyVersion, SlaTimer
from cases.services import case_add_customer_message, case_add_message, case_change_status, case_create
from cases.sla import sla_due_at, sla_policy_version_for, sla_warn_at
from cases.sla_policies import sla_policy_save
from cases.sla_sweep import sla_sweep
from people.business_time import business_minutes_between
from people.calendars import calendar_save, work_calendar
from people.models import BusinessCalendar, BusinessCalendarVersion, Membership, Notification, Shift, Team, User

AS_OF = "2026-10-01T09:00:00+00:00"
AS_OF_AT = datetime(2026, 10, 1, 9, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def seed(cases=400, seed=7, **options):
    out = io.StringIO()
    call_command("seed_demo", cases=cases, seed=seed, as_of=AS_OF, stdout=out, **options)
    return out.getvalue()


def snapshot():
    cases = list(
        Case.objects.order_by("reference").values_list(
            "reference", "subject", "status", "priority", "channel", "category__code", "team__name",
            "assignee__username", "customer__account_number", "received_at", "sla_due_at",
        )
    )  # fmt: skip
    timers = list(
        SlaTimer.objects.order_by("case__reference", "id").values_list(
            "case__reference", "metric", "policy_version__policy__name", "due_at", "warn_at", "paused_minutes",
            "met_at", "stopped_at", "warned_at", "breached_at",
        )
    )  # fmt: skip
    return cases, timers


def running_timers_by_case():
    found = defaultdict(list)
    for timer in SlaTimer.objects.running():
        found[timer.case_id].append(timer)
    return found


def test_it_loads_the_cases_asked_for_with_the_organisation_and_its_people():
    output = seed()

    assert Case.objects.count() == 400
    assert Customer.objects.exists()
    assert Team.objects.count() >= 7
    assert User.objects.filter(role="agent").count() >= 60
    # Every agent works shifts in their own time zone.
    agents = User.objects.filter(role="agent")
    assert not agents.exclude(pk__in=Shift.objects.values("user")).exists()
    assert set(agents.values_list("time_zone", flat=True)) == {"Asia/Manila", "Asia/Kuala_Lumpur"}
    assert "Loaded 400 cases" in output
    assert "agent.manila" in output


def test_it_gives_every_persona_a_working_login_and_their_own_landing_page(client):
    seed(cases=50)

    landing = {}
    for username in PERSONA_USERNAMES:
        # Through the sign-in page, as people do (django-axes needs the request to count failures).
        signed_in = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert signed_in.status_code == 302, username
        landing[username] = client.get("/", follow=True).redirect_chain[-1][0]
        client.logout()

    assert landing["agent.manila"] == "/cases/mine/"
    assert landing["lead.us"] == "/cases/"
    assert Membership.objects.filter(user__username="agent.kl", team__name="Kuala Lumpur L1").exists()


def test_its_cases_mix_statuses_categories_channels_and_both_countries():
    seed()

    cases = Case.objects.all()
    assert {"closed", "resolved"} <= set(cases.values_list("status", flat=True))
    assert cases.filter(status__in=OPEN_STATUSES).exists()
    assert cases.values("category").distinct().count() >= 10
    assert cases.values("channel").distinct().count() >= 3
    assert cases.values("priority").distinct().count() == 4
    jurisdictions = set(Customer.objects.values_list("jurisdiction", flat=True))
    assert any(j.startswith("US-") for j in jurisdictions)
    assert any(j.startswith("AU-") for j in jurisdictions)
    assert cases.filter(reference__regex=r"^CS-20\d\d-\d{6}$").count() == 400


def test_its_timelines_stay_inside_the_year_and_follow_the_status_rules():
    seed()

    assert not Case.objects.filter(received_at__gt=AS_OF_AT).exists()
    assert not Case.objects.filter(received_at__lt=datetime(2025, 9, 30, tzinfo=UTC)).exists()
    events = defaultdict(list)
    for case_id, kind, data, at in CaseEvent.objects.order_by("created_at", "id").values_list(
        "case_id", "kind", "data", "created_at"
    ):
        events[case_id].append((kind, data, at))
    for case in Case.objects.all():
        timeline = events[case.pk]
        assert timeline, case.reference
        assert timeline[0][2] >= case.received_at, case.reference
        assert timeline[-1][2] <= AS_OF_AT, case.reference
        status = Status.NEW
        for kind, data, _ in timeline:
            if kind == EventKind.STATUS:
                assert data["from"] == status, case.reference
                assert data["to"] in TRANSITIONS[Status(status)], (case.reference, status, data["to"])
                status = data["to"]
        # The case row says where its own timeline ends.
        assert case.status == status, case.reference


def test_it_builds_the_long_case_the_benchmark_opens():
    seed()

    bench_case = Case.objects.get(subject__startswith=BENCH_SUBJECT_PREFIX)
    assert bench_case.events.count() == BENCH_EVENTS


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not():
    seed(seed=11)
    first = snapshot()

    seed(seed=11, reset=True)
    assert snapshot() == first

    seed(seed=12, reset=True)
    assert snapshot() != first


def test_it_refuses_to_load_over_existing_cases_without_reset():
    seed(cases=30)

    with pytest.raises(CommandError, match="already has 30 cases"):
        seed(cases=30)
    assert Case.objects.count() == 30


def test_reset_replaces_the_cases_keeps_the_people_and_records_both_loads_in_the_ledger():
    seed(cases=30)
    people = set(User.objects.values_list("username", flat=True))

    seed(cases=60, reset=True)

    assert Case.objects.count() == 60
    assert set(User.objects.values_list("username", flat=True)) == people
    assert AuditEvent.objects.filter(action="demo.seed").count() == 2
    assert audit_chain_verify().first_broken_id is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cases": 0}, "--cases must be at least 1"),
        ({"as_of": "yesterday"}, "not an ISO 8601"),
        ({"as_of": "2999-01-01T00:00:00+00:00"}, "cannot be in the future"),
        ({"backlog": 0.95}, "--backlog is a share"),
    ],
)
def test_it_refuses_bad_options_with_a_message_and_loads_nothing(options, message):
    arguments = {"cases": 10, "seed": 1, "as_of": AS_OF, "stdout": io.StringIO()} | options

    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", **arguments)
    assert not Case.objects.exists()


# --- Service SLA ------------------------------------------------------------------------------


def test_it_writes_the_default_policy_set_on_versioned_team_calendars():
    seed(cases=20)

    policies = list(SlaPolicy.objects.order_by("position", "id").select_related("current_version__calendar"))
    assert [p.name for p in policies] == [spec.name for spec in SLA_POLICIES]
    assert all(p.is_active and p.current_version.number == 1 for p in policies)
    # The catch-all comes last, so every case gets a promise.
    assert policies[-1].current_version.conditions == {}
    regulatory = policies[0].current_version
    assert regulatory.conditions == {"category": ["complaint", "scam-fraud", "unauthorized-transfer"]}
    assert regulatory.calendar.name == "Fraud & Scam hours"
    for calendar in BusinessCalendar.objects.all():
        assert calendar.version == 1
        assert BusinessCalendarVersion.objects.filter(calendar=calendar, number=1).exists()
    # Written before the first generated case, so no timer predates the version it pins.
    first_case = Case.objects.order_by("received_at").first()
    assert SlaPolicyVersion.objects.filter(created_at__gt=first_case.received_at).count() == 0
    assert BusinessCalendarVersion.objects.filter(created_at__gt=first_case.received_at).count() == 0


def test_every_case_gets_first_response_and_resolution_timers_from_the_policy_the_engine_picks():
    seed()

    timers = defaultdict(dict)
    for timer in SlaTimer.objects.select_related("policy_version__calendar").order_by("started_at", "id"):
        timers[timer.case_id].setdefault(timer.metric, timer)
    raises = CaseEvent.objects.filter(kind=EventKind.FIELDS, data__reason="sla_breach").order_by("-created_at", "-id")
    received_priority = {case_id: data["priority"]["from"] for case_id, data in raises.values_list("case_id", "data")}
    assert received_priority
    for case in Case.objects.select_related("category", "customer", "team"):
        first, resolution = timers[case.pk][SlaMetric.FIRST_RESPONSE], timers[case.pk][SlaMetric.RESOLUTION]
        assert first.started_at == resolution.started_at == case.received_at, case.reference
        # A breach may have raised the priority since: the policy is the one the case had at receipt.
        case.priority = received_priority.get(case.pk, case.priority)
        assert first.policy_version == sla_policy_version_for(case), case.reference
        assert first.met_at == case.first_response_at, case.reference
        assert first.calendar_version_id == (
            first.policy_version.calendar.versions.get(number=1).pk if first.policy_version.calendar else None
        )


def replay_through_the_services(case: Case) -> Case:
    """A new case given the same timeline through the case services, at the same instants."""
    events = list(case.events.select_related("actor").order_by("created_at", "id"))
    with time_machine.travel(case.created_at, tick=False):
        copy = case_create(
            actor=None, customer=case.customer, subject=case.subject, body=events[0].body, channel=case.channel,
            category=case.category, team=case.team, priority=case.priority, received_at=case.received_at,
        )  # fmt: skip
    for event in events[1:]:
        with time_machine.travel(event.created_at, tick=False):
            if event.kind == EventKind.REPLY:
                case_add_message(actor=event.actor, case=copy, body=event.body, internal=False)
            elif event.kind == EventKind.CUSTOMER_MESSAGE:
                case_add_customer_message(actor=None, case=copy, body=event.body, at=event.created_at)
            elif event.kind == EventKind.STATUS:
                # The first reply opens a new case, and an answer reopens a pending one, by themselves.
                if event.data["from"] == Status.NEW and event.data["to"] == Status.OPEN:
                    continue
                if event.actor is None and event.body == CUSTOMER_REPLIED:
                    continue
                case_change_status(
                    actor=event.actor, case=copy, to_status=event.data["to"], expected_version=None, reason=event.body
                )
    return Case.objects.get(pk=copy.pk)


def timer_facts(case: Case) -> list[tuple]:
    # Everything the case services decide; warnings and breaches are the sweep's (tested below).
    return [
        (
            timer.metric, timer.policy_version_id, timer.calendar_version_id, timer.target_minutes, timer.started_at,
            timer.due_at, timer.warn_at, timer.paused_at, timer.paused_minutes, timer.met_at, timer.stopped_at,
            [(p.started_at, p.ended_at, p.reason, p.business_minutes) for p in timer.pauses.order_by("id")],
        )
        for timer in case.sla_timers.order_by("id")
    ]  # fmt: skip


def test_its_timers_are_what_the_case_services_make_of_the_same_timelines():
    seed(cases=600)

    raised = CaseEvent.objects.filter(kind=EventKind.FIELDS, data__reason="sla_breach").values("case")
    candidates = Case.objects.exclude(pk__in=raised).exclude(subject__startswith=BENCH_SUBJECT_PREFIX)
    paused = candidates.filter(sla_timers__pauses__isnull=False).distinct().order_by("id")[:12]
    next_response = candidates.filter(sla_timers__metric=SlaMetric.NEXT_RESPONSE).distinct().order_by("id")[:12]
    reopened = candidates.filter(reopen_count__gt=0).order_by("id")[:4]
    still_open = candidates.filter(status__in=OPEN_STATUSES).order_by("id")[:8]
    sample = {case.pk: case for group in (paused, next_response, reopened, still_open) for case in group}
    assert len(sample) >= 25 and any(case.reopen_count for case in sample.values())

    for case in sample.values():
        copy = replay_through_the_services(case)
        assert (copy.status, copy.sla_due_at) == (case.status, case.sla_due_at), case.reference
        assert timer_facts(copy) == timer_facts(case), case.reference


def test_due_and_warning_times_are_the_engines_on_the_pinned_calendar_with_pauses_counted():
    seed()

    timers = list(SlaTimer.objects.select_related("policy_version", "calendar_version"))
    assert timers
    for timer in timers:
        cal = work_calendar(timer.calendar_version)
        args = (cal, timer.started_at, timer.target_minutes, timer.paused_minutes)
        assert timer.due_at == sla_due_at(*args), timer.pk
        assert timer.warn_at == sla_warn_at(timer.policy_version, *args), timer.pk
    pauses = list(SlaPause.objects.select_related("timer__calendar_version"))
    assert any(p.ended_at for p in pauses)
    for pause in pauses:
        assert pause.reason
        if pause.ended_at:
            cal = work_calendar(pause.timer.calendar_version)
            assert pause.business_minutes == business_minutes_between(cal, pause.started_at, pause.ended_at)
        else:
            assert pause.timer.paused_at == pause.started_at
    paused = dict(
        SlaPause.objects.filter(ended_at__isnull=False).values_list("timer").annotate(n=Sum("business_minutes"))
    )
    for timer in timers:
        assert timer.paused_minutes == paused.get(timer.pk, 0), timer.pk


def test_breaches_and_warnings_are_where_a_sweep_running_all_along_put_them():
    seed()

    breached = warned = 0
    for timer in SlaTimer.objects.all():
        if timer.paused_minutes:
            continue  # due times moved with each pause; the sweep-after-load test covers these
        end = timer.met_at or timer.stopped_at or AS_OF_AT
        assert (timer.breached_at is not None) == (timer.due_at < end or timer.due_at == end == AS_OF_AT), timer.pk
        if timer.breached_at:
            assert timer.breached_at == timer.due_at
            breached += 1
        if timer.warned_at:
            assert timer.warned_at == timer.warn_at < timer.due_at
            warned += 1
    assert breached and warned
    # Each shows on the case's timeline at the moment it happened.
    entries = CaseEvent.objects.filter(kind=EventKind.SLA)
    assert entries.filter(data__event="breached").count() == SlaTimer.objects.filter(breached_at__isnull=False).count()
    assert entries.filter(data__event="warning").count() == SlaTimer.objects.filter(warned_at__isnull=False).count()
    timer = SlaTimer.objects.filter(breached_at__isnull=False).first()
    entry = entries.get(data__event="breached", data__timer_id=timer.pk)
    assert (entry.case_id, entry.created_at) == (timer.case_id, timer.breached_at)


def test_a_sweep_at_the_load_time_finds_nothing_left_to_do_and_a_later_one_carries_on():
    seed()

    assert (sla_sweep(now=AS_OF_AT).warned, sla_sweep(now=AS_OF_AT).breached) == (0, 0)
    later = sla_sweep(now=datetime(2026, 10, 8, 9, tzinfo=UTC))
    assert later.breached > 0


def test_open_cases_are_sorted_by_their_earliest_running_unpaused_due_time():
    seed()

    running = running_timers_by_case()
    for case in Case.objects.all():
        unpaused = [t.due_at for t in running[case.pk] if t.paused_at is None]
        assert case.sla_due_at == min(unpaused, default=None), case.reference
        if not case.is_open:
            assert not running[case.pk], case.reference
        if case.status == Status.PENDING_CUSTOMER:
            assert all(t.paused_at is not None for t in running[case.pk]), case.reference
        elif case.is_open:
            assert any(t.metric == SlaMetric.RESOLUTION for t in running[case.pk]), case.reference


def test_the_demo_queue_shows_breached_warning_on_track_and_paused_timers_to_a_lead(client):
    # The quickstart's size: what someone opening the demo sees.
    seed(cases=5000, seed=1)

    lead = User.objects.get(username="lead.us")
    visible = Case.objects.visible_to(lead).filter(status__in=OPEN_STATUSES)
    states = {t.state(AS_OF_AT) for t in SlaTimer.objects.running().filter(case__in=visible)}
    assert {SlaState.BREACHED, SlaState.WARNING, SlaState.OK, SlaState.PAUSED} <= states
    # The bell has the sweep's recent warnings and breaches, older ones read.
    mine = Notification.objects.filter(recipient=lead)
    assert mine.filter(kind="sla.breach", read_at__isnull=True).exists()
    assert mine.filter(kind="sla.warning").exists()
    assert mine.filter(read_at__isnull=False).exists()
    assert not mine.filter(created_at__gt=AS_OF_AT).exists()


def test_a_backlog_keeps_that_share_of_cases_open_on_running_clocks():
    seed(cases=2000, backlog=0.1)

    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    assert 0.08 <= open_cases.count() / 2000 <= 0.15
    with_clock = SlaTimer.objects.running().filter(case__in=open_cases).values("case").distinct().count()
    assert with_clock == open_cases.count()


def test_reset_keeps_pinned_versions_and_puts_edited_demo_policies_and_calendars_back_as_new_versions():
    seed(cases=50)
    urgent = SlaPolicy.objects.select_related("current_version").get(name="Urgent")
    edited = urgent.current_version
    sla_policy_save(
        actor=None, policy=urgent, name="Urgent", position=None, is_active=False, conditions=edited.conditions,
        calendar=None, first_response_minutes=5, next_response_minutes=edited.next_response_minutes,
        resolution_minutes=edited.resolution_minutes, warn_percent=edited.warn_percent,
        warn_minutes_before=None, breach_raise_priority=False, breach_escalate=False,
    )  # fmt: skip
    manila = BusinessCalendar.objects.get(name="Manila L1 hours")
    calendar_save(
        actor=None, calendar=manila, name=manila.name, time_zone=manila.time_zone,
        weekly_hours={"0": [["09:00", "17:00"]]}, holiday_country="PH",
    )  # fmt: skip

    seed(cases=50, reset=True)

    urgent.refresh_from_db()
    assert urgent.is_active
    assert list(urgent.versions.order_by("number").values_list("number", "first_response_minutes")) == [
        (1, edited.first_response_minutes),
        (2, 5),
        (3, edited.first_response_minutes),
    ]
    assert urgent.current_version.number == 3
    assert SlaPolicy.objects.get(name="Chat & phone").versions.count() == 1
    manila.refresh_from_db()
    assert manila.version == 3
    assert manila.weekly_hours == BusinessCalendarVersion.objects.get(calendar=manila, number=1).weekly_hours
    # The new cases pin the current versions only.
    assert not SlaTimer.objects.exclude(policy_version__policy__current_version=F("policy_version")).exists()
    assert set(
        SlaTimer.objects.filter(calendar_version__calendar=manila).values_list("calendar_version__number", flat=True)
    ) == {3}


def test_it_writes_the_demo_routing_rules_once_and_keeps_a_leads_edits_on_reset():
    from cases.models import RoutingRule

    seed(cases=30)
    rules = dict(RoutingRule.objects.values_list("name", "target_team__slug"))
    assert rules == {
        "Scam, fraud and unauthorised transfers to Fraud & Scam": "fraud-scam",
        "ID verification to CDD / KYC": "cdd-kyc",
    }
    RoutingRule.objects.filter(target_team__slug="cdd-kyc").update(is_active=False)

    seed(cases=30, reset=True)

    assert RoutingRule.objects.count() == 2
    assert not RoutingRule.objects.get(target_team__slug="cdd-kyc").is_active
