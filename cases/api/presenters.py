"""Case output written straight from the columns it shows.

The list and the detail endpoints answer most of the API's traffic. Building each row from
model instances and nested serializers cost ~1 ms a case (five model instances and a dozen
field objects per row); these functions write the same JSON from ``values()`` rows and a few
small queries, so a page of 50 costs about as much as one row did.

The serializers in ``cases.api.serializers`` stay the documented shape (the OpenAPI schema is
generated from them) and ``tests/api/test_presenters.py`` checks that both write the same body.
Nothing is decided here: the callers pass querysets already restricted by ``visible_to`` /
``get_case_for_user``, PII comes from ``cases.masking.customer_pii_for``, and timer states from
``SlaTimer.state``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from types import SimpleNamespace

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from cases.choices import EventKind
from cases.masking import customer_pii_for
from cases.models import Case, CaseEvent, Customer, PiiReveal, SlaTimer

# What a list row reads: the case's own columns and the names of what it points at (the joins
# PostgreSQL makes are the ones the queue page makes too; LEFT for the optional assignee).
LIST_COLUMNS = (
    "id",
    "reference",
    "subject",
    "status",
    "priority",
    "channel",
    "category__code",
    "category__name",
    "team__slug",
    "team__name",
    "assignee_id",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "customer__account_number",
    "customer__full_name",
    "customer__jurisdiction",
    "customer__tier",
    "received_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "sla_due_at",
    "version",
)
# The timer columns SlaTimer.state reads, plus what the row shows.
_TIMER_FIELDS = ("case_id", "metric", "due_at", "warn_at", "paused_at", "met_at", "stopped_at", "warned_at",
                 "breached_at")  # fmt: skip


def iso(value: datetime | None, zone: tzinfo) -> str | None:
    """A datetime as DRF's DateTimeField writes it: in the active zone, ``Z`` for UTC."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def person_name(first_name: str, last_name: str, username: str) -> str:
    # User.__str__: the full name, or the username when there is none.
    return f"{first_name} {last_name}".strip() or username


def running_timers_by_case(case_ids: Iterable[int], *, now: datetime, zone: tzinfo) -> dict[int, list[dict]]:
    """``{case_id: [{"metric", "due_at", "state"}, ...]}`` of running timers, earliest due
    first (the order ``with_running_timers`` gives): one query for a whole page."""
    ids = list(case_ids)
    found: dict[int, list[dict]] = {case_id: [] for case_id in ids}
    if not ids:
        return found
    timers = SlaTimer.objects.running().filter(case_id__in=ids).order_by("due_at", "id").values(*_TIMER_FIELDS)
    for timer in timers:
        # SlaTimer.state reads only these columns: the one definition of a timer's state,
        # applied to the row without building a model instance for it.
        state = SlaTimer.state(SimpleNamespace(**timer), now)
        row = {"metric": timer["metric"], "due_at": iso(timer["due_at"], zone), "state": state}
        found[timer["case_id"]].append(row)
    return found


def case_rows(queryset: QuerySet[Case], *, now: datetime) -> list[dict]:
    """List rows (``CaseSerializer``) for the cases of ``queryset``, in its order.

    ``queryset`` is a ``values(*LIST_COLUMNS)`` queryset or an already evaluated page of it.
    The list shows no PII (the customer's name, jurisdiction and tier only), so no reveal is read.
    """
    zone = timezone.get_current_timezone()
    rows = list(queryset)
    timers = running_timers_by_case((row["id"] for row in rows), now=now, zone=zone)
    return [_row(row, timers[row["id"]], zone) for row in rows]


def _row(row: dict, timers: list[dict], zone: tzinfo) -> dict:
    return {
        "reference": row["reference"],
        "subject": row["subject"],
        "status": row["status"],
        "priority": row["priority"],
        "channel": row["channel"],
        "category": {"code": row["category__code"], "name": row["category__name"]},
        "team": {"slug": row["team__slug"], "name": row["team__name"]},
        "assignee": (
            {
                "username": row["assignee__username"],
                "name": person_name(row["assignee__first_name"], row["assignee__last_name"], row["assignee__username"]),
            }
            if row["assignee_id"] is not None
            else None
        ),
        "customer": {
            "account_number": row["customer__account_number"],
            "full_name": row["customer__full_name"],
            "jurisdiction": row["customer__jurisdiction"],
            "tier": row["customer__tier"],
        },
        "received_at": iso(row["received_at"], zone),
        "updated_at": iso(row["updated_at"], zone),
        "first_response_at": iso(row["first_response_at"], zone),
        "resolved_at": iso(row["resolved_at"], zone),
        "sla_due_at": iso(row["sla_due_at"], zone),
        "running_timers": timers,
        "version": row["version"],
    }


def case_row(case: Case, *, now: datetime) -> dict:
    """One case's list row (``CaseSerializer``): what writes answer with."""
    qs = Case.objects.filter(pk=case.pk).values(*LIST_COLUMNS)
    return case_rows(qs, now=now)[0]


def case_row_from_instance(case: Case, *, now: datetime) -> dict:
    """The list row of a case whose customer, category, team and assignee are loaded already
    (``fetch_case``, or just created): no query but the running timers' when they were not
    prefetched."""
    customer, assignee = case.customer, case.assignee if case.assignee_id else None
    row = {
        "id": case.pk,
        "reference": case.reference,
        "subject": case.subject,
        "status": case.status,
        "priority": case.priority,
        "channel": case.channel,
        "category__code": case.category.code,
        "category__name": case.category.name,
        "team__slug": case.team.slug,
        "team__name": case.team.name,
        "assignee_id": case.assignee_id,
        "assignee__username": assignee.username if assignee else None,
        "assignee__first_name": assignee.first_name if assignee else None,
        "assignee__last_name": assignee.last_name if assignee else None,
        "customer__account_number": customer.account_number,
        "customer__full_name": customer.full_name,
        "customer__jurisdiction": customer.jurisdiction,
        "customer__tier": customer.tier,
        "received_at": case.received_at,
        "updated_at": case.updated_at,
        "first_response_at": case.first_response_at,
        "resolved_at": case.resolved_at,
        "sla_due_at": case.sla_due_at,
        "version": case.version,
    }
    prefetched = getattr(case, "running_timers", None)
    if prefetched is None:
        return case_rows([row], now=now)[0]
    # Timers prefetched by with_running_timers (fetch_case): in the same order, no query.
    zone = timezone.get_current_timezone()
    timers = [{"metric": t.metric, "due_at": iso(t.due_at, zone), "state": t.state(now)} for t in prefetched]
    return _row(row, timers, zone)


def event_out(event: dict, *, customer_name: str, zone: tzinfo) -> dict:
    """One timeline entry (``EventSerializer``) from a ``values(*_EVENT_COLUMNS)`` row of CaseEvent."""
    if event["kind"] == EventKind.CUSTOMER_MESSAGE:
        author = customer_name
    elif event["actor_id"] is not None:
        author = person_name(event["actor__first_name"], event["actor__last_name"], event["actor__username"])
    else:
        author = "System"
    return {
        "id": event["id"],
        "kind": event["kind"],
        "author": author,
        # CaseEvent.is_internal: everything but replies and the customer's own messages.
        "internal": event["kind"] not in (EventKind.REPLY, EventKind.CUSTOMER_MESSAGE),
        "body": event["body"],
        "data": event["data"],
        "created_at": iso(event["created_at"], zone),
    }


_EVENT_COLUMNS = ("id", "kind", "actor_id", "actor__username", "actor__first_name", "actor__last_name", "body",
                  "data", "created_at")  # fmt: skip


# What the detail reads besides the list's columns: the customer's PII (masked below unless the
# viewer holds a reveal) and the case's own remaining columns.
DETAIL_COLUMNS = (
    *LIST_COLUMNS,
    "customer_id",
    "customer__email",
    "customer__phone",
    "customer__date_of_birth",
    "customer__government_id_last4",
    "customer__language",
    "customer__is_older_adult",
    "language",
    "closed_at",
    "reopen_count",
)


def holds_reveal(viewer, *, now: datetime) -> Exists:
    """For a case query: whether ``viewer`` holds any unexpired reveal of the case's customer.
    Nearly nobody does, so the detail reads the reveals themselves only when this says so."""
    return Exists(
        PiiReveal.objects.filter(viewer_id=viewer.pk, customer_id=OuterRef("customer_id"), expires_at__gt=now)
    )


def case_detail(row: dict, *, viewer, now: datetime) -> dict:
    """The detail body (``CaseDetailSerializer``) from a ``values(*DETAIL_COLUMNS)`` row of a
    case the viewer may read: the list row, the customer's PII as the viewer may see it now
    (``customer_pii_for``: masked unless they hold an unexpired reveal), and the whole timeline,
    oldest first, in one query. A row with ``holds_reveal`` False needs no look at the reveals."""
    zone = timezone.get_current_timezone()
    body = _row(row, running_timers_by_case([row["id"]], now=now, zone=zone)[row["id"]], zone)
    customer = Customer(
        pk=row["customer_id"],
        email=row["customer__email"],
        phone=row["customer__phone"],
        date_of_birth=row["customer__date_of_birth"],
        government_id_last4=row["customer__government_id_last4"],
    )
    reveals = None if row.get("holds_reveal", True) else {}
    pii = customer_pii_for(viewer, customer, now=now, reveals=reveals)
    body["customer"].update(
        email=pii["email"],
        phone=pii["phone"],
        date_of_birth=pii["date_of_birth"],
        government_id_last4=pii["government_id_last4"],
        language=row["customer__language"],
        is_older_adult=row["customer__is_older_adult"],
    )
    events = CaseEvent.objects.filter(case_id=row["id"]).order_by("created_at", "id").values(*_EVENT_COLUMNS)
    customer_name = row["customer__full_name"]
    body.update(
        language=row["language"],
        closed_at=iso(row["closed_at"], zone),
        reopen_count=row["reopen_count"],
        timeline=[event_out(event, customer_name=customer_name, zone=zone) for event in events],
    )
    return body
