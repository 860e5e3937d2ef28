"""Recording webhook deliveries when events happen, and sending them.

Recording runs inside the transaction of the change (a ``cases.registry.domain_events``
listener): the delivery row commits with the change or not at all, and its task is queued after
commit. Sending claims the row with a conditional UPDATE, so a duplicate or retried task never
sends twice at once; each attempt is logged; failures are retried with exponential backoff
until ``WEBHOOK_MAX_ATTEMPTS``.

What a payload may carry: the case's identity and state, the customer's PII exactly as the
endpoint's service account would see it through the API (masked), and only the event facts
listed in ``SAFE_DATA_KEYS``: never a note, a message body or anything of the restricted inbox.
Events on a case the service account may not read are not delivered to that endpoint at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.access import restrict_cases_to
from cases.masking import customer_pii_for
from cases.models import Case
from outbox.services import outbox_enqueue
from people.models import User
from webhooks.choices import SAFE_DATA_KEYS, DeliveryStatus
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

_SUBSCRIPTIONS_KEY = "webhooks:subscriptions:v1"
# Endpoint changes reach other processes within this long (the admin clears this process's copy).
_SUBSCRIPTIONS_SECONDS = 60


def _subscriptions() -> dict[str, list[tuple[int, int]]]:
    """``{event: [(endpoint_id, service_account_id), ...]}`` of active endpoints, cached: most
    events have no subscriber, and then recording one costs a cache read, not a query."""
    found = cache.get(_SUBSCRIPTIONS_KEY)
    if found is None:
        found = {}
        for endpoint_id, user_id, events in WebhookEndpoint.objects.filter(is_active=True).values_list(
            "pk", "service_account_id", "events"
        ):
            for event in events or []:
                found.setdefault(event, []).append((endpoint_id, user_id))
        cache.set(_SUBSCRIPTIONS_KEY, found, _SUBSCRIPTIONS_SECONDS)
    return found


def webhook_endpoints_changed() -> None:
    cache.delete(_SUBSCRIPTIONS_KEY)


@transaction.atomic
def webhook_endpoint_save(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Save an endpoint (from the admin) and make every process see the change."""
    if endpoint.created_at is None:
        endpoint.created_at = timezone.now()
    endpoint.full_clean()
    endpoint.save()
    transaction.on_commit(webhook_endpoints_changed)
    return endpoint


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def case_payload(case: Case, *, viewer: User) -> dict:
    """The case as the endpoint's service account may see it."""
    customer = case.customer
    return {
        "reference": case.reference,
        "subject": case.subject,
        "status": case.status,
        "priority": case.priority,
        "channel": case.channel,
        "category": case.category.code,
        "team": case.team.slug,
        "assignee": case.assignee.username if case.assignee_id else None,
        "received_at": _iso(case.received_at),
        "updated_at": _iso(case.updated_at),
        "version": case.version,
        "customer": {
            "account_number": customer.account_number,
            "jurisdiction": customer.jurisdiction,
            "tier": customer.tier,
            **customer_pii_for(viewer, customer),
        },
    }


def webhook_event_happened(event: str, case: Case, data: dict) -> None:
    """A ``cases.registry.domain_events`` listener: record one delivery per subscribed endpoint
    whose service account may read ``case``; queue them after commit."""
    subscribers = _subscriptions().get(event)
    if not subscribers:
        return
    now = timezone.now()
    facts = {key: _iso(data[key]) for key in SAFE_DATA_KEYS.get(event, ()) if key in data}
    users = User.objects.in_bulk([user_id for _, user_id in subscribers])
    created = []
    for endpoint_id, user_id in subscribers:
        viewer = users.get(user_id)
        if viewer is None or not viewer.is_active:
            continue
        if not restrict_cases_to(Case.objects.filter(pk=case.pk), viewer, with_grants=True).exists():
            continue
        delivery_id = uuid.uuid4().hex
        created.append(
            WebhookDelivery.objects.create(
                endpoint_id=endpoint_id,
                event=event,
                delivery_id=delivery_id,
                case_reference=case.reference,
                payload={
                    "id": delivery_id,
                    "event": event,
                    "occurred_at": now.isoformat(),
                    "case": case_payload(case, viewer=viewer),
                    "data": facts,
                },
                next_attempt_at=now,
                created_at=now,
            ).pk
        )
    for pk in created:
        # Through the outbox: sent after commit, or once the broker is back if it is down.
        outbox_enqueue(task="webhooks.tasks.deliver_webhook", args=[pk])


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, "<timestamp>." + body): what receivers recompute.

    The timestamp is inside the signed text, so a receiver that rejects old timestamps also
    rejects a replayed delivery."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer we do not follow: a receiver must answer at the registered URL.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Outcome:
    status: str  # "delivered", "retry", "failed", "skipped"
    retry_in: float | None = None


def backoff_seconds(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: base, 2×base, 4×base, …"""
    return settings.WEBHOOK_BACKOFF_SECONDS * (2 ** max(0, attempts - 1))


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery, body: bytes) -> tuple[int | None, str]:
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - admins register http(s) URLs only (URLField)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "EscalationDesk-Webhooks/1",
            "X-Desk-Event": delivery.event,
            "X-Desk-Delivery": delivery.delivery_id,
            "X-Desk-Timestamp": timestamp,
            "X-Desk-Signature": sign(endpoint.secret, timestamp, body),
        },
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))[:500]


def webhook_deliver(*, delivery_id: int, now: datetime | None = None) -> Outcome:
    """Send one delivery if it is due and nobody else holds it; log the attempt and decide."""
    now = now or timezone.now()
    hold = timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 30)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + hold)
    )
    if not claimed:
        return Outcome("skipped")
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        delivery.status, delivery.last_error, delivery.claimed_until = DeliveryStatus.FAILED, "Endpoint disabled.", None
        delivery.save(update_fields=["status", "last_error", "claimed_until"])
        return Outcome("failed")
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    started = time.perf_counter()
    code, error = _post(endpoint, delivery, body)
    finished = timezone.now()
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        attempted_at=finished,
        status_code=code,
        error=error,
        duration_ms=int((time.perf_counter() - started) * 1000),
    )
    delivery.last_status_code, delivery.last_error, delivery.claimed_until = code, error, None
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at = DeliveryStatus.SUCCEEDED, finished
        outcome = Outcome("delivered")
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        outcome = Outcome("failed")
    else:
        wait = backoff_seconds(delivery.attempts)
        delivery.next_attempt_at = finished + timedelta(seconds=wait)
        outcome = Outcome("retry", retry_in=wait)
    delivery.save(
        update_fields=["attempts", "status", "delivered_at", "next_attempt_at", "last_status_code", "last_error",
                       "claimed_until"]
    )  # fmt: skip
    return outcome


def webhook_deliveries_overdue(*, now: datetime | None = None, grace: timedelta = timedelta(minutes=1)) -> list[int]:
    """Pending deliveries whose attempt is overdue by ``grace`` (their task was lost), through the
    partial index on pending deliveries."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - grace)
    due = due.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    return list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:500])
