"""Pain point vocabularies: identifier kinds, chains, the status transition table, send states."""

from __future__ import annotations

from django.db import models


class IdentifierKind(models.TextChoices):
    WALLET = "wallet", "Wallet address"
    TX_HASH = "tx_hash", "Transaction hash"
    BANK_ACCOUNT = "bank_account", "Bank account / IBAN"
    CARD_BIN = "card_bin", "Card BIN"
    DEVICE = "device", "Device id"
    PHONE = "phone", "Phone number"
    EMAIL_DOMAIN = "email_domain", "E-mail domain"
    WEBSITE = "website", "Website domain"


class Chain(models.TextChoices):
    NONE = "", "—"
    BTC = "btc", "Bitcoin"
    ETH = "eth", "Ethereum (EVM)"
    TRON = "tron", "TRON"


class IdentifierSource(models.TextChoices):
    AGENT = "agent", "Entered by an agent"
    MESSAGE = "message", "Found in a message"


class PainPointStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    FIX_IN_PROGRESS = "fix_in_progress", "Fix in progress"
    FIXED = "fixed", "Fixed"
    VERIFIED = "verified", "Verified"


# The only place pain point transitions are defined. "Fixed" may go back to "fix in progress"
# when the fix does not hold; "verified" is final.
TRANSITIONS: dict[PainPointStatus, frozenset[PainPointStatus]] = {
    PainPointStatus.INVESTIGATING: frozenset({PainPointStatus.FIX_IN_PROGRESS, PainPointStatus.FIXED}),
    PainPointStatus.FIX_IN_PROGRESS: frozenset({PainPointStatus.INVESTIGATING, PainPointStatus.FIXED}),
    PainPointStatus.FIXED: frozenset({PainPointStatus.FIX_IN_PROGRESS, PainPointStatus.VERIFIED}),
    PainPointStatus.VERIFIED: frozenset(),
}
OPEN_PAIN_STATUSES = (PainPointStatus.INVESTIGATING, PainPointStatus.FIX_IN_PROGRESS)
# Statuses from which the one answer to many customers may go out.
ANSWERABLE_STATUSES = (PainPointStatus.FIXED, PainPointStatus.VERIFIED)


def allowed_next(status: str) -> frozenset[PainPointStatus]:
    return TRANSITIONS[PainPointStatus(status)]


class LinkSource(models.TextChoices):
    HAND = "hand", "By hand"
    QUEUE = "queue", "From a filtered queue"
    CLUSTER = "cluster", "From a cluster"


class EventKind(models.TextChoices):
    CREATED = "created", "Opened"
    EDITED = "edited", "Details changed"
    STATUS = "status", "Status change"
    LINKED = "linked", "Cases linked"
    UNLINKED = "unlinked", "Case unlinked"
    ANSWER = "answer", "Answer sent"


class JobKind(models.TextChoices):
    LINK = "link", "Bulk link"
    SEND = "send", "One answer to many"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
