from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from webhooks.choices import DeliveryStatus, EventType


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL an admin registered to hear about some events, as some service account.

    ``service_account`` decides what the endpoint may hear: only events on cases that account may
    read, with customer PII shown as that account would see it. ``secret`` signs every delivery
    (HMAC-SHA256); it is symmetric, so it is kept in clear, and shown only in the admin.
    """

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event types, e.g. ['case.created', 'sla.breached'].")
    service_account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    secret = models.CharField(max_length=100, default=new_secret)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        unknown = [event for event in self.events or [] if event not in EventType.values]
        if unknown or not isinstance(self.events, list):
            raise ValidationError({"events": f"Unknown event types: {', '.join(map(str, unknown))}."})


class WebhookDelivery(models.Model):
    """One event to one endpoint: the exact body sent (signed at each attempt), and where it stands.

    Written in the transaction of the change it reports, so a delivery exists exactly when the
    change committed; the Celery task sends it after commit and retries with backoff.
    """

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    event = models.CharField(max_length=40, choices=EventType.choices)
    delivery_id = models.CharField(max_length=32, unique=True)
    case_reference = models.CharField(max_length=20, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker holds the delivery until then (a crashed worker's claim runs out).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhooks_delivery_status_valid"
            ),
        ]
        indexes = [
            # The retry sweep: pending deliveries by when they are next due.
            models.Index(
                fields=["next_attempt_at"], name="webhooks_delivery_due_idx", condition=Q(status=DeliveryStatus.PENDING)
            ),
            # The admin's log of one endpoint, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP attempt at a delivery and what came back. Append-only: the delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.PROTECT, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField()

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}: {self.status_code or self.error}"
