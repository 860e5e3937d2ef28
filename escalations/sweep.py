"""The receiving teams' response clocks (OLA): warn and breach unanswered escalations.

Set-based and idempotent like the SLA sweep: each pass claims due rows through its partial
index with ``SKIP LOCKED``, marks them with a conditional UPDATE, and acts (timeline event,
notifications, one audit row per batch) only on what it marked, all in one transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from cases.choices import EventKind
from cases.models import CaseEvent
from escalations.choices import EscalationStatus
from escalations.models import Escalation
from people.choices import Role
from people.models import Membership
from people.notifications import Message, notify_many


@dataclass
class OlaSweepResult:
    warned: int = 0
    breached: int = 0
    seconds: float = 0.0


def _claim(*, field: str, due_field: str, now: datetime, batch_size: int) -> list[Escalation]:
    due = Escalation.objects.filter(
        status=EscalationStatus.REQUESTED, **{f"{field}__isnull": True, f"{due_field}__lte": now}
    )
    ids = list(due.select_for_update(skip_locked=True).order_by(due_field).values_list("id", flat=True)[:batch_size])
    if not ids:
        return []
    # The conditional update is the claim: a row another sweep marked first is not ours.
    marked = Escalation.objects.filter(id__in=ids, **{f"{field}__isnull": True}).update(**{field: now})
    if not marked:
        return []
    return list(Escalation.objects.filter(id__in=ids, **{field: now}).select_related("case", "to_team", "owner"))


def _recipients(escalations: list[Escalation]) -> dict[int, list[int]]:
    """Leads of each receiving team, plus the owner when there is one (one query)."""
    team_ids = {e.to_team_id for e in escalations}
    leads: dict[int, list[int]] = {}
    for team_id, user_id in Membership.objects.filter(
        team_id__in=team_ids, user__role=Role.LEAD, user__is_active=True
    ).values_list("team_id", "user_id"):
        leads.setdefault(team_id, []).append(user_id)
    return leads


def _act(escalations: list[Escalation], *, kind: str, now: datetime) -> None:
    leads = _recipients(escalations)
    verb = "overdue" if kind == "breached" else "due soon"
    # One batch for every notification of the pass: a constant number of queries per batch.
    notify_many(
        [
            Message(
                recipient_ids=leads.get(escalation.to_team_id, []),
                kind=f"ola_{kind}",
                title=f"{escalation.case.reference}: response to the escalation is {verb} ({escalation.to_team})",
                url=f"/escalations/{escalation.pk}/",
            )
            for escalation in escalations
        ],
        now=now,
    )
    if kind == "breached":
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case_id=e.case_id,
                kind=EventKind.ESCALATION,
                data={"event": "ola_breached", "escalation_id": e.pk, "to_team": str(e.to_team)},
                created_at=now,
            )
            for e in escalations
        )
    audit_record(
        actor=None,
        action=f"escalation.ola_{kind}",
        object_type="escalation",
        object_id="sweep",
        after={"escalation_ids": [e.pk for e in escalations], "at": now.isoformat()},
    )


def escalation_ola_sweep(*, now: datetime | None = None, batch_size: int = 500) -> OlaSweepResult:
    started = time.perf_counter()
    now = now or timezone.now()
    result = OlaSweepResult()
    for field, due_field, kind in (("ola_warned_at", "ola_warn_at", "warned"), ("ola_breached_at", "ola_due_at",
                                                                             "breached")):  # fmt: skip
        while True:
            with transaction.atomic():
                claimed = _claim(field=field, due_field=due_field, now=now, batch_size=batch_size)
                if claimed:
                    _act(claimed, kind=kind, now=now)
            if kind == "warned":
                result.warned += len(claimed)
            else:
                result.breached += len(claimed)
            if len(claimed) < batch_size:
                break
    result.seconds = time.perf_counter() - started
    return result
