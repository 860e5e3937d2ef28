from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from audit.models import AuditEvent
from cases.choices import EventKind, Status
from cases.errors import CaseBlocked
from cases.models import CaseEvent
from cases.services import case_change_status
from escalations import services
from escalations.choices import EscalationStatus, ReturnOutcome
from escalations.errors import EscalationError
from escalations.models import Escalation, OlaTarget
from escalations.selectors import escalation_bounce_figures
from people.models import Notification
from tests.factories import CaseFactory

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def escalate(agent, case, to_team, reason, **kwargs):
    return services.escalation_request(actor=agent, case=case, to_team=to_team, reason=reason, **kwargs)


def escalation_events(case):
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.ESCALATION).values_list("data", flat=True))


def test_an_agent_escalates_a_case_with_a_reason_and_the_receiving_team_gets_a_clock(
    agent, case, fraud_team, fraud_lead, reasons
):
    fraud_team.calendar = None
    fraud_team.save()
    OlaTarget.objects.create(team=fraud_team, urgency="critical", minutes=30)

    escalation = escalate(agent, case, fraud_team, reasons["account_takeover_suspected"], note="2FA reset by someone")

    assert escalation.status == EscalationStatus.REQUESTED
    assert (escalation.from_team, escalation.to_team, escalation.urgency) == (case.team, fraud_team, "critical")
    assert escalation.ola_due_at == NOW + timedelta(minutes=30)
    assert escalation.ola_warn_at == NOW + timedelta(minutes=24)
    [event] = escalation_events(case)
    assert event["event"] == "requested" and event["to_team"] == "Fraud & Scam"
    assert AuditEvent.objects.filter(action="escalation.request", object_id=str(escalation.pk), actor=agent).exists()
    assert Notification.objects.filter(recipient=fraud_lead, kind="escalation_requested").exists()


def test_the_response_clock_counts_the_receiving_teams_business_hours(agent, case, fraud_team, reasons):
    # Tuesday 15:00 UTC is 23:00 in Manila, after the default 09:00-17:00 calendar closes.
    escalation = escalate(agent, case, fraud_team, reasons["id_verification_stuck"])

    assert escalation.ola_calendar_version.calendar == fraud_team.calendar
    assert escalation.ola_target_minutes == 480
    # Wednesday 09:00 Manila (01:00 UTC) plus eight business hours ends at 17:00 Manila.
    assert escalation.ola_due_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("none", "Choose the team to escalate to."),
        ("own", "is already with Manila L1"),
    ],
)
def test_it_refuses_a_missing_target_or_the_cases_own_team_and_writes_nothing(agent, case, reasons, target, message):
    to_team = None if target == "none" else case.team

    with pytest.raises(EscalationError, match=message):
        escalate(agent, case, to_team, reasons["vip_customer"])

    assert not Escalation.objects.exists()
    assert escalation_events(case) == []


def test_it_refuses_a_second_open_escalation_to_the_same_team(agent, case, fraud_team, reasons):
    escalate(agent, case, fraud_team, reasons["scam_reported"])

    with pytest.raises(EscalationError, match="already has an open escalation to Fraud & Scam") as caught:
        escalate(agent, case, fraud_team, reasons["vip_customer"])

    assert caught.value.status_code == 409
    assert Escalation.objects.count() == 1


def test_only_people_working_the_case_may_escalate_it(outsider, case, fraud_team, reasons):
    with pytest.raises(EscalationError) as caught:
        escalate(outsider, case, fraud_team, reasons["scam_reported"])

    assert caught.value.status_code == 403
    assert not Escalation.objects.exists()


def test_a_closed_case_cannot_be_escalated(agent, team, fraud_team, reasons):
    closed = CaseFactory(team=team, status=Status.CLOSED)

    with pytest.raises(EscalationError, match="only open cases escalate"):
        escalate(agent, closed, fraud_team, reasons["scam_reported"])


def test_accepting_moves_the_case_to_the_receiving_team_and_stops_its_clock(
    agent, case, fraud_team, fraud_specialist, reasons
):
    escalation = escalate(agent, case, fraud_team, reasons["scam_reported"])

    accepted = services.escalation_accept(actor=fraud_specialist, escalation=escalation, expected_version=1)

    case.refresh_from_db()
    assert accepted.status == EscalationStatus.ACCEPTED
    assert (accepted.owner, accepted.responded_by, accepted.responded_at) == (fraud_specialist, fraud_specialist, NOW)
    assert (case.team, case.assignee) == (fraud_team, fraud_specialist)
    transfer = CaseEvent.objects.get(case=case, kind=EventKind.TRANSFER)
    assert transfer.data["to_team"] == "Fraud & Scam"
    assert Notification.objects.filter(recipient=agent, kind="escalation_accepted").exists()


def test_only_the_receiving_team_can_accept(agent, case, fraud_team, outsider, reasons):
    escalation = escalate(agent, case, fraud_team, reasons["scam_reported"])

    with pytest.raises(EscalationError) as caught:
        services.escalation_accept(actor=outsider, escalation=escalation)

    assert caught.value.status_code == 403
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.REQUESTED


def test_a_second_member_cannot_take_over_an_accepted_escalation_but_a_lead_can_reassign_it(
    agent, case, fraud_team, fraud_specialist, fraud_lead, reasons
):
    from people.choices import Role
    from tests.factories import UserFactory

    colleague = UserFactory(role=Role.SPECIALIST, teams=[fraud_team])
    escalation = escalate(agent, case, fraud_team, reasons["scam_reported"])
    services.escalation_accept(actor=fraud_specialist, escalation=escalation)

    with pytest.raises(EscalationError, match="already accepted") as caught:
        services.escalation_accept(actor=colleague, escalation=escalation)
    assert caught.value.status_code == 409

    services.escalation_accept(actor=fraud_lead, escalation=escalation, owner=colleague)
    case.refresh_from_db()
    assert case.assignee == colleague


def test_returning_needs_an_outcome_and_guidance_and_sends_the_case_back_to_the_sender(
    agent, case, fraud_team, fraud_specialist, reasons
):
    escalation = escalate(agent, case, fraud_team, reasons["agent_out_of_depth"])
    services.escalation_accept(actor=fraud_specialist, escalation=escalation)

    with pytest.raises(EscalationError, match="Choose an outcome"):
        services.escalation_return(actor=fraud_specialist, escalation=escalation, outcome="", guidance="x")
    with pytest.raises(EscalationError, match="Tell the sender"):
        services.escalation_return(
            actor=fraud_specialist, escalation=escalation, outcome=ReturnOutcome.RESOLVED_GUIDANCE, guidance="  "
        )
    returned = services.escalation_return(
        actor=fraud_specialist,
        escalation=escalation,
        outcome=ReturnOutcome.RESOLVED_GUIDANCE,
        guidance="Not a scam: the transfer was the customer's own. Explain the network fee.",
    )

    case.refresh_from_db()
    assert (returned.status, returned.closed_at) == (EscalationStatus.RETURNED, NOW)
    assert (case.team.name, case.assignee) == ("Manila L1", agent)
    assert escalation_events(case)[-1]["outcome"] == "Guidance given; sender can resolve"
    assert Notification.objects.filter(recipient=agent, kind="escalation_returned").exists()


def test_an_escalation_already_returned_cannot_be_accepted(agent, case, fraud_team, fraud_specialist, reasons):
    escalation = escalate(agent, case, fraud_team, reasons["agent_out_of_depth"])
    services.escalation_return(
        actor=fraud_specialist, escalation=escalation, outcome=ReturnOutcome.NOT_OUR_TEAM, guidance="Try CDD."
    )

    with pytest.raises(EscalationError, match="already returned to sender") as caught:
        services.escalation_accept(actor=fraud_specialist, escalation=escalation)

    assert caught.value.status_code == 409
    case.refresh_from_db()
    assert case.team.name == "Manila L1"


def test_handing_on_closes_the_hop_and_opens_a_second_one(
    agent, case, fraud_team, fraud_specialist, compliance_team, reasons
):
    first = escalate(agent, case, fraud_team, reasons["scam_reported"])

    second = services.escalation_hand_on(
        actor=fraud_specialist,
        escalation=first,
        to_team=compliance_team,
        reason=reasons["regulator_complaint_threat"],
        note="Customer filed with the CFPB this morning.",
    )

    first.refresh_from_db()
    assert first.status == EscalationStatus.HANDED_ON
    assert (second.previous, second.hop, second.from_team, second.to_team) == (first, 2, fraud_team, compliance_team)
    assert second.status == EscalationStatus.REQUESTED
    assert [e["event"] for e in escalation_events(case)] == ["requested", "requested"]


def test_returned_escalations_and_ping_pong_are_counted(agent, case, fraud_team, fraud_specialist, reasons):
    first = escalate(agent, case, fraud_team, reasons["scam_reported"])
    services.escalation_return(
        actor=fraud_specialist,
        escalation=first,
        outcome=ReturnOutcome.MISSING_INFORMATION,
        guidance="Need the tx hash.",
    )
    escalate(agent, case, fraud_team, reasons["scam_reported"], note="Here is the hash.")

    figures = escalation_bounce_figures()

    assert figures == {"total": 2, "open": 1, "returned": 1, "ping_pong": 1}


def test_an_unanswered_escalation_blocks_resolving_and_an_accepted_one_completes_with_the_case(
    agent, case, fraud_team, fraud_specialist, reasons
):
    escalation = escalate(agent, case, fraud_team, reasons["scam_reported"])

    with pytest.raises(CaseBlocked, match="waiting for Fraud & Scam"):
        case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=None)

    services.escalation_accept(actor=fraud_specialist, escalation=escalation)
    case_change_status(actor=fraud_specialist, case=case, to_status=Status.RESOLVED, expected_version=None)

    escalation.refresh_from_db()
    assert (escalation.status, escalation.closed_at) == (EscalationStatus.COMPLETED, NOW)


def test_the_requester_can_withdraw_an_unanswered_escalation(agent, case, fraud_team, reasons):
    escalation = escalate(agent, case, fraud_team, reasons["vip_customer"])

    services.escalation_withdraw(actor=agent, escalation=escalation, note="Customer calmed down.")

    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.WITHDRAWN
    # A new request to the same team is allowed once the first is closed.
    assert escalate(agent, case, fraud_team, reasons["vip_customer"]).hop == 1


def test_an_sla_breach_raises_an_escalation_to_the_case_teams_leads_as_the_system(lead, case, reasons):
    from people.choices import TeamKind
    from tests.factories import MembershipFactory, SlaTimerFactory, TeamFactory

    leads_team = TeamFactory(name="US Leads", slug="us-leads", kind=TeamKind.LEADS)
    MembershipFactory(user=lead, team=leads_team)
    timer = SlaTimerFactory(case=case, due_at=NOW - timedelta(minutes=5), started_at=NOW - timedelta(hours=2))

    escalation = services.escalation_for_sla_breach(case, timer)

    assert escalation.requested_by is None
    assert (escalation.to_team, escalation.reason.code) == (leads_team, "sla_breach")
    # A second breach on the same case does not pile up a second open escalation.
    assert services.escalation_for_sla_breach(case, timer) is None


def test_the_queue_sort_key_follows_the_cases_priority_and_sla_due_time(
    agent, lead, case, fraud_team, fraud_specialist, reasons
):
    from cases.models import Case
    from cases.services import case_update_properties

    escalation = escalate(agent, case, fraud_team, reasons["vip_customer"])
    assert (escalation.case_priority_rank, escalation.tier_rank, escalation.urgency_rank) == (2, 3, 1)

    case_update_properties(actor=agent, case=case, expected_version=None, priority="urgent", category=case.category)
    Case.objects.filter(pk=case.pk).update(sla_due_at=NOW + timedelta(hours=1))

    escalation.refresh_from_db()
    assert (escalation.case_priority_rank, escalation.case_sla_due_at) == (0, NOW + timedelta(hours=1))


def test_the_queue_puts_the_soonest_sla_due_first_then_priority_tier_and_urgency(agent, team, fraud_team, reasons):
    from cases.models import Case
    from escalations.selectors import escalation_list_for_queue, escalation_queue_order
    from tests.factories import CustomerFactory

    def raised(subject, *, due=None, priority="normal", tier="standard", reason="vip_customer"):
        case = CaseFactory(team=team, subject=subject, priority=priority, customer=CustomerFactory(tier=tier))
        Case.objects.filter(pk=case.pk).update(sla_due_at=due)
        return escalate(agent, case, fraud_team, reasons[reason])

    raised("no clock")
    raised("due later", due=NOW + timedelta(hours=5))
    raised("due soon", due=NOW + timedelta(hours=1))
    raised("urgent, no clock", priority="urgent")
    raised("vip, no clock", tier="vip")
    raised("critical reason, no clock", reason="account_takeover_suspected")

    order = [
        e.case.subject for e in escalation_queue_order(escalation_list_for_queue(user=agent)).select_related("case")
    ]

    assert order == []  # the agent's own team receives nothing
    from people.choices import Role
    from tests.factories import UserFactory

    receiver = UserFactory(role=Role.SPECIALIST, teams=[fraud_team])
    order = [
        e.case.subject for e in escalation_queue_order(escalation_list_for_queue(user=receiver)).select_related("case")
    ]
    assert order == [
        "due soon",
        "due later",
        "urgent, no clock",
        "vip, no clock",
        "critical reason, no clock",
        "no clock",
    ]
