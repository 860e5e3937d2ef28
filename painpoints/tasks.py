"""Celery tasks: thin, idempotent, by id (see painpoints.services for what they guarantee)."""

from __future__ import annotations

from celery import shared_task

from audit.context import bind_request_id, reset_request_id
from painpoints.services import bulk_job_run


@shared_task(name="painpoints.tasks.run_bulk_job", acks_late=True)
def run_bulk_job(job_id: int) -> None:
    """Link the cases of a bulk link, or send the one answer, for job ``job_id``. A redelivered
    or duplicated task finds the finished items done and does nothing twice."""
    # Its own request id, so the audit rows of one run can be told apart from the request's.
    token = bind_request_id(None)
    try:
        bulk_job_run(job_id=job_id)
    finally:
        reset_request_id(token)
