from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.library, name="library"),
    path("new/", views.document_new, name="new"),
    path("mine/", views.mine, name="mine"),
    path("review/", views.review_queue, name="review_queue"),
    path("training/", views.training, name="training"),
    path("d/<slug:slug>/", views.document_detail, name="document"),
    path("d/<slug:slug>/edit/", views.version_new, name="version_new"),
    path("d/<slug:slug>/v<int:number>/", views.version_detail, name="version"),
    path("d/<slug:slug>/v<int:number>/publish/", views.version_publish, name="publish"),
    path("d/<slug:slug>/v<int:number>/review/", views.version_review, name="review"),
    path("d/<slug:slug>/v<int:number>/acknowledge/", views.version_acknowledge, name="acknowledge"),
    path("cases/<str:reference>/templates/", views.case_templates, name="case_templates"),
    path("qa/", views.qa_queue, name="qa_queue"),
    path("qa/mine/", views.qa_mine, name="qa_mine"),
    path("qa/<int:pk>/", views.qa_score, name="qa_score"),
    path("qa/card/<int:pk>/respond/", views.qa_respond, name="qa_respond"),
]
