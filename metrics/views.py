"""Metrics pages: parse the filters, authorize, call one selector, render."""

from __future__ import annotations

import csv
import inspect
from dataclasses import replace
from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods

from cases.choices import Status
from metrics import charts, services
from metrics import definitions as d
from metrics.errors import SurveyError
from metrics.filters import CampaignForm, HandleTimeForm, MetricsFilterForm, SurveyAnswerForm
from metrics.models import Campaign, HandleTime
from metrics.scope import Scope
from metrics.selectors import (
    CHARTS,
    chart_table,
    drill_cases,
    format_row,
    own_figures,
    staffing_target,
)
from metrics.selectors import (
    dashboard as dashboard_panels,
)
from metrics.templatetags.metrics_tags import duration, hour_label
from people.roles import can_edit_campaigns, can_view_dashboards, can_view_own_figures
from people.selectors import team_ids_of


def _require_dashboard(user) -> None:
    if not can_view_dashboards(user):
        raise PermissionDenied("The dashboard is for CS leads, compliance and audit.")


def _filters(request) -> MetricsFilterForm:
    return MetricsFilterForm(request.GET, user=request.user)


def _default_tz(request) -> str:
    return getattr(request.user, "time_zone", "") or "UTC"


def _chart_svgs(panels: dict, scope: Scope) -> dict:
    trend = panels["trend"]["rows"]
    labels = [row["bucket"].strftime("%-d %b") for row in trend]
    index = {row["bucket"]: i for i, row in enumerate(trend)}
    bands = []
    for row in panels["campaigns"]["rows"]:
        campaign = row["campaign"]
        starts_on, ends_on = campaign["starts_on"], campaign["ends_on"]
        inside = [
            i
            for b, i in index.items()
            if starts_on <= b <= ends_on or (scope.granularity == "week" and b <= starts_on < b + d.timedelta(days=7))
        ]
        if inside:
            bands.append(charts.Band(min(inside), max(inside), campaign["name"]))
    staffing_hours = panels["staffing"]["hours"]
    unit = "Week of" if scope.granularity == "week" else "Day"
    return {
        "trend_table": charts.data_table(
            caption=f"Per {scope.granularity}, this period against the previous",
            headers=[unit, "Received", "Resolved", "Median resolution", "Previous", "Received then", "Median then"],
            rows=[
                [
                    r["bucket"].strftime("%a %-d %b"),
                    r["received"],
                    r["resolved"],
                    duration(r["median_minutes"]),
                    r["previous_bucket"].strftime("%-d %b") if r["previous_bucket"] else "",
                    r["previous_received"],
                    duration(r["previous_median_minutes"]),
                ]
                for r in trend
            ],
        ),
        "staffing_table": charts.data_table(
            caption=f"Every hour of the week in {scope.tz.key}",
            headers=["Hour", "Arrivals per hour", "Handle time (min)", "Agents needed", "Agents on shift"],
            rows=[[hour_label(h["how"]), h["rate"], h["aht"], h["needed"], h["on_shift"]] for h in staffing_hours],
            marked=[h["needed"] > h["on_shift"] for h in staffing_hours],
        ),
        "volume": charts.line_chart(
            "chart-volume",
            title="Cases received",
            unit="cases",
            desc=f"Cases received per {scope.granularity}, this period and the one before; campaigns shaded.",
            labels=labels,
            bands=bands,
            series=[
                charts.Series("This period", [r["received"] for r in trend], "series-current"),
                charts.Series("Previous period", [r["previous_received"] for r in trend], "series-previous"),
            ],
        ),
        "resolution": charts.line_chart(
            "chart-resolution",
            title="Median resolution time (hours)",
            unit="hours",
            desc=f"Median calendar hours from receipt to resolution of cases resolved per {scope.granularity}.",
            labels=labels,
            series=[
                charts.Series(
                    "This period",
                    [None if r["median_minutes"] is None else r["median_minutes"] / 60 for r in trend],
                    "series-current",
                ),
                charts.Series(
                    "Previous period",
                    [
                        None if r["previous_median_minutes"] is None else r["previous_median_minutes"] / 60
                        for r in trend
                    ],
                    "series-previous",
                ),
            ],
        ),
        "escalation_reasons": charts.bar_chart(
            "chart-escalation-reasons",
            title="Escalations by reason",
            unit="hops",
            desc="Escalation hops requested in the window, by reason.",
            rows=[(str(r["label"]), r["n"]) for r in panels["escalations"]["by_reason"]],
        ),
        "csat_categories": charts.bar_chart(
            "chart-csat-categories",
            title="CSAT by category (% of 4–5 answers)",
            unit="%",
            desc="Share of survey answers of 4 or 5 for cases of each category.",
            rows=[(str(r["label"]), r["csat"] or 0) for r in panels["csat"]["by_category"]],
        ),
        "coverage": charts.heat_map(
            "chart-coverage",
            title="Arrivals by hour of week against agents on shift",
            desc=f"Average cases received per hour in {scope.tz.key}; the number in each cell is agents on shift; "
            "outlined cells have fewer agents than the staffing estimate needs.",
            values=[c["arrivals"] for c in panels["coverage"]["cells"]],
            marks=[c["on_shift"] for c in panels["coverage"]["cells"]],
            short=[h["needed"] > h["on_shift"] for h in staffing_hours],
        ),
    }


@require_GET
def dashboard(request):
    _require_dashboard(request.user)
    form = _filters(request)
    context = {"form": form, "charts_list": CHARTS}
    if not form.is_valid():
        return render(request, "metrics/dashboard.html", context, status=400)
    scope = form.scope(default_tz=_default_tz(request))
    panels = dashboard_panels(scope, target=staffing_target(form.cleaned_data))
    context.update(
        scope=scope,
        panels=panels,
        charts=_chart_svgs(panels, scope),
        statuses=[Status(s).label for s in panels["backlog"]["statuses"]],
    )
    return render(request, "metrics/dashboard.html", context)


@require_GET
def mine(request):
    """An agent's own figures next to their teams'."""
    if not can_view_own_figures(request.user):
        raise PermissionDenied("Your own figures are for agents and specialists; leads use the dashboard.")
    form = _filters(request)
    if not form.is_valid():
        return render(request, "metrics/mine.html", {"form": form}, status=400)
    team_scope = form.scope(default_tz=_default_tz(request))
    # Own figures are always the viewer's own cases and their teams', whatever the URL asks.
    team_scope = replace(team_scope, assignee_id=None, team_ids=tuple(team_ids_of(request.user)))
    my_scope = replace(team_scope, assignee_id=request.user.pk)
    return render(
        request, "metrics/mine.html", {"form": form, "scope": team_scope, "figures": own_figures(my_scope, team_scope)}
    )


@require_GET
def drill(request, key: str):
    if key not in d.DRILLS:
        raise Http404("No such figure.")
    if not (can_view_dashboards(request.user) or can_view_own_figures(request.user)):
        raise PermissionDenied("Your role has no figures to drill into.")
    form = _filters(request)
    if not form.is_valid():
        return render(request, "metrics/drill.html", {"form": form, "drill": d.DRILLS[key]}, status=400)
    scope = form.scope(default_tz=_default_tz(request))
    if not can_view_dashboards(request.user):
        scope = replace(scope, assignee_id=request.user.pk)
    try:
        age = int(request.GET["age"]) if request.GET.get("age", "") != "" else None
    except ValueError:
        age = None
    if age is not None and not 0 <= age < len(d.AGE_BUCKETS):
        age = None
    status = request.GET.get("status", "")
    if status and status not in d.OPEN_STATUSES:
        status = ""
    cases, cursor = drill_cases(scope, key, before=_cursor(request.GET.get("before", "")), status=status, age=age)
    return render(
        request,
        "metrics/drill.html",
        {
            "form": form,
            "drill": d.DRILLS[key],
            "rows": _case_rows(cases),
            "older": _cursor_text(cursor),
            "paged": bool(request.GET.get("before")),
            "scope": scope,
        },
    )


def _cursor(text: str) -> tuple[datetime, int] | None:
    """``<microseconds since the epoch>.<case id>`` of the last row shown; anything else: the first page."""
    micros, _, pk = text.partition(".")
    if not (micros.lstrip("-").isdigit() and pk.isdigit()):
        return None
    try:
        return datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC), int(pk)
    except (OverflowError, OSError, ValueError):
        return None


def _cursor_text(cursor: tuple[datetime, int] | None) -> str:
    if cursor is None:
        return ""
    at, pk = cursor
    return f"{round(at.timestamp() * 1_000_000)}.{pk}"


def _case_rows(cases: list[dict]) -> SafeString:
    """The drill-down table body, written in Python (dates formatted once each, no template nodes)."""

    def when(value) -> str:
        return timezone.localtime(value).strftime("%-d %b %Y %H:%M") if value else "—"

    def who(case: dict) -> str:
        if case["assignee_id"] is None:
            return "—"
        # As people.User.__str__: the full name, else the username.
        return f"{case['assignee_first']} {case['assignee_last']}".strip() or case["assignee_username"]

    return format_html_join(
        "",
        '<tr><td class="ref"><a href="{}">{}</a></td><td>{}</td><td><span class="badge status-{}">{}</span></td>'
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                reverse("cases:detail", args=[case["reference"]]),
                case["reference"],
                case["subject"],
                case["status"],
                Status(case["status"]).label,
                case["category_name"],
                case["team_name"],
                who(case),
                when(case["received_at"]),
                when(case["resolved_at"]),
            )
            for case in cases
        ),
    )


@require_GET
def export(request, chart: str):
    _require_dashboard(request.user)
    if chart not in CHARTS:
        raise Http404("No such chart.")
    form = _filters(request)
    if not form.is_valid():
        problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(f"Bad filters: {problems}\n", status=400, content_type="text/plain; charset=utf-8")
    scope = form.scope(default_tz=_default_tz(request))
    header, rows = chart_table(chart, scope, target=staffing_target(form.cleaned_data))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{chart}-{scope.start_day}-{scope.end_day}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(format_row(row))
    return response


@require_GET
def how_we_count(request):
    if not (can_view_dashboards(request.user) or can_view_own_figures(request.user)):
        raise PermissionDenied("Your role has no dashboards.")
    sections = [{"name": f.__name__, "doc": inspect.getdoc(f)} for f in d.PANELS]
    return render(request, "metrics/how_we_count.html", {"intro": inspect.getdoc(d), "sections": sections})


@require_http_methods(["GET", "POST"])
def campaigns(request):
    _require_dashboard(request.user)
    editable = can_edit_campaigns(request.user)
    form = CampaignForm(request.POST or None)
    handle_form = HandleTimeForm(prefix="ht")
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("Only CS leads enter campaigns.")
        if form.is_valid():
            data = form.cleaned_data
            services.campaign_save(
                actor=request.user,
                name=data["name"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                expected_extra_cases=data["expected_extra_cases"],
                categories=list(data["categories"]),
                note=data["note"],
            )
            messages.success(request, f"Campaign “{data['name']}” saved.")
            return redirect("metrics:campaigns")
    rows = Campaign.objects.prefetch_related("categories").order_by("-starts_on")[:100]
    handle_times = HandleTime.objects.select_related("category").order_by("category__name")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "metrics/campaigns.html",
        {"form": form, "rows": rows, "editable": editable, "handle_form": handle_form, "handle_times": handle_times},
        status=status,
    )


@require_http_methods(["POST"])
def handle_time(request):
    if not can_edit_campaigns(request.user):
        raise PermissionDenied("Only CS leads set handle times.")
    form = HandleTimeForm(request.POST, prefix="ht")
    if form.is_valid():
        services.handle_time_set(
            actor=request.user, category=form.cleaned_data["category"], minutes=form.cleaned_data["minutes"]
        )
        messages.success(request, "Handle time saved.")
    else:
        messages.error(request, "Handle time not saved: pick a category and 1 to 480 minutes.")
    return redirect("metrics:campaigns")


@login_not_required
@require_http_methods(["GET", "POST"])
def survey(request, token: str):
    """The customer's survey page: no sign-in; the signed link is the only key."""
    context = {"token": token}
    try:
        found = services.survey_from_token(token)
    except SurveyError as exc:
        return render(request, "metrics/survey.html", {**context, "problem": exc.message}, status=400)
    if found.status == "answered":
        return render(
            request,
            "metrics/survey.html",
            {**context, "problem": "This survey has already been answered. Thank you, we have your feedback."},
            status=409,
        )
    if request.method == "POST" and request.POST.get("opt_out"):
        services.survey_opt_out(customer_id=found.case.customer_id)
        return render(request, "metrics/survey.html", {**context, "opted_out": True})
    form = SurveyAnswerForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.survey_answer(
                    token=token, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
                )
            except SurveyError as exc:
                return render(request, "metrics/survey.html", {**context, "problem": exc.message}, status=409)
            return render(
                request, "metrics/survey.html", {**context, "thanks": True, "reference": found.case.reference}
            )
        return render(
            request, "metrics/survey.html", {**context, "form": form, "reference": found.case.reference}, status=400
        )
    return render(
        request,
        "metrics/survey.html",
        {**context, "form": form, "reference": found.case.reference, "now": timezone.now()},
    )
