"""Where a request came from."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's address, as the lock-out counts failures against it.

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
