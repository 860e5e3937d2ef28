"""What a dashboard looks at: the window, the zone its days are counted in, and the filters.

A :class:`Scope` is built from the filter form (``metrics.filters``) and the viewer's access;
every figure in ``metrics.definitions`` reads cases only through :func:`facts_in` (or, for
counts, the hourly rollup through :func:`rollup_in` where :func:`reads_rollup` allows), so the
date range, the filters and the viewer's visibility apply to every panel, export and drill-down
alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, Q, QuerySet

from metrics.choices import FLAG_KIND_BITS, Granularity
from metrics.localtime import offset_spans
from metrics.models import CaseFact, FactHour


@dataclass(frozen=True)
class Scope:
    """A window ``[start, end)`` of whole local days in ``tz`` and the filters on cases.

    ``visible_team_ids`` is the viewer's access: ``None`` for org-wide readers, otherwise the
    teams whose cases they may read. Empty filter tuples mean "any".
    """

    start_day: date
    end_day: date  # inclusive, as the viewer picked it
    tz: ZoneInfo
    visible_team_ids: tuple[int, ...] | None
    granularity: str = Granularity.DAY
    team_ids: tuple[int, ...] = ()
    assignee_id: int | None = None
    category_ids: tuple[int, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    flag_kinds: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.start_day, time(0), tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        """Midnight after the last day, local to ``tz`` (exclusive)."""
        return datetime.combine(self.end_day + timedelta(days=1), time(0), tzinfo=self.tz)

    @property
    def days(self) -> int:
        return (self.end_day - self.start_day).days + 1

    def previous(self) -> Scope:
        """The period of the same length just before this one (the trend's comparison)."""
        length = timedelta(days=self.days)
        return replace(self, start_day=self.start_day - length, end_day=self.end_day - length)

    def with_window(self, start_day: date, end_day: date) -> Scope:
        return replace(self, start_day=start_day, end_day=end_day)


def dimension_q(scope: Scope, prefix: str = "") -> Q:
    """The filters (and access) as a Q on CaseFact, or on a model reaching it through ``prefix``."""
    # Restricted (FIU) cases are never part of a figure, an export or a drill-down.
    return Q(**{f"{prefix}restricted": False}) & scope_filters(scope, prefix)


def scope_filters(scope: Scope, prefix: str = "", *, customer: str = "") -> Q:
    """The viewer's access and the chosen filters on the columns CaseFact and Case share, through
    ``prefix``; jurisdiction and tier sit on ``customer`` ("customer__" on Case, "" on CaseFact)."""
    p, c = prefix, prefix + customer
    q = Q()
    if scope.visible_team_ids is not None:
        q &= Q(**{f"{p}team_id__in": scope.visible_team_ids})
    if scope.team_ids:
        q &= Q(**{f"{p}team_id__in": scope.team_ids})
    if scope.assignee_id is not None:
        q &= Q(**{f"{p}assignee_id": scope.assignee_id})
    if scope.category_ids:
        q &= Q(**{f"{p}category_id__in": scope.category_ids})
    if scope.jurisdictions:
        q &= Q(**{f"{c}jurisdiction__in": scope.jurisdictions})
    if scope.channels:
        q &= Q(**{f"{p}channel__in": scope.channels})
    if scope.tiers:
        q &= Q(**{f"{c}tier__in": scope.tiers})
    return q


def flag_mask_of(kinds) -> int:
    mask = 0
    for kind in kinds:
        mask |= FLAG_KIND_BITS[kind]
    return mask


def facts_in(scope: Scope, *, by: str = "received_at", window: bool = True) -> QuerySet[CaseFact]:
    """Facts of the cases in scope; ``by`` picks the instant the window applies to."""
    qs = CaseFact.objects.filter(dimension_q(scope))
    if window:
        qs = qs.filter(**{f"{by}__gte": scope.start, f"{by}__lt": scope.end})
    if scope.flag_kinds:
        # Any of the chosen kinds: a bitwise test on the row, no join to the flags table.
        qs = qs.annotate(_flags=F("flag_mask").bitand(flag_mask_of(scope.flag_kinds))).filter(_flags__gt=0)
    return qs


def whole_hour_zone(scope: Scope) -> bool:
    """Whether every local midnight and hour of the window falls on a UTC hour: the zone's
    offsets there are whole hours and change on UTC hours (not India, Adelaide, Nepal)."""
    spans = offset_spans(scope.tz, scope.start, scope.end)
    return all(offset % 3600 == 0 for _, offset in spans) and all(
        until.minute == 0 and until.second == 0 for until, _ in spans if until is not None
    )


def reads_rollup(scope: Scope) -> bool:
    """Whether the scope's counts can be read from the hourly rollup (``FactHour``): on
    PostgreSQL, for whole-hour zones, when the filters are only teams and categories (the
    rollup's keys). Any other filter reads the facts, which its own selectivity keeps small."""
    return (
        connection.vendor == "postgresql"
        and scope.assignee_id is None
        and not (scope.jurisdictions or scope.channels or scope.flag_kinds or scope.tiers)
        and whole_hour_zone(scope)
    )


def reads_hop_rollup(scope: Scope) -> bool:
    """Whether escalation hops can be read from their daily rollup (``HopDay``): on PostgreSQL,
    when the only filter is teams (the case's team is the rollup's key). Any zone: the partial
    UTC days at the window's ends are read from the hops."""
    return (
        connection.vendor == "postgresql"
        and scope.assignee_id is None
        and not (scope.category_ids or scope.jurisdictions or scope.channels or scope.flag_kinds or scope.tiers)
    )


def rollup_in(scope: Scope, *, window: bool = True, by_category: bool = False) -> QuerySet[FactHour]:
    """The rollup rows of the scope's teams and categories (restricted cases are never in them):
    the same access and filters as the facts, which ``reads_rollup`` limits to these two keys.
    Per-category rows when the scope filters or the figure groups by category, else the teams'
    subtotals (one row per team and hour)."""
    per_category = by_category or bool(scope.category_ids)
    qs = FactHour.objects.filter(scope_filters(scope), category__isnull=not per_category)
    if window:
        qs = qs.filter(hour__gte=scope.start, hour__lt=scope.end)
    return qs
