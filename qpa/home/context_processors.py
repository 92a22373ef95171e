from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from qpa.home.navigation import navigation_for
from qpa.organisation.selectors import council_name


def shell(request: HttpRequest) -> dict[str, Any]:
    """What every page's header, navigation and banner need."""
    user = getattr(request, "user", None)
    return {
        "council_name": council_name(),
        "demo_mode": settings.QPA_DEMO_MODE,
        "navigation": navigation_for(user, request.path) if user else [],
    }
