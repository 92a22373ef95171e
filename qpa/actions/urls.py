from django.urls import path

from qpa.actions import list_views, recommendation_views, views

app_name = "actions"

urlpatterns = [
    path("", views.my_action_list, name="my-actions"),
    path("areas/", list_views.area_actions, name="area-actions"),
    path("audits/<uuid:public_id>/new/", views.action_create, name="action-create"),
    path(
        "audits/<uuid:public_id>/recommendations/",
        recommendation_views.recommendations_decide,
        name="recommendations-decide",
    ),
    path("<uuid:public_id>/", views.action_detail, name="action-detail"),
    path("<uuid:public_id>/complete/", views.action_complete, name="action-complete"),
    path("<uuid:public_id>/reopen/", views.action_reopen, name="action-reopen"),
]
