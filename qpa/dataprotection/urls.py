from django.urls import path

from qpa.dataprotection import views

app_name = "dataprotection"

urlpatterns = [
    path("events/", views.event_list, name="event-list"),
]
