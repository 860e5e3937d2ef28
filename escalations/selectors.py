"""Reads for escalation pages: the receiving teams' queue, a case's hops, return and ping-pong counts."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from cases.models import Case
from escalations.choices import OPEN_ESCALATION_STATUSES, EscalationStatus
from escalations.models import Escalation
from people.roles import ORG_WIDE_READERS, can_work_cases, role_of
from people.selectors import team_ids_of


def escalation_list_for_queue(*, user) -> QuerySet[Escalation]:
    """Open escalations addressed to the user's teams (every team for org-wide readers).

    Plain rows for the FilterSet to narrow and the pager to count; ``escalation_queue_order``
    sorts them and ``escalation_rows`` fetches one page with what a row shows.
    """
    qs = Escalation.objects.filter(status__in=OPEN_ESCALATION_STATUSES)
    if role_of(user) in ORG_WIDE_READERS:
        return qs
    if can_work_cases(user):
        return qs.filter(to_team_id__in=team_ids_of(user))
    return qs.none()


def escalation_queue_order(qs: QuerySet[Escalation]) -> QuerySet[Escalation]:
    """Most urgent first: SLA due soonest, then case priority, customer tier (as it was when the
    escalation was raised), urgency and age. Every key is on the escalation row (the case's due
    time and priority kept there by a trigger), so escalations_queue_order_idx serves the page.

    Compliance's regulatory clocks will sort ahead of the SLA once that app registers them.
    """
    return qs.order_by(
        F("case_sla_due_at").asc(nulls_last=True), "case_priority_rank", "tier_rank", "urgency_rank", "requested_at",
        "id",
    )  # fmt: skip


def escalation_rows(*, ids: list[int]) -> list[Escalation]:
    """One page of the queue, in the order of ``ids``, with what a row shows (two queries)."""
    rows = (
        Escalation.objects.filter(pk__in=ids)
        .select_related("case", "case__customer", "from_team", "to_team", "reason", "owner")
        .prefetch_related("ola_calendar_version")
    )
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def escalations_of_case(*, case: Case) -> QuerySet[Escalation]:
    """Every hop of a case in order, for the case page (one query)."""
    return (
        Escalation.objects.filter(case=case)
        .select_related("from_team", "to_team", "reason", "requested_by", "owner", "responded_by")
        .order_by("requested_at", "id")
    )


def escalation_get_for_user(*, user, pk: int) -> Escalation | None:
    """An escalation the user may see: its case is visible to them, or it is addressed to their team."""
    escalation = (
        Escalation.objects.select_related("case", "from_team", "to_team", "reason", "owner", "requested_by")
        .filter(pk=pk)
        .first()
    )
    if escalation is None:
        return None
    if escalation.to_team_id in team_ids_of(user) and can_work_cases(user):
        return escalation
    if Case.objects.visible_to(user).filter(pk=escalation.case_id).exists():
        return escalation
    return None


def escalation_bounce_figures(*, team_ids: list[int] | None = None) -> dict:
    """Escalations, how many were returned, and ping-pong: a hop to a team the case had already
    been escalated to or sent from (A → B, back to A, or A → B twice). One aggregate query."""
    earlier_visit = Escalation.objects.filter(
        Q(to_team_id=OuterRef("to_team_id")) | Q(from_team_id=OuterRef("to_team_id")),
        Q(requested_at__lt=OuterRef("requested_at")) | Q(requested_at=OuterRef("requested_at"), id__lt=OuterRef("id")),
        case_id=OuterRef("case_id"),
    )
    qs = Escalation.objects.all()
    if team_ids is not None:
        qs = qs.filter(Q(to_team_id__in=team_ids) | Q(from_team_id__in=team_ids))
    return qs.annotate(bounced=Exists(earlier_visit)).aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__in=OPEN_ESCALATION_STATUSES)),
        returned=Count("id", filter=Q(status=EscalationStatus.RETURNED)),
        ping_pong=Count("id", filter=Q(bounced=True)),
    )


def escalation_bounce_figures_cached(*, team_ids: list[int]) -> dict:
    """The same figures, cached a minute per set of teams: the queue page shows them on every
    load, and counting hops over every escalation a team ever had is the page's dearest query."""
    key = "escalation-bounce:" + ",".join(str(team_id) for team_id in sorted(team_ids))
    figures = cache.get(key)
    if figures is None:
        figures = escalation_bounce_figures(team_ids=team_ids)
        cache.set(key, figures, 60)
    return figures


def ola_remaining_minutes(escalation: Escalation, now) -> int:
    """Signed business minutes until the receiving team's response is due (negative: overdue)."""
    from people.business_time import business_minutes_left
    from people.calendars import work_calendar

    cal = work_calendar(escalation.ola_calendar_version)
    return business_minutes_left(cal, escalation.responded_at or now, escalation.ola_due_at)
