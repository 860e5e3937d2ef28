"""A real Celery worker on Redis sends the CSAT survey of a resolved case, once, and keeps the
dashboard's hourly rollup up to date as cases change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from metrics.models import FactHour, Survey
from metrics.tasks import facts_refresh_task, send_csat_survey
from tests.factories import CaseFactory, TeamFactory
from tests.integration.conftest import _reference_data_survives_flush, redis_producer, worker_factory  # noqa: F401
from tests.integration.support import TEST_REDIS_URL, process_env, wait_until

TASK = "metrics.tasks.send_csat_survey"


def test_survey_mail_goes_on_the_notifications_queue():
    assert app.amqp.router.route({}, TASK)["queue"].name == "notifications"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_survey_once(worker_factory, redis_producer):  # noqa: F811
    now = timezone.now()
    case = CaseFactory(
        team=TeamFactory(calendar=None),
        status="resolved",
        received_at=now - timedelta(hours=5),
        created_at=now - timedelta(hours=5),
        updated_at=now - timedelta(hours=1),
        first_response_at=now - timedelta(hours=4),
    )
    env = process_env(redis_url=TEST_REDIS_URL)
    env["EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"
    worker = worker_factory(env=env, queues="notifications")
    worker.wait_for_log("ready.", timeout=30)

    send_csat_survey.delay(case.pk)
    send_csat_survey.delay(case.pk)  # a duplicate (a retry, a second resolve) sends nothing more

    assert wait_until(lambda: Survey.objects.filter(case=case).exists(), timeout=30, interval=0.2), worker.log()
    worker.wait_for_log("succeeded in", timeout=30, count=2)
    log = worker.log()
    assert log.count(f"Subject: How did we do? Your case {case.reference}") == 1, log
    assert "/metrics/survey/" in log
    assert Survey.objects.filter(case=case).count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_moves_the_hourly_rollup_when_a_case_changes(worker_factory, redis_producer):  # noqa: F811
    """The facts task a status change queues recomputes the case's hours in the rollup: the
    dashboard's counts move without a rebuild."""
    now = timezone.now()
    team = TeamFactory(calendar=None)
    received = now - timedelta(hours=5)
    case = CaseFactory(
        team=team,
        status="resolved",
        received_at=received,
        created_at=received,
        updated_at=now - timedelta(hours=1),
        first_response_at=now - timedelta(hours=4),
        resolved_at=now - timedelta(hours=1),
    )
    worker = worker_factory(env=process_env(redis_url=TEST_REDIS_URL), queues="default")
    worker.wait_for_log("ready.", timeout=30)

    assert not FactHour.objects.exists()
    facts_refresh_task.delay([case.pk])
    hour = received.replace(minute=0, second=0, microsecond=0)
    assert wait_until(
        lambda: FactHour.objects.filter(hour=hour, team=team, received=1).exists(), timeout=30, interval=0.2
    ), worker.log()

    # The customer answers the survey; the next refresh counts the answer in the hour it was sent.
    sent = now - timedelta(minutes=30)
    Survey.objects.create(
        case=case, email="c@example.com", nonce="n", sent_at=sent, status="answered", score=5, answered_at=now
    )
    assert not FactHour.objects.filter(csat_answered__gt=0).exists()
    facts_refresh_task.delay([case.pk])
    assert wait_until(
        lambda: FactHour.objects.filter(
            hour=sent.replace(minute=0, second=0, microsecond=0), team=team, csat_answered=1, csat_satisfied=1
        ).exists(),
        timeout=30,
        interval=0.2,
    ), worker.log()
