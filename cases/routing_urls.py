"""Routing pages, mounted at /routing/ (namespace ``routing``)."""

from django.urls import path

from cases import routing_views as views

app_name = "routing"

urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_new, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule"),
    path("rules/<int:pk>/move/", views.rule_move, name="rule_move"),
    path("rules/<int:pk>/active/", views.rule_active, name="rule_active"),
    path("teams/<int:pk>/auto-assign/", views.team_auto_assign, name="team_auto_assign"),
    path("next/", views.next_case, name="next"),
    path("cases/<str:reference>/", views.case_decisions, name="case_decisions"),
]
