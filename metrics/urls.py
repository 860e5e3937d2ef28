from django.urls import path

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("mine/", views.mine, name="mine"),
    path("how-we-count/", views.how_we_count, name="how_we_count"),
    path("cases/<slug:key>/", views.drill, name="drill"),
    path("export/<slug:chart>.csv", views.export, name="export"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("handle-times/", views.handle_time, name="handle_time"),
    path("survey/<str:token>/", views.survey, name="survey"),
]
