"""Routing: which team a case goes to, who takes it, and the explanation a lead reads."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from audit.models import AuditEvent
from cases import routing
from cases.choices import EventKind, Priority, Status, Tier
from cases.errors import CaseError
from cases.models import Case, CaseEvent, RoutingDecision, RoutingOutcome, RoutingRule, RoutingTrigger
from cases.routing import (
    CaseFacts,
    case_claim_next,
    on_shift,
    route_case,
    route_cases,
    route_catch_up,
    routing_decision_for,
    routing_enqueue,
    rule_conditions_match,
    shift_covers,
)
from cases.routing_rules import routing_rule_move, routing_rule_save, routing_rule_set_active, team_set_auto_assign
from cases.routing_tasks import route_case_task, route_catch_up_task
from outbox.models import OutboxMessage
from people.choices import Role, TeamKind
from people.models import Shift, Team, User
from tests.factories import (
    CaseFactory,
    CategoryFactory,
    CustomerFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)

# A Tuesday. In Manila (UTC+8) it is 20:00; in New York (UTC-4, daylight time from 8 March) 08:00.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
MONDAY, TUESDAY, WEDNESDAY = 0, 1, 2

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def on_duty(user: User, *, at: datetime = NOW) -> User:
    """Give the person a shift around ``at`` in their own time zone."""
    local = at.astimezone(zoneinfo.ZoneInfo(user.time_zone))
    Shift.objects.create(
        user=user, weekday=local.weekday(), starts_at=time(local.hour - 2), ends_at=time(local.hour + 2)
    )
    return user


def member(team: Team, name: str, *, role=Role.AGENT, shift=True, **fields) -> User:
    user = UserFactory(username=name.lower(), first_name=name, last_name="", role=role, teams=[team], **fields)
    return on_duty(user) if shift else user


def give_open_cases(user: User, team: Team, count: int) -> None:
    for _ in range(count):
        CaseFactory(team=team, assignee=user, status=Status.OPEN)


def rule(name: str, team: Team, *, position: int = 0, conditions=None, skills=(), active=True) -> RoutingRule:
    return RoutingRule.objects.create(
        name=name,
        position=position,
        is_active=active,
        conditions=conditions or {},
        target_team=team,
        required_skills=list(skills),
        created_at=NOW,
        updated_at=NOW,
    )


def reasons_by_name(decision: RoutingDecision) -> dict[str, list[str]]:
    return {row["name"]: row["reasons"] for row in decision.candidates}


@pytest.fixture
def intake(db) -> Team:
    return TeamFactory(name="Intake", slug="intake")


@pytest.fixture
def fraud(db) -> Team:
    return TeamFactory(name="Fraud & scam", slug="fraud-scam", kind=TeamKind.FRAUD)


# --- shifts, in each person's own zone ---------------------------------------------------------


def test_a_day_shift_covers_its_own_hours_and_weekday_only():
    def covers(local):
        return shift_covers(weekday=TUESDAY, starts_at=time(9), ends_at=time(17), local=local)

    assert covers(datetime(2026, 3, 10, 9, 0))
    assert covers(datetime(2026, 3, 10, 16, 59))
    assert not covers(datetime(2026, 3, 10, 17, 0))
    assert not covers(datetime(2026, 3, 10, 8, 59))
    assert not covers(datetime(2026, 3, 11, 10, 0))  # Wednesday


def test_an_overnight_shift_runs_into_the_next_morning():
    def covers(local):
        return shift_covers(weekday=MONDAY, starts_at=time(22), ends_at=time(6), local=local)

    assert covers(datetime(2026, 3, 9, 23, 30))  # Monday night
    assert covers(datetime(2026, 3, 10, 5, 59))  # Tuesday early morning
    assert not covers(datetime(2026, 3, 10, 6, 0))
    assert not covers(datetime(2026, 3, 9, 21, 59))
    assert not covers(datetime(2026, 3, 9, 3, 0))  # Monday early morning belongs to Sunday's shift
    # Sunday night's overnight shift spills into Monday: the week wraps.
    assert shift_covers(weekday=6, starts_at=time(22), ends_at=time(6), local=datetime(2026, 3, 9, 2, 0))


def test_a_shift_ending_at_midnight_runs_to_the_end_of_its_day():
    def covers(local):
        return shift_covers(weekday=TUESDAY, starts_at=time(16), ends_at=time(0), local=local)

    assert covers(datetime(2026, 3, 10, 23, 59))
    assert not covers(datetime(2026, 3, 11, 0, 0))


def test_a_shift_is_read_in_the_persons_own_time_zone():
    manila_day = [(TUESDAY, time(9), time(17))]
    # 02:00 UTC is 10:00 in Manila: on shift. 12:00 UTC is 20:00 there: off.
    assert on_shift(manila_day, time_zone="Asia/Manila", now=datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    assert not on_shift(manila_day, time_zone="Asia/Manila", now=NOW)
    # The same wall-clock shift in New York: 12:00 UTC is 08:00 there (daylight time), not yet.
    assert not on_shift(manila_day, time_zone="America/New_York", now=NOW)
    assert on_shift(manila_day, time_zone="America/New_York", now=NOW + timedelta(hours=1))


def test_an_overnight_shift_in_manila_covers_a_utc_afternoon():
    # Tuesday 22:00 to Wednesday 06:00 in Manila is Tuesday 14:00-22:00 UTC.
    night = [(TUESDAY, time(22), time(6))]
    assert on_shift(night, time_zone="Asia/Manila", now=datetime(2026, 3, 10, 21, 0, tzinfo=UTC))
    assert not on_shift(night, time_zone="Asia/Manila", now=datetime(2026, 3, 10, 22, 0, tzinfo=UTC))


# --- rule matching ---------------------------------------------------------------------------


FACTS = CaseFacts(category="scam-fraud", jurisdiction="AU-NSW", language="en", tier=Tier.VIP)


@pytest.mark.parametrize(
    ("conditions", "matches"),
    [
        ({}, True),
        ({"category": ["scam-fraud", "kyc"]}, True),
        ({"category": ["kyc"]}, False),
        ({"jurisdiction": ["AU"]}, True),
        ({"jurisdiction": ["AU-VIC"]}, False),
        ({"language": ["es"]}, False),
        ({"tier": ["vip", "institutional"], "category": ["scam-fraud"]}, True),
        ({"tier": ["standard"], "category": ["scam-fraud"]}, False),
        ({"flag_kinds": ["scam"]}, False),
        ({"category": []}, True),
        ({"channel": ["chat"]}, False),
    ],
)
def test_a_rule_matches_only_when_every_condition_holds(conditions, matches):
    assert rule_conditions_match(conditions, FACTS) is matches


def test_a_rule_on_flag_kinds_matches_once_a_source_reports_the_flag(monkeypatch, intake, fraud):
    case = CaseFactory(team=intake)
    rule("Scam flags", fraud, conditions={"flag_kinds": ["scam"]})
    monkeypatch.setattr(routing, "flag_kind_sources", [lambda c: ["scam"] if c.pk == case.pk else []])

    decision = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)

    assert (decision.rule_name, decision.team) == ("Scam flags", fraud)


# --- the team ----------------------------------------------------------------------------------


def test_the_first_active_rule_by_position_moves_the_case_and_says_so(intake, fraud):
    other = TeamFactory(name="AU desk", slug="au-desk")
    member(fraud, "Fay")
    rule("Everything AU", other, position=5, conditions={"jurisdiction": ["AU"]})
    rule("Old scam rule", other, position=0, conditions={"category": ["scam-fraud"]}, active=False)
    rule("Scams to fraud", fraud, position=1, conditions={"category": ["scam-fraud"]})
    customer = CustomerFactory(jurisdiction="AU-NSW")
    case = CaseFactory(team=intake, customer=customer, category=CategoryFactory(code="scam-fraud"))

    decision = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)

    case.refresh_from_db()
    assert case.team == fraud
    assert (decision.rule.name, decision.rule_name, decision.from_team, decision.team) == (
        "Scams to fraud",
        "Scams to fraud",
        intake,
        fraud,
    )
    assert decision.summary.startswith("Rule 'Scams to fraud' moved it from Intake to Fraud & scam. ")
    transfer = CaseEvent.objects.get(case=case, kind=EventKind.TRANSFER)
    assert transfer.data == {"from_team": "Intake", "to_team": "Fraud & scam", "routing_rule": "Scams to fraud"}


def test_with_no_matching_rule_the_case_stays_in_its_team(intake):
    member(intake, "Ivy")
    case = CaseFactory(team=intake)

    decision = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)

    assert (decision.rule, decision.rule_name, decision.from_team, decision.team) == (None, "", None, intake)
    assert decision.summary.startswith("No rule matched; it stays with Intake. ")
    assert not CaseEvent.objects.filter(kind=EventKind.TRANSFER).exists()


@pytest.mark.parametrize("trigger", [RoutingTrigger.ESCALATED, RoutingTrigger.UNASSIGNED, RoutingTrigger.REOPENED])
def test_only_new_cases_are_moved_by_rules(intake, fraud, trigger):
    member(fraud, "Fay", skills=[])
    rule("Withdrawals to intake", intake, conditions={"category": ["withdrawals"]})
    escalated = CaseFactory(team=fraud, category=CategoryFactory(code="withdrawals"))

    decision = route_case(case_id=escalated.pk, trigger=trigger)

    escalated.refresh_from_db()
    assert (escalated.team, escalated.assignee.username) == (fraud, "fay")
    assert (decision.rule, decision.from_team) == (None, None)
    assert decision.summary.startswith("It stays with Fraud & scam: rules place only new cases. ")
    assert not CaseEvent.objects.filter(kind=EventKind.TRANSFER).exists()


def test_a_rule_for_the_cases_own_team_still_asks_for_its_skills_after_an_escalation(fraud):
    member(fraud, "Rookie", skills=[])
    sam = member(fraud, "Sam", skills=["scam"])
    rule("Scams to fraud", fraud, conditions={"category": ["scam-fraud"]}, skills=["scam"])
    case = CaseFactory(team=fraud, category=CategoryFactory(code="scam-fraud"))

    decision = route_case(case_id=case.pk, trigger=RoutingTrigger.ESCALATED)

    assert (decision.rule_name, decision.assignee) == ("Scams to fraud", sam)
    assert reasons_by_name(decision)["Rookie"] == ["missing skill: scam"]


def test_the_sweep_places_a_case_whose_first_routing_was_lost_but_not_one_already_placed(intake, fraud):
    rule("Scams to fraud", fraud, conditions={"category": ["scam-fraud"]})
    lost = CaseFactory(team=intake, category=CategoryFactory(code="scam-fraud"))
    handed_back = CaseFactory(team=intake, category=CategoryFactory(code="scam-fraud"))
    route_case(case_id=handed_back.pk, trigger=RoutingTrigger.NEW, now=NOW - timedelta(hours=1))
    # A lead moved it back to intake by hand after routing had placed it in fraud.
    Case.objects.filter(pk=handed_back.pk).update(team=intake)

    route_catch_up(now=NOW)

    lost.refresh_from_db()
    handed_back.refresh_from_db()
    assert (lost.team, handed_back.team) == (fraud, intake)


# --- the agent -------------------------------------------------------------------------------


def test_it_assigns_the_least_loaded_agent_on_shift(intake):
    ana, ben = member(intake, "Ana"), member(intake, "Ben")
    give_open_cases(ana, intake, 2)
    give_open_cases(ben, intake, 1)
    CaseFactory(team=intake, assignee=ana, status=Status.RESOLVED)  # finished work is no load
    case = CaseFactory(team=intake)

    decision = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)

    case.refresh_from_db()
    assert case.assignee == ben
    assert decision.outcome == RoutingOutcome.ASSIGNED
    assert decision.summary == (
        "No rule matched; it stays with Intake. Assigned to Ben, the least loaded of 2 eligible (1/8 open before "
        "this case)."
    )
    assert decision.candidates == [
        {"user_id": ben.pk, "name": "Ben", "eligible": True, "chosen": True, "reasons": [], "load": 1, "capacity": 8},
        {
            "user_id": ana.pk,
            "name": "Ana",
            "eligible": True,
            "chosen": False,
            "reasons": ["more open cases (2/8)"],
            "load": 2,
            "capacity": 8,
        },
    ]


def test_between_equally_loaded_agents_the_longest_idle_wins_and_never_assigned_counts_as_longest(intake):
    recent = member(intake, "Recent", last_assigned_at=NOW - timedelta(minutes=5))
    earlier = member(intake, "Earlier", last_assigned_at=NOW - timedelta(hours=3))
    fresh = member(intake, "Fresh")
    first, second, third = (CaseFactory(team=intake) for _ in range(3))

    picks = [route_case(case_id=c.pk, trigger=RoutingTrigger.NEW, now=NOW).assignee for c in (first, second, third)]

    assert picks == [fresh, earlier, recent]
    assert reasons_by_name(RoutingDecision.objects.get(case=first))["Recent"] == ["assigned a case more recently"]
    assert "longest idle" in RoutingDecision.objects.get(case=first).summary
    fresh.refresh_from_db()
    assert fresh.last_assigned_at == NOW


def test_each_passed_over_candidate_carries_the_reason_a_lead_reads(intake, fraud):
    rule("Scams to fraud", fraud, conditions={"category": ["scam-fraud"]}, skills=["scam"])
    member(fraud, "Asleep", skills=["scam"], shift=False)
    full = member(fraud, "Full", skills=["scam"])
    give_open_cases(full, fraud, 8)
    member(fraud, "Rookie", skills=["kyc"])
    member(fraud, "Lead", role=Role.LEAD, skills=["scam"])  # leads pull work; routing skips them
    member(fraud, "Gone", skills=["scam"], is_active=False)
    sam = member(fraud, "Sam", role=Role.SPECIALIST, skills=["scam", "kyc"])
    case = CaseFactory(team=intake, category=CategoryFactory(code="scam-fraud"))

    decision = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)

    assert decision.assignee == sam
    assert reasons_by_name(decision) == {
        "Sam": [],
        "Asleep": ["off shift"],
        "Full": ["at capacity 8/8"],
        "Rookie": ["missing skill: scam"],
    }
    assert [row["name"] for row in decision.candidates][0] == "Sam"


def test_when_nobody_can_take_it_the_case_waits_and_the_decision_says_why(intake):
    member(intake, "Asleep", shift=False, skills=[])
    tired = member(intake, "Tired", max_open_cases=2)
    give_open_cases(tired, intake, 2)
    case = CaseFactory(team=intake)

    decision = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)

    case.refresh_from_db()
    assert case.assignee is None
    assert case.version == 1
    assert (decision.outcome, decision.assignee) == (RoutingOutcome.NO_CANDIDATE, None)
    assert reasons_by_name(decision) == {"Asleep": ["off shift"], "Tired": ["at capacity 2/2"]}
    assert decision.summary.endswith(
        "Nobody in Intake can take it now (1 off shift, 1 at capacity); it waits in the queue."
    )


def test_an_off_shift_person_is_not_also_reported_at_capacity(intake):
    busy = member(intake, "Busy", shift=False, max_open_cases=1)
    give_open_cases(busy, intake, 1)
    case = CaseFactory(team=intake)

    decision = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)

    assert decision.candidates == [
        {
            "user_id": busy.pk,
            "name": "Busy",
            "eligible": False,
            "chosen": False,
            "reasons": ["off shift"],
            "load": 1,
            "capacity": 1,
        }
    ]


def test_an_assignment_is_a_timeline_event_a_new_version_and_an_audit_entry(intake):
    ana = member(intake, "Ana")
    case = CaseFactory(team=intake)

    decision = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)

    case.refresh_from_db()
    assert (case.assignee, case.version, case.updated_at) == (ana, 2, NOW)
    event = CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNMENT)
    assert event.actor is None
    assert event.data == {
        "from": None,
        "from_name": None,
        "to": ana.pk,
        "to_name": "Ana",
        "routing_decision": decision.pk,
    }
    audit = AuditEvent.objects.get(action="case.route")
    assert (audit.actor_label, audit.object_id) == ("system", case.reference)
    assert audit.after["assignee_id"] == ana.pk
    assert audit.after["routing_decision_id"] == decision.pk


def test_a_queue_pull_team_gets_its_cases_but_nobody_is_assigned(intake, fraud):
    member(fraud, "Fay")
    team_set_auto_assign(actor=UserFactory(role=Role.LEAD, teams=[fraud]), team=fraud, auto_assign=False)
    rule("Scams to fraud", fraud, conditions={"category": ["scam-fraud"]})
    case = CaseFactory(team=intake, category=CategoryFactory(code="scam-fraud"))

    decision = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)

    case.refresh_from_db()
    assert (case.team, case.assignee) == (fraud, None)
    assert (decision.outcome, decision.candidates) == (RoutingOutcome.QUEUE_PULL, [])
    assert decision.summary.endswith(
        "Fraud & scam takes no automatic assignments: left in its queue for a member to pull."
    )


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_it_leaves_finished_cases_alone(intake, status):
    member(intake, "Ana")
    case = CaseFactory(team=intake, status=status)

    assert route_case(case_id=case.pk, trigger=RoutingTrigger.REOPENED) is None
    assert not RoutingDecision.objects.exists()


def test_routing_twice_assigns_once(intake):
    member(intake, "Ana")
    member(intake, "Ben")
    case = CaseFactory(team=intake)

    first = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)
    second = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)

    assert first is not None and second is None
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ASSIGNMENT).count() == 1
    assert route_case(case_id=10**9, trigger=RoutingTrigger.NEW) is None


def test_decisions_cannot_be_edited_or_deleted(intake):
    case = CaseFactory(team=intake)
    decision = route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)

    for attempt in (
        lambda: RoutingDecision.objects.filter(pk=decision.pk).update(summary="nothing to see"),
        lambda: RoutingDecision.objects.filter(pk=decision.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()


def test_cases_routed_together_see_each_others_assignments(intake, fraud):
    member(intake, "Ana")
    member(intake, "Ben")
    both = member(fraud, "Both")
    MembershipFactory(user=both, team=intake)
    give_open_cases(both, fraud, 1)
    cases = [CaseFactory(team=intake) for _ in range(5)]

    decisions = route_cases(case_ids=[c.pk for c in reversed(cases)], trigger=RoutingTrigger.CATCH_UP)

    # Returned in the order asked. Both (in two teams, one case already) is level with Ana and
    # Ben after two cases and, never assigned by routing, has waited longest.
    assert [d.case_id for d in decisions] == [c.pk for c in reversed(cases)]
    assert [d.assignee.first_name for d in decisions] == ["Ana", "Ben", "Both", "Ana", "Ben"]
    assert [d.candidates[0]["load"] for d in decisions] == [0, 0, 1, 1, 1]
    # Ana and Ben were both last given a case by this run: Ana's came first, so she waited longer.
    assert reasons_by_name(decisions[3]) == {
        "Ana": [],
        "Ben": ["assigned a case more recently"],
        "Both": ["more open cases (2/8)"],
    }
    assert Case.objects.filter(assignee=both).count() == 2
    assert AuditEvent.objects.filter(action="case.route").count() == 5


# --- catch-up and the task ---------------------------------------------------------------------


def test_the_catch_up_routes_what_was_missed_and_a_second_run_does_nothing(intake):
    ana = member(intake, "Ana")
    missed = [CaseFactory(team=intake) for _ in range(2)]
    CaseFactory(team=intake, assignee=ana, status=Status.OPEN)
    CaseFactory(team=intake, status=Status.RESOLVED)

    assert route_catch_up(now=NOW) == 2
    assert route_catch_up(now=NOW) == 0

    assert set(Case.objects.filter(pk__in=[c.pk for c in missed]).values_list("assignee", flat=True)) == {ana.pk}
    assert set(RoutingDecision.objects.values_list("trigger", flat=True)) == {RoutingTrigger.CATCH_UP}


def test_the_catch_up_retries_a_waiting_case_only_after_a_quiet_spell(intake):
    case = CaseFactory(team=intake)
    assert route_case(case_id=case.pk, trigger=RoutingTrigger.NEW, now=NOW).outcome == RoutingOutcome.NO_CANDIDATE
    member(intake, "Late")  # on shift from 10:00 UTC

    assert route_catch_up(now=NOW + timedelta(minutes=4)) == 0
    assert route_catch_up(now=NOW + timedelta(minutes=5)) == 1

    case.refresh_from_db()
    assert case.assignee.username == "late"


def test_the_catch_up_routes_a_never_routed_case_of_a_pull_team_once(intake):
    intake.auto_assign = False
    intake.save()
    case = CaseFactory(team=intake)

    assert route_catch_up(now=NOW) == 1
    assert route_catch_up(now=NOW + timedelta(hours=1)) == 0

    assert RoutingDecision.objects.get(case=case).outcome == RoutingOutcome.QUEUE_PULL


def test_the_tasks_route_and_sweep(intake, fraud):
    ana = member(intake, "Ana")
    fay = member(fraud, "Fay")
    # Another team's case: the intake task leaves it for its own task or the sweep.
    routed, waiting = CaseFactory(team=intake), CaseFactory(team=fraud)

    decision_id = route_case_task(routed.pk, "new")
    assert route_case_task(routed.pk, "new") is None

    assert RoutingDecision.objects.get(pk=decision_id).assignee == ana
    assert route_catch_up_task() == 1
    waiting.refresh_from_db()
    assert waiting.assignee == fay


def test_routing_is_sent_only_after_the_write_commits(django_capture_on_commit_callbacks, intake):
    case = CaseFactory(team=intake)

    with django_capture_on_commit_callbacks(execute=True):
        routing_enqueue(case_id=case.pk, trigger="reopened")
        # Recorded with the write (so a broker outage cannot lose it), not yet handed over.
        [message] = OutboxMessage.objects.filter(task="cases.routing_tasks.route_case_task")
        assert message.args == [case.pk, "reopened"] and message.sent_at is None

    message.refresh_from_db()
    assert message.sent_at is not None


def test_an_unknown_trigger_is_refused_before_anything_is_queued(django_capture_on_commit_callbacks, intake):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValueError):
        routing_enqueue(case_id=1, trigger="whenever")
    assert callbacks == []


# --- get next case -----------------------------------------------------------------------------


def test_get_next_case_takes_the_most_urgent_free_case_of_my_teams(intake, other_team):
    ana = member(intake, "Ana", shift=False)
    later = CaseFactory(team=intake, sla_due_at=NOW + timedelta(hours=2), priority=Priority.URGENT)
    CaseFactory(team=intake, sla_due_at=None, priority=Priority.URGENT)
    CaseFactory(team=other_team, sla_due_at=NOW - timedelta(hours=5))
    CaseFactory(team=intake, sla_due_at=NOW - timedelta(hours=9), assignee=UserFactory(teams=[intake]))
    soonest = CaseFactory(team=intake, sla_due_at=NOW + timedelta(minutes=30), priority=Priority.LOW)

    assert case_claim_next(actor=ana) == soonest
    assert case_claim_next(actor=ana) == later

    soonest.refresh_from_db()
    assert (soonest.assignee, soonest.version) == (ana, 2)
    decision = RoutingDecision.objects.filter(case=soonest).get()
    assert (decision.trigger, decision.outcome, decision.assignee) == (RoutingTrigger.PULL, "claimed", ana)
    assert decision.summary == "Ana took it with Get next case (0/8 open before this case)."
    assert AuditEvent.objects.filter(action="case.claim", actor=ana).count() == 2


def test_without_due_times_priority_then_age_decide(intake):
    ana = member(intake, "Ana")
    CaseFactory(team=intake, priority=Priority.NORMAL, received_at=NOW - timedelta(days=2))
    newer_high = CaseFactory(team=intake, priority=Priority.HIGH, received_at=NOW - timedelta(hours=1))
    older_high = CaseFactory(team=intake, priority=Priority.HIGH, received_at=NOW - timedelta(hours=5))

    assert [case_claim_next(actor=ana) for _ in range(2)] == [older_high, newer_high]


def test_get_next_case_respects_capacity(intake):
    ana = member(intake, "Ana", max_open_cases=2)
    give_open_cases(ana, intake, 2)
    waiting = CaseFactory(team=intake)

    with pytest.raises(CaseError, match="You have 2 open cases and your limit is 2"):
        case_claim_next(actor=ana)

    waiting.refresh_from_db()
    assert waiting.assignee is None


def test_get_next_case_skips_cases_that_need_a_skill_i_lack(intake, fraud):
    rule("Scams to fraud", fraud, conditions={"category": ["scam-fraud"]}, skills=["scam"])
    rookie = member(fraud, "Rookie", skills=[])
    CaseFactory(team=fraud, category=CategoryFactory(code="scam-fraud"), priority=Priority.URGENT)
    plain = CaseFactory(team=fraud, category=CategoryFactory(code="deposits"), priority=Priority.LOW)

    assert case_claim_next(actor=rookie) == plain
    assert case_claim_next(actor=rookie) is None


def test_get_next_case_with_nothing_free_returns_none_and_writes_nothing(intake, auditor):
    ana = member(intake, "Ana")

    assert case_claim_next(actor=ana) is None
    assert not RoutingDecision.objects.exists()
    with pytest.raises(CaseError, match="Only agents, leads and specialists"):
        case_claim_next(actor=auditor)


# --- rules and the auto-assign switch ----------------------------------------------------------


def test_a_rule_without_a_target_team_is_refused_and_nothing_is_written(lead):
    with pytest.raises(ValidationError) as refused:
        routing_rule_save(
            actor=lead,
            name="Scams",
            is_active=True,
            conditions={"category": ["scam-fraud"]},
            target_team=None,
            required_skills=["scam"],
        )

    assert refused.value.message_dict == {
        "target_team": ["Choose the team this rule sends cases to; a rule without a target routes nothing."]
    }
    assert not RoutingRule.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_rule_names_every_problem_at_once(lead, fraud):
    rule("Scams", fraud)

    with pytest.raises(ValidationError) as refused:
        routing_rule_save(
            actor=lead,
            name="scams",
            is_active=True,
            conditions={"category": ["crypto-stuff"], "jurisdiction": ["US-ZZ", "AU"], "colour": ["red"]},
            target_team=fraud,
            required_skills=["Scam SOP"],
        )

    assert refused.value.message_dict == {
        "name": ["A rule called 'scams' exists already."],
        "conditions": [
            "'colour' is not something a rule can match on; use category, flag_kinds, jurisdiction, language, tier."
        ],
        "category": ["Category: crypto-stuff is not a known code."],
        "jurisdiction": ["Jurisdiction: US-ZZ is not a known code."],
        "required_skills": ["Scam SOP: a skill code is lower-case letters, digits, '-' or '_' (e.g. scam, reg-e)."],
    }


def test_saving_rules_puts_new_ones_last_and_moving_swaps_neighbours(lead, fraud, intake):
    def save(name, **kw):
        return routing_rule_save(
            actor=lead,
            name=name,
            is_active=True,
            conditions={"category": ["kyc", "kyc"]},
            target_team=fraud,
            required_skills=[],
            **kw,
        )

    first, second, third = save("One"), save("Two"), save("Three")
    assert [r.position for r in (first, second, third)] == [0, 1, 2]
    assert first.conditions == {"category": ["kyc"]}

    routing_rule_move(actor=lead, rule=third, direction="up")
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["One", "Three", "Two"]
    routing_rule_move(actor=lead, rule=first, direction="up")  # already first: nothing happens
    assert AuditEvent.objects.filter(action="routing_rule.move").count() == 1

    routing_rule_set_active(actor=lead, rule=first, is_active=False)
    first.refresh_from_db()
    assert not first.is_active
    edited = routing_rule_save(
        actor=lead, rule=first, name="One", is_active=True, conditions={}, target_team=intake, required_skills=["kyc"]
    )
    assert (edited.position, edited.target_team, edited.required_skills) == (0, intake, ["kyc"])


def test_agents_cannot_change_rules(agent, fraud):
    with pytest.raises(CaseError, match="Only leads and administrators"):
        routing_rule_save(
            actor=agent, name="Mine", is_active=True, conditions={}, target_team=fraud, required_skills=[]
        )


def test_only_a_lead_of_the_team_or_an_admin_switches_auto_assign(team, other_lead, lead, admin_user):
    with pytest.raises(CaseError, match="Only a lead of Manila L1"):
        team_set_auto_assign(actor=other_lead, team=team, auto_assign=False)

    team_set_auto_assign(actor=lead, team=team, auto_assign=False)
    team.refresh_from_db()
    assert not team.auto_assign
    team_set_auto_assign(actor=admin_user, team=team, auto_assign=True)
    team.refresh_from_db()
    assert team.auto_assign
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
        "team.auto_assign_off",
        "team.auto_assign_on",
    ]


def test_leads_of_the_team_see_the_latest_decision_and_agents_do_not(team, lead, agent, outsider, auditor):
    case = CaseFactory(team=team)
    route_case(case_id=case.pk, trigger=RoutingTrigger.NEW, now=NOW - timedelta(minutes=10))
    latest = route_case(case_id=case.pk, trigger=RoutingTrigger.CATCH_UP, now=NOW)

    assert routing_decision_for(user=lead, case=case) == latest
    assert routing_decision_for(user=auditor, case=case) == latest
    assert routing_decision_for(user=agent, case=case) is None
    assert routing_decision_for(user=outsider, case=case) is None


def test_a_task_routes_its_case_and_the_new_cases_waiting_behind_it_in_its_team(intake, fraud):
    for name in ("Ana", "Ben", "Cy"):
        member(intake, name)
    first, *waiting = [CaseFactory(team=intake) for _ in range(4)]
    elsewhere = CaseFactory(team=fraud)
    routed_earlier = CaseFactory(team=intake)
    route_case(case_id=routed_earlier.pk, trigger=RoutingTrigger.NEW)
    Case.objects.filter(pk=routed_earlier.pk).update(assignee=None)

    route_case_task(first.pk, RoutingTrigger.NEW)

    assert not Case.objects.filter(pk__in=[first.pk, *(c.pk for c in waiting)], assignee__isnull=True).exists()
    assert {d.trigger for d in RoutingDecision.objects.filter(case__in=waiting)} == {RoutingTrigger.NEW}
    # Another team's queue, and a case routing already looked at, wait for their own turn.
    assert Case.objects.get(pk=elsewhere.pk).assignee is None
    assert Case.objects.get(pk=routed_earlier.pk).assignee is None
    # The waiting cases' own tasks then find nothing to do.
    assert route_case_task(waiting[0].pk, RoutingTrigger.NEW) is None
    assert RoutingDecision.objects.filter(case=waiting[0]).count() == 1
