"""Celery tasks for metrics: thin and idempotent."""

from __future__ import annotations

import smtplib

from celery import shared_task

from metrics.facts import facts_refresh, facts_sweep
from metrics.selectors import dashboard_warm
from metrics.services import survey_send


@shared_task(name="metrics.tasks.facts_refresh_task")
def facts_refresh_task(case_ids: list[int]) -> int:
    """Recompute these cases' dashboard facts (after a status change)."""
    return facts_refresh(case_ids, renew_dashboards=False)


@shared_task(name="metrics.tasks.facts_sweep_task")
def facts_sweep_task() -> int:
    """Recompute the facts of every case changed since the last sweep (beat), then compute each
    dashboard viewer's default dashboard so the first look after a sweep is served from the cache."""
    written = facts_sweep()
    dashboard_warm()
    return written


@shared_task(
    name="metrics.tasks.send_csat_survey",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    max_retries=5,
)
def send_csat_survey(case_id: int) -> bool:
    """Send the case's satisfaction survey if it still may go out; a duplicate sends nothing."""
    return survey_send(case_id=case_id) is not None
