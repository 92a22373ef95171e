from django.urls import path

from qpa.home import setup_views, views

app_name = "home"

urlpatterns = [
    path("", views.home, name="home"),
    path("council/", setup_views.council_edit, name="council"),
    path("council/service-areas/", setup_views.service_area_list, name="service-area-list"),
    path("council/service-areas/new/", setup_views.service_area_new, name="service-area-new"),
    path(
        "council/service-areas/<slug:slug>/",
        setup_views.service_area_edit,
        name="service-area-edit",
    ),
]
