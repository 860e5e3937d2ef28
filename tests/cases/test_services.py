from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from audit.models import AuditEvent
from cases import registry
from cases.choices import EventKind, Priority, Status
from cases.errors import CaseBlocked, CaseError, StaleVersion, TransitionNotAllowed
from cases.models import Case, CaseEvent
from cases.services import (
    MAX_BODY_LENGTH,
    case_add_message,
    case_assign,
    case_bulk_assign,
    case_bulk_change_status,
    case_change_status,
    case_close_expired_resolved,
    case_create,
    case_update_properties,
)
from people.choices import Role
from tests.factories import CaseFactory, CategoryFactory, CustomerFactory, UserFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

S = Status
# The lifecycle as the product promises it (DESIGN.md), written out independently of
# cases/choices.py so that a change to the table has to be a deliberate change here too.
ALLOWED = {
    (S.NEW, S.OPEN),
    (S.NEW, S.PENDING_CUSTOMER),
    (S.NEW, S.PENDING_INTERNAL),
    (S.NEW, S.RESOLVED),
    (S.OPEN, S.PENDING_CUSTOMER),
    (S.OPEN, S.PENDING_INTERNAL),
    (S.OPEN, S.RESOLVED),
    (S.PENDING_CUSTOMER, S.OPEN),
    (S.PENDING_CUSTOMER, S.PENDING_INTERNAL),
    (S.PENDING_CUSTOMER, S.RESOLVED),
    (S.PENDING_INTERNAL, S.OPEN),
    (S.PENDING_INTERNAL, S.PENDING_CUSTOMER),
    (S.PENDING_INTERNAL, S.RESOLVED),
    (S.RESOLVED, S.OPEN),
    (S.RESOLVED, S.CLOSED),
}
ALL_MOVES = [(a, b) for a in Status for b in Status if a != b]
FORBIDDEN = [move for move in ALL_MOVES if move not in ALLOWED]


def _audit_actions(reference: str) -> list[str]:
    return list(AuditEvent.objects.filter(object_id=reference).values_list("action", flat=True))


def _events(case: Case, kind: str | None = None):
    qs = CaseEvent.objects.filter(case=case)
    return list(qs.filter(kind=kind) if kind else qs)


# --- case_create -------------------------------------------------------------------------


def test_it_creates_a_case_with_the_next_reference_of_the_receipt_year(team, agent):
    customer = CustomerFactory()
    category = CategoryFactory(code="withdrawals")

    first = case_create(
        actor=agent,
        customer=customer,
        subject="Withdrawal pending",
        body="My BTC withdrawal has been pending since Monday.",
        channel="email",
        category=category,
        team=team,
    )
    second = case_create(
        actor=agent,
        customer=customer,
        subject="Again",
        body="Still pending.",
        channel="chat",
        category=category,
        team=team,
    )
    last_year = case_create(
        actor=agent,
        customer=customer,
        subject="Old e-mail found in spam",
        body="Sent on New Year's Eve.",
        channel="email",
        category=category,
        team=team,
        received_at=datetime(2025, 12, 31, 23, 0, tzinfo=UTC),
    )

    assert first.reference == "CS-2026-000001"
    assert second.reference == "CS-2026-000002"
    assert last_year.reference == "CS-2025-000001"


def test_it_records_the_customers_first_message_at_the_receipt_time(team, agent):
    received = NOW - timedelta(hours=5)

    case = case_create(
        actor=agent,
        customer=CustomerFactory(language="tl"),
        subject="  Card declined  ",
        body="  My card was declined at the ATM.  ",
        channel="phone",
        category=CategoryFactory(code="card"),
        team=team,
        priority=Priority.HIGH,
        received_at=received,
    )

    case.refresh_from_db()
    assert (case.status, case.priority, case.subject, case.language) == (
        Status.NEW,
        Priority.HIGH,
        "Card declined",
        "tl",
    )
    assert case.received_at == received
    assert case.created_at == NOW
    assert case.version == 1
    # No SLA policy exists here, so the timeline also says that no clock was started.
    event, no_policy = _events(case)
    assert (no_policy.kind, no_policy.data) == (EventKind.SLA, {"event": "no_policy"})
    assert event.kind == EventKind.CUSTOMER_MESSAGE
    assert event.actor is None
    assert event.body == "My card was declined at the ATM."
    assert event.created_at == received


def test_it_audits_case_creation_with_the_acting_user(team, agent):
    case = case_create(
        actor=agent,
        customer=CustomerFactory(),
        subject="Deposit missing",
        body="Where is my deposit?",
        channel="web",
        category=CategoryFactory(code="deposits"),
        team=team,
    )

    audit = AuditEvent.objects.get(object_id=case.reference)
    assert audit.action == "case.create"
    assert audit.actor == agent
    assert audit.object_type == "case"
    assert audit.after["status"] == "new"
    assert audit.after["team_id"] == team.pk


@pytest.mark.parametrize(
    ("subject", "body", "received_at", "message"),
    [
        ("   ", "Hello", None, "A case needs a subject."),
        ("Subject", "  \n ", None, "A case needs the customer's message."),
        ("Subject", "Hello", NOW + timedelta(minutes=5), "A case cannot be received in the future."),
    ],
)
def test_it_refuses_to_create_an_incomplete_case(team, agent, subject, body, received_at, message):
    with pytest.raises(CaseError, match=message):
        case_create(
            actor=agent,
            customer=CustomerFactory(),
            subject=subject,
            body=body,
            channel="email",
            category=CategoryFactory(),
            team=team,
            received_at=received_at,
        )

    assert not Case.objects.exists()
    assert not AuditEvent.objects.exists()


# --- case_add_message --------------------------------------------------------------------


def test_it_records_the_first_reply_and_opens_a_new_case(case, agent):
    event = case_add_message(actor=agent, case=case, body="  We are looking into it.  ", internal=False)

    case.refresh_from_db()
    assert event.kind == EventKind.REPLY
    assert event.body == "We are looking into it."
    assert case.first_response_at == NOW
    assert case.status == Status.OPEN
    assert case.version == 2
    [status_event] = _events(case, EventKind.STATUS)
    assert status_event.data == {"from": "new", "to": "open"}
    assert status_event.actor == agent
    assert _audit_actions(case.reference) == ["case.reply"]


def test_it_keeps_the_first_response_time_on_later_replies(case, agent, time_machine):
    case_add_message(actor=agent, case=case, body="First answer.", internal=False)
    time_machine.shift(timedelta(hours=2))

    case_add_message(actor=agent, case=case, body="Second answer.", internal=False)

    case.refresh_from_db()
    assert case.first_response_at == NOW
    assert case.version == 3
    assert len(_events(case, EventKind.STATUS)) == 1


def test_it_neither_answers_nor_opens_the_case_with_an_internal_note(case, agent):
    event = case_add_message(actor=agent, case=case, body="Customer sounds distressed; check for scam.", internal=True)

    case.refresh_from_db()
    assert event.kind == EventKind.NOTE
    assert event.is_internal
    assert case.first_response_at is None
    assert case.status == Status.NEW
    assert _events(case, EventKind.STATUS) == []
    assert _audit_actions(case.reference) == ["case.note"]


def test_it_does_not_reopen_a_pending_case_on_reply(team, agent):
    case = CaseFactory(team=team, status=Status.PENDING_CUSTOMER)

    case_add_message(actor=agent, case=case, body="Reminder: please send the screenshot.", internal=False)

    case.refresh_from_db()
    assert case.status == Status.PENDING_CUSTOMER
    assert case.first_response_at == NOW


@pytest.mark.parametrize(
    ("internal", "message"), [(False, "Write something before sending."), (True, "An internal note cannot be empty.")]
)
def test_it_refuses_an_empty_message(case, agent, internal, message):
    with pytest.raises(CaseError, match=message):
        case_add_message(actor=agent, case=case, body=" \n\t ", internal=internal)

    case.refresh_from_db()
    assert case.version == 1
    assert _events(case) == []
    assert _audit_actions(case.reference) == []


def test_it_refuses_a_message_over_the_length_limit(case, agent):
    with pytest.raises(CaseError, match="limited to 20,000 characters"):
        case_add_message(actor=agent, case=case, body="x" * (MAX_BODY_LENGTH + 1), internal=False)

    assert _events(case) == []


@pytest.mark.parametrize("internal", [False, True])
def test_it_refuses_a_message_on_a_closed_case(team, agent, internal):
    case = CaseFactory(team=team, status=Status.CLOSED)

    with pytest.raises(CaseError, match="This case is closed"):
        case_add_message(actor=agent, case=case, body="Any update?", internal=internal)

    assert _events(case) == []
    assert _audit_actions(case.reference) == []


# --- case_change_status ------------------------------------------------------------------


@pytest.mark.parametrize(("from_status", "to_status"), sorted(ALLOWED))
def test_it_allows_each_transition_in_the_table(team, agent, from_status, to_status):
    case = CaseFactory(team=team, status=from_status)

    changed = case_change_status(actor=agent, case=case, to_status=to_status, expected_version=1, reason="Because")

    case.refresh_from_db()
    assert changed.status == case.status == to_status
    assert case.version == 2
    assert case.updated_at == NOW
    [event] = _events(case, EventKind.STATUS)
    assert event.data == {"from": from_status, "to": to_status}
    assert event.body == "Because"
    assert event.actor == agent
    assert _audit_actions(case.reference) == ["case.status"]


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN)
def test_it_refuses_each_transition_outside_the_table(team, agent, from_status, to_status):
    case = CaseFactory(team=team, status=from_status)

    with pytest.raises(TransitionNotAllowed) as raised:
        case_change_status(actor=agent, case=case, to_status=to_status, expected_version=1)

    assert case.reference in raised.value.message
    case.refresh_from_db()
    assert case.status == from_status
    assert case.version == 1
    assert _events(case) == []
    assert _audit_actions(case.reference) == []


def test_it_does_nothing_when_the_case_is_already_in_the_target_status(team, agent):
    case = CaseFactory(team=team, status=Status.OPEN)

    case_change_status(actor=agent, case=case, to_status=Status.OPEN, expected_version=1)

    case.refresh_from_db()
    assert case.version == 1
    assert _events(case) == []
    assert _audit_actions(case.reference) == []


def test_it_stamps_resolution_and_closure_times(team, agent, time_machine):
    case = CaseFactory(team=team, status=Status.OPEN)

    case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=1)
    case.refresh_from_db()
    assert (case.resolved_at, case.closed_at) == (NOW, None)

    time_machine.shift(timedelta(days=1))
    case_change_status(actor=agent, case=case, to_status=Status.CLOSED, expected_version=2)

    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.resolved_at == NOW
    assert case.closed_at == NOW + timedelta(days=1)


@pytest.mark.parametrize("after", [timedelta(days=6, hours=23), timedelta(days=7)])
def test_it_reopens_a_resolved_case_within_the_window(team, agent, time_machine, after):
    case = CaseFactory(team=team, status=Status.OPEN)
    case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=1)
    time_machine.shift(after)

    case_change_status(actor=agent, case=case, to_status=Status.OPEN, expected_version=2, reason="Customer replied")

    case.refresh_from_db()
    assert case.status == Status.OPEN
    assert case.reopen_count == 1
    assert case.resolved_at is None
    assert [e.data["to"] for e in _events(case, EventKind.STATUS)] == ["resolved", "open"]


def test_it_counts_every_reopen(team, agent):
    case = CaseFactory(team=team, status=Status.OPEN)

    for version in (1, 3):
        case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=version)
        case_change_status(actor=agent, case=case, to_status=Status.OPEN, expected_version=version + 1)

    case.refresh_from_db()
    assert case.reopen_count == 2


def test_it_refuses_to_reopen_after_the_window(team, agent, time_machine):
    case = CaseFactory(team=team, status=Status.OPEN)
    case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=1)
    time_machine.shift(timedelta(days=7, minutes=1))

    with pytest.raises(TransitionNotAllowed, match=r"reopen window \(7 days\) has passed"):
        case_change_status(actor=agent, case=case, to_status=Status.OPEN, expected_version=2)

    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    assert case.reopen_count == 0
    assert case.resolved_at == NOW
    assert len(_events(case, EventKind.STATUS)) == 1


def test_it_refuses_a_status_change_from_a_stale_version_and_writes_nothing(team, agent):
    case = CaseFactory(team=team, status=Status.OPEN, version=4)

    with pytest.raises(StaleVersion) as raised:
        case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=3)

    assert (raised.value.current_version, raised.value.expected_version) == (4, 3)
    assert "changed by someone else" in raised.value.message
    case.refresh_from_db()
    assert (case.status, case.version, case.resolved_at) == (Status.OPEN, 4, None)
    assert _events(case) == []
    assert _audit_actions(case.reference) == []


@pytest.mark.parametrize("to_status", [Status.RESOLVED, Status.CLOSED])
def test_it_refuses_to_resolve_or_close_while_a_close_check_objects(team, agent, to_status, monkeypatch):
    asked = []

    def open_escalation(case, target):
        asked.append(target)
        return "an escalation to Fraud & scam is still open."

    monkeypatch.setattr(registry, "close_checks", [open_escalation])
    case = CaseFactory(team=team, status=Status.OPEN if to_status == Status.RESOLVED else Status.RESOLVED)
    before = case.status

    with pytest.raises(CaseBlocked, match="an escalation to Fraud & scam is still open") as raised:
        case_change_status(actor=agent, case=case, to_status=to_status, expected_version=1)

    assert raised.value.message.startswith(case.reference)
    assert asked == [to_status]
    case.refresh_from_db()
    assert (case.status, case.version) == (before, 1)
    assert _events(case) == []
    assert _audit_actions(case.reference) == []


def test_it_does_not_ask_close_checks_for_an_ordinary_move(team, agent, monkeypatch):
    monkeypatch.setattr(registry, "close_checks", [lambda case, target: "blocked"])
    case = CaseFactory(team=team, status=Status.OPEN)

    case_change_status(actor=agent, case=case, to_status=Status.PENDING_CUSTOMER, expected_version=1)

    case.refresh_from_db()
    assert case.status == Status.PENDING_CUSTOMER


def test_it_tells_higher_apps_about_each_status_change(team, agent, monkeypatch):
    seen = []
    monkeypatch.setattr(
        registry, "after_status_change", [lambda case, old, new, actor: seen.append((case.reference, old, new, actor))]
    )
    case = CaseFactory(team=team, status=Status.OPEN)

    case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=1)

    assert seen == [(case.reference, Status.OPEN, Status.RESOLVED, agent)]


# --- case_assign -------------------------------------------------------------------------


def test_it_lets_a_lead_assign_a_case_to_a_member_of_the_team(case, lead, agent):
    case_assign(actor=lead, case=case, assignee=agent, expected_version=1)

    case.refresh_from_db()
    assert case.assignee == agent
    assert case.version == 2
    [event] = _events(case, EventKind.ASSIGNMENT)
    assert event.actor == lead
    assert event.data == {"from": None, "from_name": None, "to": agent.pk, "to_name": "Ana Reyes"}
    assert _audit_actions(case.reference) == ["case.assign"]


def test_it_records_both_names_on_reassignment_and_unassignment(team, lead, agent, second_agent):
    case = CaseFactory(team=team, assignee=agent)

    case_assign(actor=lead, case=case, assignee=second_agent, expected_version=1)
    case_assign(actor=lead, case=case, assignee=None, expected_version=2)

    reassigned, unassigned = _events(case, EventKind.ASSIGNMENT)
    assert (reassigned.data["from_name"], reassigned.data["to_name"]) == ("Ana Reyes", "Ben Cruz")
    assert (unassigned.data["from_name"], unassigned.data["to_name"]) == ("Ben Cruz", None)
    case.refresh_from_db()
    assert case.assignee is None


def test_it_does_nothing_when_the_assignee_is_unchanged(team, lead, agent):
    case = CaseFactory(team=team, assignee=agent)

    case_assign(actor=lead, case=case, assignee=agent, expected_version=1)

    case.refresh_from_db()
    assert case.version == 1
    assert _events(case) == []


@pytest.mark.parametrize("actor_fixture", ["agent", "other_lead", "auditor"])
def test_it_refuses_assignment_by_anyone_but_a_lead_of_the_team(request, case, second_agent, actor_fixture):
    actor = request.getfixturevalue(actor_fixture)

    with pytest.raises(CaseError, match="Only a lead of this case's team can assign it."):
        case_assign(actor=actor, case=case, assignee=second_agent, expected_version=1)

    case.refresh_from_db()
    assert case.assignee is None
    assert _events(case) == []


def test_it_refuses_an_assignee_from_another_team(case, lead, outsider):
    with pytest.raises(CaseError, match="Olly Other is not in Manila L1"):
        case_assign(actor=lead, case=case, assignee=outsider, expected_version=1)

    case.refresh_from_db()
    assert case.assignee is None
    assert _audit_actions(case.reference) == []


@pytest.mark.parametrize(
    "assignee_kwargs", [{"role": Role.AUDITOR}, {"role": Role.AGENT, "is_active": False}], ids=["auditor", "inactive"]
)
def test_it_refuses_an_assignee_who_cannot_own_cases(team, case, lead, assignee_kwargs):
    assignee = UserFactory(teams=[team], first_name="Ivy", last_name="Idle", **assignee_kwargs)

    with pytest.raises(CaseError, match="Ivy Idle cannot own cases."):
        case_assign(actor=lead, case=case, assignee=assignee, expected_version=1)

    case.refresh_from_db()
    assert case.assignee is None


def test_it_refuses_an_assignment_from_a_stale_version(case, lead, agent):
    case_add_message(actor=lead, case=case, body="Taking a look.", internal=True)

    with pytest.raises(StaleVersion):
        case_assign(actor=lead, case=case, assignee=agent, expected_version=1)

    case.refresh_from_db()
    assert case.assignee is None
    assert _events(case, EventKind.ASSIGNMENT) == []


# --- case_update_properties --------------------------------------------------------------


def test_it_changes_priority_and_category_keeping_the_old_values_on_the_timeline(case, agent):
    kyc = CategoryFactory(code="kyc")

    case_update_properties(actor=agent, case=case, expected_version=1, priority=Priority.URGENT, category=kyc)

    case.refresh_from_db()
    assert (case.priority, case.category, case.version) == (Priority.URGENT, kyc, 2)
    [event] = _events(case, EventKind.FIELDS)
    assert event.data == {
        "priority": {"from": "normal", "to": "urgent"},
        "category": {"from": "Withdrawals", "to": "KYC / ID verification"},
    }
    assert _audit_actions(case.reference) == ["case.update"]


def test_it_records_only_what_changed(case, agent):
    case_update_properties(actor=agent, case=case, expected_version=1, priority=Priority.LOW, category=case.category)

    [event] = _events(case, EventKind.FIELDS)
    assert event.data == {"priority": {"from": "normal", "to": "low"}}


def test_it_writes_nothing_when_no_property_changes(case, agent):
    case_update_properties(actor=agent, case=case, expected_version=1, priority=case.priority, category=case.category)

    case.refresh_from_db()
    assert case.version == 1
    assert _events(case) == []
    assert _audit_actions(case.reference) == []


def test_it_refuses_a_property_change_from_a_stale_version(case, agent):
    with pytest.raises(StaleVersion):
        case_update_properties(
            actor=agent, case=case, expected_version=7, priority=Priority.HIGH, category=CategoryFactory(code="fees")
        )

    case.refresh_from_db()
    assert case.priority == Priority.NORMAL
    assert _events(case) == []


# --- bulk actions ------------------------------------------------------------------------


def test_it_assigns_many_cases_and_counts_only_those_that_changed(team, lead, agent):
    cases = [CaseFactory(team=team), CaseFactory(team=team), CaseFactory(team=team, assignee=agent)]

    changed = case_bulk_assign(actor=lead, case_ids=[c.pk for c in cases], assignee=agent)

    assert changed == 2
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("assignee", flat=True)) == {agent.pk}
    assert CaseEvent.objects.filter(kind=EventKind.ASSIGNMENT).count() == 2
    assert AuditEvent.objects.filter(action="case.assign").count() == 2


def test_it_assigns_none_of_the_cases_when_one_may_not_be_assigned(team, other_team, agent):
    lead = UserFactory(role=Role.LEAD, teams=[team, other_team])
    ours = [CaseFactory(team=team), CaseFactory(team=team)]
    theirs = CaseFactory(team=other_team)

    with pytest.raises(CaseError) as raised:
        case_bulk_assign(actor=lead, case_ids=[*(c.pk for c in ours), theirs.pk], assignee=agent)

    assert theirs.reference in raised.value.message
    assert "Nothing was changed." in raised.value.message
    assert "Ana Reyes is not in Sydney L1" in raised.value.message
    assert not Case.objects.filter(assignee__isnull=False).exists()
    assert not CaseEvent.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_moves_many_cases_and_skips_those_already_there(team, lead):
    cases = [CaseFactory(team=team, status=Status.NEW), CaseFactory(team=team, status=Status.OPEN)]
    already = CaseFactory(team=team, status=Status.PENDING_INTERNAL)

    changed = case_bulk_change_status(
        actor=lead, case_ids=[*(c.pk for c in cases), already.pk], to_status=Status.PENDING_INTERNAL, reason="Ops"
    )

    assert changed == 2
    assert set(Case.objects.values_list("status", flat=True)) == {Status.PENDING_INTERNAL}
    assert CaseEvent.objects.filter(kind=EventKind.STATUS, body="Ops").count() == 2
    assert AuditEvent.objects.filter(action="case.status").count() == 2


def test_it_moves_none_of_the_cases_when_one_may_not_move_and_names_it(team, lead):
    movable = [CaseFactory(team=team, status=Status.OPEN), CaseFactory(team=team, status=Status.NEW)]
    closed = CaseFactory(team=team, status=Status.CLOSED)

    with pytest.raises(TransitionNotAllowed) as raised:
        case_bulk_change_status(actor=lead, case_ids=[*(c.pk for c in movable), closed.pk], to_status=Status.RESOLVED)

    assert raised.value.message == (
        f"Nothing was changed. {closed.reference}: a case that is closed cannot become resolved."
    )
    assert [Case.objects.get(pk=c.pk).status for c in movable] == [Status.OPEN, Status.NEW]
    assert not CaseEvent.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_names_every_blocked_case_in_a_bulk_resolve(team, lead, monkeypatch):
    cases = [CaseFactory(team=team, status=Status.OPEN) for _ in range(3)]
    blocked = {cases[0].pk, cases[2].pk}
    monkeypatch.setattr(
        registry, "close_checks", [lambda case, target: "a flag awaits sign-off." if case.pk in blocked else None]
    )

    with pytest.raises(TransitionNotAllowed) as raised:
        case_bulk_change_status(actor=lead, case_ids=[c.pk for c in cases], to_status=Status.RESOLVED)

    assert f"{cases[0].reference}: a flag awaits sign-off." in raised.value.message
    assert f"{cases[2].reference}: a flag awaits sign-off." in raised.value.message
    assert cases[1].reference not in raised.value.message
    assert set(Case.objects.values_list("status", flat=True)) == {Status.OPEN}


# --- the reopen-window sweep -------------------------------------------------------------


def _resolved(team, days_ago: float):
    at = NOW - timedelta(days=days_ago)
    return CaseFactory(team=team, status=Status.RESOLVED, received_at=at - timedelta(days=1), updated_at=at)


def test_it_closes_only_resolved_cases_past_the_reopen_window(team):
    expired = _resolved(team, days_ago=8)
    recent = _resolved(team, days_ago=6)
    still_open = CaseFactory(team=team, status=Status.OPEN, received_at=NOW - timedelta(days=30))
    already_closed = CaseFactory(team=team, status=Status.CLOSED, received_at=NOW - timedelta(days=30))

    assert case_close_expired_resolved() == 1

    expired.refresh_from_db()
    assert expired.status == Status.CLOSED
    assert expired.closed_at == NOW
    assert expired.resolved_at == NOW - timedelta(days=8)
    assert Case.objects.get(pk=recent.pk).status == Status.RESOLVED
    assert Case.objects.get(pk=still_open.pk).status == Status.OPEN
    assert Case.objects.get(pk=already_closed.pk).version == 1
    [event] = CaseEvent.objects.all()
    assert (event.case_id, event.actor, event.body) == (expired.pk, None, "Reopen window ended.")
    assert event.data == {"from": "resolved", "to": "closed"}
    [audit] = AuditEvent.objects.all()
    assert (audit.action, audit.object_id, audit.actor, audit.actor_label) == (
        "case.auto_close",
        expired.reference,
        None,
        "system",
    )


def test_it_is_harmless_to_run_the_sweep_twice(team):
    _resolved(team, days_ago=10)
    _resolved(team, days_ago=9)

    assert case_close_expired_resolved() == 2
    assert case_close_expired_resolved() == 0

    assert CaseEvent.objects.count() == 2
    assert AuditEvent.objects.count() == 2


def test_it_closes_a_case_once_the_window_ends_later(team, time_machine):
    case = _resolved(team, days_ago=6)
    assert case_close_expired_resolved() == 0

    time_machine.shift(timedelta(days=1, seconds=1))

    assert case_close_expired_resolved() == 1
    case.refresh_from_db()
    assert case.status == Status.CLOSED


def test_it_leaves_a_case_resolved_when_a_close_check_objects_in_the_sweep(team, monkeypatch):
    blocked = _resolved(team, days_ago=9)
    free = _resolved(team, days_ago=9)
    monkeypatch.setattr(
        registry, "close_checks", [lambda case, target: "Reg E obligation open." if case.pk == blocked.pk else None]
    )

    assert case_close_expired_resolved() == 1

    assert Case.objects.get(pk=blocked.pk).status == Status.RESOLVED
    assert Case.objects.get(pk=free.pk).status == Status.CLOSED


def test_it_closes_a_limited_batch_oldest_first(team):
    oldest = _resolved(team, days_ago=20)
    _resolved(team, days_ago=10)

    assert case_close_expired_resolved(limit=1) == 1

    assert list(Case.objects.filter(status=Status.CLOSED)) == [oldest]


def test_it_leaves_no_trace_when_a_hook_refuses_an_automatic_close(team, monkeypatch):
    refused = _resolved(team, days_ago=9)
    accepted = _resolved(team, days_ago=9)

    def clock_hook(case, old, new, actor):
        if case.pk == refused.pk:
            raise CaseBlocked("the Reg E clock cannot stop yet.")

    monkeypatch.setattr(registry, "after_status_change", [clock_hook])

    assert case_close_expired_resolved() == 1

    refused.refresh_from_db()
    assert (refused.status, refused.version) == (Status.RESOLVED, 1)
    assert _events(refused) == []
    assert _audit_actions(refused.reference) == []
    assert Case.objects.get(pk=accepted.pk).status == Status.CLOSED
