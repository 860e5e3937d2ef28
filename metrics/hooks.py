"""What metrics plugs into cases.registry (see cases/registry.py for every hook point)."""

from __future__ import annotations

from datetime import timedelta

from cases.choices import Status
from outbox.services import outbox_enqueue


def after_status_change(case, from_status: str, to_status: str, actor) -> None:
    """After commit (through the outbox, so a broker outage loses neither): refresh the case's
    dashboard facts; on resolving, send its CSAT survey after the configured delay (the task
    re-checks eligibility when it runs)."""
    from metrics.services import csat_settings

    outbox_enqueue(task="metrics.tasks.facts_refresh_task", args=[[case.pk]])
    if to_status == Status.RESOLVED:
        delay = timedelta(minutes=csat_settings()["delay_minutes"])
        outbox_enqueue(task="metrics.tasks.send_csat_survey", args=[case.pk], delay=delay)
