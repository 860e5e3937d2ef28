from django.urls import path

from people import views

# Mounted at /sla/calendars/: business calendars are part of the service-SLA configuration.
calendar_urlpatterns = [
    path("", views.calendar_list, name="list"),
    path("new/", views.calendar_new, name="new"),
    path("<int:pk>/", views.calendar_edit, name="edit"),
]

# Mounted at /notifications/.
notification_urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notification_read_all, name="read_all"),
    path("<int:pk>/read/", views.notification_read, name="read"),
]
