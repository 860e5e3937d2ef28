from django.urls import path

from painpoints import views

app_name = "painpoints"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/status/", views.change_status, name="status"),
    path("<int:pk>/link/", views.link, name="link"),
    path("<int:pk>/unlink/", views.unlink, name="unlink"),
    path("<int:pk>/link-queue/", views.link_queue, name="link_queue"),
    path("<int:pk>/send/", views.send, name="send"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("shared/", views.shared, name="shared"),
    path("cluster/<str:reference>/", views.cluster, name="cluster"),
    path("cluster/<str:reference>/link/", views.cluster_link, name="cluster_link"),
    path("cases/<str:reference>/identifiers/", views.identifier_add, name="identifier_add"),
    path("cases/<str:reference>/identifiers/extract/", views.identifier_extract, name="identifier_extract"),
]
