"""Error pages that work when the database does not: they render without a query. Under
/api/ every error is JSON (an RFC 9457 problem), even for a path that matches nothing."""

from __future__ import annotations

import sys

from django.db import DatabaseError
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

UNAVAILABLE = (OperationalError, InterfaceError)
# The REST API's addresses (qpa.api, mounted at /api/v1/ by config/urls.py).
API_PREFIX = "/api/"
PROBLEM = "application/problem+json"


def _wants_json(request: HttpRequest) -> bool:
    return (
        "application/json" in request.headers.get("Accept", "")
        or request.headers.get("X-QPA-Background") == "1"
        or request.path.startswith(API_PREFIX)
    )


def _problem(status: int, title: str, detail: str) -> HttpResponse:
    return JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status=status,
        content_type=PROBLEM,
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400."""
    if request.path.startswith(API_PREFIX):
        return _problem(400, "Bad request", "The request is not valid.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403."""
    if request.path.startswith(API_PREFIX):
        return _problem(403, "Forbidden", "You may not do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: under /api/ a problem naming where the operations are listed."""
    if request.path.startswith(API_PREFIX):
        return _problem(
            404,
            "Not found",
            "There is no such API address, or what it names is not in your remit. The "
            "operations are listed at /api/v1/docs.",
        )
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A database that cannot be reached (stopped, restarting, failing over)
    is a 503 with a page that says the work already saved is safe; anything else a 500."""
    error = sys.exc_info()[1]
    unavailable = isinstance(error, UNAVAILABLE) or (
        isinstance(error, DatabaseError) and "connection" in str(error).lower()
    )
    status = 503 if unavailable else 500
    if _wants_json(request):
        message = (
            "The service cannot reach its database. Nothing was saved; keep this page open "
            "and it will try again."
            if unavailable
            else "Sorry, there is a problem with the service. Nothing was saved."
        )
        if request.path.startswith(API_PREFIX):
            title = "Service unavailable" if unavailable else "Server error"
            response = _problem(status, title, message)
        else:
            response = JsonResponse({"error": message, "status": status}, status=status)
        if unavailable:
            response["Retry-After"] = "60"
        return response
    template = loader.get_template("503.html" if unavailable else "500.html")
    response = HttpResponse(template.render({}), status=status)
    if unavailable:
        response["Retry-After"] = "60"
    response["Cache-Control"] = "no-store"
    return response
