from __future__ import annotations

from celery import shared_task

from compliance.sweep import obligation_sweep


@shared_task(name="compliance.tasks.obligation_sweep_task")
def obligation_sweep_task() -> dict:
    """Every minute: warn before regulatory deadlines and record breaches (idempotent)."""
    result = obligation_sweep()
    return {"warned": result.warned, "breached": result.breached}
