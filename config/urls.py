from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cases import views as case_views
from cases.urls import customer_urlpatterns
from config.views import healthz

urlpatterns = [
    path("", case_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/", include("cases.urls")),
    path("customers/", include((customer_urlpatterns, "customers"))),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
