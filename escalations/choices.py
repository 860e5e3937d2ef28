from __future__ import annotations

from django.db import models


class EscalationStatus(models.TextChoices):
    """Where one hop of an escalation stands. Each hop is its own row; none is ever reopened."""

    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    RETURNED = "returned", "Returned to sender"
    HANDED_ON = "handed_on", "Handed on"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Requested and accepted hops are still someone's work; the rest are history.
OPEN_ESCALATION_STATUSES = (EscalationStatus.REQUESTED, EscalationStatus.ACCEPTED)

ESCALATION_TRANSITIONS: dict[EscalationStatus, frozenset[EscalationStatus]] = {
    EscalationStatus.REQUESTED: frozenset(
        {
            EscalationStatus.ACCEPTED,
            EscalationStatus.RETURNED,
            EscalationStatus.HANDED_ON,
            EscalationStatus.WITHDRAWN,
        }
    ),
    EscalationStatus.ACCEPTED: frozenset(
        {EscalationStatus.RETURNED, EscalationStatus.HANDED_ON, EscalationStatus.COMPLETED}
    ),
    EscalationStatus.RETURNED: frozenset(),
    EscalationStatus.HANDED_ON: frozenset(),
    EscalationStatus.COMPLETED: frozenset(),
    EscalationStatus.WITHDRAWN: frozenset(),
}


class Urgency(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


URGENCY_RANK = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2, Urgency.LOW: 3}
# Customer tiers, most important first (their values are cases.choices.Tier's).
TIER_RANK = {"institutional": 0, "vip": 1, "plus": 2, "standard": 3}

# The receiving team's response clock (OLA), in business minutes of its calendar, when the
# team has not set its own target for an urgency.
DEFAULT_OLA_MINUTES = {Urgency.CRITICAL: 60, Urgency.HIGH: 240, Urgency.NORMAL: 480, Urgency.LOW: 1440}


class ReturnOutcome(models.TextChoices):
    """Why a receiving team sent an escalation back (de-escalation)."""

    RESOLVED_GUIDANCE = "guidance", "Guidance given; sender can resolve"
    NOT_OUR_TEAM = "wrong_team", "Not for this team"
    MISSING_INFORMATION = "missing_info", "Information missing from the request"
    NOT_WARRANTED = "not_warranted", "Escalation not warranted"
    CUSTOMER_ACTION = "customer_action", "Waiting on the customer"


# The reason a system-raised escalation carries (seeded with the taxonomy in migration 0002).
SLA_BREACH_REASON = "sla_breach"
