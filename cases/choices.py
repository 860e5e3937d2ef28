"""Case vocabularies and the status transition table (the only place transitions are defined)."""

from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    PENDING_INTERNAL = "pending_internal", "Pending internal"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Statuses a work queue shows by default; the partial indexes on Case use exactly this set.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL)

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL, Status.RESOLVED}),
    Status.OPEN: frozenset({Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL, Status.RESOLVED}),
    Status.PENDING_CUSTOMER: frozenset({Status.OPEN, Status.PENDING_INTERNAL, Status.RESOLVED}),
    Status.PENDING_INTERNAL: frozenset({Status.OPEN, Status.PENDING_CUSTOMER, Status.RESOLVED}),
    # resolved -> open is a reopen, allowed only inside the reopen window (checked in services).
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def allowed_next(status: str) -> frozenset[Status]:
    return TRANSITIONS[Status(status)]


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


# Sort weight for "priority" ordering (urgent first).
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    WEB = "web", "Web form"
    SOCIAL = "social", "Social media"
    REGULATOR = "regulator", "Regulator portal"


class Tier(models.TextChoices):
    STANDARD = "standard", "Standard"
    PLUS = "plus", "Plus"
    VIP = "vip", "VIP"
    INSTITUTIONAL = "institutional", "Institutional"


class EventKind(models.TextChoices):
    CUSTOMER_MESSAGE = "customer_message", "Customer message"
    REPLY = "reply", "Public reply"
    NOTE = "note", "Internal note"
    STATUS = "status", "Status change"
    ASSIGNMENT = "assignment", "Assignment"
    FIELDS = "fields", "Properties changed"
    CREATED = "created", "Case created"
    # Service-SLA facts: a warning, a breach, a pause or resume, no policy matching the case.
    SLA = "sla", "SLA"
    # An escalation hop was requested, accepted, returned, handed on or withdrawn.
    ESCALATION = "escalation", "Escalation"
    # The case moved to another team (an accepted or returned escalation, routing).
    TRANSFER = "transfer", "Team change"
    # A regulatory flag was raised, submitted, signed off or voided; an obligation started or ended.
    FLAG = "flag", "Regulatory flag"


# Jurisdictions: ISO 3166-2 codes for US states (+ DC) and Australian states/territories.
US_STATES = [
    *"AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO".split(),
    *"MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split(),
]
AU_STATES = ["NSW", "VIC", "QLD", "WA", "SA", "TAS", "ACT", "NT"]
JURISDICTIONS = [(f"US-{s}", f"US – {s}") for s in US_STATES] + [(f"AU-{s}", f"AU – {s}") for s in AU_STATES]
JURISDICTION_CODES = frozenset(code for code, _ in JURISDICTIONS)


class SlaMetric(models.TextChoices):
    """What a service-SLA timer measures; each case runs at most one timer of each at a time."""

    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


class SlaState(models.TextChoices):
    """How a timer looks to the people working the case (the colour on the queue)."""

    OK = "ok", "On track"
    WARNING = "warning", "Warning"
    BREACHED = "breached", "Breached"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    STOPPED = "stopped", "Stopped"
