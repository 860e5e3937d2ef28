from __future__ import annotations

from django.db import models


class EventType(models.TextChoices):
    """The domain events an endpoint can subscribe to (announced through cases.registry.emit)."""

    CASE_CREATED = "case.created", "Case created"
    CASE_STATUS_CHANGED = "case.status_changed", "Case status changed"
    ESCALATION_RAISED = "escalation.raised", "Escalation raised"
    ESCALATION_ACCEPTED = "escalation.accepted", "Escalation accepted"
    ESCALATION_RETURNED = "escalation.returned", "Escalation returned"
    SLA_WARNING = "sla.warning", "SLA warning"
    SLA_BREACHED = "sla.breached", "SLA breached"
    FLAG_RAISED = "flag.raised", "Regulatory flag raised"
    FLAG_SIGNED_OFF = "flag.signed_off", "Regulatory flag signed off"
    OBLIGATION_DUE = "obligation.due", "Regulatory obligation due within a day"
    OBLIGATION_BREACHED = "obligation.breached", "Regulatory obligation breached"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Gave up"


# The event facts a payload may carry, per event; anything else an emitter passes is dropped,
# so a free-text note or a restricted detail can never leave in a webhook by accident.
SAFE_DATA_KEYS: dict[str, tuple[str, ...]] = {
    EventType.CASE_CREATED: (),
    EventType.CASE_STATUS_CHANGED: ("from", "to"),
    EventType.ESCALATION_RAISED: ("escalation_id", "from_team", "to_team", "reason", "urgency", "hop"),
    EventType.ESCALATION_ACCEPTED: ("escalation_id", "to_team"),
    EventType.ESCALATION_RETURNED: ("escalation_id", "to_team", "outcome"),
    EventType.SLA_WARNING: ("metric", "due_at"),
    EventType.SLA_BREACHED: ("metric", "due_at"),
    EventType.FLAG_RAISED: ("flag_id", "kind"),
    EventType.FLAG_SIGNED_OFF: ("flag_id", "kind"),
    EventType.OBLIGATION_DUE: ("obligation_id", "rule", "citation", "due_at"),
    EventType.OBLIGATION_BREACHED: ("obligation_id", "rule", "citation", "due_at"),
}
