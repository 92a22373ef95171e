from django.urls import path

from qpa.tools import views

app_name = "tools"

urlpatterns = [
    path("", views.tool_list, name="tool-list"),
    path("new/", views.tool_create, name="tool-create"),
    path("scales/", views.scale_list, name="scale-list"),
    path("scales/new/", views.scale_create, name="scale-create"),
    path("scales/<slug:slug>/", views.scale_detail, name="scale-detail"),
    path("scales/<slug:slug>/lines/", views.scale_lines, name="scale-lines"),
    path(
        "scales/<slug:slug>/crosswalk/<slug:target_slug>/",
        views.crosswalk_edit,
        name="crosswalk-edit",
    ),
    path("<slug:slug>/", views.tool_detail, name="tool-detail"),
    path("<slug:slug>/edit/", views.tool_edit, name="tool-edit"),
    path("<slug:slug>/domains/new/", views.domain_add, name="domain-add"),
    path("<slug:slug>/domains/<int:position>/", views.domain_edit, name="domain-edit"),
    path("<slug:slug>/domains/<int:position>/remove/", views.domain_remove, name="domain-remove"),
    path("<slug:slug>/questions/new/", views.question_add, name="question-add"),
    path("<slug:slug>/questions/suggested/", views.questions_suggest, name="questions-suggest"),
    path("<slug:slug>/questions/<int:position>/", views.question_edit, name="question-edit"),
    path(
        "<slug:slug>/questions/<int:position>/remove/",
        views.question_remove,
        name="question-remove",
    ),
]
