from django.urls import path

from cases import document_views, pii_views, views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("mine/", views.mine, name="mine"),
    path("bulk/", views.bulk, name="bulk"),
    path("<str:reference>/documents/", document_views.document_upload_view, name="document_upload"),
    path("<str:reference>/documents/<int:pk>/", document_views.document_download_view, name="document_download"),
    path("<str:reference>/", views.case_detail, name="detail"),
    path("<str:reference>/sla/", views.case_sla, name="sla"),
    path("<str:reference>/messages/", views.case_message, name="message"),
    path("<str:reference>/status/", views.case_status, name="status"),
    path("<str:reference>/assign/", views.case_assign, name="assign"),
    path("<str:reference>/properties/", views.case_properties, name="properties"),
]

customer_urlpatterns = [
    # Before the account-number pattern, which would otherwise take "reveals".
    path("reveals/", pii_views.reveal_list, name="reveals"),
    path("<str:account_number>/", views.customer_detail, name="customer"),
    path("<str:account_number>/reveal/", pii_views.customer_reveal, name="reveal"),
]

# Service SLA configuration, mounted at /sla/ (calendars live in people.urls under /sla/calendars/).
sla_urlpatterns = [
    path("", views.sla_overview, name="overview"),
    path("policies/new/", views.sla_policy_new, name="policy_new"),
    path("policies/<int:pk>/", views.sla_policy_edit, name="policy"),
    path("policies/<int:pk>/move/", views.sla_policy_move_view, name="policy_move"),
    path("policies/<int:pk>/active/", views.sla_policy_active_view, name="policy_active"),
]
