"""django-axes hooks: whose address a sign-in comes from, and the lock-out page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    """The address axes counts failures against.

    Behind the load balancer (QPA_BEHIND_PROXY) the client's address is the last one the
    balancer appended to X-Forwarded-For; earlier entries come from the client and could
    be forged to dodge the lock-out. Otherwise it is the connection's own address.
    """
    if settings.QPA_BEHIND_PROXY:
        header: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    address: str | None = request.META.get("REMOTE_ADDR")
    return address


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60) if cooloff else None
    return render(
        request,
        "accounts/locked_out.html",
        {"cooloff_minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
