"""Celery tasks for intake: thin and idempotent (an import run is claimed before it starts)."""

from __future__ import annotations

from celery import shared_task

from audit.context import bind_request_id, reset_request_id
from intake.cfpb import cfpb_import_run


@shared_task(name="intake.tasks.cfpb_import_task")
def cfpb_import_task(run_id: int) -> dict | None:
    token = bind_request_id(None)
    try:
        run = cfpb_import_run(run_id)
    finally:
        reset_request_id(token)
    if run is None:
        return None
    return {"created": run.created, "updated": run.updated, "unchanged": run.unchanged, "rejected": run.rejected}
