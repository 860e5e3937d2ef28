"""Every dashboard figure, defined once. The dashboard, drill-downs, CSV exports and the
"how we count" page all read these functions; each docstring is the figure's formula as the
page shows it.

Conventions for every figure:

* **Window.** ``[start, end)`` is whole local days in the viewer's chosen time zone: a day in
  Manila is not a day in New York. Each figure says which instant falls in the window.
* **Scope.** The filters (team, agent, category, jurisdiction, channel, flag kind, customer tier)
  and the viewer's access apply to the case behind every figure. Cases that touched the
  restricted (FIU) inbox are never counted.
* **Percentiles** are continuous (``percentile_cont``): the median of 10, 20, 30, 40 minutes is
  25. Durations are whole minutes; *business* minutes count only the open hours of the case's
  team calendar (holidays and closures excluded).
* Every figure is an SQL aggregate; nothing here loops over cases. Counts of arrivals and
  surveys are read from the hourly rollup of the facts where it serves the scope (whole-hour
  zones; filters on team and category only), else from the facts: the same numbers either way
  (tests/metrics/test_rollups.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, Trunc

from cases.choices import OPEN_STATUSES
from cases.models import Category
from compliance.models import FlagDecision, Obligation, Referral, RegulatoryFlag
from escalations.choices import EscalationStatus
from escalations.models import Escalation, ReasonCode
from metrics.aggregates import grouped_percentiles, percentile_from_counts, summarize
from metrics.choices import AGE_BUCKETS, FactSla, Granularity, SurveyStatus
from metrics.daily import (
    LIVE_CHANNELS,
    LIVE_SESSION_MAX_MINUTES,
    bucket_medians,
    reading,
    reads_daily,
    sessions,
    side_figures,
    utc_days,
)
from metrics.drivers import category_weeks, reason_weeks
from metrics.hops import split_days
from metrics.localtime import day_of, local_day_number, local_hour_of_week, local_week_number, monday_of_week
from metrics.models import Campaign, DecisionFact, HandleTime, HopDay, Survey
from metrics.scope import Scope, facts_in, reads_hop_rollup, reads_rollup, rollup_in, scope_filters
from metrics.staffing import agents_needed
from people.choices import TeamKind
from people.models import Team, User

# A measured handle time needs at least this many live sessions in the window.
MIN_HANDLE_SAMPLES = 20
DEFAULT_HANDLE_MINUTES = 20
# Top drivers compare the last 7 days of the window with the 7 before.
DRIVER_DAYS = 7
TOP_DRIVERS = 5
LATEST_COMMENTS = 8
CAMPAIGN_BASELINE_DAYS = 28


def _pct(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 1) if whole else None


def _minutes(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds() / 60
    return float(value)


# --- Where counts are read from ------------------------------------------------------------------


def received_counts(scope: Scope, *, window: bool = True, by_category: bool = False):
    """Cases received in the scope as ``(queryset, instant field, count)``: the hourly rollup
    (``FactHour``) where it serves the scope, else the facts."""
    if reads_rollup(scope):
        # Hours with surveys but no arrivals have rows too: they are no arrivals.
        hours = rollup_in(scope, window=window, by_category=by_category)
        return hours.filter(received__gt=0), "hour", Sum("received")
    return facts_in(scope, window=window), "received_at", Count("pk")


# --- Access helpers on the source tables ---------------------------------------------------------


def restricted_case_ids():
    """Cases referred to the FIU's restricted inbox (any referral, open or decided). Only their
    ids are read, to leave them out; nothing of the referral reaches a figure."""
    return Referral.objects.values("case_id")


def case_q(scope: Scope, prefix: str = "case__") -> Q:
    """The scope's filters and access as a Q on a model with a ``case`` relation (or on Case
    itself with ``prefix=""``), for figures read from escalations, obligations and open cases."""
    p = prefix
    q = ~Q(**{f"{p}team__kind": TeamKind.FIU}) & ~Q(**{f"{p}id__in": restricted_case_ids()})
    q &= scope_filters(scope, p, customer="customer__")
    if scope.flag_kinds:
        q &= Q(**{f"{p}id__in": RegulatoryFlag.objects.filter(kind__in=scope.flag_kinds).values("case_id")})
    return q


# --- Resolution and first response ---------------------------------------------------------------


def resolution(scope: Scope) -> dict:
    """**Resolution time** — cases *resolved* in the window.

    * Resolution time = ``resolved_at − received_at`` (``received_at`` is the first contact and
      never resets). Median and p90, in calendar minutes and in business minutes of the team's
      calendar.
    * Reopen rate = resolved cases that were ever reopened ÷ cases resolved.
    * Stop-the-clock share = business minutes the resolution SLA clock stood paused (waiting on
      the customer) ÷ business minutes from receipt to resolution, over the same cases.
    """
    if reads_daily(scope):
        row = side_figures(scope, "resolved")
        row["calendar"] = row.pop("calendar_p")
    else:
        row = summarize(
            facts_in(scope, by="resolved_at"),
            counts={
                "resolved": Count("pk"),
                "reopened": Count("pk", filter=Q(reopened=True)),
                "paused": Sum("sla_paused_minutes"),
                "business": Sum("resolution_business_minutes"),
            },
            percentiles={"calendar": "resolution_minutes", "business_p": "resolution_business_minutes"},
        )
    return {
        "resolved": row["resolved"],
        "median_minutes": row["calendar"][0],
        "p90_minutes": row["calendar"][1],
        "median_business_minutes": row["business_p"][0],
        "p90_business_minutes": row["business_p"][1],
        "reopened": row["reopened"],
        "reopen_rate": _pct(row["reopened"], row["resolved"]),
        "paused_share": _pct(row["paused"], row["business"]),
    }


def arrivals(scope: Scope) -> dict:
    """**First response and SLA attainment** — cases *received* in the window.

    * First response time = ``first_response_at − received_at``; median and p90, calendar and
      business minutes; cases not yet answered are left out and counted as *unanswered*.
    * Escalation rate = cases received in the window with at least one escalation ÷ cases received.
    * SLA attainment per metric = promises met on time ÷ promises decided (met or breached), for
      the first response, each next response and the resolution; breaches = promises breached
      (a running timer already past due counts as breached).
    """
    met, breached = FactSla.MET, FactSla.BREACHED
    if reads_daily(scope):
        row = side_figures(scope, "received")
        row["calendar"] = row.pop("calendar_p")
    else:
        row = summarize(
            facts_in(scope),
            counts={
                "received": Count("pk"),
                "unanswered": Count("pk", filter=Q(first_response_at__isnull=True)),
                "escalated": Count("pk", filter=Q(escalated=True)),
                "fr_met": Count("pk", filter=Q(sla_first_response=met)),
                "fr_breached": Count("pk", filter=Q(sla_first_response=breached)),
                "res_met": Count("pk", filter=Q(sla_resolution=met)),
                "res_breached": Count("pk", filter=Q(sla_resolution=breached)),
                "nr_met": Sum("sla_next_response_met"),
                "nr_breached": Sum("sla_next_response_breached"),
            },
            percentiles={"calendar": "first_response_minutes", "business_p": "first_response_business_minutes"},
        )
    nr_met, nr_breached = row["nr_met"] or 0, row["nr_breached"] or 0
    return {
        "received": row["received"],
        "unanswered": row["unanswered"],
        "median_minutes": row["calendar"][0],
        "p90_minutes": row["calendar"][1],
        "median_business_minutes": row["business_p"][0],
        "p90_business_minutes": row["business_p"][1],
        "escalated": row["escalated"],
        "escalation_rate": _pct(row["escalated"], row["received"]),
        "sla": [
            {
                "metric": "first_response",
                "label": "First response",
                "met": row["fr_met"],
                "breached": row["fr_breached"],
                "attainment": _pct(row["fr_met"], row["fr_met"] + row["fr_breached"]),
            },
            {
                "metric": "next_response",
                "label": "Next response",
                "met": nr_met,
                "breached": nr_breached,
                "attainment": _pct(nr_met, nr_met + nr_breached),
            },
            {
                "metric": "resolution",
                "label": "Resolution",
                "met": row["res_met"],
                "breached": row["res_breached"],
                "attainment": _pct(row["res_met"], row["res_met"] + row["res_breached"]),
            },
        ],
    }


# --- Trend ---------------------------------------------------------------------------------------


def _bucket_start(day: date, granularity: str) -> date:
    return day - timedelta(days=day.weekday()) if granularity == Granularity.WEEK else day


def buckets(scope: Scope) -> list[date]:
    """The local days (or Monday-starting weeks) of the window, in order."""
    step = 7 if scope.granularity == Granularity.WEEK else 1
    first = _bucket_start(scope.start_day, scope.granularity)
    out = []
    day = first
    while day <= scope.end_day:
        out.append(day)
        day += timedelta(days=step)
    return out


def _local_day(value, scope: Scope) -> date:
    if isinstance(value, datetime):
        return value.astimezone(scope.tz).date() if value.tzinfo else value.date()
    return value


def _bucket(field: str, scope: Scope, window: Scope, *, granularity: str | None = None):
    """The local day (or Monday-started week) of ``field`` as an expression, and how to turn its
    value into that day's date. PostgreSQL reads it through metrics.localtime (no per-row zone
    lookup); elsewhere Django's Trunc in the zone."""
    granularity = granularity or scope.granularity
    if connection.vendor == "postgresql":
        if granularity == Granularity.WEEK:
            return local_week_number(field, scope.tz, window.start, window.end), monday_of_week
        return local_day_number(field, scope.tz, window.start, window.end), day_of
    kind = "week" if granularity == Granularity.WEEK else "day"
    return Trunc(field, kind, tzinfo=scope.tz), lambda value: _local_day(value, scope)


def trend(scope: Scope) -> dict:
    """**Trend** — per local day (or week, Monday first) of the window, next to the period of the
    same length just before it.

    * Volume = cases received in the bucket.
    * Resolution median = median calendar resolution minutes of cases resolved in the bucket.
    The previous period's values are aligned bucket by bucket (day 1 with day 1).
    """
    previous = scope.previous()
    wide = scope.with_window(previous.start_day, scope.end_day)
    counted, instant, count = received_counts(wide)
    received_bucket, to_date = _bucket(instant, scope, wide)
    received = counted.order_by().annotate(bucket=received_bucket).values("bucket").annotate(n=count)
    counts = {to_date(row["bucket"]): row["n"] for row in received}
    if reads_daily(scope) and (scope.granularity == Granularity.WEEK or utc_days(wide)):
        # Value histograms per bucket (whole UTC days from the daily rollup, the rest from the
        # facts), then each bucket's median values: metrics.daily. A local day off UTC holds no
        # whole UTC day, so day buckets elsewhere read the facts (faster without histograms).
        found = bucket_medians(wide, weeks=scope.granularity == Granularity.WEEK)
        medians = {first: median for first, (_, median) in found.items()}
        resolved_n = {first: n for first, (n, _) in found.items()}
    else:
        resolved_bucket, to_date = _bucket("resolved_at", scope, wide)
        resolved = grouped_percentiles(
            facts_in(wide, by="resolved_at"), group={"bucket": resolved_bucket}, field="resolution_minutes"
        )
        medians = {to_date(key[0]): value["p"][0] for key, value in resolved.items()}
        resolved_n = {to_date(key[0]): value["n"] for key, value in resolved.items()}
    current = buckets(scope)
    before = buckets(previous)
    rows = []
    for index, bucket in enumerate(current):
        prior = before[index] if index < len(before) else None
        rows.append(
            {
                "bucket": bucket,
                "received": counts.get(bucket, 0),
                "resolved": resolved_n.get(bucket, 0),
                "median_minutes": medians.get(bucket),
                "previous_bucket": prior,
                "previous_received": counts.get(prior, 0) if prior else None,
                "previous_median_minutes": medians.get(prior) if prior else None,
            }
        )
    return {"granularity": scope.granularity, "rows": rows}


# --- CSAT ----------------------------------------------------------------------------------------


def csat(scope: Scope) -> dict:
    """**CSAT** — surveys *sent* in the window (one per resolved case, on a 1–5 scale).

    * CSAT = answers of 4 or 5 ÷ answers, as a percentage; mean = average answer.
    * Response rate = surveys answered ÷ surveys sent.
    * By category, team, agent (the case's assignee), escalation path (the team a case was
      escalated to) and escalation reason: the same CSAT over the answers of those cases; a case
      escalated twice counts under both paths.
    * Latest comments: the newest answers with a comment, linked to their case.
    """
    sent = facts_in(scope, by="csat_sent_at")
    answered = sent.filter(csat_score__isnull=False)
    if reads_rollup(scope):
        # Sent, answered, 4-5 answers and the sum of answers per hour: the mean is sum ÷ answers.
        totals = rollup_in(scope).aggregate(
            sent=Coalesce(Sum("csat_sent"), 0),
            answered=Coalesce(Sum("csat_answered"), 0),
            satisfied=Coalesce(Sum("csat_satisfied"), 0),
            score=Sum("csat_score_sum"),
        )
        totals["mean"] = totals["score"] / totals["answered"] if totals["answered"] else None
    else:
        totals = sent.aggregate(
            sent=Count("pk"),
            answered=Count("pk", filter=Q(csat_score__isnull=False)),
            satisfied=Count("pk", filter=Q(csat_score__gte=4)),
            mean=Avg("csat_score"),
        )

    # One GROUP BY (team, category, agent) over the window's answers gives all three breakdowns,
    # each a sum over those groups: the answers are read once, not once per breakdown.
    groups = _answer_groups(answered)
    hops = _answered_hops(answered)
    # Newest answers with a comment first down metrics_survey_commented_idx, each checked against
    # its case's fact (a correlated EXISTS, so the walk stops after a page instead of hashing every
    # answered case).
    in_scope = facts_in(scope, window=False).filter(case_id=OuterRef("case_id"))
    comments = list(
        Survey.objects.filter(
            Exists(in_scope),
            status=SurveyStatus.ANSWERED,
            sent_at__gte=scope.start,
            sent_at__lt=scope.end,
        )
        .exclude(comment="")
        .order_by("-answered_at", "-pk")
        .values("score", "comment", "answered_at", reference=F("case__reference"))[:LATEST_COMMENTS]
    )
    return {
        "sent": totals["sent"],
        "answered": totals["answered"],
        "satisfied": totals["satisfied"],
        "csat": _pct(totals["satisfied"], totals["answered"]),
        "mean": round(totals["mean"], 2) if totals["mean"] is not None else None,
        "response_rate": _pct(totals["answered"], totals["sent"]),
        "by_category": _csat_by(groups, "category_id", "category_label"),
        "by_team": _csat_by(groups, "team_id", "team_label"),
        "by_agent": _csat_by(groups, "assignee_id", "agent_label"),
        "by_path": _csat_by(hops, "path", "path_label"),
        "by_reason": _csat_by(hops, "reason", "reason_label"),
        "comments": comments,
    }


def _csat_by(groups: list[dict], key: str, label: str) -> list[dict]:
    """CSAT per value of ``key``, summed over finer ``groups`` of answers (n, 4-5 answers and the
    sum of scores each): most answers first, then by name."""
    rows: dict = {}
    for group in groups:
        row = rows.setdefault(
            group[key], {"key": group[key], "label": group[label], "n": 0, "satisfied": 0, "score": 0}
        )
        for name in ("n", "satisfied", "score"):
            row[name] += group[name]
    out = [
        {
            "key": row["key"],
            "label": row["label"],
            "n": row["n"],
            "satisfied": row["satisfied"],
            "csat": _pct(row["satisfied"], row["n"]),
            "mean": round(row["score"] / row["n"], 2),
        }
        for row in rows.values()
    ]
    return sorted(out, key=lambda row: (-row["n"], row["label"] is None, row["label"] or ""))


def _grouped_answers(sql: str, params, names: tuple[str, ...]) -> list[dict]:
    with reading().cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _answer_groups(answered) -> list[dict]:
    """Answers per (team, category, agent), with the three names.

    Grouped on the ids first and named after: grouping on the joined names as well made the
    planner expect a group per row and sort a year of answers instead of hashing them.
    """
    facts_sql, params = (
        answered.order_by().values("team_id", "category_id", "assignee_id", "csat_score").query.sql_with_params()
    )
    team, category, user = Team._meta.db_table, Category._meta.db_table, User._meta.db_table
    sql = f"""
        SELECT g.team_id, t.name, g.category_id, c.name, g.assignee_id, u.username, g.n, g.satisfied, g.score
        FROM (
            SELECT f.team_id, f.category_id, f.assignee_id, COUNT(*) AS n,
                   SUM(CASE WHEN f.csat_score >= 4 THEN 1 ELSE 0 END) AS satisfied, SUM(f.csat_score) AS score
            FROM ({facts_sql}) AS f
            GROUP BY f.team_id, f.category_id, f.assignee_id
        ) AS g
        LEFT JOIN {team} t ON t.id = g.team_id
        LEFT JOIN {category} c ON c.id = g.category_id
        LEFT JOIN {user} u ON u.id = g.assignee_id
    """  # noqa: S608 - table names from the models; the facts query's values are parameters
    names = ("team_id", "team_label", "category_id", "category_label", "assignee_id", "agent_label")
    return _grouped_answers(sql, params, (*names, "n", "satisfied", "score"))


def _answered_hops(answered) -> list[dict]:
    """Escalation hops of the answered, escalated cases (a small share), each with its case's
    answer, grouped by (target team, reason): both breakdowns come from these groups.

    The facts are joined to the hops on the case id directly; through the ORM the join would go
    fact -> case -> escalation, a lookup in the wide cases table for every answer.
    """
    facts_sql, params = (
        answered.filter(escalated=True).order_by().values("case_id", "csat_score").query.sql_with_params()
    )
    hop, team, reason = Escalation._meta.db_table, Team._meta.db_table, ReasonCode._meta.db_table
    sql = f"""
        SELECT e.to_team_id, t.name, e.reason_id, r.label, COUNT(*),
               SUM(CASE WHEN f.csat_score >= 4 THEN 1 ELSE 0 END), SUM(f.csat_score)
        FROM ({facts_sql}) AS f
        LEFT JOIN {hop} e ON e.case_id = f.case_id
        LEFT JOIN {team} t ON t.id = e.to_team_id
        LEFT JOIN {reason} r ON r.id = e.reason_id
        GROUP BY e.to_team_id, t.name, e.reason_id, r.label
    """  # noqa: S608 - table names from the models; the facts query's values are parameters
    return _grouped_answers(sql, params, ("path", "path_label", "reason", "reason_label", "n", "satisfied", "score"))


# --- Escalations ---------------------------------------------------------------------------------


def escalations(scope: Scope, *, now: datetime) -> dict:
    """**Escalations** — hops *requested* in the window.

    * Volume = escalation hops requested; by reason, by target team and by source team.
    * Bounce-backs = hops the receiving team returned to the sender (de-escalations).
    * Escalation clock (OLA) attainment = hops answered (accepted, returned or handed on) by their
      OLA due time ÷ hops answered, plus hops still unanswered past their due time.
    * Escalation rate (escalated cases ÷ cases received) is on the first-response panel.
    """
    hops = Escalation.objects.filter(case_q(scope), requested_at__gte=scope.start, requested_at__lt=scope.end)
    # Groups of (reason, target, source) answer the totals and all three breakdowns: each is a
    # sum over these few groups (reasons × teams), so the hops are read once, not four times.
    ids = ("reason_id", "to_team_id", "from_team_id")
    labels = {"reason_label": F("reason__label"), "to_label": F("to_team__name"), "from_label": F("from_team__name")}
    unanswered_overdue = Q(responded_at__isnull=True, ola_due_at__lt=now)
    if reads_hop_rollup(scope):
        # Whole UTC days from the daily rollup (an empty range when the window holds none); the
        # hours at either end from the hops, below.
        days, edges = split_days(scope.start, scope.end)
        first, last = days or (scope.start_day, scope.start_day)
        teams = Q(team_id__in=scope.visible_team_ids) if scope.visible_team_ids is not None else Q()
        if scope.team_ids:
            teams &= Q(team_id__in=scope.team_ids)
        counted = (
            HopDay.objects.filter(teams, day__gte=first, day__lt=last)
            .order_by()
            .values(*ids, **labels)
            .annotate(
                hops=Sum("hops"),
                bounced=Sum("returned"),
                on_time=Sum("on_time"),
                answered=Sum("answered"),
                overdue=Value(0),
            )
        )
    else:
        edges = []
        counted = (
            hops.order_by()
            .values(*ids, **labels)
            .annotate(
                hops=Count("pk"),
                bounced=Count("pk", filter=Q(status=EscalationStatus.RETURNED)),
                on_time=Count("pk", filter=Q(responded_at__isnull=False, responded_at__lte=F("ola_due_at"))),
                answered=Count("pk", filter=Q(responded_at__isnull=False)),
                overdue=Value(0),
            )
        )
    # Overdue hops depend on the time of reading: always counted from the few unanswered hops,
    # with the hops of the window's ends when the rest came from the rollup.
    if edges:
        on_edge = Q()
        for start, end in edges:
            on_edge |= Q(requested_at__gte=start, requested_at__lt=end)
        counts = {
            "hops": Count("pk", filter=on_edge),
            "bounced": Count("pk", filter=on_edge & Q(status=EscalationStatus.RETURNED)),
            "on_time": Count("pk", filter=on_edge & Q(responded_at__isnull=False, responded_at__lte=F("ola_due_at"))),
            "answered": Count("pk", filter=on_edge & Q(responded_at__isnull=False)),
        }
        live = hops.filter(on_edge | unanswered_overdue)
    else:
        counts = {name: Value(0) for name in ("hops", "bounced", "on_time", "answered")}
        live = hops.filter(unanswered_overdue)
    overdue = Count("pk", filter=unanswered_overdue)
    groups = list(counted) + list(live.order_by().values(*ids, **labels).annotate(**counts, overdue=overdue))
    totals = {
        name: sum(group[name] for group in groups) for name in ("hops", "bounced", "on_time", "answered", "overdue")
    }

    def by(key: str, label: str) -> list[dict]:
        rows: dict = {}
        for group in groups:
            if not group["hops"]:
                # Only overdue hops, counted with the others already.
                continue
            row = rows.setdefault(group[key], {"key": group[key], "label": group[label], "n": 0, "bounced": 0})
            row["n"] += group["hops"]
            row["bounced"] += group["bounced"]
        return sorted(rows.values(), key=lambda row: (-row["n"], row["label"] is None, row["label"] or ""))

    decided = totals["answered"] + totals["overdue"]
    return {
        **totals,
        "ola_attainment": _pct(totals["on_time"], decided),
        "bounce_rate": _pct(totals["bounced"], totals["hops"]),
        "by_reason": by("reason_id", "reason_label"),
        "by_target": by("to_team_id", "to_label"),
        "by_source": by("from_team_id", "from_label"),
    }


# --- Regulatory ----------------------------------------------------------------------------------


def regulatory(scope: Scope, *, now: datetime) -> dict:
    """**Regulatory** — obligations of cases in scope (restricted SAR/SMR clocks never show here).

    * Open obligations by rule: not yet satisfied, now (the window does not apply).
    * Due this week: open obligations due within the next 7 days; overdue: open and past due.
    * Breaches (target zero): obligations whose deadline was missed, by the breach time in the window.
    * Sign-off turnaround = ``decided_at − submitted_at`` of each compliance decision made in
      the window (voided ones included: the reviewer's work happened); median and p90 minutes.
    """
    obligations = Obligation.objects.filter(case_q(scope))
    open_rows = list(
        obligations.filter(satisfied_at__isnull=True)
        .order_by()
        .values("rule_code", "rule_name")
        .annotate(
            n=Count("pk"),
            due_week=Count("pk", filter=Q(due_at__gte=now, due_at__lt=now + timedelta(days=7))),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
        )
        .order_by("-n", "rule_code")
    )
    breaches = list(
        obligations.filter(breached_at__gte=scope.start, breached_at__lt=scope.end)
        .order_by()
        .values("rule_code", "rule_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "rule_code")
    )
    if reads_hop_rollup(scope):
        # Filtered by teams at most: the decisions' own narrow facts (metrics.decisions), kept
        # with the cases' facts, instead of joining a year of decisions to flags and cases.
        decisions = DecisionFact.objects.filter(
            scope_filters(scope), decided_at__gte=scope.start, decided_at__lt=scope.end
        )
    else:
        turnaround = ExpressionWrapper(F("decided_at") - F("flag__submitted_at"), output_field=DurationField())
        decisions = (
            FlagDecision.objects.filter(
                case_q(scope, "flag__case__"), decided_at__gte=scope.start, decided_at__lt=scope.end
            )
            .filter(flag__submitted_at__isnull=False)
            .annotate(turnaround=turnaround)
        )
    row = summarize(decisions, counts={"decisions": Count("pk")}, percentiles={"turnaround": "turnaround"})
    return {
        "open_by_rule": open_rows,
        "open": sum(r["n"] for r in open_rows),
        "due_week": sum(r["due_week"] for r in open_rows),
        "overdue": sum(r["overdue"] for r in open_rows),
        "breaches_by_rule": breaches,
        "breaches": sum(r["n"] for r in breaches),
        "decisions": row["decisions"],
        "turnaround_median_minutes": _minutes(row["turnaround"][0]),
        "turnaround_p90_minutes": _minutes(row["turnaround"][1]),
    }


# --- Backlog and drivers -------------------------------------------------------------------------


def age_bucket_expression(now: datetime):
    whens = []
    for index, (_, _low, high) in enumerate(AGE_BUCKETS):
        if high is None:
            continue
        whens.append(When(received_at__gt=now - timedelta(hours=high), then=Value(index)))
    return Case(*whens, default=Value(len(AGE_BUCKETS) - 1), output_field=IntegerField())


def backlog(scope: Scope, *, now: datetime) -> dict:
    """**Backlog** — cases open now (new, open, pending customer, pending internal), by age since
    receipt and by status. The window does not apply: a backlog is a state, not a flow."""
    # From the facts (refreshed on every status change), read from metrics_fact_open_idx alone.
    rows = (
        facts_in(scope, window=False)
        .filter(status__in=OPEN_STATUSES)
        .order_by()
        .annotate(age=age_bucket_expression(now))
        .values("status", "age")
        .annotate(n=Count("pk"))
    )
    grid = {(row["status"], row["age"]): row["n"] for row in rows}
    statuses = [str(s) for s in OPEN_STATUSES]
    table = [
        {"age": index, "label": label, "counts": [grid.get((status, index), 0) for status in statuses]}
        for index, (label, _, _) in enumerate(AGE_BUCKETS)
    ]
    for row in table:
        row["total"] = sum(row["counts"])
    return {"statuses": statuses, "rows": table, "total": sum(grid.values())}


def top_drivers(scope: Scope, *, now: datetime) -> dict:
    """**Top drivers** — categories and escalation reasons with the biggest rise in the last
    7 days of the window (ending now at the latest) over the 7 days before: rise = this week −
    last week, largest first, only rises."""
    end = min(scope.end, now)
    week = timedelta(days=DRIVER_DAYS)
    if reads_hop_rollup(scope):
        # Filtered by teams at most: whole hours and days from the rollups (metrics.drivers).
        weeks = [(end - week, end), (end - 2 * week, end - week)]
        categories, reasons = category_weeks(scope, weeks), reason_weeks(scope, weeks)
    else:
        this_week = Q(received_at__gte=end - week, received_at__lt=end)
        last_week = Q(received_at__gte=end - 2 * week, received_at__lt=end - week)
        categories = (
            facts_in(scope, window=False)
            .filter(received_at__gte=end - 2 * week, received_at__lt=end)
            .order_by()
            .values(key=F("category_id"), label=F("category__name"))
            .annotate(this_week=Count("pk", filter=this_week), last_week=Count("pk", filter=last_week))
        )
        hop_this = Q(requested_at__gte=end - week, requested_at__lt=end)
        hop_last = Q(requested_at__gte=end - 2 * week, requested_at__lt=end - week)
        reasons = (
            Escalation.objects.filter(case_q(scope), requested_at__gte=end - 2 * week, requested_at__lt=end)
            .order_by()
            .values(key=F("reason_id"), label=F("reason__label"))
            .annotate(this_week=Count("pk", filter=hop_this), last_week=Count("pk", filter=hop_last))
        )

    def rising(rows) -> list[dict]:
        out = [{**row, "rise": row["this_week"] - row["last_week"]} for row in rows]
        out = [row for row in out if row["rise"] > 0]
        out.sort(key=lambda row: (-row["rise"], str(row["label"])))
        return out[:TOP_DRIVERS]

    return {"since": end - week, "categories": rising(categories), "reasons": rising(reasons)}


# --- Coverage and staffing -----------------------------------------------------------------------


@dataclass(frozen=True)
class StaffingTarget:
    hour_of_week: int  # 0 = Monday 00:00-01:00 in the chosen zone
    share: float  # e.g. 0.8
    minutes: int  # e.g. 60


def weekday_occurrences(scope: Scope) -> list[int]:
    """How many times each weekday (0 = Monday) occurs in the window."""
    counts = [0] * 7
    for offset in range(scope.days):
        counts[(scope.start_day + timedelta(days=offset)).weekday()] += 1
    return counts


def arrivals_by_hour_of_week(scope: Scope) -> dict[tuple[int, int], int]:
    """Cases received per (hour of week, category) in the chosen zone: one GROUP BY."""
    if connection.vendor == "postgresql":
        counted, instant, count = received_counts(scope, by_category=True)
        how = local_hour_of_week(instant, scope.tz, scope.start, scope.end)
        rows = counted.order_by().annotate(how=how).values("how", "category_id").annotate(n=count)
        return {(row["how"], row["category_id"]): row["n"] for row in rows}
    rows = (
        facts_in(scope)
        .order_by()
        .annotate(
            dow=ExtractIsoWeekDay("received_at", tzinfo=scope.tz), hour=ExtractHour("received_at", tzinfo=scope.tz)
        )
        .values("dow", "hour", "category_id")
        .annotate(n=Count("pk"))
    )
    return {((row["dow"] - 1) * 24 + row["hour"], row["category_id"]): row["n"] for row in rows}


def handle_times(scope: Scope) -> dict[int, dict]:
    """**Handle time** per category, for staffing: measured where the timeline allows, else set by a lead.

    Measured = median of ``resolved_at − first_response_at`` over chat and phone cases of the
    window resolved within 120 minutes of the first response (one live session), when there are
    at least 20 such cases. Otherwise the minutes a lead set for the category, else 20 minutes.
    """
    if reads_daily(scope):
        # Exact minutes per category from the daily rollup: the median of those counts.
        measured = {
            (category_id,): {"p": [percentile_from_counts(counts, 0.5)], "n": sum(n for _, n in counts)}
            for category_id, counts in sessions(scope).items()
        }
    else:
        session = ExpressionWrapper(F("resolution_minutes") - F("first_response_minutes"), output_field=IntegerField())
        live = (
            facts_in(scope, by="resolved_at")
            .filter(channel__in=list(LIVE_CHANNELS), first_response_minutes__isnull=False)
            .annotate(session=session)
            .filter(session__gte=1, session__lte=LIVE_SESSION_MAX_MINUTES)
        )
        measured = grouped_percentiles(live, group={"cat": F("category_id")}, field="session", fractions=(0.5,))
    settings = dict(HandleTime.objects.values_list("category_id", "minutes"))
    out: dict[int, dict] = {}
    for (category_id,), value in measured.items():
        if value["n"] >= MIN_HANDLE_SAMPLES and value["p"][0]:
            out[category_id] = {"minutes": round(value["p"][0], 1), "source": "measured", "samples": value["n"]}
    for category_id, minutes in settings.items():
        out.setdefault(category_id, {"minutes": float(minutes), "source": "set by a lead", "samples": 0})
    return out


def staffing(
    scope: Scope,
    *,
    by_hour: dict[tuple[int, int], int],
    handle: dict[int, dict],
    on_shift: list[int],
    target: StaffingTarget,
) -> dict:
    """**Staffing estimate (Erlang C)** for each hour of the week in the chosen zone.

    * Arrival rate = cases received in that hour of the week ÷ how often that hour occurs in the
      window (per hour).
    * Handle time = the arrivals' category mix weighted by each category's handle time.
    * Agents needed = the fewest agents for which Erlang C answers the target share of contacts
      within the target minutes (``metrics.staffing``), set against agents on shift then.
    """
    occurrences = weekday_occurrences(scope)
    totals = [0] * 168
    work = [0.0] * 168
    for (how, category_id), n in by_hour.items():
        totals[how] += n
        work[how] += n * handle.get(category_id, {"minutes": DEFAULT_HANDLE_MINUTES})["minutes"]
    hours = []
    for how in range(168):
        weeks = occurrences[how // 24]
        rate = totals[how] / weeks if weeks else 0.0
        aht = work[how] / totals[how] if totals[how] else float(DEFAULT_HANDLE_MINUTES)
        needed = agents_needed(
            rate_per_hour=rate, aht_minutes=aht, target_share=target.share, target_minutes=target.minutes
        )
        hours.append(
            {"how": how, "rate": round(rate, 2), "aht": round(aht, 1), "needed": needed, "on_shift": on_shift[how]}
        )
    chosen = hours[target.hour_of_week]
    short = [h for h in hours if h["needed"] > h["on_shift"]]
    return {"hours": hours, "chosen": chosen, "target": target, "short_hours": len(short)}


def coverage(scope: Scope, *, by_hour: dict[tuple[int, int], int], on_shift: list[int]) -> dict:
    """**Coverage** — arrivals per hour of the week in the chosen zone (average per week of the
    window) against agents on shift in that hour (each agent's weekly shifts, in their own zone,
    moved into the chosen zone for the window's last week; an agent covers an hour if on shift at
    its half-hour)."""
    occurrences = weekday_occurrences(scope)
    totals = [0] * 168
    for (how, _), n in by_hour.items():
        totals[how] += n
    cells = []
    for how in range(168):
        weeks = occurrences[how // 24]
        cells.append(
            {"how": how, "arrivals": round(totals[how] / weeks, 2) if weeks else 0.0, "on_shift": on_shift[how]}
        )
    return {"cells": cells}


# --- Campaigns -----------------------------------------------------------------------------------


def campaigns(scope: Scope) -> dict:
    """**Campaigns** overlapping the window, with expected against actual extra volume.

    * Baseline = cases received in the campaign's categories (all categories when none is
      chosen) per day over the 28 days before it starts.
    * Actual extra = cases received in those categories during the campaign − baseline × days.
    * Attainment = actual extra ÷ expected extra.
    """
    # One query whatever the number of campaigns: a row per (campaign, category).
    found: dict[int, dict] = {}
    for row in (
        Campaign.objects.filter(starts_on__lte=scope.end_day, ends_on__gte=scope.start_day)
        .order_by("starts_on", "pk")
        .values("pk", "name", "starts_on", "ends_on", "expected_extra_cases", "categories__pk", "categories__name")
    ):
        campaign = found.setdefault(
            row["pk"],
            {
                **{k: row[k] for k in ("pk", "name", "starts_on", "ends_on", "expected_extra_cases")},
                "category_ids": set(),
                "category_names": [],
            },
        )
        if row["categories__pk"] is not None:
            campaign["category_ids"].add(row["categories__pk"])
            campaign["category_names"].append(row["categories__name"])
    rows = list(found.values())
    if rows:
        first = min(c["starts_on"] for c in rows) - timedelta(days=CAMPAIGN_BASELINE_DAYS)
        last = max(c["ends_on"] for c in rows)
    else:
        first = last = scope.start_day - timedelta(days=1)
    ranged = scope.with_window(first, last)
    if not rows:
        ranged = scope.with_window(first, first - timedelta(days=1))
    counted, instant, count = received_counts(ranged, by_category=True)
    day_bucket, to_date = _bucket(instant, scope, ranged, granularity=Granularity.DAY)
    daily = counted.order_by().annotate(day=day_bucket).values("day", "category_id").annotate(n=count)
    counts: dict[tuple[date, int], int] = {(to_date(r["day"]), r["category_id"]): r["n"] for r in daily}
    out = []
    for campaign in rows:
        wanted = campaign["category_ids"]
        starts_on, ends_on = campaign["starts_on"], campaign["ends_on"]

        def total(start: date, end: date, wanted=wanted) -> int:
            return sum(n for (day, cat), n in counts.items() if start <= day <= end and (not wanted or cat in wanted))

        days = (ends_on - starts_on).days + 1
        baseline = total(starts_on - timedelta(days=CAMPAIGN_BASELINE_DAYS), starts_on - timedelta(days=1))
        per_day = baseline / CAMPAIGN_BASELINE_DAYS
        during = total(starts_on, ends_on)
        actual_extra = round(during - per_day * days)
        out.append(
            {
                "campaign": campaign,
                "categories": sorted(campaign["category_names"]),
                "baseline_per_day": round(per_day, 1),
                "during": during,
                "expected_extra": campaign["expected_extra_cases"],
                "actual_extra": actual_extra,
                "attainment": _pct(actual_extra, campaign["expected_extra_cases"]),
            }
        )
    return {"rows": out}


# --- Agent's own figures ---------------------------------------------------------------------------


def personal(scope: Scope) -> dict:
    """**Own figures** — for an agent's cases (assignee) next to their teams' cases, same window:
    cases received, cases resolved, resolution median (calendar and business), first response
    median, and CSAT / mean / answers of surveys sent in the window."""
    res = summarize(
        facts_in(scope, by="resolved_at"),
        counts={"resolved": Count("pk")},
        percentiles={"calendar": "resolution_minutes", "business": "resolution_business_minutes"},
        fractions=(0.5,),
    )
    first = summarize(
        facts_in(scope),
        counts={"received": Count("pk")},
        percentiles={"fr": "first_response_minutes"},
        fractions=(0.5,),
    )
    answered = facts_in(scope, by="csat_sent_at").filter(csat_score__isnull=False)
    answers = answered.aggregate(
        n=Count("pk"), satisfied=Count("pk", filter=Q(csat_score__gte=4)), mean=Avg("csat_score")
    )
    return {
        "received": first["received"],
        "resolved": res["resolved"],
        "median_minutes": res["calendar"][0],
        "median_business_minutes": res["business"][0],
        "first_response_median_minutes": first["fr"][0],
        "answers": answers["n"],
        "csat": _pct(answers["satisfied"], answers["n"]),
        "mean": round(answers["mean"], 2) if answers["mean"] is not None else None,
    }


# The panels of the "how we count" page, in dashboard order.
PANELS = [
    resolution,
    arrivals,
    trend,
    csat,
    escalations,
    regulatory,
    backlog,
    top_drivers,
    coverage,
    staffing,
    handle_times,
    campaigns,
    personal,
]


# --- Drill-down: the cases behind a figure ---------------------------------------------------------


@dataclass(frozen=True)
class Drill:
    title: str
    by: str | None  # the fact instant the window applies to; None: open cases now
    q: Q


DRILLS: dict[str, Drill] = {
    "received": Drill("Cases received", "received_at", Q()),
    "unanswered": Drill("Cases received and not yet answered", "received_at", Q(first_response_at__isnull=True)),
    "escalated": Drill("Cases received and escalated", "received_at", Q(escalated=True)),
    "first_response_breached": Drill(
        "First response SLA breached", "received_at", Q(sla_first_response=FactSla.BREACHED)
    ),
    "next_response_breached": Drill("Next response SLA breached", "received_at", Q(sla_next_response_breached__gt=0)),
    "resolution_breached": Drill("Resolution SLA breached", "received_at", Q(sla_resolution=FactSla.BREACHED)),
    "resolved": Drill("Cases resolved", "resolved_at", Q()),
    "reopened": Drill("Resolved cases that were reopened", "resolved_at", Q(reopened=True)),
    "backlog": Drill("Open cases", None, Q(status__in=OPEN_STATUSES)),
}


def drill_facts(scope: Scope, key: str, *, status: str = "", age: int | None = None, now: datetime | None = None):
    """Facts behind one figure, newest first; open cases (``backlog``) by status and age bucket."""
    drill = DRILLS[key]
    if drill.by is None:
        qs = facts_in(scope, window=False).filter(drill.q)
        if status:
            qs = qs.filter(status=status)
        if age is not None and now is not None:
            _, low, high = AGE_BUCKETS[age]
            qs = qs.filter(received_at__lte=now - timedelta(hours=low))
            if high is not None:
                qs = qs.filter(received_at__gt=now - timedelta(hours=high))
        return qs.order_by("-received_at", "-pk")
    return facts_in(scope, by=drill.by).filter(drill.q).order_by(f"-{drill.by}", "-pk")


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekday_name(index: int) -> str:
    return WEEKDAYS[index]
