"""Celery tasks for the outbox: the relay that hands committed work to the broker."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from outbox.services import outbox_relay


@shared_task(name="outbox.tasks.outbox_relay_task")
def outbox_relay_task() -> dict:
    """Beat: publish outbox rows the after-commit publish could not (broker down, process
    died) and rows the broker lost. Safe to run twice, or twice at once (rows are claimed)."""
    return asdict(outbox_relay())
