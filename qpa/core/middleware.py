from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from qpa.core.events import MAX_DATA_STRING, answering, event_record


class NoStoreMiddleware:
    """Pages may carry case data: no browser or proxy may keep a copy.

    Static files are answered earlier by WhiteNoise and keep their long cache lifetime.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        return response


# Browser features QPA never uses, switched off for its pages and anything they embed:
# a script injected despite the CSP still cannot turn on a camera, ask for a location or
# take payment. Printing, copying and downloads need no permission.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-create",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "web-share",
        "xr-spatial-tracking",
    )
)


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header to every response, static files included (it
    sits before WhiteNoise)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class EventLogMiddleware:
    """Gives every request an id (answered in `X-Request-ID`, kept in every event the
    request records) and records each request refused to a signed-in person: a 403, or a
    404, which is also how an object outside someone's remit is answered."""

    DENIED = {403: "forbidden", 404: "not_found"}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        with answering(request):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        user = getattr(request, "user", None)
        if response.status_code in self.DENIED and getattr(user, "is_authenticated", False):
            event_record(
                action="access.denied",
                request=request,
                # The path only: a query string may carry search terms.
                data={
                    "status": response.status_code,
                    "method": request.method or "",
                    "path": request.path[:MAX_DATA_STRING],
                },
            )
        return response
