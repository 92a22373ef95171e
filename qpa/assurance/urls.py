from django.urls import path

from qpa.assurance import follow_up_views, views

app_name = "assurance"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("follow-up/", follow_up_views.follow_up, name="follow-up"),
    path("reaudits/", views.reaudit_list, name="reaudit-list"),
    path("reaudits/draw/check/", views.reaudit_draw_check, name="reaudit-draw-check"),
    path("reaudits/quarters/<slug:quarter>/", views.reaudit_quarter, name="reaudit-quarter"),
    path("reaudits/<uuid:public_id>/", views.reaudit_detail, name="reaudit-detail"),
    path("moderation/", views.moderation_list, name="moderation-list"),
    path("moderation/<uuid:public_id>/", views.moderation_detail, name="moderation-detail"),
]
