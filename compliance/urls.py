from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("", views.review_queue, name="queue"),
    path("flags/new/<str:reference>/", views.flag_new, name="flag_new"),
    path("flags/<int:pk>/", views.flag_review, name="review"),
    path("flags/<int:pk>/submit/", views.flag_submit, name="submit"),
    path("flags/<int:pk>/facts/", views.flag_facts, name="facts"),
    path("flags/<int:pk>/trigger/", views.flag_trigger, name="trigger"),
    path("obligations/<int:pk>/met/", views.obligation_met, name="obligation_met"),
]
