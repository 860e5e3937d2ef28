"""Celery tasks for cases: thin, idempotent wrappers around services."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from audit.context import bind_request_id, reset_request_id
from cases import routing_tasks  # noqa: F401 - Celery autodiscovery imports only tasks.py
from cases.services import case_close_expired_resolved
from cases.sla_sweep import sla_sweep


@shared_task(name="cases.tasks.close_expired_resolved_cases")
def close_expired_resolved_cases() -> int:
    """Beat sweep: close resolved cases whose reopen window has passed. Safe to run twice."""
    token = bind_request_id(None)
    try:
        return case_close_expired_resolved()
    finally:
        reset_request_id(token)


@shared_task(name="cases.tasks.sla_sweep_task")
def sla_sweep_task() -> dict:
    """Beat sweep, every minute: warn and breach SLA timers that came due. Safe to run twice,
    or on two workers at once (claims skip rows another sweep holds)."""
    token = bind_request_id(None)
    try:
        result = sla_sweep()
    finally:
        reset_request_id(token)
    summary = asdict(result)
    summary.pop("problem_timer_ids")
    return summary
