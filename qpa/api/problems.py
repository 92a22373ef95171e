"""Errors as JSON problem details (RFC 9457): bad input is a 4xx that says what is wrong,
never a 500."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from qpa.api.ratelimit import RateLimited
from qpa.audits.services import AuditConflict, AuditLocked

CONTENT_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    429: "Too many requests",
}


def problem(status: int, detail: str, **extra: Any) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return HttpResponse(json.dumps(body, default=str), status=status, content_type=CONTENT_TYPE)


def unauthenticated(
    detail: str = "Send a live API token: Authorization: Bearer <token>.",
) -> HttpResponse:
    response = problem(401, detail)
    response["WWW-Authenticate"] = 'Bearer realm="qpa"'
    return response


def _validation_errors(error: DjangoValidationError) -> list[dict[str, str]]:
    if hasattr(error, "error_dict"):
        return [
            {"field": field, "message": message}
            for field, errors in error.message_dict.items()
            for message in errors
        ]
    return [{"field": "", "message": message} for message in error.messages]


def _ninja_errors(error: NinjaValidationError) -> list[dict[str, str]]:
    found = []
    for item in error.errors:
        location = [str(part) for part in item.get("loc", ())]
        found.append({"field": ".".join(location), "message": str(item.get("msg", "invalid"))})
    return found


def install(api: NinjaAPI) -> None:
    """Answer every expected failure as a problem."""

    def bad_input(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(400, "The request is not valid.", errors=_ninja_errors(exc))

    def refused(request: HttpRequest, exc: Any) -> HttpResponse:
        errors = _validation_errors(exc)
        return problem(400, errors[0]["message"] if errors else "Invalid.", errors=errors)

    def not_authenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        return unauthenticated()

    def forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(403, str(exc) or "You may not do this.")

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(404, "Not found, or not in your remit.")

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if exc.status_code == 401:
            return unauthenticated()
        return problem(exc.status_code, exc.message)

    def conflict(request: HttpRequest, exc: Any) -> HttpResponse:
        current = exc.current
        return problem(
            409,
            "The audit was saved since the version you started from: fetch it and try again.",
            code="conflict",
            current_version=current.version,
            saved_at=current.updated_at.isoformat(),
            saved_by=str(current.updated_by) if current.updated_by else "",
        )

    def locked(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(
            409,
            "This audit has been submitted and is locked.",
            code="locked",
            current_version=exc.current.version,
        )

    def too_many(request: HttpRequest, exc: Any) -> HttpResponse:
        response = problem(429, str(exc), retry_after=exc.retry_after)
        response["Retry-After"] = str(exc.retry_after)
        return response

    api.add_exception_handler(NinjaValidationError, bad_input)
    api.add_exception_handler(DjangoValidationError, refused)
    api.add_exception_handler(AuthenticationError, not_authenticated)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(AuditConflict, conflict)
    api.add_exception_handler(AuditLocked, locked)
    api.add_exception_handler(RateLimited, too_many)
