from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("cfpb/", views.cfpb_import, name="cfpb"),
    path("cfpb/<int:pk>/", views.cfpb_run, name="cfpb_run"),
]
