from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ServiceAccount(models.Model):
    """An integration (the upstream helpdesk, the KYC vendor, the warehouse) that calls the API.

    It acts as its own user row, so its role and teams decide what it may see and do exactly as
    they would for a person; the password is unusable, so it can only use tokens.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_account")
    integration = models.CharField(max_length=100, help_text="What system this is, e.g. 'Zendesk helpdesk'.")
    contact = models.CharField(max_length=200, blank=True, help_text="Who runs the integration.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.integration})"


class ApiToken(models.Model):
    """A bearer credential for one user or service account. Only its SHA-256 digest is kept:
    the token is shown once when issued and cannot be read back. Revoked tokens stay as history."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'helpdesk production'.")
    # The first characters of the token, so people can tell their tokens apart in lists.
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The admin's "tokens of this user that still work".
            models.Index(fields=["user"], name="api_token_user_live_idx", condition=Q(revoked_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}"
