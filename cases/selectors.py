"""Reads for case pages and the API. Every list starts from ``visible_to(user)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from cases.choices import JURISDICTIONS, OPEN_STATUSES, Channel, EventKind, Priority, Tier
from cases.models import Case, CaseEvent, Category, Customer, SlaPause, SlaPolicy, SlaPolicyVersion, SlaTimer
from cases.sla_policies import CONDITION_KEYS
from people.models import Team
from people.roles import ORG_WIDE_READERS, role_of


def _case_rows(*, user) -> QuerySet[Case]:
    return Case.objects.visible_to(user).select_related("customer", "category", "team", "assignee")


def with_running_timers(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Each case's running SLA timers as ``case.running_timers``: one query for a whole page.

    The calendar version is joined in because the time left is counted on it.
    """
    timers = SlaTimer.objects.running().select_related("calendar_version").order_by("due_at", "id")
    return qs.prefetch_related(Prefetch("sla_timers", queryset=timers, to_attr="running_timers"))


# The columns a queue row shows (cases.queue_rows.render_rows), and nothing else: the customer's
# PII, the assignee's password hash and the like are neither read nor turned into model fields,
# a third of the time a page of 50 rows took to load.
QUEUE_ROW_FIELDS = (
    "reference",
    "subject",
    "status",
    "priority",
    "received_at",
    "updated_at",
    "customer__full_name",
    "customer__jurisdiction",
    "customer__tier",
    "category__name",
    "team__name",
    *(f"assignee__{name}" for name in ("first_name", "last_name", "username")),
)


def case_list_for_queue(*, user) -> QuerySet[Case]:
    """Cases the user may see, with what a queue row shows joined in (no N+1)."""
    return with_running_timers(_case_rows(user=user).only(*QUEUE_ROW_FIELDS))


def case_list_mine(*, user) -> QuerySet[Case]:
    return case_list_for_queue(user=user).filter(assignee=user, status__in=OPEN_STATUSES)


def case_get_for_page(*, user, reference: str) -> Case:
    from cases.access import get_case_for_user

    return get_case_for_user(
        user, reference, queryset=Case.objects.select_related("customer", "category", "team", "assignee")
    )


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    """The whole timeline, oldest first, with authors joined in: one query however long."""
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "id")


def customer_get_for_user(*, user, account_number: str) -> Customer | None:
    """A customer the user may see: org-wide readers see all, workers those with a case of theirs."""
    qs = Customer.objects.filter(account_number=account_number)
    if role_of(user) not in ORG_WIDE_READERS:
        qs = qs.filter(Q(cases__in=Case.objects.visible_to(user))).distinct()
    return qs.first()


def customer_cases(*, user, customer: Customer) -> QuerySet[Case]:
    return _case_rows(user=user).filter(customer=customer).order_by("-received_at")


def case_sla_timers(*, case: Case) -> list[SlaTimer]:
    """Every timer of a case, running and finished, with its policy, calendar and pauses.

    Two queries however many timers and pauses: the timers (policy version, policy and
    calendar version joined in) and all their pauses with who paused.
    """
    pauses = SlaPause.objects.select_related("actor").order_by("started_at", "id")
    return list(
        SlaTimer.objects.filter(case=case)
        .select_related("policy_version__policy", "calendar_version__calendar")
        .prefetch_related(Prefetch("pauses", queryset=pauses))
        .order_by("started_at", "id")
    )


# --- SLA configuration ------------------------------------------------------------------------


@dataclass
class PolicyRow:
    policy: SlaPolicy
    conditions: list[tuple[str, str]]
    version_count: int


def _condition_labels() -> dict[str, dict[str, str]]:
    return {
        "priority": dict(Priority.choices),
        "category": dict(Category.objects.values_list("code", "name")),
        "tier": dict(Tier.choices),
        "channel": dict(Channel.choices),
        "jurisdiction": {code: code for code, _ in JURISDICTIONS},
        "team": dict(Team.objects.values_list("slug", "name")),
    }


def sla_conditions_summary(conditions: dict, labels: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    """``[("Priority", "Urgent, High"), ...]`` in the order the form shows; empty means every case."""
    summary = []
    for key in CONDITION_KEYS:
        values = conditions.get(key) or []
        if values:
            names = labels.get(key, {})
            summary.append((key.capitalize(), ", ".join(names.get(value, value) for value in values)))
    return summary


def sla_policy_overview() -> list[PolicyRow]:
    """Policies in matching order with their current version, calendar and version count.

    Three queries however many policies: the policies (current version and its calendar
    joined in, versions counted), and the category and team names conditions refer to.
    """
    policies = list(
        SlaPolicy.objects.select_related("current_version__calendar")
        .annotate(version_count=Count("versions"))
        .order_by("position", "id")
    )
    labels = _condition_labels()
    return [
        PolicyRow(
            policy=policy,
            conditions=sla_conditions_summary(
                policy.current_version.conditions if policy.current_version else {}, labels
            ),
            version_count=policy.version_count,
        )
        for policy in policies
    ]


def sla_policy_versions(*, policy: SlaPolicy) -> list[SlaPolicyVersion]:
    """A policy's history, newest first, with each version's conditions spelled out."""
    versions = list(policy.versions.select_related("calendar", "created_by").order_by("-number"))
    labels = _condition_labels()
    for version in versions:
        version.conditions_summary = sla_conditions_summary(version.conditions, labels)
    return versions


@dataclass
class StopTheClockRow:
    team_id: int
    team_name: str
    pauses: int = 0
    paused_minutes: int = 0
    open_pauses: int = 0
    no_policy_cases: int = 0


def sla_stop_the_clock(*, since: datetime) -> list[StopTheClockRow]:
    """Per team since ``since``: pauses started, business minutes paused (finished pauses),
    pauses still open, and cases that arrived matching no policy. One aggregate query each."""
    rows: dict[int, StopTheClockRow] = {}
    paused = (
        SlaPause.objects.filter(started_at__gte=since)
        .values("timer__case__team_id", "timer__case__team__name")
        .annotate(
            pauses=Count("id"),
            minutes=Sum("business_minutes"),
            still_open=Count("id", filter=Q(ended_at__isnull=True)),
        )
        .order_by()
    )
    for item in paused:
        row = rows.setdefault(
            item["timer__case__team_id"],
            StopTheClockRow(team_id=item["timer__case__team_id"], team_name=item["timer__case__team__name"]),
        )
        row.pauses, row.paused_minutes, row.open_pauses = item["pauses"], item["minutes"] or 0, item["still_open"]
    unmatched = (
        CaseEvent.objects.filter(kind=EventKind.SLA, data__event="no_policy", created_at__gte=since)
        .values("case__team_id", "case__team__name")
        .annotate(cases=Count("case_id", distinct=True))
        .order_by()
    )
    for item in unmatched:
        row = rows.setdefault(
            item["case__team_id"], StopTheClockRow(team_id=item["case__team_id"], team_name=item["case__team__name"])
        )
        row.no_policy_cases = item["cases"]
    return sorted(rows.values(), key=lambda row: row.team_name)
