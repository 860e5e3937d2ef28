"""Celery tasks for webhooks: thin and idempotent (the delivery row is claimed before sending)."""

from __future__ import annotations

from celery import shared_task

from webhooks.services import webhook_deliver, webhook_deliveries_overdue


@shared_task(name="webhooks.tasks.deliver_webhook")
def deliver_webhook(delivery_id: int) -> str:
    """Send one delivery; on failure queue the next attempt after the backoff."""
    outcome = webhook_deliver(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        deliver_webhook.apply_async((delivery_id,), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="webhooks.tasks.webhook_retry_sweep_task")
def webhook_retry_sweep_task() -> int:
    """Beat: queue again the deliveries whose retry is overdue (a lost task, a worker restart)."""
    ids = webhook_deliveries_overdue()
    for pk in ids:
        deliver_webhook.delay(pk)
    return len(ids)
