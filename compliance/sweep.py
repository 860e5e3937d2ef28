"""Warn before regulatory obligations fall due and record their breaches.

Set-based and idempotent like the SLA sweep: each pass claims due rows through the open-
obligation index with SKIP LOCKED, marks them with a conditional UPDATE, and acts (timeline
event on breach, notifications, one audit row per batch) only on what it marked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from cases import registry
from cases.choices import EventKind
from cases.models import CaseEvent
from compliance.models import Obligation
from people.choices import Role
from people.models import User
from people.notifications import Message, notify_many

# How long before the deadline the reviewers and the case owner hear about it.
WARN_AHEAD = timedelta(hours=24)


@dataclass
class ObligationSweepResult:
    warned: int = 0
    breached: int = 0
    seconds: float = 0.0


def _claim(*, field: str, due_before: datetime, now: datetime, batch_size: int) -> list[Obligation]:
    due = Obligation.objects.filter(satisfied_at__isnull=True, due_at__lte=due_before, **{f"{field}__isnull": True})
    ids = list(due.select_for_update(skip_locked=True).order_by("due_at").values_list("id", flat=True)[:batch_size])
    if not ids:
        return []
    marked = Obligation.objects.filter(id__in=ids, **{f"{field}__isnull": True}).update(**{field: now})
    if not marked:
        return []
    return list(Obligation.objects.filter(id__in=ids, **{field: now}).select_related("case"))


def _act(obligations: list[Obligation], *, kind: str, now: datetime) -> None:
    reviewer_ids = list(User.objects.filter(role=Role.COMPLIANCE, is_active=True).values_list("pk", flat=True))
    verb = "is overdue" if kind == "breached" else "is due within 24 hours"
    # The person on each case hears of its own deadline; reviewers get one line per batch that
    # leads to the queue filtered to those deadlines (a thousand bells each would hide them).
    messages = [
        Message(
            recipient_ids=[o.case.assignee_id],
            kind=f"obligation_{kind}",
            title=f"{o.case.reference}: {o.rule_name} {verb}",
            url=f"/cases/{o.case.reference}/",
        )
        for o in obligations
        if o.case.assignee_id
    ]
    if len(obligations) == 1:
        only = obligations[0]
        summary, url = f"{only.case.reference}: {only.rule_name} {verb}", f"/cases/{only.case.reference}/"
    else:
        plural = "are overdue" if kind == "breached" else "are due within 24 hours"
        summary = f"{len(obligations)} regulatory deadlines {plural}"
        url = "/compliance/?deadline=missed" if kind == "breached" else "/compliance/?deadline=2d"
    messages.append(Message(recipient_ids=reviewer_ids, kind=f"obligation_{kind}", title=summary, url=url))
    # One batch for every notification of the pass: a constant number of queries per batch.
    notify_many(
        messages,
        now=now,
    )
    if kind == "breached":
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case_id=o.case_id,
                kind=EventKind.FLAG,
                created_at=now,
                data={
                    "event": "obligation_breached",
                    "rule": o.rule_name,
                    "citation": o.citation,
                    "due_at": o.due_at.isoformat(),
                },
            )  # fmt: skip
            for o in obligations
        )
    for o in obligations:
        registry.emit(
            "obligation.due" if kind == "warned" else "obligation.breached",
            case=o.case,
            data={"obligation_id": o.pk, "rule": o.rule_name, "citation": o.citation, "due_at": o.due_at},
        )
    audit_record(
        actor=None,
        action=f"obligation.{kind}",
        object_type="obligation",
        object_id="sweep",
        after={"obligation_ids": [o.pk for o in obligations], "at": now.isoformat()},
    )


def obligation_sweep(*, now: datetime | None = None, batch_size: int = 1000) -> ObligationSweepResult:
    started = time.perf_counter()
    now = now or timezone.now()
    result = ObligationSweepResult()
    passes = (("warned_at", now + WARN_AHEAD, "warned"), ("breached_at", now, "breached"))
    for field, due_before, kind in passes:
        while True:
            with transaction.atomic():
                claimed = _claim(field=field, due_before=due_before, now=now, batch_size=batch_size)
                if claimed:
                    _act(claimed, kind=kind, now=now)
            setattr(result, kind, getattr(result, kind) + len(claimed))
            if len(claimed) < batch_size:
                break
    result.seconds = time.perf_counter() - started
    return result
