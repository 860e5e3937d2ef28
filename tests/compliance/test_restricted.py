"""The restricted inbox: referring a case to the FIU, its reporting clock, and no tipping off."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest

from audit.models import AuditEvent
from cases.choices import Status
from cases.errors import CaseBlocked
from cases.models import CaseEvent
from cases.services import case_change_status
from compliance.choices import FlagKind
from compliance.errors import FlagError
from compliance.models import Referral, ReferralStatus
from compliance.restricted import CUSTOMER_SCRIPT, referral_add_note, referral_create, referral_decide
from compliance.services import flag_raise, flag_sign_off, flag_submit
from people.choices import Role
from people.models import Notification
from tests.factories import CustomerFactory, UserFactory

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday
SECRET = "Structuring: nine cash-ins of 9,900 USD in two days"

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture
def fiu(db):
    return UserFactory(username="fiona", first_name="Fiona", last_name="Intel", role=Role.FIU)


@pytest.fixture
def referred(agent, case, fiu):
    return referral_create(actor=agent, case=case, reason=SECRET)


def test_an_agent_refers_a_case_and_the_sar_clock_starts_thirty_days_out(agent, case, fiu, referred):
    assert referred.status == ReferralStatus.OPEN
    assert referred.report_rule_code == "us_fincen_sar_msb"
    last_moment = (referred.report_due_at - timedelta(seconds=1)).astimezone(zoneinfo.ZoneInfo("America/Los_Angeles"))
    assert last_moment.date() == date(2026, 12, 24)  # 30 calendar days after Tue 24 Nov
    audit = AuditEvent.objects.get(action="restricted.refer")
    assert audit.actor == agent and audit.object_type == "referral"
    # Only the FIU hears of it; nothing lands on the case timeline everyone reads.
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["fiona"]
    assert not CaseEvent.objects.filter(case=case, body__icontains="structuring").exists()
    assert not CaseEvent.objects.filter(case=case, data__event__icontains="refer").exists()


def test_an_au_referral_runs_the_smr_clock_in_business_days_or_24_hours_for_terrorism(agent, team, fiu):
    from tests.factories import CaseFactory

    # Tue 24 Nov 15:00 UTC is Wed 25 Nov 02:00 in Sydney; three NSW business days on: Mon 30 Nov.
    au = CaseFactory(team=team, customer=CustomerFactory(jurisdiction="AU-NSW"))
    smr = referral_create(actor=agent, case=au, reason="Mule account pattern")
    assert smr.report_rule_code == "au_austrac_smr"
    # Due by the end of that day in Sydney.
    last_moment = smr.report_due_at - timedelta(seconds=1)
    assert last_moment.astimezone(zoneinfo.ZoneInfo("Australia/Sydney")).date() == date(2026, 11, 30)

    other = CaseFactory(team=team, customer=CustomerFactory(jurisdiction="AU-VIC"))
    tf = referral_create(actor=agent, case=other, reason="Funds to a listed entity", terrorism_financing=True)
    assert tf.report_due_at == NOW + timedelta(hours=24)


def test_a_referral_needs_a_reason_and_only_one_can_be_open(agent, case, outsider, fiu):
    with pytest.raises(FlagError, match="Say why") as caught:
        referral_create(actor=agent, case=case, reason="  ")
    assert caught.value.status_code == 400
    with pytest.raises(FlagError) as caught:
        referral_create(actor=outsider, case=case, reason="x")
    assert caught.value.status_code == 403
    referral_create(actor=agent, case=case, reason=SECRET)
    with pytest.raises(FlagError, match="already with the specialist team") as caught:
        referral_create(actor=agent, case=case, reason="again")
    assert caught.value.status_code == 409
    assert Referral.objects.count() == 1


def test_everyone_outside_the_fiu_sees_only_the_neutral_state(client_for, agent, lead, compliance_user, case, referred):
    for person in (agent, lead, compliance_user):
        html = client_for(person).get(f"/cases/{case.reference}/").content.decode()
        assert "With a specialist team" in html and CUSTOMER_SCRIPT in html
        for secret in ("Structuring", "FIU", "SAR", "suspicious", "/fiu/"):
            assert secret not in html, (person.role, secret)
    for person in (agent, lead, compliance_user):
        client = client_for(person)
        assert client.get("/fiu/").status_code == 404
        assert client.get(f"/fiu/referrals/{referred.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(action="restricted.read").exists()


def test_the_fiu_reads_the_referral_and_each_read_is_audited(client_for, fiu, auditor, case, referred):
    inbox = client_for(fiu).get("/fiu/").content.decode()
    assert case.reference in inbox and "FinCEN" in inbox or "SAR" in inbox

    page = client_for(fiu).get(f"/fiu/referrals/{referred.pk}/").content.decode()
    assert SECRET in page and 'id="decision-form"' in page
    auditor_page = client_for(auditor).get(f"/fiu/referrals/{referred.pk}/")
    assert auditor_page.status_code == 200 and 'id="decision-form"' not in auditor_page.content.decode()
    assert client_for(auditor).post(f"/fiu/referrals/{referred.pk}/", {"body": "x"}).status_code == 403

    reads = AuditEvent.objects.filter(action="restricted.read", object_id=str(referred.pk))
    assert sorted(reads.values_list("actor_label", flat=True)) == sorted([fiu.username, auditor.username])


def test_an_open_referral_keeps_the_case_open_until_the_fiu_decides(agent, case, fiu, referred):
    with pytest.raises(CaseBlocked, match="with a specialist team"):
        case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=None)

    referral_add_note(actor=fiu, referral=referred, body="Pulled 90 days of deposits.")
    referral_decide(actor=fiu, referral=referred, decision=ReferralStatus.REPORTED, rationale="Pattern confirmed",
                    filed_on=date(2026, 11, 24), filing_reference="BSA-31000123456789")  # fmt: skip

    case = case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=None)
    assert case.status == Status.RESOLVED
    assert AuditEvent.objects.filter(action="restricted.decide", actor=fiu).exists()


@pytest.mark.parametrize(
    ("decision", "filed_on", "reference", "field"),
    [
        (ReferralStatus.REPORTED, None, "BSA-1", "filed_on"),
        (ReferralStatus.REPORTED, date(2026, 11, 25), "BSA-1", "filed_on"),
        (ReferralStatus.REPORTED, date(2026, 11, 23), "BSA-1", "filed_on"),
        (ReferralStatus.REPORTED, date(2026, 11, 24), "", "filing_reference"),
        (ReferralStatus.NO_REPORT, date(2026, 11, 24), "", "filed_on"),
        ("maybe", None, "", "decision"),
    ],
)
def test_an_incomplete_or_impossible_decision_is_refused_and_changes_nothing(
    fiu, referred, decision, filed_on, reference, field
):
    with pytest.raises(FlagError) as caught:
        referral_decide(actor=fiu, referral=referred, decision=decision, rationale="why", filed_on=filed_on,
                        filing_reference=reference)  # fmt: skip

    assert field in caught.value.problems
    referred.refresh_from_db()
    assert referred.status == ReferralStatus.OPEN and referred.decided_at is None


def test_only_the_fiu_decides(agent, auditor, referred):
    for person in (agent, auditor):
        with pytest.raises(FlagError) as caught:
            referral_decide(actor=person, referral=referred, decision=ReferralStatus.NO_REPORT, rationale="x")
        assert caught.value.status_code == 403


def test_a_reviewer_who_signs_off_with_refer_to_fiu_refers_the_case_without_saying_so(
    client_for, agent, case, reviewer, reasons, fiu
):
    flag = flag_raise(actor=agent, case=case, kind=FlagKind.SCAM_FRAUD,
                      facts={"scam_type": "credential_compromise", "amount": "900", "asset": "BTC"})  # fmt: skip
    flag = flag_submit(actor=agent, flag=flag)

    flag_sign_off(actor=reviewer, flag=flag, seen_hash=flag.evidence_hash, reason=reasons["refer_to_fiu"], note=SECRET)

    referral = Referral.objects.get(case=case)
    assert referral.reason == SECRET and referral.referred_by == reviewer
    case_page = client_for(agent).get(f"/cases/{case.reference}/").content.decode()
    flag_page = client_for(agent).get(f"/compliance/flags/{flag.pk}/").content.decode()
    for html in (case_page, flag_page):
        assert "With a specialist team" in html
        assert "Structuring" not in html and "Refer to FIU" not in html
    assert "Refer to FIU" in client_for(fiu).get(f"/compliance/flags/{flag.pk}/").content.decode()


def test_the_refer_form_on_the_case_page_sends_the_case_to_the_inbox(client_for, agent, case, fiu):
    client = client_for(agent)
    assert 'id="refer-form"' in client.get(f"/cases/{case.reference}/").content.decode()

    empty = client.post(f"/fiu/refer/{case.reference}/", {"reason": ""}, follow=True)
    assert "Say why the case is referred." in empty.content.decode() and not Referral.objects.exists()
    done = client.post(f"/fiu/refer/{case.reference}/", {"reason": SECRET}, follow=True)

    assert Referral.objects.filter(case=case, status=ReferralStatus.OPEN).exists()
    assert "With a specialist team" in done.content.decode() and SECRET not in done.content.decode()


def test_the_api_shows_a_refer_to_fiu_sign_off_as_the_neutral_state_outside_the_fiu(
    client_for, agent, case, reviewer, reasons, fiu
):
    flag = flag_raise(actor=agent, case=case, kind=FlagKind.SCAM_FRAUD,
                      facts={"scam_type": "credential_compromise", "amount": "900", "asset": "BTC"})  # fmt: skip
    flag = flag_submit(actor=agent, flag=flag)
    flag_sign_off(actor=reviewer, flag=flag, seen_hash=flag.evidence_hash, reason=reasons["refer_to_fiu"], note=SECRET)

    seen_by_agent = client_for(agent).get(f"/api/v1/flags/{flag.pk}/").content.decode()
    seen_by_fiu = client_for(fiu).get(f"/api/v1/flags/{flag.pk}/").content.decode()

    assert "With a specialist team" in seen_by_agent
    assert (
        "refer_to_fiu" not in seen_by_agent
        and "Refer to FIU" not in seen_by_agent
        and "Structuring" not in seen_by_agent
    )
    assert "refer_to_fiu" in seen_by_fiu
