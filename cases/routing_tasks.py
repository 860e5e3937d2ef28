"""Celery tasks for routing, on the ``routing`` queue: thin and idempotent.

A duplicated or retried ``route_case_task`` finds the case assigned (or held by the other
run) and does nothing; the catch-up sweep is set-based and skips anything routed recently.
"""

from __future__ import annotations

from celery import shared_task

from audit.context import bind_request_id, reset_request_id
from cases.routing import route_case_and_waiting, route_catch_up


@shared_task(name="cases.routing_tasks.route_case_task", queue="routing")
def route_case_task(case_id: int, trigger: str) -> int | None:
    """Route the case after the write that asked for it committed (and the new cases waiting
    behind it in its team); returns the case's decision id."""
    token = bind_request_id(None)
    try:
        decision = route_case_and_waiting(case_id=case_id, trigger=trigger)
        return decision.pk if decision else None
    finally:
        reset_request_id(token)


@shared_task(name="cases.routing_tasks.route_catch_up_task", queue="routing")
def route_catch_up_task() -> int:
    """Beat sweep: route open unassigned cases nobody routed lately. Safe to run twice."""
    token = bind_request_id(None)
    try:
        return route_catch_up()
    finally:
        reset_request_id(token)
