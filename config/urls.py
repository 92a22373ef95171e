from django.urls import include, path

urlpatterns = [
    path("", include("qpa.core.urls")),
    path("", include("qpa.accounts.urls")),
    path("tools/", include("qpa.tools.urls")),
    path("cases/", include("qpa.cases.urls")),
    path("audits/", include("qpa.audits.urls")),
    path("cycles/", include("qpa.cycles.urls")),
    path("notifications/", include("qpa.notifications.urls")),
    path("actions/", include("qpa.actions.urls")),
]
