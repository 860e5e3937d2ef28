from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One thing somebody did (or read) that an auditor may ask about.

    Rows are append-only and chained: ``hash`` covers ``prev_hash`` and the row's canonical
    JSON, so editing or removing any row breaks every later link (``manage.py
    verify_audit_chain`` finds the first). On PostgreSQL a trigger rejects UPDATE and DELETE outright.
    """

    occurred_at = models.DateTimeField()
    # PROTECT, not SET_NULL: the ledger is immutable, so a user who acted can be deactivated
    # but never deleted. actor_label keeps the name as it was at the time.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The exact canonical JSON the hash covers (``audit.services.canonical_payload``). Kept so
    # PostgreSQL can check the whole chain in one pass: the hash of prev_hash + payload, and
    # that the payload still says what the columns say (compared as JSON values).
    payload = models.TextField(default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # "What happened to this object?" — the object's history for leads and auditors.
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_history_idx"),
            # "What did this person do?" — audit by actor.
            models.Index(fields=["actor", "id"], name="audit_actor_history_idx"),
            # The ledger page's filters: by action (or action prefix) and by time, newest first.
            models.Index(fields=["action", "id"], name="audit_action_idx"),
            models.Index(fields=["occurred_at"], name="audit_occurred_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
        )
