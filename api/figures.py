"""The dashboard figures over the API: the same definitions, filters and access as the page.

``metrics.selectors.dashboard`` computes every panel; this endpoint only parses the page's filter
form and writes the panels as JSON (dates as ISO strings, tuple keys joined with '-').
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.schema import errors
from api.views import ApiView
from metrics.filters import MetricsFilterForm
from metrics.selectors import dashboard, staffing_target
from people.roles import can_view_dashboards


def jsonable(value):
    """Panels as plain JSON: what the page draws, in the types a client can read."""
    if isinstance(value, dict):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, ZoneInfo):
        return value.key
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _key(key) -> str:
    if isinstance(key, tuple):
        return "-".join(str(part) for part in key)
    if isinstance(key, date | datetime):
        return key.isoformat()
    return str(key)


class DashboardFiguresView(ApiView):
    @extend_schema(
        operation_id="metrics_dashboard",
        summary="The lead dashboard's figures",
        description="Every panel of the dashboard (resolution, arrivals and SLA attainment, trend, CSAT, "
        "escalations, regulatory breaches, backlog, drivers, coverage, staffing, campaigns) for the "
        "filters, computed by metrics.definitions with the viewer's access. Restricted cases are never counted.",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
            OpenApiParameter("tz", str, description="IANA zone the days are counted in; the caller's own if left out."),
            OpenApiParameter("granularity", str, enum=["day", "week"]),
            OpenApiParameter("team", int, many=True, explode=True),
            OpenApiParameter("agent", int),
            OpenApiParameter("category", int, many=True, explode=True),
            OpenApiParameter("jurisdiction", str, many=True, explode=True),
            OpenApiParameter("channel", str, many=True, explode=True),
            OpenApiParameter("flag_kind", str, many=True, explode=True),
            OpenApiParameter("tier", str, many=True, explode=True),
        ],
        responses={200: OpenApiTypes.OBJECT, **errors(400)},
    )
    def get(self, request):
        if not can_view_dashboards(request.user):
            raise PermissionDenied("The dashboard is for CS leads, compliance and audit.")
        form = MetricsFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            problems = form.errors.get_json_data()
            raise ValidationError({field: [error["message"] for error in items] for field, items in problems.items()})
        scope = form.scope(default_tz=getattr(request.user, "time_zone", "") or "UTC")
        panels = dashboard(scope, target=staffing_target(form.cleaned_data))
        return Response(
            {"start": scope.start_day, "end": scope.end_day, "tz": scope.tz.key, "panels": jsonable(panels)}
        )
