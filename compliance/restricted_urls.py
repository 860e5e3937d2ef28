from django.urls import path

from compliance import restricted_views

app_name = "fiu"

urlpatterns = [
    path("", restricted_views.inbox, name="inbox"),
    path("referrals/<int:pk>/", restricted_views.referral_detail, name="referral"),
    path("refer/<str:reference>/", restricted_views.refer, name="refer"),
]
