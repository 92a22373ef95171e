from django.urls import path

from qpa.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="mark-all-read"),
    path("<uuid:public_id>/read/", views.mark_read, name="mark-read"),
    path("<uuid:public_id>/acknowledge/", views.acknowledge, name="acknowledge"),
]
