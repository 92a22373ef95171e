"""Session lifetimes and the second sign-in step, enforced on every request."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from qpa.accounts.mfa import confirmed_device, mfa_satisfied
from qpa.accounts.sessions import is_background_request, session_clock, touch

# Pages a password-only session may reach: the sign-in steps themselves and the health
# check. Everything else, including a URL that matches nothing, goes to the second step.
MFA_EXEMPT_VIEWS = frozenset(
    {
        "accounts:sign-in",
        "accounts:sign-out",
        "accounts:mfa-verify",
        "accounts:mfa-enrol",
        "accounts:oidc-start",
        "accounts:oidc-callback",
        "core:health",
    }
)


def _view_name(request: HttpRequest) -> str | None:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return None


class SessionTimeoutMiddleware:
    """Ends a session after QPA_SESSION_IDLE_SECONDS without activity, after
    SESSION_COOKIE_AGE from sign-in whatever happens, and at once for a disabled user.
    Background requests are served without restarting the idle clock."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            reason = "disabled" if not user.is_active else session_clock(request.session).ended
            if reason is not None:
                # Back to the page after signing in again, but not to an autosave URL
                # or to a form's POST-only address.
                come_back = request.method == "GET" and not is_background_request(request)
                logout(request)
                query = {"signed-out": reason}
                if come_back:
                    query["next"] = request.get_full_path()
                return HttpResponseRedirect(f"{reverse('accounts:sign-in')}?{urlencode(query)}")
            if not is_background_request(request):
                touch(request.session)
        return self.get_response(request)


class MFARequiredMiddleware:
    """With QPA_MFA_REQUIRED, a session that has passed only the password step reaches
    nothing but the sign-in steps: every other URL redirects to the code page (or to
    setting up an authenticator app, for someone who has none yet)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.QPA_MFA_REQUIRED
            and request.user.is_authenticated
            and not request.path_info.startswith(settings.STATIC_URL)
            and _view_name(request) not in MFA_EXEMPT_VIEWS
            and not mfa_satisfied(request)
        ):
            has_app = confirmed_device(request.user) is not None
            step = "accounts:mfa-verify" if has_app else "accounts:mfa-enrol"
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse(step)}?{query}")
        return self.get_response(request)
