"""What metrics plugs into cases.registry (see cases/registry.py for every hook point)."""

from __future__ import annotations

import logging

from django.db import transaction

from cases.choices import Status

logger = logging.getLogger(__name__)


def after_status_change(case, from_status: str, to_status: str, actor) -> None:
    """After commit: refresh the case's dashboard facts; on resolving, queue its CSAT survey
    to go out after the configured delay (the task re-checks eligibility when it runs)."""
    case_id = case.pk
    resolved = to_status == Status.RESOLVED
    transaction.on_commit(lambda: _enqueue(case_id, survey=resolved))


def _enqueue(case_id: int, *, survey: bool) -> None:
    from metrics.services import csat_settings
    from metrics.tasks import facts_refresh_task, send_csat_survey

    try:
        facts_refresh_task.delay([case_id])
        if survey:
            send_csat_survey.apply_async((case_id,), countdown=csat_settings()["delay_minutes"] * 60)
    except Exception:
        # The status change is committed and is what counts; the facts sweep catches up.
        logger.exception("Could not queue metrics work for case %s", case_id)
