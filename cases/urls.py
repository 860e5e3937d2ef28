from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("mine/", views.mine, name="mine"),
    path("bulk/", views.bulk, name="bulk"),
    path("<str:reference>/", views.case_detail, name="detail"),
    path("<str:reference>/sla/", views.case_sla, name="sla"),
    path("<str:reference>/messages/", views.case_message, name="message"),
    path("<str:reference>/status/", views.case_status, name="status"),
    path("<str:reference>/assign/", views.case_assign, name="assign"),
    path("<str:reference>/properties/", views.case_properties, name="properties"),
]

customer_urlpatterns = [
    path("<str:account_number>/", views.customer_detail, name="customer"),
]

# Service SLA configuration, mounted at /sla/ (calendars live in people.urls under /sla/calendars/).
sla_urlpatterns = [
    path("", views.sla_overview, name="overview"),
    path("policies/new/", views.sla_policy_new, name="policy_new"),
    path("policies/<int:pk>/", views.sla_policy_edit, name="policy"),
    path("policies/<int:pk>/move/", views.sla_policy_move_view, name="policy_move"),
    path("policies/<int:pk>/active/", views.sla_policy_active_view, name="policy_active"),
]
