"""Error pages that work when the database does not: they render without a query."""

from __future__ import annotations

import sys

from django.db import DatabaseError
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

UNAVAILABLE = (OperationalError, InterfaceError)


def _wants_json(request: HttpRequest) -> bool:
    return (
        "application/json" in request.headers.get("Accept", "")
        or request.headers.get("X-QPA-Background") == "1"
    )


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
        return JsonResponse({"error": message, "status": status}, status=status)
    template = loader.get_template("503.html" if unavailable else "500.html")
    response = HttpResponse(template.render({}), status=status)
    if unavailable:
        response["Retry-After"] = "60"
    response["Cache-Control"] = "no-store"
    return response
