from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("mine/", views.mine, name="mine"),
    path("bulk/", views.bulk, name="bulk"),
    path("<str:reference>/", views.case_detail, name="detail"),
    path("<str:reference>/messages/", views.case_message, name="message"),
    path("<str:reference>/status/", views.case_status, name="status"),
    path("<str:reference>/assign/", views.case_assign, name="assign"),
    path("<str:reference>/properties/", views.case_properties, name="properties"),
]

customer_urlpatterns = [
    path("<str:account_number>/", views.customer_detail, name="customer"),
]
