"""Compliance pages: raising a flag from the case, the review queue, and signing off."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from compliance.choices import FlagKind, FlagStatus
from compliance.models import FlagDecision, RegulatoryFlag
from compliance.services import flag_evidence_hash, flag_raise, flag_submit
from people.choices import Role
from tests.factories import UserFactory

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
REG_E = {"notice_date": "2026-11-18", "notice_form": "oral", "transfer_date": "2026-11-16",
         "amount": "250.00", "leg": "fiat"}  # fmt: skip

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture
def submitted(agent, case):
    return flag_submit(actor=agent, flag=flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER,
                                                    facts=REG_E))  # fmt: skip


def test_an_agent_raises_a_reg_e_flag_and_the_case_page_shows_its_clock(client_for, agent, case):
    client = client_for(agent)
    form = client.get(f"/compliance/flags/new/{case.reference}/", {"kind": "unauthorized_transfer"})
    assert form.status_code == 200
    assert "Notice of error received on" in form.content.decode()

    response = client.post(f"/compliance/flags/new/{case.reference}/", {"kind": "unauthorized_transfer", **REG_E})

    assert response.status_code == 302
    page = client.get(f"/cases/{case.reference}/").content.decode()
    panel = page.split('id="flag-panel"')[1].split("</section>")[0]
    assert "Unauthorized transfer (Reg E notice of error)" in panel
    assert "Reg E: investigate" in panel and "12 CFR 1005.11(c)(1)" in panel
    # Ten business days from Wed 18 Nov, Thanksgiving skipped, in the customer's jurisdiction.
    assert "Thu 3 Dec 2026</time> (US-CA)" in panel
    assert "Submit for review" in panel


def test_a_flag_with_a_future_notice_date_re_renders_with_the_error_and_writes_nothing(client_for, agent, case):
    response = client_for(agent).post(
        f"/compliance/flags/new/{case.reference}/",
        {"kind": "unauthorized_transfer", **REG_E, "notice_date": "2026-12-24"},
    )

    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not RegulatoryFlag.objects.exists()


def test_raising_a_flag_is_404_for_an_outsider_and_403_for_a_reader(client_for, outsider, auditor, case):
    assert client_for(outsider).get(f"/compliance/flags/new/{case.reference}/").status_code == 404
    assert client_for(auditor).get(f"/compliance/flags/new/{case.reference}/").status_code == 403


def test_the_review_queue_is_for_reviewers(client_for, reviewer, agent, submitted):
    page = client_for(reviewer).get("/compliance/")
    assert page.status_code == 200
    assert submitted.case.reference in page.content.decode()

    assert client_for(agent).get("/compliance/").status_code == 403


def test_a_reviewer_signs_off_from_the_flag_page(client_for, reviewer, submitted, reasons):
    client = client_for(reviewer)
    assert 'id="sign-off-form"' in client.get(f"/compliance/flags/{submitted.pk}/").content.decode()

    response = client.post(
        f"/compliance/flags/{submitted.pk}/",
        {"reason": reasons["no_error_found"].pk, "note": "Card present", "seen_hash": flag_evidence_hash(submitted)},
    )

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == FlagStatus.SIGNED_OFF


def test_the_flagger_cannot_sign_off_and_is_told_why(client_for, agent, case, reasons):
    flagger = UserFactory(role=Role.COMPLIANCE)
    agent_flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=REG_E)
    RegulatoryFlag.objects.filter(pk=agent_flag.pk).update(raised_by=flagger)
    flag = flag_submit(actor=agent, flag=agent_flag)

    response = client_for(flagger).post(
        f"/compliance/flags/{flag.pk}/", {"reason": reasons["no_error_found"].pk, "seen_hash": flag.evidence_hash}
    )

    assert response.status_code == 403
    assert "You raised this flag" in response.content.decode()
    assert not FlagDecision.objects.exists()
    # Opening the flag, they are told why instead of being shown a form that can only refuse.
    page = client_for(flagger).get(f"/compliance/flags/{flag.pk}/").content.decode()
    assert 'id="sign-off-blocked"' in page and "You raised this flag" in page and 'id="sign-off-form"' not in page
    page = client_for(agent).get(f"/compliance/flags/{flag.pk}/").content.decode()
    assert "Only compliance reviewers sign off" in page and 'id="sign-off-form"' not in page


def test_an_agent_cannot_post_a_sign_off(client_for, agent, submitted, reasons):
    response = client_for(agent).post(
        f"/compliance/flags/{submitted.pk}/", {"reason": reasons["no_error_found"].pk, "seen_hash": "x"}
    )

    assert response.status_code == 403


def test_the_review_queue_puts_the_nearest_deadline_first_in_a_fixed_number_of_queries(
    client_for, reviewer, agent, team, django_assert_max_num_queries
):
    from tests.factories import CaseFactory

    def flagged(notice_date: str):
        case = CaseFactory(team=team)
        facts = {**REG_E, "notice_date": notice_date, "transfer_date": "2026-11-02"}
        return flag_submit(actor=agent, flag=flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER,
                                                        facts=facts))  # fmt: skip

    later, sooner = flagged("2026-11-20"), flagged("2026-11-05")
    client = client_for(reviewer)
    with django_assert_max_num_queries(8) as few:
        html = client.get("/compliance/").content.decode()
    assert html.index(sooner.case.reference) < html.index(later.case.reference)
    for day in range(3, 13):
        flagged(f"2026-11-{day:02d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/compliance/")


def test_the_reviewer_lands_on_the_review_page_with_missed_and_upcoming_deadlines(client_for, reviewer, submitted):
    from datetime import timedelta

    from compliance.models import Obligation

    obligation = Obligation.objects.get(flag=submitted)
    client = client_for(reviewer)
    assert client.get("/")["Location"] == "/compliance/"

    with time_machine.travel(obligation.due_at - timedelta(hours=10), tick=False):
        soon = client.get("/compliance/").content.decode().split('id="deadlines"')[1].split("</section>")[0]
    with time_machine.travel(obligation.due_at + timedelta(hours=1), tick=False):
        missed = client.get("/compliance/").content.decode().split('id="deadlines"')[1].split("</section>")[0]

    assert "Due within two days" in soon and submitted.case.reference in soon
    assert "Missed" in missed and "was due by the end of Thu 3 Dec 2026 (US-CA)" in missed


def test_the_case_worker_records_an_obligation_met_and_then_the_case_can_resolve(
    client_for, agent, reviewer, submitted, reasons, outsider
):
    from compliance.models import Obligation
    from compliance.services import flag_sign_off

    flag_sign_off(actor=reviewer, flag=submitted, seen_hash=submitted.evidence_hash, reason=reasons["no_error_found"])
    obligation = Obligation.objects.get(flag=submitted)
    client = client_for(agent)
    assert 'class="stack obligation-met"' in client.get(f"/cases/{submitted.case.reference}/").content.decode()

    assert client_for(outsider).post(f"/compliance/obligations/{obligation.pk}/met/", {"note": "x"}).status_code == 404
    refused = client.post(f"/compliance/obligations/{obligation.pk}/met/", {"note": " "}, follow=True)
    assert "Say what was done" in refused.content.decode()
    client.post(f"/compliance/obligations/{obligation.pk}/met/", {"note": "Results letter sent 24 Nov"})

    obligation.refresh_from_db()
    assert obligation.satisfied_at is not None
    case = submitted.case
    case.refresh_from_db()
    response = client.post(f"/cases/{case.reference}/status/", {"to_status": "resolved", "version": case.version})
    case.refresh_from_db()
    assert response.status_code == 302
    assert case.status == "resolved"


def test_the_review_queue_filters_by_kind_country_deadline_and_stage(
    client_for, reviewer, agent, team, reasons, django_assert_max_num_queries
):
    from compliance.services import flag_sign_off
    from tests.factories import CaseFactory, CustomerFactory

    reg_e = flag_submit(actor=agent, flag=flag_raise(actor=agent, case=CaseFactory(team=team),
                                                     kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=REG_E))  # fmt: skip
    au_case = CaseFactory(team=team, customer=CustomerFactory(jurisdiction="AU-VIC"))
    sanctions = flag_submit(actor=agent, flag=flag_raise(
        actor=agent, case=au_case, kind=FlagKind.SANCTIONS_MATCH,
        facts={"list_name": "OFAC SDN", "match_score": "91"}))  # fmt: skip
    flag_sign_off(actor=reviewer, flag=sanctions, seen_hash=sanctions.evidence_hash,
                  reason=reasons["sanctions_false_positive"])  # fmt: skip
    client = client_for(reviewer)

    def shown(query: str) -> set[str]:
        table = client.get(f"/compliance/?{query}").content.decode().split('id="review-queue"')[1]
        return {ref for ref in (reg_e.case.reference, au_case.reference) if ref in table}

    assert shown("") == {reg_e.case.reference, au_case.reference}
    assert shown("kind=sanctions_match") == {au_case.reference}
    assert shown("country=US") == {reg_e.case.reference}
    assert shown("deadline=none") == {au_case.reference}
    assert shown("deadline=7d") == set()
    assert shown("stage=second") == {au_case.reference}
    assert shown("stage=undecided") == {reg_e.case.reference}
    # The reviewer already signed the sanctions flag once: it waits for someone else.
    assert shown("mine=true") == {reg_e.case.reference}
    assert "1 of 2" in client.get("/compliance/?kind=sanctions_match").content.decode()
    with django_assert_max_num_queries(9):
        client.get("/compliance/?kind=sanctions_match&country=AU&stage=second&mine=true&submitted_after=2026-11-01")


def test_unknown_review_filters_answer_400_with_the_reason(client_for, reviewer, submitted):
    response = client_for(reviewer).get("/compliance/?kind=bogus&submitted_after=yesterday")

    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html and "Enter a valid date" in html
    assert submitted.case.reference not in html.split('id="review-queue"')[1]


def test_the_review_page_shows_the_evidence_the_reviewer_signs_off_on(client_for, reviewer, agent, submitted):
    from cases.services import case_add_customer_message, case_add_message

    case_add_customer_message(actor=None, case=submitted.case, body="I never made the 250 transfer.")
    case_add_message(actor=agent, case=submitted.case, body="Internal: checked the card logs.", internal=True)
    html = client_for(reviewer).get(f"/compliance/flags/{submitted.pk}/").content.decode()
    evidence = html.split('id="flag-evidence"')[1].split("</ol>")[0]

    assert "I never made the 250 transfer." in evidence
    assert "checked the card logs" not in evidence  # internal notes are not evidence
    assert 'id="trigger-form"' in html and 'name="trigger_date" value="2026-11-18"' in html


def test_an_agent_corrects_the_facts_and_the_sign_off_is_voided(client_for, agent, reviewer, submitted, reasons):
    from compliance.services import flag_sign_off

    flag_sign_off(actor=reviewer, flag=submitted, seen_hash=submitted.evidence_hash, reason=reasons["no_error_found"])
    client = client_for(agent)
    form = client.get(f"/compliance/flags/{submitted.pk}/facts/").content.decode()
    assert 'name="amount" value="250.00"' in form
    assert "only compliance can correct it" in form  # the notice date is the clock's trigger

    refused = client.post(f"/compliance/flags/{submitted.pk}/facts/", {**REG_E, "amount": "300.00", "reason": ""})
    assert refused.status_code == 400 and "Say why the facts change." in refused.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == FlagStatus.SIGNED_OFF

    # A changed notice date in the post is ignored: the field is not the agent's to change.
    correction = {**REG_E, "notice_date": "2026-11-17", "amount": "300.00", "reason": "Customer sent the statement"}
    client.post(f"/compliance/flags/{submitted.pk}/facts/", correction)
    submitted.refresh_from_db()
    assert (submitted.status, submitted.facts["amount"], submitted.facts["notice_date"]) == (
        FlagStatus.IN_REVIEW, "300.00", "2026-11-18")  # fmt: skip
    assert FlagDecision.objects.get().voided_at is not None
    review = client_for(reviewer).get(f"/compliance/flags/{submitted.pk}/").content.decode()
    assert "1 voided sign-off" in review and "Facts changed after the decision." in review


def test_only_compliance_corrects_the_trigger_date_from_the_review_page(client_for, agent, reviewer, submitted):
    url = f"/compliance/flags/{submitted.pk}/trigger/"
    assert client_for(agent).post(url, {"trigger_date": "2026-11-17", "reason": "x"}).status_code == 403

    client = client_for(reviewer)
    bad = client.post(url, {"trigger_date": "2026-11-10", "reason": "Call log"})
    assert bad.status_code == 400 and "cannot predate the transfer" in bad.content.decode()
    assert client.post(url, {"trigger_date": "2026-11-17", "reason": ""}).status_code == 400

    done = client.post(url, {"trigger_date": "2026-11-17", "reason": "Call log shows the 17th"}, follow=True)
    html = done.content.decode()
    assert "Trigger date corrected" in html
    # Tue 17 Nov plus ten business days, Thanksgiving skipped: Wed 2 December.
    assert "due by the end of Wed 2 Dec 2026" in html.split('id="flag-clocks"')[1]


def test_a_sign_off_on_evidence_that_moved_meanwhile_is_refused_with_a_fresh_form(
    client_for, agent, reviewer, submitted, reasons
):
    from cases.services import case_add_customer_message

    client = client_for(reviewer)
    seen = flag_evidence_hash(submitted)
    case_add_customer_message(actor=agent, case=submitted.case, body="One more thing: it happened twice.")

    response = client.post(f"/compliance/flags/{submitted.pk}/",
                           {"reason": reasons["no_error_found"].pk, "seen_hash": seen})  # fmt: skip

    assert response.status_code == 409
    html = response.content.decode()
    assert "The evidence changed" in html and "it happened twice" in html
    submitted.refresh_from_db()
    assert f'value="{submitted.evidence_hash}"' in html
    assert not FlagDecision.objects.exists()


def test_admins_maintain_the_decision_taxonomy_but_never_delete_a_reason(client, reasons):
    admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    goodwill = reasons["goodwill_payment"]

    assert client.get("/admin/compliance/decisionreason/").status_code == 200
    response = client.post(f"/admin/compliance/decisionreason/{goodwill.pk}/change/", {
        "code": "goodwill_payment", "label": "Goodwill payment", "kinds": ["scam_fraud"],
        "two_reviewers_above": "500.00", "position": "5", "is_active": "on"})  # fmt: skip
    assert response.status_code == 302
    goodwill.refresh_from_db()
    assert (str(goodwill.two_reviewers_above), goodwill.kinds) == ("500.00", ["scam_fraud"])
    assert client.post(f"/admin/compliance/decisionreason/{goodwill.pk}/delete/", {"post": "yes"}).status_code == 403
