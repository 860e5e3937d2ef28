"""A real Celery worker on Redis sends the one answer to every linked open case, once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cases.choices import EventKind as CaseEventKind
from cases.models import CaseEvent
from config.celery import app
from painpoints import services
from painpoints.choices import JobStatus, LinkSource, PainPointStatus
from painpoints.models import BulkJob, JobItem
from painpoints.tasks import run_bulk_job
from tests.integration.support import TEST_REDIS_URL, process_env, wait_until

TASK = "painpoints.tasks.run_bulk_job"


def test_the_job_task_runs_on_the_default_queue():
    assert app.amqp.router.route({}, TASK)["queue"].name == "default"


def _done(job_id: int) -> bool:
    return BulkJob.objects.filter(pk=job_id, status=JobStatus.DONE).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_links_the_cluster_and_sends_one_answer_to_each_case_once(
    categories_back_after_flush, wave, lead, worker_factory, redis_producer
):
    worker = worker_factory(env=process_env(redis_url=TEST_REDIS_URL), queues="default")
    worker.wait_for_log("ready.", timeout=30)

    # The bulk link is queued after commit and worked by the worker.
    ids = [c.pk for c in [*wave.victims, wave.referred]]
    link = services.bulk_link_start(actor=lead, pain_point=wave.pain_point, case_ids=ids, source=LinkSource.CLUSTER)
    assert wait_until(lambda: _done(link.pk), timeout=30, interval=0.2), worker.log()
    pp = services.pain_point_change_status(actor=lead, pain_point=wave.pain_point, to_status=PainPointStatus.FIXED,
                                           expected_version=wave.pain_point.version)  # fmt: skip
    send = services.answer_send_start(actor=lead, pain_point=pp, macro_version_id=wave.answer.pk)
    # A duplicate delivery of the same job (a retry, a redelivery) must send nothing more.
    run_bulk_job.apply_async(args=[send.pk])
    assert wait_until(lambda: _done(send.pk), timeout=60, interval=0.2), worker.log()
    worker.wait_for_log("succeeded in", timeout=30, count=3)

    send.refresh_from_db()
    assert (send.total, send.done, send.skipped) == (6, 6, 0)
    for victim in wave.victims:
        replies = CaseEvent.objects.filter(case=victim, kind=CaseEventKind.REPLY)
        assert replies.count() == 1, victim.reference
        assert replies.get().data == {"macro_version_id": wave.answer.pk}
    assert not CaseEvent.objects.filter(case=wave.referred, kind=CaseEventKind.REPLY).exists()
    assert set(JobItem.objects.filter(job=send).values_list("status", flat=True)) == {"sent"}
    # The worker's writes extended the audit chain without breaking it.
    call_command("audit_verify")
