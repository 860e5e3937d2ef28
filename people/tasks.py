"""Celery tasks for people: thin, idempotent wrappers (the e-mail copy of notifications)."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task

from people.notifications import notification_emails_send

logger = logging.getLogger(__name__)


@shared_task(
    name="people.tasks.send_notification_emails",
    # A mail server that is down now may be up in a minute; unsent rows were released for the retry.
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    max_retries=5,
)
def send_notification_emails(ids: list[int]) -> int:
    """E-mail the notifications ``ids`` not e-mailed yet. A duplicate or retried task sends
    nothing twice: each row is claimed before its message goes out."""
    return notification_emails_send(ids=ids)
