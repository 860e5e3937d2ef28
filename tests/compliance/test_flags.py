"""Regulatory flags: the facts each kind needs, submitting for review, and four-eyes sign-off."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest

from audit.models import AuditEvent
from cases.choices import EventKind, Status
from cases.errors import CaseBlocked
from cases.models import CaseEvent
from cases.services import case_add_customer_message, case_add_message, case_change_status
from compliance.choices import FlagKind, FlagStatus
from compliance.errors import FlagError
from compliance.models import FlagDecision, Obligation, RegulatoryFlag
from compliance.obligations import obligation_satisfy
from compliance.services import flag_correct_trigger, flag_raise, flag_sign_off, flag_submit, flag_update_facts
from people.choices import Role
from tests.factories import UserFactory

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
REG_E = {
    "notice_date": "2026-11-20",
    "notice_form": "oral",
    "transfer_date": "2026-11-18",
    "amount": "250.00",
    "leg": "fiat",
}

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture
def second_reviewer(db):
    return UserFactory(username="remy", first_name="Remy", last_name="Review", role=Role.COMPLIANCE)


@pytest.fixture
def submitted(agent, case):
    flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=REG_E)
    return flag_submit(actor=agent, flag=flag)


def test_an_agent_flags_a_reg_e_dispute_with_its_facts(agent, case):
    flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=REG_E)

    assert flag.status == FlagStatus.RAISED
    assert flag.facts == {**REG_E, "new_account": False, "foreign_initiated": False, "pos": False}
    event = CaseEvent.objects.get(case=case, kind=EventKind.FLAG, data__event="raised")
    assert event.data == {"event": "raised", "flag_id": flag.pk, "kind": "unauthorized_transfer"}
    assert AuditEvent.objects.filter(action="flag.raise", object_id=str(flag.pk), actor=agent).exists()


@pytest.mark.parametrize(
    ("facts", "field", "message"),
    [
        ({**REG_E, "notice_date": "2026-12-01"}, "notice_date", "cannot be in the future"),
        ({**REG_E, "notice_date": "2026-11-10"}, "notice_date", "cannot predate the transfer"),
        ({k: v for k, v in REG_E.items() if k != "amount"}, "amount", "Amount is required"),
        ({**REG_E, "leg": "barter"}, "leg", "choose one of Fiat, Crypto"),
        ({**REG_E, "amount": "lots"}, "amount", "must be a number"),
    ],
)
def test_a_flag_with_missing_or_wrong_facts_is_refused_and_nothing_is_written(agent, case, facts, field, message):
    with pytest.raises(FlagError) as caught:
        flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=facts)

    assert message in " ".join(caught.value.problems[field])
    assert not RegulatoryFlag.objects.exists()
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.FLAG).exists()


def test_elder_exploitation_needs_a_customer_of_65_or_older(agent, case):
    with pytest.raises(FlagError) as caught:
        flag_raise(actor=agent, case=case, kind=FlagKind.ELDER_EXPLOITATION, facts={"concern": "New payee"})

    assert "65 or older" in caught.value.problems["kind"][0]


def test_only_people_working_the_case_can_flag_it(outsider, case):
    with pytest.raises(FlagError) as caught:
        flag_raise(actor=outsider, case=case, kind=FlagKind.ID_VERIFICATION, facts={"problem": "expired"})

    assert caught.value.status_code == 403


def test_a_reviewer_who_did_not_work_the_case_signs_it_off(reviewer, submitted, reasons):
    flag = flag_sign_off(
        actor=reviewer,
        flag=submitted,
        seen_hash=submitted.evidence_hash,
        reason=reasons["no_error_found"],
        note="Card was present.",
    )

    assert flag.status == FlagStatus.SIGNED_OFF
    decision = FlagDecision.objects.get(flag=flag)
    assert (decision.reviewer, decision.evidence_hash) == (reviewer, submitted.evidence_hash)


@pytest.mark.parametrize("who", ["flagger", "lead_who_worked_it", "assignee", "submitter", "agent_role"])
def test_four_eyes_refuses_whoever_raised_submitted_or_worked_the_case(
    who, agent, second_agent, lead, case, reasons, reviewer
):
    flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=REG_E)
    submitter = second_agent
    flag = flag_submit(actor=submitter, flag=flag)
    if who == "flagger":
        agent.role = Role.COMPLIANCE  # even with the right role, the flagger may not decide
        person = agent
    elif who == "submitter":
        submitter.role = Role.COMPLIANCE
        person = submitter
    elif who == "lead_who_worked_it":
        case_add_message(actor=lead, case=case, body="Looking into this.", internal=True)
        lead.role = Role.COMPLIANCE
        person = lead
        flag = flag_update_facts(actor=agent, flag=flag, facts={**REG_E, "amount": "251.00"}, reason="Typo")
    elif who == "assignee":
        person = UserFactory(role=Role.COMPLIANCE)
        case.assignee = person
        case.save(update_fields=["assignee"])
    else:
        person = second_agent
        person.role = Role.AGENT

    with pytest.raises(FlagError) as caught:
        flag_sign_off(actor=person, flag=flag, seen_hash=flag.evidence_hash, reason=reasons["no_error_found"])

    assert caught.value.status_code == 403
    flag.refresh_from_db()
    assert flag.status == FlagStatus.IN_REVIEW
    assert not FlagDecision.objects.exists()
    refusal = AuditEvent.objects.get(action="flag.sign_off_refused", actor=person)
    assert refusal.after["refused"] == caught.value.message


def test_a_reason_code_of_another_flag_kind_is_refused(reviewer, submitted, reasons):
    with pytest.raises(FlagError, match="is not a decision for"):
        flag_sign_off(
            actor=reviewer,
            flag=submitted,
            seen_hash=submitted.evidence_hash,
            reason=reasons["sanctions_false_positive"],
        )


def test_sanctions_need_two_different_reviewers(agent, case, reviewer, second_reviewer, reasons):
    flag = flag_raise(
        actor=agent, case=case, kind=FlagKind.SANCTIONS_MATCH, facts={"list_name": "OFAC SDN", "match_score": "91"}
    )
    flag = flag_submit(actor=agent, flag=flag)

    flag = flag_sign_off(
        actor=reviewer, flag=flag, seen_hash=flag.evidence_hash, reason=reasons["sanctions_false_positive"]
    )
    assert flag.status == FlagStatus.IN_REVIEW
    with pytest.raises(FlagError, match="must come from another reviewer"):
        flag_sign_off(
            actor=reviewer, flag=flag, seen_hash=flag.evidence_hash, reason=reasons["sanctions_false_positive"]
        )
    flag = flag_sign_off(
        actor=second_reviewer, flag=flag, seen_hash=flag.evidence_hash, reason=reasons["sanctions_false_positive"]
    )

    assert flag.status == FlagStatus.SIGNED_OFF
    assert FlagDecision.objects.filter(flag=flag).count() == 2


def test_an_off_boarding_decision_needs_a_second_reviewer_whatever_the_kind(
    reviewer, second_reviewer, submitted, reasons
):
    flag = flag_sign_off(
        actor=reviewer, flag=submitted, seen_hash=submitted.evidence_hash, reason=reasons["account_offboarding"]
    )
    assert (flag.status, flag.required_approvals) == (FlagStatus.IN_REVIEW, 2)

    flag = flag_sign_off(
        actor=second_reviewer, flag=flag, seen_hash=flag.evidence_hash, reason=reasons["account_offboarding"]
    )
    assert flag.status == FlagStatus.SIGNED_OFF


def test_editing_the_facts_after_sign_off_voids_it_and_sends_the_flag_back(agent, reviewer, submitted, reasons):
    flag = flag_sign_off(
        actor=reviewer, flag=submitted, seen_hash=submitted.evidence_hash, reason=reasons["no_error_found"]
    )

    flag = flag_update_facts(actor=agent, flag=flag, facts={**REG_E, "amount": "2500.00"}, reason="Customer corrected")

    assert flag.status == FlagStatus.IN_REVIEW
    assert FlagDecision.objects.get().voided_at == NOW


def test_new_evidence_after_submission_refuses_a_sign_off_on_what_the_reviewer_saw_before(
    agent, case, reviewer, submitted, reasons
):
    seen = submitted.evidence_hash  # the reviewer opened the flag page
    case_add_customer_message(actor=agent, case=case, body="Also, a second transfer went missing.")

    with pytest.raises(FlagError, match="evidence changed") as caught:
        flag_sign_off(actor=reviewer, flag=submitted, seen_hash=seen, reason=reasons["no_error_found"])

    assert caught.value.status_code == 409
    assert not FlagDecision.objects.exists()
    # The new evidence is frozen for review: a reviewer who looks again can decide on it.
    submitted.refresh_from_db()
    assert submitted.status == FlagStatus.IN_REVIEW and submitted.evidence_hash != seen
    flag = flag_sign_off(
        actor=reviewer, flag=submitted, seen_hash=submitted.evidence_hash, reason=reasons["no_error_found"]
    )
    assert flag.status == FlagStatus.SIGNED_OFF


def test_a_reply_after_sign_off_voids_it_and_sends_the_flag_back_to_review(agent, case, reviewer, submitted, reasons):
    flag_sign_off(actor=reviewer, flag=submitted, seen_hash=submitted.evidence_hash, reason=reasons["no_error_found"])

    case_add_message(actor=agent, case=case, body="We have reimbursed the transfer.", internal=False)

    submitted.refresh_from_db()
    assert submitted.status == FlagStatus.IN_REVIEW and submitted.signed_off_at is None
    assert FlagDecision.objects.get().void_reason == "New evidence on the case after the decision."
    event = CaseEvent.objects.get(case=case, kind=EventKind.FLAG, data__event="evidence_changed")
    assert event.data["voided"] == 1
    assert AuditEvent.objects.filter(action="flag.evidence_changed", object_id=str(submitted.pk)).exists()
    with pytest.raises(CaseBlocked, match="flag is not signed off"):
        case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=None)


def test_an_internal_note_is_not_evidence_and_leaves_the_sign_off_standing(agent, case, reviewer, submitted, reasons):
    flag_sign_off(actor=reviewer, flag=submitted, seen_hash=submitted.evidence_hash, reason=reasons["no_error_found"])

    case_add_message(actor=agent, case=case, body="Filed the letter.", internal=True)

    submitted.refresh_from_db()
    assert submitted.status == FlagStatus.SIGNED_OFF


def test_a_sign_off_must_name_the_evidence_it_was_made_on(reviewer, submitted, reasons):
    with pytest.raises(FlagError, match="Name the evidence") as caught:
        flag_sign_off(actor=reviewer, flag=submitted, seen_hash="", reason=reasons["no_error_found"])

    assert caught.value.status_code == 400
    assert not FlagDecision.objects.exists()
    assert AuditEvent.objects.filter(action="flag.sign_off_refused", actor=reviewer).exists()


def test_a_case_with_an_unsigned_flag_cannot_be_resolved_until_signed_off(agent, case, reviewer, submitted, reasons):
    with pytest.raises(CaseBlocked, match="flag is not signed off"):
        case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=None)

    flag_sign_off(actor=reviewer, flag=submitted, seen_hash=submitted.evidence_hash, reason=reasons["no_error_found"])
    with pytest.raises(CaseBlocked, match="Reg E: investigate"):
        case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=None)
    for obligation in Obligation.objects.filter(case=case):
        obligation_satisfy(actor=reviewer, obligation=obligation, note="Results letter sent")
    case = case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=None)

    assert case.status == Status.RESOLVED


def test_evidence_that_moved_around_the_services_still_blocks_closing(agent, case, reviewer, submitted, reasons):
    flag_sign_off(actor=reviewer, flag=submitted, seen_hash=submitted.evidence_hash, reason=reasons["no_error_found"])
    # A message written straight to the table (a bulk import, a repair script) skips the
    # evidence hook; the close check recomputes the digest and still notices.
    CaseEvent.objects.create(case=case, kind=EventKind.REPLY, actor=agent, body="We have refunded you.",
                             created_at=NOW.replace(hour=16))  # fmt: skip

    with pytest.raises(CaseBlocked, match="evidence changed after sign-off"):
        case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=None)


NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def due_day(obligation) -> date:
    """The last local day of an obligation: it is due at the end of that day (the next midnight)."""
    return (obligation.due_at - timedelta(seconds=1)).astimezone(NEW_YORK).date()


def test_a_reg_e_flag_starts_its_investigation_clock_in_the_customers_jurisdiction(agent, case):
    # Notice on Wed 2026-11-18; ten business days, Thanksgiving (Thu 26th) skipped: Thu 3 December.
    facts = {**REG_E, "notice_date": "2026-11-18", "transfer_date": "2026-11-16"}
    flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=facts)

    [obligation] = Obligation.objects.filter(flag=flag)
    assert obligation.rule_code == "us_reg_e_investigate"
    assert obligation.citation.startswith("12 CFR 1005.11(c)(1)")
    assert due_day(obligation) == date(2026, 12, 3)
    started = CaseEvent.objects.get(case=case, kind=EventKind.FLAG, data__event="obligations_started")
    assert started.data["obligations"][0]["rule"] == obligation.rule_name


def test_a_new_account_gets_twenty_business_days(agent, case):
    facts = {**REG_E, "notice_date": "2026-11-18", "transfer_date": "2026-11-16", "new_account": True}
    flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=facts)

    # Twenty business days from Wed 18 Nov, Thanksgiving (Thu 26th) skipped: Thu 17 December.
    assert due_day(Obligation.objects.get(flag=flag)) == date(2026, 12, 17)


def test_only_compliance_corrects_a_trigger_date_and_the_correction_is_audited(agent, case, reviewer):
    flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=REG_E)
    due = Obligation.objects.get(flag=flag).due_at

    with pytest.raises(FlagError, match="only a compliance reviewer") as caught:
        flag_update_facts(actor=agent, flag=flag, facts={**REG_E, "notice_date": "2026-11-19"}, reason="Typo")
    assert caught.value.status_code == 403
    with pytest.raises(FlagError, match="Only a compliance reviewer"):
        flag_correct_trigger(actor=agent, flag=flag, trigger_date=date(2026, 11, 19), reason="Typo")

    [changed] = flag_correct_trigger(
        actor=reviewer, flag=flag, trigger_date=date(2026, 11, 19), reason="Call log shows the 19th"
    )

    # Thu 19 Nov plus ten business days (Thanksgiving skipped) is Fri 4 December, a day earlier.
    assert due_day(changed) == date(2026, 12, 4)
    assert changed.due_at < due
    correction = AuditEvent.objects.get(action="obligation.correct_trigger", actor=reviewer)
    assert correction.after["reason"] == "Call log shows the 19th"


def test_a_trigger_correction_voids_the_sign_off_and_shows_on_the_timeline(
    agent, case, reviewer, second_reviewer, submitted, reasons
):
    flag_sign_off(actor=reviewer, flag=submitted, seen_hash=submitted.evidence_hash, reason=reasons["no_error_found"])

    flag_correct_trigger(actor=second_reviewer, flag=submitted, trigger_date=date(2026, 11, 19), reason="Call log")

    submitted.refresh_from_db()
    assert submitted.status == FlagStatus.IN_REVIEW
    assert submitted.facts["notice_date"] == "2026-11-19"
    assert FlagDecision.objects.get().voided_at == NOW
    event = CaseEvent.objects.get(case=case, kind=EventKind.FLAG, data__event="trigger_corrected")
    assert (event.body, event.data["trigger_date"], event.data["voided"]) == ("Call log", "2026-11-19", 1)


@pytest.mark.parametrize(
    ("day", "message"),
    [(date(2026, 11, 17), "cannot predate the transfer"), (date(2026, 11, 25), "cannot be in the future"),
     (date(2026, 11, 20), "already the trigger date")],
)  # fmt: skip
def test_a_trigger_correction_to_an_impossible_date_is_refused_and_changes_nothing(agent, case, reviewer, day, message):
    flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=REG_E)
    due = Obligation.objects.get(flag=flag).due_at

    with pytest.raises(FlagError) as caught:
        flag_correct_trigger(actor=reviewer, flag=flag, trigger_date=day, reason="Typo")

    assert message in " ".join([caught.value.message, *sum(caught.value.problems.values(), [])])
    flag.refresh_from_db()
    assert flag.facts["notice_date"] == "2026-11-20"
    assert Obligation.objects.get(flag=flag).due_at == due
    assert not AuditEvent.objects.filter(action="obligation.correct_trigger").exists()


def test_obligations_do_not_move_when_the_case_changes_hands(agent, second_agent, lead, case):
    from cases.services import case_assign

    flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=REG_E)
    due = Obligation.objects.get(flag=flag).due_at

    case_assign(actor=lead, case=case, assignee=second_agent, expected_version=None)

    assert Obligation.objects.get(flag=flag).due_at == due


def test_an_au_complaint_starts_the_rg_271_clocks(agent, case):
    case.customer.jurisdiction = "AU-NSW"
    case.customer.save(update_fields=["jurisdiction"])

    flag = flag_raise(
        actor=agent,
        case=case,
        kind=FlagKind.REGULATOR_COMPLAINT,
        facts={"regulator": "other", "received_date": "2026-11-20"},
    )

    assert set(Obligation.objects.filter(flag=flag).values_list("rule_code", flat=True)) == {
        "au_rg271_acknowledge",
        "au_idr_response",
    }


def test_the_flag_keeps_its_nearest_open_deadline_for_the_review_queue(agent, case, reviewer):
    flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=REG_E)
    obligation = Obligation.objects.get(flag=flag)
    flag.refresh_from_db()
    assert flag.next_due_at == obligation.due_at

    obligation_satisfy(actor=reviewer, obligation=obligation)

    flag.refresh_from_db()
    assert flag.next_due_at is None


SCAM = {"scam_type": "authorized_push_payment", "amount": "4000.00", "asset": "USDT"}


@pytest.fixture
def scam_flag(agent, case):
    return flag_submit(actor=agent, flag=flag_raise(actor=agent, case=case, kind=FlagKind.SCAM_FRAUD, facts=SCAM))


def test_a_goodwill_payment_up_to_the_threshold_needs_one_reviewer(reviewer, scam_flag, reasons):
    from decimal import Decimal

    flag = flag_sign_off(actor=reviewer, flag=scam_flag, seen_hash=scam_flag.evidence_hash,
                         reason=reasons["goodwill_payment"], amount=Decimal("1000.00"))  # fmt: skip

    assert flag.status == FlagStatus.SIGNED_OFF
    assert FlagDecision.objects.get().amount == Decimal("1000.00")


def test_a_goodwill_payment_above_the_threshold_needs_a_second_reviewer_who_agrees(
    reviewer, second_reviewer, scam_flag, reasons
):
    from decimal import Decimal

    big = {"reason": reasons["goodwill_payment"], "amount": Decimal("2500.00"), "seen_hash": scam_flag.evidence_hash}
    flag = flag_sign_off(actor=reviewer, flag=scam_flag, **big)
    assert (flag.status, flag.required_approvals) == (FlagStatus.IN_REVIEW, 2)

    flag = flag_sign_off(actor=second_reviewer, flag=flag, **big)

    assert flag.status == FlagStatus.SIGNED_OFF
    assert FlagDecision.objects.filter(voided_at__isnull=True).count() == 2


def test_a_second_reviewer_who_disagrees_voids_the_first_decision(reviewer, second_reviewer, scam_flag, reasons):
    from decimal import Decimal

    flag = flag_sign_off(actor=reviewer, flag=scam_flag, seen_hash=scam_flag.evidence_hash,
                         reason=reasons["goodwill_payment"], amount=Decimal("2500.00"))  # fmt: skip

    flag = flag_sign_off(actor=second_reviewer, flag=flag, seen_hash=flag.evidence_hash,
                         reason=reasons["confirmed_fraud_not_covered"])  # fmt: skip

    # Two people have not agreed on anything yet, but the one standing decision needs only one.
    first = FlagDecision.objects.get(reviewer=reviewer)
    assert first.voided_at == NOW and "decided otherwise" in first.void_reason
    assert flag.status == FlagStatus.SIGNED_OFF
    assert flag.decisions.get(voided_at__isnull=True).reviewer == second_reviewer
    event = CaseEvent.objects.filter(kind=EventKind.FLAG, data__event="signed_off").get()
    assert event.data["disagreed"] == 1


@pytest.mark.parametrize(
    ("reason", "amount", "message"),
    [("goodwill_payment", None, "records the amount paid"), ("confirmed_fraud_not_covered", "50.00", "pays nothing")],
)
def test_a_payment_decision_without_its_amount_or_an_amount_without_a_payment_is_refused(
    reviewer, scam_flag, reasons, reason, amount, message
):
    from decimal import Decimal

    with pytest.raises(FlagError, match=message) as caught:
        flag_sign_off(actor=reviewer, flag=scam_flag, seen_hash=scam_flag.evidence_hash, reason=reasons[reason],
                      amount=Decimal(amount) if amount else None)  # fmt: skip

    assert caught.value.status_code == 400 and "amount" in caught.value.problems
    assert not FlagDecision.objects.exists()
    assert AuditEvent.objects.filter(action="flag.sign_off_refused", actor=reviewer).exists()
