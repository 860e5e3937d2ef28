"""Celery tasks for cases: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from audit.context import bind_request_id, reset_request_id
from cases.services import case_close_expired_resolved


@shared_task(name="cases.tasks.close_expired_resolved_cases")
def close_expired_resolved_cases() -> int:
    """Beat sweep: close resolved cases whose reopen window has passed. Safe to run twice."""
    token = bind_request_id(None)
    try:
        return case_close_expired_resolved()
    finally:
        reset_request_id(token)
