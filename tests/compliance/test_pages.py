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
