from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("export.csv", views.ledger_export, name="export"),
]
