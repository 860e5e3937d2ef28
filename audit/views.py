"""The audit ledger for auditors (and the FIU, for the restricted inbox's rows): read, filter,
export. Each page view and export is itself a ledger row."""

from __future__ import annotations

import csv
import json

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.filters import RESTRICTED_OBJECT_TYPES, AuditFilter
from audit.models import AuditEvent
from audit.services import audit_record
from people.choices import Role
from people.roles import role_of

PAGE_SIZE = 100
EXPORT_COLUMNS = ["id", "occurred_at", "actor_label", "action", "object_type", "object_id", "before", "after",
                  "request_id", "prev_hash", "hash"]  # fmt: skip


def ledger_for(user):
    """What of the ledger ``user`` may read: all of it for auditors, the restricted inbox's rows
    for the FIU, nothing for anyone else."""
    role = role_of(user)
    if role == Role.AUDITOR:
        return AuditEvent.objects.all()
    if role == Role.FIU:
        return AuditEvent.objects.filter(object_type__in=RESTRICTED_OBJECT_TYPES)
    raise PermissionDenied("The audit ledger is for auditors.")


def _filtered(request):
    qs = ledger_for(request.user)
    filterset = AuditFilter(request.GET, queryset=qs)
    return filterset, (filterset.qs if filterset.is_valid() else None)


def _record_read(request, action: str) -> None:
    query = {key: value for key, value in request.GET.items() if value}
    with transaction.atomic():
        audit_record(actor=request.user, action=action, object_type="ledger", object_id="query", after=query)


@require_GET
def ledger(request):
    filterset, qs = _filtered(request)
    if qs is None:
        return render(request, "audit/ledger.html", {"filter": filterset, "events": []}, status=400)
    _record_read(request, "audit.read")
    events = list(qs.order_by("-id")[: PAGE_SIZE + 1])
    older = events[PAGE_SIZE - 1].pk if len(events) > PAGE_SIZE else None
    for event in events:
        event.before_text = "" if event.before is None else json.dumps(event.before, indent=1, sort_keys=True)
        event.after_text = "" if event.after is None else json.dumps(event.after, indent=1, sort_keys=True)
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "filter": filterset,
        "events": events[:PAGE_SIZE],
        "older": older,
        "querystring": query.urlencode(),
    }
    return render(request, "audit/ledger.html", context)


def _cell(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else value


class _Echo:
    def write(self, value):
        return value


@require_GET
def ledger_export(request):
    """The filtered ledger as CSV, newest first, streamed (it may be millions of rows)."""
    filterset, qs = _filtered(request)
    if qs is None:
        return render(request, "audit/ledger.html", {"filter": filterset, "events": []}, status=400)
    _record_read(request, "audit.export")
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(EXPORT_COLUMNS)
        for event in qs.order_by("-id").iterator(chunk_size=2000):
            yield writer.writerow([_cell(getattr(event, column)) for column in EXPORT_COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-ledger.csv"'
    return response
