"""Identifier, pain point, link and send services on real PostgreSQL (tasks run inline here;
tests/painpoints/test_worker.py runs them in a real Celery worker)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.choices import EventKind as CaseEventKind
from cases.choices import Status
from cases.models import CaseEvent
from cases.services import case_add_customer_message
from knowledge.choices import DocKind
from painpoints import services
from painpoints.choices import EventKind, IdentifierKind, JobKind, JobStatus, LinkSource, PainPointStatus
from painpoints.errors import PainPointError
from painpoints.models import BulkJob, CaseIdentifier, JobItem, PainPointEvent, PainPointLink
from painpoints.selectors import answer_preview
from tests.factories import CaseFactory
from tests.knowledge.conftest import write

from .conftest import ANSWER

pytestmark = pytest.mark.django_db


def fixed(wave, lead):
    pp = services.pain_point_change_status(actor=lead, pain_point=wave.pain_point, to_status=PainPointStatus.FIXED,
                                           expected_version=wave.pain_point.version)  # fmt: skip
    wave.pain_point = pp
    return pp


def link_all(wave, lead, cases):
    job = services.bulk_link_start(actor=lead, pain_point=wave.pain_point, case_ids=[c.pk for c in cases],
                                   source=LinkSource.CLUSTER)  # fmt: skip
    services.bulk_job_run(job_id=job.pk)
    return job


# --- identifiers -------------------------------------------------------------------------------


def test_an_agent_records_a_checksum_invalid_address_as_unverified_as_written(agent, case):
    identifier = services.identifier_add(
        actor=agent, case=case, kind=IdentifierKind.WALLET, raw=" 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb "
    )
    identifier.refresh_from_db()
    assert (identifier.value, identifier.display, identifier.verified) == (
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", False,
    )  # fmt: skip
    assert "checksum" in identifier.note
    assert AuditEvent.objects.filter(action="case.identifier_add", object_id=case.reference).count() == 1


def test_the_same_identifier_twice_is_refused(agent, case):
    services.identifier_add(actor=agent, case=case, kind=IdentifierKind.PHONE, raw="+1 415 555 0199")
    with pytest.raises(PainPointError) as exc:
        services.identifier_add(actor=agent, case=case, kind=IdentifierKind.PHONE, raw="+14155550199")
    assert exc.value.status_code == 409
    assert CaseIdentifier.objects.filter(case=case).count() == 1


def test_only_people_working_the_case_add_identifiers(outsider, auditor, case):
    for person in (outsider, auditor):
        with pytest.raises(PainPointError) as exc:
            services.identifier_add(actor=person, case=case, kind=IdentifierKind.PHONE, raw="+14155550199")
        assert exc.value.status_code == 403
    assert not CaseIdentifier.objects.exists()


def test_a_customer_message_is_read_for_identifiers(case):
    case_add_customer_message(
        actor=None, case=case, body="They told me to send it to TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    )
    assert list(CaseIdentifier.objects.filter(case=case).values_list("kind", "value", "verified", "source")) == [
        (IdentifierKind.WALLET, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", True, "message")
    ]


def test_find_in_messages_reads_the_first_message_and_adds_only_new_ones(agent, case):
    CaseEvent.objects.create(case=case, kind=CaseEventKind.CUSTOMER_MESSAGE, created_at=timezone.now(),
                             body="Paid 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed via +61 412 345 678")  # fmt: skip
    assert services.identifiers_extract(actor=agent, case=case) == 2
    assert services.identifiers_extract(actor=agent, case=case) == 0
    assert CaseIdentifier.objects.filter(case=case).count() == 2


# --- pain points -------------------------------------------------------------------------------


def test_only_leads_open_pain_points(agent, fraud_specialist, fraud_team):
    for person in (agent, fraud_specialist):
        with pytest.raises(PainPointError):
            services.pain_point_create(actor=person, title="Bank X delays", owner_team=fraud_team)


def test_a_pain_point_needs_a_title_and_an_owner_team(lead):
    with pytest.raises(PainPointError) as exc:
        services.pain_point_create(actor=lead, title=" ", owner_team=None)
    assert set(exc.value.problems) == {"title", "owner_team"}


def test_status_moves_along_the_table_and_each_step_is_on_the_timeline_and_ledger(wave, lead, fraud_specialist):
    pp = wave.pain_point
    pp = services.pain_point_change_status(actor=fraud_specialist, pain_point=pp, to_status="fix_in_progress",
                                           expected_version=pp.version)  # fmt: skip
    pp = services.pain_point_change_status(actor=fraud_specialist, pain_point=pp, to_status="fixed",
                                           expected_version=pp.version, note="Number taken down")  # fmt: skip
    assert pp.fixed_at is not None
    with pytest.raises(PainPointError) as exc:
        services.pain_point_change_status(actor=fraud_specialist, pain_point=pp, to_status="verified",
                                          expected_version=pp.version)  # fmt: skip
    assert exc.value.status_code == 403
    pp = services.pain_point_change_status(actor=lead, pain_point=pp, to_status="verified", expected_version=pp.version)
    with pytest.raises(PainPointError) as exc:
        services.pain_point_change_status(actor=lead, pain_point=pp, to_status="investigating",
                                          expected_version=pp.version)  # fmt: skip
    assert exc.value.status_code == 409
    steps = list(PainPointEvent.objects.filter(pain_point=pp, kind=EventKind.STATUS).values_list("data", flat=True))
    assert [s["to"] for s in steps] == ["fix_in_progress", "fixed", "verified"]
    assert AuditEvent.objects.filter(action="painpoint.status", object_id=str(pp.pk)).count() == 3


def test_a_stale_form_changes_nothing(wave, lead):
    pp = wave.pain_point
    services.pain_point_change_status(
        actor=lead, pain_point=pp, to_status="fix_in_progress", expected_version=pp.version
    )
    with pytest.raises(PainPointError) as exc:
        services.pain_point_change_status(actor=lead, pain_point=pp, to_status="fixed", expected_version=pp.version)
    assert exc.value.status_code == 409
    pp.refresh_from_db()
    assert pp.status == "fix_in_progress"


def test_linking_a_case_the_lead_cannot_see_is_refused_and_links_nothing(wave, lead):
    for reference in (wave.outsider_case.reference, "CS-2099-999999"):
        with pytest.raises(PainPointError) as exc:
            services.pain_point_link_case(actor=lead, pain_point=wave.pain_point, reference=reference)
        assert exc.value.status_code == 404
    assert not PainPointLink.objects.exists()
    assert not PainPointEvent.objects.filter(kind=EventKind.LINKED).exists()


def test_linking_by_hand_records_the_amount_on_the_link_timeline_and_ledger(wave, lead):
    services.pain_point_link_case(actor=lead, pain_point=wave.pain_point, reference=wave.victims[0].reference.lower(),
                                  amount_at_stake=1250)  # fmt: skip
    link = PainPointLink.objects.get()
    assert (link.case_id, link.amount_at_stake, link.source) == (wave.victims[0].pk, 1250, "hand")
    assert PainPointEvent.objects.filter(kind=EventKind.LINKED, body=wave.victims[0].reference).exists()
    assert AuditEvent.objects.filter(action="painpoint.link").count() == 1
    with pytest.raises(PainPointError) as exc:
        services.pain_point_link_case(actor=lead, pain_point=wave.pain_point, reference=wave.victims[0].reference)
    assert exc.value.status_code == 409


def test_a_bulk_link_with_one_unseen_case_is_refused_whole(wave, lead):
    with pytest.raises(PainPointError) as exc:
        ids = [wave.victims[0].pk, wave.outsider_case.pk]
        services.bulk_link_start(actor=lead, pain_point=wave.pain_point, case_ids=ids, source=LinkSource.CLUSTER)
    assert exc.value.status_code == 404
    assert not BulkJob.objects.exists() and not PainPointLink.objects.exists()


def test_a_bulk_link_links_each_case_once_however_often_it_runs(wave, lead, django_capture_on_commit_callbacks):
    services.pain_point_link_case(actor=lead, pain_point=wave.pain_point, reference=wave.victims[0].reference)
    with django_capture_on_commit_callbacks() as callbacks:
        job = services.bulk_link_start(actor=lead, pain_point=wave.pain_point, case_ids=[c.pk for c in wave.victims],
                                       source=LinkSource.CLUSTER)  # fmt: skip
    assert len(callbacks) == 1  # the task is queued after commit
    services.bulk_job_run(job_id=job.pk)
    services.bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.skipped) == (JobStatus.DONE, 6, 5, 1)
    assert PainPointLink.objects.filter(pain_point=wave.pain_point).count() == 6
    assert JobItem.objects.get(job=job, case=wave.victims[0]).reason == "already linked"


# --- one answer to many ---------------------------------------------------------------------------


def test_the_preview_counts_cases_and_customers_and_leaves_out_restricted_and_other_teams(wave, lead, other_lead):
    link_all(wave, lead, [*wave.victims, wave.referred])
    PainPointLink.objects.create(
        pain_point=wave.pain_point,
        case=wave.outsider_case,
        source="hand",
        linked_by=other_lead,
        linked_at=timezone.now(),
    )
    preview = answer_preview(user=lead, pain_point=wave.pain_point)
    assert (preview.cases, preview.customers, preview.restricted, preview.not_yours, preview.linked_open) == (
        6,
        6,
        1,
        1,
        8,
    )


def test_a_send_without_approved_text_is_refused(wave, lead, reviewer):
    fixed(wave, lead)
    link_all(wave, lead, wave.victims)
    draft = write(lead, title="Unpublished reply", body="Hello", kind=DocKind.MACRO)
    for version_id in (None, draft.pk, 999_999):
        with pytest.raises(PainPointError) as exc:
            services.answer_send_start(actor=lead, pain_point=wave.pain_point, macro_version_id=version_id)
        assert "approved" in exc.value.message
    assert not BulkJob.objects.filter(kind=JobKind.SEND).exists()


def test_the_answer_waits_for_the_fix(wave, lead):
    link_all(wave, lead, wave.victims)
    with pytest.raises(PainPointError) as exc:
        services.answer_send_start(actor=lead, pain_point=wave.pain_point, macro_version_id=wave.answer.pk)
    assert exc.value.status_code == 409 and "fixed" in exc.value.message


def test_one_answer_reaches_every_linked_open_case_once_and_never_a_restricted_one(wave, lead):
    closed = CaseFactory(team=wave.victims[0].team, status=Status.CLOSED)
    link_all(wave, lead, [*wave.victims, wave.referred, closed])
    fixed(wave, lead)
    job = services.answer_send_start(actor=lead, pain_point=wave.pain_point, macro_version_id=wave.answer.pk)
    assert job.total == 6
    services.bulk_job_run(job_id=job.pk)
    # A redelivered task finds nothing pending and sends nothing again.
    JobItem.objects.filter(job=job).update(finished_at=None)
    BulkJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    services.bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.skipped) == (JobStatus.DONE, 6, 0)
    for victim in wave.victims:
        replies = list(CaseEvent.objects.filter(case=victim, kind=CaseEventKind.REPLY))
        assert len(replies) == 1
        first_name = victim.customer.full_name.split()[0]
        assert replies[0].body == ANSWER.replace("{{ customer_first_name }}", first_name).replace(
            "{{ case_reference }}", victim.reference
        )
        assert replies[0].data == {"macro_version_id": wave.answer.pk}
        assert replies[0].actor == lead
    assert not CaseEvent.objects.filter(case__in=[wave.referred, closed], kind=CaseEventKind.REPLY).exists()
    assert AuditEvent.objects.filter(action="case.reply").count() == 6
    assert PainPointEvent.objects.filter(kind=EventKind.ANSWER, data__state="done", data__sent=6).exists()


def test_a_second_send_of_the_same_answer_is_refused(wave, lead):
    link_all(wave, lead, wave.victims)
    fixed(wave, lead)
    job = services.answer_send_start(actor=lead, pain_point=wave.pain_point, macro_version_id=wave.answer.pk)
    services.bulk_job_run(job_id=job.pk)
    with pytest.raises(PainPointError) as exc:
        services.answer_send_start(actor=lead, pain_point=wave.pain_point, macro_version_id=wave.answer.pk)
    assert exc.value.status_code == 409 and "already sent" in exc.value.message
    assert CaseEvent.objects.filter(kind=CaseEventKind.REPLY).count() == 6


def test_a_case_referred_after_the_send_was_queued_is_skipped(wave, lead, agent):
    from compliance.restricted import referral_create

    link_all(wave, lead, wave.victims)
    fixed(wave, lead)
    job = services.answer_send_start(actor=lead, pain_point=wave.pain_point, macro_version_id=wave.answer.pk)
    referral_create(actor=agent, case=wave.victims[2], reason="Mule pattern")
    services.bulk_job_run(job_id=job.pk)
    item = JobItem.objects.get(job=job, case=wave.victims[2])
    assert (item.status, item.reason) == ("skipped", "restricted")
    assert not CaseEvent.objects.filter(case=wave.victims[2], kind=CaseEventKind.REPLY).exists()
