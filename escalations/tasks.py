from __future__ import annotations

from celery import shared_task

from escalations.sweep import escalation_ola_sweep


@shared_task(name="escalations.tasks.escalation_ola_sweep_task")
def escalation_ola_sweep_task() -> dict:
    """Every minute: warn and breach the receiving teams' response clocks (idempotent)."""
    result = escalation_ola_sweep()
    return {"warned": result.warned, "breached": result.breached}
