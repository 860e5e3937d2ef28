"""Everything under /api/v1/: the endpoints of every app, the schema and its docs page."""

from __future__ import annotations

from django.urls import path, re_path

from api.figures import DashboardFiguresView
from api.views import DocsView, NotFoundView, SchemaView
from cases.api import views as cases
from compliance import api as compliance
from escalations import api as escalations
from intake import api as intake

app_name = "api"

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    path("cases/", cases.CaseListView.as_view(), name="cases"),
    path("cases/<str:reference>/", cases.CaseDetailView.as_view(), name="case"),
    path("cases/<str:reference>/replies/", cases.CaseReplyView.as_view(), name="case-reply"),
    path("cases/<str:reference>/notes/", cases.CaseNoteView.as_view(), name="case-note"),
    path("cases/<str:reference>/status/", cases.CaseStatusView.as_view(), name="case-status"),
    path("cases/<str:reference>/assignee/", cases.CaseAssignView.as_view(), name="case-assign"),
    path("cases/<str:reference>/sla-timers/", cases.CaseSlaTimersView.as_view(), name="case-sla-timers"),
    path("cases/<str:reference>/escalations/", escalations.CaseEscalationsView.as_view(), name="case-escalations"),
    path("cases/<str:reference>/flags/", compliance.CaseFlagsView.as_view(), name="case-flags"),
    path("cases/<str:reference>/obligations/", compliance.CaseObligationsView.as_view(), name="case-obligations"),
    path("escalations/<int:pk>/", escalations.EscalationDetailView.as_view(), name="escalation"),
    path("escalations/<int:pk>/accept/", escalations.EscalationAcceptView.as_view(), name="escalation-accept"),
    path("escalations/<int:pk>/return/", escalations.EscalationReturnView.as_view(), name="escalation-return"),
    path("flags/", compliance.FlagReviewListView.as_view(), name="flags"),
    path("flags/<int:pk>/", compliance.FlagDetailView.as_view(), name="flag"),
    path("flags/<int:pk>/submit/", compliance.FlagSubmitView.as_view(), name="flag-submit"),
    path("flags/<int:pk>/sign-off/", compliance.FlagSignOffView.as_view(), name="flag-sign-off"),
    path("flags/<int:pk>/facts/", compliance.FlagFactsView.as_view(), name="flag-facts"),
    path("obligations/", compliance.ObligationListView.as_view(), name="obligations"),
    path("intake/tickets/", intake.TicketIntakeView.as_view(), name="intake-tickets"),
    path("intake/tickets/batch/", intake.TicketBatchIntakeView.as_view(), name="intake-tickets-batch"),
    path("metrics/dashboard/", DashboardFiguresView.as_view(), name="metrics-dashboard"),
    # Last: a path no endpoint matches (e.g. /flags/-1/) is a JSON 404 like any other.
    re_path(r"^.*$", NotFoundView.as_view(), name="not-found"),
]
