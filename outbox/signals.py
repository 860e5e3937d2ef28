"""Worker side of the outbox: a task sent from an outbox row marks the row done once it has run."""

from __future__ import annotations

import logging

from celery.signals import task_postrun

logger = logging.getLogger(__name__)


@task_postrun.connect(dispatch_uid="outbox.mark_done")
def _mark_outbox_message_done(sender=None, task=None, state=None, **_) -> None:
    message_id = getattr(task.request, "outbox_id", None) if task is not None else None
    # A task that will retry has not finished: if its retry is lost, the relay sends it again.
    if message_id is None or state == "RETRY":
        return
    from outbox.services import outbox_mark_done

    try:
        outbox_mark_done(message_id=int(message_id))
    except Exception:  # the task's work is done; a missing mark costs one idempotent rerun
        logger.exception("Could not mark outbox message %s done", message_id)
