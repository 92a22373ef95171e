from django.urls import path

from qpa.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("events/", views.event_list, name="event-list"),
]
