from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from qpa.accounts.mfa import mfa_satisfied
from qpa.accounts.sessions import session_clock


def session_timeout(request: HttpRequest) -> dict[str, Any]:
    """What the timeout warning (qpa/session-timeout.js) needs on a fully signed-in page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not mfa_satisfied(request):
        return {}
    clock = session_clock(request.session)
    return {
        "session_timeout": {
            "idle_minutes": settings.QPA_SESSION_IDLE_SECONDS // 60,
            "remaining_seconds": max(0, int(clock.remaining)),
            "warning_seconds": settings.QPA_SESSION_WARNING_SECONDS,
            "warning_minutes": max(1, settings.QPA_SESSION_WARNING_SECONDS // 60),
        }
    }
