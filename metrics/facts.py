"""Keeping CaseFact rows: written from the source tables, a chunk of cases at a time.

Called by Celery (``metrics.tasks``): after a status change (on commit) for that case, and by
a periodic sweep for every case that changed since the last run (replies, escalations, flags,
SLA timers). Rewriting a fact is idempotent: it is recomputed from the sources every time.
Business minutes need the team's calendar, so they are computed here in Python, one value per
case written; no figure is ever computed in a loop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.choices import SlaMetric
from cases.models import Case, SlaTimer
from compliance.models import FlagDecision, Referral, RegulatoryFlag
from escalations.models import Escalation
from metrics.cache import generation_bump
from metrics.choices import FLAG_KIND_BITS, FactSla
from metrics.daily import daily_rebuild, daily_refresh, fact_days
from metrics.decisions import decisions_refresh
from metrics.hops import hop_days, hops_rebuild, hops_refresh
from metrics.models import CaseFact, FactWatermark, Survey
from metrics.rollups import fact_hours, hour_of, rollup_rebuild, rollup_refresh
from people.business_time import WorkCalendar, business_minutes_between
from people.calendars import calendar_version_current, work_calendar
from people.choices import TeamKind
from people.models import Team

CHUNK = 5_000
WATERMARK = "facts"
# Overlap between sweeps: a transaction that committed late with an older updated_at is still read.
SWEEP_OVERLAP = timedelta(minutes=10)
UPDATE_FIELDS = [
    "received_at",
    "team",
    "assignee",
    "category",
    "channel",
    "jurisdiction",
    "tier",
    "status",
    "first_response_at",
    "first_response_minutes",
    "first_response_business_minutes",
    "resolved_at",
    "resolution_minutes",
    "resolution_business_minutes",
    "reopened",
    "escalated",
    "flag_mask",
    "restricted",
    "sla_first_response",
    "sla_resolution",
    "sla_next_response_met",
    "sla_next_response_breached",
    "sla_paused_minutes",
    "csat_sent_at",
    "csat_score",
    "refreshed_at",
]


def _team_calendars() -> dict[int, tuple[WorkCalendar | None, bool]]:
    """Each team's current calendar and whether it is the FIU (few rows, read once per batch)."""
    out = {}
    for team in Team.objects.select_related("calendar"):
        cal = work_calendar(calendar_version_current(team.calendar)) if team.calendar_id else None
        out[team.pk] = (cal, team.kind == TeamKind.FIU)
    return out


def _minutes(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds() // 60))


def _business(cal: WorkCalendar | None, start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    if cal is None:
        return _minutes(start, end)
    return business_minutes_between(cal, start, end)


def _outcome(timer: dict, now: datetime) -> str:
    if timer["breached_at"] is not None:
        return FactSla.BREACHED
    if timer["met_at"] is not None:
        return FactSla.BREACHED if timer["met_at"] > timer["due_at"] else FactSla.MET
    if timer["stopped_at"] is None and timer["paused_at"] is None and timer["due_at"] <= now:
        return FactSla.BREACHED
    return ""


def facts_refresh(
    case_ids: Iterable[int], *, now: datetime | None = None, renew_dashboards: bool = True, rollup: bool = True
) -> int:
    """Recompute the facts of ``case_ids`` from the source tables, then the hourly rollup of
        every hour those cases counted in before or after (``metrics.rollups``) and the daily rollup
        of the days their escalation hops were requested on (``metrics.hops``), and the daily rollup of
    the days they were received or resolved on, before or after (``metrics.daily``); returns rows
    written.

        ``renew_dashboards`` makes cached dashboards recompute on their next request; the refresh
        after each status change leaves them be (a busy desk changes a case every few seconds), so
        those show within the 5 minutes until the sweep renews them. ``rollup=False`` is for a
        rebuild, which recomputes the whole rollup once at the end.
    """
    now = now or timezone.now()
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    calendars = _team_calendars()
    written = 0
    hours: set[datetime] = set()
    days: set[date] = set()
    fact_day_set: set[date] = set()
    with transaction.atomic():
        for offset in range(0, len(ids), CHUNK):
            chunk = ids[offset : offset + CHUNK]
            if rollup:
                hours |= fact_hours(chunk)
                days |= hop_days(chunk)
                fact_day_set |= fact_days(chunk)
            written += _refresh_chunk(chunk, calendars, now, hours if rollup else None)
            if rollup:
                fact_day_set |= fact_days(chunk)
        if rollup:
            # Last in the transaction: the rollup lock is held from here to commit.
            rollup_refresh(hours)
            hops_refresh(days)
            daily_refresh(fact_day_set)
    if renew_dashboards:
        transaction.on_commit(generation_bump)
    return written


def _refresh_chunk(ids: list[int], calendars: dict, now: datetime, hours: set[datetime] | None) -> int:
    cases = Case.objects.filter(pk__in=ids).values(
        "pk",
        "received_at",
        "team_id",
        "assignee_id",
        "category_id",
        "channel",
        "status",
        "first_response_at",
        "resolved_at",
        "reopen_count",
        "customer__jurisdiction",
        "customer__tier",
    )
    escalated = set(Escalation.objects.filter(case_id__in=ids).values_list("case_id", flat=True))
    # Referred to the FIU (the restricted inbox): only the fact that a referral exists is read.
    restricted = set(Referral.objects.filter(case_id__in=ids).values_list("case_id", flat=True))
    masks: dict[int, int] = defaultdict(int)
    for case_id, kind in RegulatoryFlag.objects.filter(case_id__in=ids).values_list("case_id", "kind"):
        masks[case_id] |= FLAG_KIND_BITS.get(kind, 0)
    first_sla: dict[int, str] = {}
    resolution_sla: dict[int, str] = {}
    next_met: dict[int, int] = defaultdict(int)
    next_breached: dict[int, int] = defaultdict(int)
    paused: dict[int, int] = defaultdict(int)
    timers = SlaTimer.objects.filter(case_id__in=ids).values(
        "case_id",
        "metric",
        "met_at",
        "due_at",
        "breached_at",
        "stopped_at",
        "paused_at",
        "paused_minutes",
        "started_at",
    )
    for timer in timers.order_by("case_id", "started_at", "pk"):
        case_id, outcome = timer["case_id"], _outcome(timer, now)
        if timer["metric"] == SlaMetric.FIRST_RESPONSE:
            first_sla[case_id] = outcome
        elif timer["metric"] == SlaMetric.RESOLUTION:
            # A reopened case runs a new resolution clock; the latest one decides.
            resolution_sla[case_id] = outcome
            paused[case_id] += timer["paused_minutes"]
        elif outcome == FactSla.MET:
            next_met[case_id] += 1
        elif outcome == FactSla.BREACHED:
            next_breached[case_id] += 1
    surveys = {
        case_id: (sent_at, score)
        for case_id, sent_at, score in Survey.objects.filter(case_id__in=ids).values_list("case_id", "sent_at", "score")
    }
    rows = []
    for case in cases:
        pk, received = case["pk"], case["received_at"]
        cal, fiu = calendars.get(case["team_id"], (None, False))
        rows.append(
            CaseFact(
                case_id=pk,
                received_at=received,
                team_id=case["team_id"],
                assignee_id=case["assignee_id"],
                category_id=case["category_id"],
                channel=case["channel"],
                jurisdiction=case["customer__jurisdiction"],
                tier=case["customer__tier"],
                status=case["status"],
                first_response_at=case["first_response_at"],
                first_response_minutes=_minutes(received, case["first_response_at"]),
                first_response_business_minutes=_business(cal, received, case["first_response_at"]),
                resolved_at=case["resolved_at"],
                resolution_minutes=_minutes(received, case["resolved_at"]),
                resolution_business_minutes=_business(cal, received, case["resolved_at"]),
                reopened=case["reopen_count"] > 0,
                escalated=pk in escalated,
                flag_mask=masks.get(pk, 0),
                restricted=fiu or pk in restricted,
                sla_first_response=first_sla.get(pk, ""),
                sla_resolution=resolution_sla.get(pk, ""),
                sla_next_response_met=next_met.get(pk, 0),
                sla_next_response_breached=next_breached.get(pk, 0),
                sla_paused_minutes=paused.get(pk, 0),
                csat_sent_at=surveys.get(pk, (None, None))[0],
                csat_score=surveys.get(pk, (None, None))[1],
                refreshed_at=now,
            )
        )
    CaseFact.objects.bulk_create(rows, update_conflicts=True, unique_fields=["case"], update_fields=UPDATE_FIELDS)
    decisions_refresh({row.case_id: (row.team_id, row.restricted) for row in rows})
    if hours is not None:
        hours.update(hour_of(instant) for row in rows for instant in (row.received_at, row.csat_sent_at) if instant)
    return len(rows)


def changed_case_ids(*, since: datetime, until: datetime) -> set[int]:
    """Cases whose facts may have changed in ``[since, until)``: the case row itself (a new case
    has ``updated_at`` of its creation), its escalations, flags (raised, submitted, decided or a
    decision voided) and SLA timers."""
    ids = set(Case.objects.filter(updated_at__gte=since, updated_at__lt=until).values_list("pk", flat=True))
    hops = Escalation.objects.filter(
        Q(requested_at__gte=since, requested_at__lt=until) | Q(responded_at__gte=since, responded_at__lt=until)
    )
    ids.update(hops.values_list("case_id", flat=True))
    ids.update(
        RegulatoryFlag.objects.filter(
            Q(raised_at__gte=since, raised_at__lt=until) | Q(submitted_at__gte=since, submitted_at__lt=until)
        ).values_list("case_id", flat=True)
    )
    # Sign-off decisions made or voided (their case's decision facts, metrics.decisions).
    ids.update(
        FlagDecision.objects.filter(
            Q(decided_at__gte=since, decided_at__lt=until) | Q(voided_at__gte=since, voided_at__lt=until)
        ).values_list("flag__case_id", flat=True)
    )
    ids.update(Referral.objects.filter(referred_at__gte=since, referred_at__lt=until).values_list("case_id", flat=True))
    ids.update(
        SlaTimer.objects.filter(
            Q(breached_at__gte=since, breached_at__lt=until) | Q(met_at__gte=since, met_at__lt=until)
        ).values_list("case_id", flat=True)
    )
    return ids


def facts_sweep(*, now: datetime | None = None) -> int:
    """Refresh the facts of every case changed since the last sweep; idempotent, set-based."""
    now = now or timezone.now()
    with transaction.atomic():
        mark, created = FactWatermark.objects.select_for_update().get_or_create(
            name=WATERMARK, defaults={"refreshed_through": now - timedelta(days=1)}
        )
        since = mark.refreshed_through - SWEEP_OVERLAP
        written = facts_refresh(changed_case_ids(since=since, until=now + SWEEP_OVERLAP), now=now)
        mark.refreshed_through = now
        mark.save(update_fields=["refreshed_through"])
    return written


def facts_rebuild(*, now: datetime | None = None) -> int:
    """Recompute every case's facts (after a bulk load); returns rows written."""
    now = now or timezone.now()
    written = 0
    last = 0
    while True:
        ids = list(Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[: CHUNK * 4])
        if not ids:
            break
        written += facts_refresh(ids, now=now, rollup=False)
        last = ids[-1]
    rollup_rebuild()
    hops_rebuild()
    daily_rebuild()
    FactWatermark.objects.update_or_create(name=WATERMARK, defaults={"refreshed_through": now})
    return written
