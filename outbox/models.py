"""The transactional outbox: Celery work a committed change asked for, kept until it has run."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class OutboxMessage(models.Model):
    """One Celery task that a change asked for, written in the same transaction as the change.

    If the change rolls back, so does the row; if it commits, the task runs even when the broker
    was unreachable at the time: the row waits (``sent_at`` empty) until a relay hands it over.
    ``done_at`` is set by the worker once the task has run, so a task the broker lost (a Redis
    restart without persistence, a crash between claim and publish) is handed over again.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    # Not before: a survey e-mailed an hour after the resolution waits here, not in the broker.
    available_at = models.DateTimeField()
    # When a publisher claimed the row and handed it to the broker (cleared again if that failed).
    sent_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The relay's first query: messages due and never handed over, oldest first.
            models.Index(fields=["available_at", "id"], condition=Q(sent_at__isnull=True), name="outbox_unsent_idx"),
            # The relay's second query: handed over long ago and still not run (lost by the broker).
            models.Index(
                fields=["sent_at", "id"],
                condition=Q(sent_at__isnull=False, done_at__isnull=True),
                name="outbox_unfinished_idx",
            ),
            # The relay's clean-up of messages done long ago.
            models.Index(fields=["done_at"], condition=Q(done_at__isnull=False), name="outbox_done_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"
