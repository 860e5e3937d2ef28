from django.urls import path

from escalations import views

app_name = "escalations"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("new/<str:reference>/", views.request_escalation, name="request"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/return/", views.return_, name="return"),
    path("<int:pk>/hand-on/", views.hand_on, name="hand_on"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
