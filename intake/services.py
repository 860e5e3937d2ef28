"""Tickets from the upstream helpdesk become cases exactly once.

The intake row is inserted *before* the case: its unique constraints ((source, external id),
and (caller, Idempotency-Key)) make a second, concurrent copy of the same request wait on the
first one's row lock and then fail, so it can answer with the first one's case instead of
opening another. Everything runs in one transaction: a refused ticket leaves nothing behind.

A new ticket is the common case, so the insert is tried first and a known one is looked up only
when the insert fails: one query less per new ticket than asking first, and no savepoint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from cases.choices import JURISDICTION_CODES, Tier
from cases.errors import CaseError
from cases.models import Case, Category, Customer
from cases.services import case_create
from intake.models import IntakeRecord
from people.models import Team, User


class IntakeConflict(CaseError):
    """The key or the external id was already used for a different request (409)."""

    status_code = 409


@dataclass(frozen=True)
class IntakeResult:
    case: Case
    created: bool


def request_digest(payload: dict) -> str:
    """A digest of the request's meaning: key order and whitespace do not matter."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(*, actor: User, source: str, external_id: str, key: str) -> IntakeRecord | None:
    if key:
        found = IntakeRecord.objects.select_related("case").filter(actor=actor, idempotency_key=key).first()
        if found is not None:
            return found
    return IntakeRecord.objects.select_related("case").filter(source=source, external_id=external_id).first()


def _replay(record: IntakeRecord, *, digest: str, key: str) -> IntakeResult:
    if record.request_hash != digest:
        what = "Idempotency-Key" if key and record.idempotency_key == key else "external id"
        raise IntakeConflict(
            f"This {what} was already used for a different request (case {record.case.reference}); "
            f"send the same body to retry, or a new {what} for a new ticket."
        )
    return IntakeResult(case=record.case, created=False)


def customer_for_intake(*, actor: User, data: dict) -> Customer:
    """The customer with this account number, or a new one from the ticket's details."""
    customer = Customer.objects.filter(account_number=data["account_number"]).first()
    if customer is not None:
        return customer
    missing = [name for name in ("full_name", "email", "jurisdiction") if not data.get(name)]
    if missing:
        raise CaseError(f"Customer {data['account_number']} is new to the desk; send their {', '.join(missing)}.")
    if data["jurisdiction"] not in JURISDICTION_CODES:
        raise CaseError(f"{data['jurisdiction']!r} is not a jurisdiction the desk serves (e.g. US-CA, AU-NSW).")
    tier = data.get("tier") or Tier.STANDARD
    customer = Customer.objects.create(
        account_number=data["account_number"],
        full_name=data["full_name"],
        email=data["email"],
        phone=data.get("phone") or "",
        jurisdiction=data["jurisdiction"],
        tier=tier,
        language=data.get("language") or "en",
        account_opened_at=data.get("account_opened_at") or timezone.now(),
    )
    audit_record(
        actor=actor,
        action="customer.create",
        object_type="customer",
        object_id=customer.account_number,
        after={"source": "intake", "jurisdiction": customer.jurisdiction, "tier": customer.tier},
    )
    return customer


def intake_ticket(
    *,
    actor: User,
    source: str,
    external_id: str,
    idempotency_key: str,
    payload: dict,
    customer: dict,
    subject: str,
    body: str,
    channel: str,
    category: Category,
    team: Team,
    priority: str,
    received_at: datetime | None,
) -> IntakeResult:
    """Open the case for an upstream ticket, or return the case an identical earlier request
    opened (``created`` False). Raises IntakeConflict (409) when the key or external id was used
    for a different request, CaseError (400) when the ticket cannot become a case."""
    digest = request_digest(payload)
    try:
        with transaction.atomic():
            record = IntakeRecord.objects.create(
                source=source,
                external_id=external_id,
                idempotency_key=idempotency_key,
                actor=actor,
                request_hash=digest,
                created_at=timezone.now(),
            )
            case = case_create(
                actor=actor,
                customer=customer_for_intake(actor=actor, data=customer),
                subject=subject,
                body=body,
                channel=channel,
                category=category,
                team=team,
                priority=priority,
                received_at=received_at,
            )
            record.case = case
            record.save(update_fields=["case"])
    except IntegrityError:
        # The ticket or the key is known (a retry, or a concurrent copy that committed first
        # while we waited on its row): everything above was undone; answer with its case.
        found = _existing(actor=actor, source=source, external_id=external_id, key=idempotency_key)
        if found is None:
            raise
        return _replay(found, digest=digest, key=idempotency_key)
    return IntakeResult(case=case, created=True)
