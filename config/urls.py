from django.urls import include, path

from qpa.api.api import api

urlpatterns = [
    path("", include("qpa.core.urls")),
    path("", include("qpa.home.urls")),
    path("", include("qpa.dataprotection.urls")),
    path("", include("qpa.accounts.urls")),
    path("", include("qpa.api.urls")),
    path("tools/", include("qpa.tools.urls")),
    path("cases/", include("qpa.cases.urls")),
    path("audits/", include("qpa.audits.urls")),
    path("cycles/", include("qpa.cycles.urls")),
    path("notifications/", include("qpa.notifications.urls")),
    path("actions/", include("qpa.actions.urls")),
    path("reports/", include("qpa.reports.urls")),
    path("assurance/", include("qpa.assurance.urls")),
    path("api/v1/", api.urls),
]

# Renders without the database, so an outage gets a clear 503 page (qpa.core.errors).
handler500 = "qpa.core.errors.server_error"
# JSON problems under /api/, Django's pages elsewhere.
handler400 = "qpa.core.errors.bad_request"
handler403 = "qpa.core.errors.permission_denied"
handler404 = "qpa.core.errors.page_not_found"
