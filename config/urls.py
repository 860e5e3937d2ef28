from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cases import views as case_views
from cases.urls import customer_urlpatterns, sla_urlpatterns
from config.views import healthz
from people.urls import calendar_urlpatterns, notification_urlpatterns

urlpatterns = [
    path("", case_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/", include("cases.urls")),
    path("customers/", include((customer_urlpatterns, "customers"))),
    path("escalations/", include("escalations.urls")),
    path("routing/", include("cases.routing_urls")),
    path("compliance/", include("compliance.urls")),
    path("fiu/", include("compliance.restricted_urls")),
    path("audit/", include("audit.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("painpoints/", include("painpoints.urls")),
    path("sla/calendars/", include((calendar_urlpatterns, "calendars"))),
    path("sla/", include((sla_urlpatterns, "sla"))),
    path("metrics/", include("metrics.urls")),
    path("api/v1/", include("api.urls")),
    path("intake/", include("intake.urls")),
    path("notifications/", include((notification_urlpatterns, "notifications"))),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

# A lost database answers 503 with a clear body (config.resilience), anything else a 500.
handler500 = "config.resilience.server_error"
