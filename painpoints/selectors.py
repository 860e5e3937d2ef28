"""Reads: the case page's identifier panel, shared-identifier lists, the cluster walk, pain point
lists with their impact, the send preview and the dashboard. Every case list starts from
``painpoints.access.cases_visible_for_links`` (the viewer's cases, less restricted ones)."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models import Case as When_
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.safestring import SafeString

from cases.choices import OPEN_STATUSES
from cases.models import Case
from knowledge.choices import DocKind
from knowledge.models import DocumentVersion
from painpoints.access import (
    can_see_clusters,
    case_visibility_q,
    cases_visible_for_links,
    pain_points_visible_to,
    restricted_q,
)
from painpoints.choices import OPEN_PAIN_STATUSES, IdentifierKind, JobKind, PainPointStatus
from painpoints.forms import IdentifierForm
from painpoints.models import BulkJob, CaseIdentifier, PainPoint, PainPointEvent, PainPointLink
from people.roles import can_read_cases

# How many other cases the case page lists per identifier (the link shows them all).
PANEL_SHARERS = 5
CLUSTER_MAX_DEPTH = 3
CLUSTER_MAX_CASES = 500


# --- the case page -------------------------------------------------------------------------------


def identifier_case_panel(user, case, editable: bool) -> dict | None:
    """``cases.registry.case_panels``: the case's identifiers, each with the other cases the
    viewer may see that share it (restricted ones left out), in one query: the case's own rows
    and the sharers' rows together, numbered per identifier so only the first few sharers come
    back, with how many there are in all."""
    if not can_read_cases(user):
        return None
    same = CaseIdentifier.objects.filter(case_id=case.pk, kind=OuterRef("kind"), value=OuterRef("value"))
    visible = case_visibility_q(user)
    rows = CaseIdentifier.objects.filter(Exists(same))
    if visible is None:
        rows = rows.filter(case_id=case.pk)
    elif visible:
        rows = rows.filter(Q(case_id=case.pk) | visible)
    rows = (
        rows.annotate(
            own=When_(When(case_id=case.pk, then=Value(1)), default=Value(0), output_field=IntegerField()),
            rank=Window(
                RowNumber(),
                partition_by=[F("kind"), F("value")],
                order_by=[F("own").desc(), F("case__received_at").desc(), F("case_id").desc()],
            ),
            sharing=Window(Count("id"), partition_by=[F("kind"), F("value")]),
        )  # fmt: skip
        .filter(rank__lte=PANEL_SHARERS + 1)
        .select_related("case")
        .order_by("kind", "value", "rank")
    )
    identifiers: list[dict] = []
    for row in rows:
        if row.own:
            identifiers.append({"row": row, "others": [], "more": max(row.sharing - 1 - PANEL_SHARERS, 0),
                                "sharing": row.sharing - 1})  # fmt: skip
        elif identifiers and identifiers[-1]["row"].kind == row.kind and identifiers[-1]["row"].value == row.value:
            identifiers[-1]["others"].append(row.case)
    if not identifiers and not editable:
        return None
    return {
        "template": "painpoints/_case_panel.html",
        "identifiers": identifiers,
        "form": identifier_form_html() if editable else None,
        "can_cluster": can_see_clusters(user) and any(item["sharing"] for item in identifiers),
    }


@functools.cache
def identifier_form_html() -> SafeString:
    """The panel's "add an identifier" form, rendered once per process: it is always the same
    unbound form (the add view reports errors as messages and redirects back), and rendering
    it through the form templates cost about a millisecond of every editable case page."""
    return IdentifierForm().as_p()


def cases_sharing(*, user, kind: str, value: str) -> QuerySet[Case]:
    """Every case the viewer may see that carries the identifier, newest first: one indexed
    lookup on (kind, value) joined to the cases."""
    return (
        cases_visible_for_links(user)
        .filter(pk__in=CaseIdentifier.objects.filter(kind=kind, value=value).values("case_id"))
        .select_related("customer", "team")
        .order_by("-received_at", "-id")
    )


# --- the cluster ---------------------------------------------------------------------------------


@dataclass
class Cluster:
    start: Case
    cases: list[Case] = field(default_factory=list)
    # (kind label, display, value, cases sharing it, kind) for each identifier shared inside.
    shared: list[tuple[str, str, str, int, str]] = field(default_factory=list)
    depth: int = 0
    depth_limited: bool = False
    size_limited: bool = False
    customers: int = 0
    countries: dict[str, int] = field(default_factory=dict)
    max_depth: int = CLUSTER_MAX_DEPTH
    max_cases: int = CLUSTER_MAX_CASES


def _keys_q(keys: set[tuple[str, str]]) -> Q:
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, value in keys:
        by_kind[kind].append(value)
    q = Q()
    for kind, values in by_kind.items():
        # One index range per kind: (kind, value = ANY(...)) on painpoints_identifier_key_idx.
        q |= Q(kind=kind, value__in=sorted(values))
    return q


def case_cluster(
    *, user, case: Case, max_depth: int = CLUSTER_MAX_DEPTH, max_cases: int = CLUSTER_MAX_CASES
) -> Cluster:
    """Cases connected to ``case`` through shared identifiers, walked breadth-first through
    cases the viewer may see (never through restricted or unseen ones), at most ``max_depth``
    hops and ``max_cases`` cases; the result says which limit stopped the walk. Two queries
    per hop, then one for the cases and one for their identifiers."""
    visible = case_visibility_q(user)
    if visible is None:
        visible = Q(pk__in=[])
    seen: set[int] = {case.pk}
    frontier: set[int] = {case.pk}
    keys_seen: set[tuple[str, str]] = set()
    result = Cluster(start=case, max_depth=max_depth, max_cases=max_cases)
    for depth in range(1, max_depth + 2):
        keys = set(CaseIdentifier.objects.filter(case_id__in=frontier).values_list("kind", "value")) - keys_seen
        if not keys:
            break
        keys_seen |= keys
        room = max_cases - len(seen)
        # Rows, not DISTINCT case ids: DISTINCT (or ORDER BY case) tempts the planner to walk
        # every identifier in case order instead of looking the few keys up in (kind, value).
        # A case has a handful of identifiers, so ten rows per case of room find enough cases.
        rows = (
            CaseIdentifier.objects.filter(_keys_q(keys))
            .filter(visible)
            .exclude(case_id__in=seen)
            .order_by()
            .values_list("case_id", flat=True)[: (room + 1) * 10]
        )
        found = sorted(set(rows))
        if not found:
            break
        if depth > max_depth:
            # One step past the limit, only to say truthfully that more lies beyond it.
            result.depth_limited = True
            break
        if len(found) > room:
            result.size_limited = True
            found = found[:room]
        seen.update(found)
        frontier = set(found)
        result.depth = depth
        if result.size_limited:
            break
    result.cases = list(
        Case.objects.filter(pk__in=seen).select_related("customer", "team").order_by("-received_at", "-id")
    )
    counts: dict[tuple[str, str], list] = defaultdict(list)
    for kind, value, display in CaseIdentifier.objects.filter(case_id__in=seen).values_list("kind", "value", "display"):
        counts[(kind, value)].append(display)
    labels = dict(IdentifierKind.choices)
    result.shared = sorted(
        ((labels[kind], displays[0], value, len(displays), kind) for (kind, value), displays in counts.items()
         if len(displays) > 1),
        key=lambda row: (-row[3], row[0], row[1]),
    )  # fmt: skip
    result.customers = len({c.customer_id for c in result.cases})
    countries: dict[str, int] = defaultdict(int)
    for c in result.cases:
        countries[c.customer.country] += 1
    result.countries = dict(sorted(countries.items()))
    return result


# --- pain points ---------------------------------------------------------------------------------


def with_impact(qs: QuerySet[PainPoint]) -> QuerySet[PainPoint]:
    """Impact in one grouped query: cases linked (restricted ones not counted), distinct
    customers, linked cases still open, and the amount at stake where known."""
    counted = ~restricted_q("links__case__")
    return qs.annotate(
        linked=Count("links", filter=counted),
        customers=Count("links__case__customer", filter=counted, distinct=True),
        open_linked=Count("links", filter=counted & Q(links__case__status__in=OPEN_STATUSES)),
        at_stake=Sum("links__amount_at_stake", filter=counted),
    )


def pain_point_list(*, user, status: str = "") -> QuerySet[PainPoint]:
    qs = pain_points_visible_to(user).select_related("owner_team")
    if status == "open":
        qs = qs.filter(status__in=OPEN_PAIN_STATUSES)
    elif status in PainPointStatus.values:
        qs = qs.filter(status=status)
    return with_impact(qs).order_by("-created_at", "-id")


def pain_point_for_page(*, user, pk: int) -> PainPoint:
    from painpoints.access import get_pain_point_for_user

    pain_point = get_pain_point_for_user(user, pk)
    return with_impact(PainPoint.objects.filter(pk=pain_point.pk).select_related("owner_team", "created_by")).get()


def pain_point_timeline(*, pain_point: PainPoint) -> list[PainPointEvent]:
    return list(
        PainPointEvent.objects.filter(pain_point=pain_point).select_related("actor").order_by("created_at", "id")
    )


def pain_point_cases(*, user, pain_point: PainPoint) -> QuerySet[PainPointLink]:
    """The linked cases the viewer may see, newest link first."""
    return (
        PainPointLink.objects.filter(pain_point=pain_point, case__in=cases_visible_for_links(user).values("pk"))
        .select_related("case", "case__customer", "case__team")
        .order_by("-linked_at", "-id")
    )


def pain_point_jobs(*, pain_point: PainPoint) -> list[BulkJob]:
    return list(
        BulkJob.objects.filter(pain_point=pain_point)
        .select_related("requested_by", "macro_version")
        .order_by("-created_at", "-id")[:10]
    )


def approved_answers() -> list[DocumentVersion]:
    """Reply templates whose current version is published (approved where approval is needed)."""
    return list(
        DocumentVersion.objects.filter(document__kind=DocKind.MACRO, current_of__isnull=False, document__script_kind="")
        .select_related("document")
        .order_by("title", "pk")
    )


@dataclass(frozen=True)
class Preview:
    cases: int
    customers: int
    linked_open: int
    restricted: int
    not_yours: int


def answer_preview(*, user, pain_point: PainPoint) -> Preview:
    """How many cases and customers one answer would reach, and how many linked open cases it
    leaves out (restricted; other teams'), in one aggregate query."""
    from cases.access import restrict_cases_to

    mine = restrict_cases_to(Case.objects.all(), user).values("pk")
    restricted = restricted_q()
    row = Case.objects.filter(pain_point_links__pain_point=pain_point, status__in=OPEN_STATUSES).aggregate(
        linked_open=Count("pk"),
        restricted=Count("pk", filter=restricted),
        not_yours=Count("pk", filter=~restricted & ~Q(pk__in=mine)),
        cases=Count("pk", filter=~restricted & Q(pk__in=mine)),
        customers=Count("customer", filter=~restricted & Q(pk__in=mine), distinct=True),
    )
    return Preview(**row)


# --- the dashboard -------------------------------------------------------------------------------


def pain_point_dashboard(*, user, now=None) -> dict:
    """Three figures, each one SQL aggregate whatever the number of pain points or cases:
    top pain points by cases linked this week, time from the first linked case's arrival to
    the fix, and the share of the last 30 days' cases explained by open pain points."""
    now = now or timezone.now()
    week_ago = now - timedelta(days=7)
    visible = pain_points_visible_to(user)
    growth = list(
        visible.annotate(
            this_week=Count("links", filter=Q(links__linked_at__gte=week_ago)),
            before=Count("links", filter=Q(links__linked_at__lt=week_ago)),
        )
        .filter(this_week__gt=0)
        .select_related("owner_team")
        .order_by("-this_week", "-id")[:5]
    )
    first_case = Subquery(
        PainPointLink.objects.filter(pain_point=OuterRef("pk"))
        .order_by()
        .values("pain_point")
        .annotate(first=Min("case__received_at"))
        .values("first")[:1]
    )
    to_fix = ExpressionWrapper(F("fixed_at") - F("first_case"), output_field=DurationField())
    fixes = list(
        visible.filter(fixed_at__isnull=False)
        .annotate(first_case=first_case)
        .filter(first_case__isnull=False)
        .annotate(to_fix=to_fix)
        .order_by("-fixed_at")[:10]
    )
    mean_to_fix = (
        visible.filter(fixed_at__isnull=False)
        .annotate(first_case=first_case)
        .filter(first_case__isnull=False)
        .aggregate(mean=Avg(to_fix))["mean"]
    )
    since = now - timedelta(days=30)
    in_open = PainPointLink.objects.filter(case_id=OuterRef("pk"), pain_point__status__in=OPEN_PAIN_STATUSES)
    volume = (
        cases_visible_for_links(user)
        .filter(received_at__gte=since)
        .aggregate(total=Count("pk"), explained=Count("pk", filter=Exists(in_open)))
    )
    share = (volume["explained"] / volume["total"]) if volume["total"] else None
    return {
        "growth": growth,
        "fixes": fixes,
        "mean_to_fix": mean_to_fix,
        "volume_total": volume["total"],
        "volume_explained": volume["explained"],
        "share": share,
        "since": since,
    }


def running_send_for(*, pain_point: PainPoint) -> BulkJob | None:
    return BulkJob.objects.filter(pain_point=pain_point, kind=JobKind.SEND).order_by("-created_at").first()
