from django.urls import include, path

urlpatterns = [
    path("", include("qpa.core.urls")),
    path("", include("qpa.accounts.urls")),
    path("tools/", include("qpa.tools.urls")),
]
