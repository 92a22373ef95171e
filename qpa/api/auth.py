"""Who is calling: a personal API token in `Authorization: Bearer <token>`.

The API never reads or creates a session: every request names its token, which acts as
its person with that person's remit. A token stops working when it expires, when it is
revoked, or when its person's account is disabled. Each token is rate-limited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer

from qpa.api.models import ApiToken
from qpa.api.ratelimit import rate_limit_check
from qpa.api.services import TOKEN_MARK, token_hash

# Recording every use would write on every read; a minute is close enough to show it.
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


def token_from_header(request: HttpRequest) -> str | None:
    value = request.headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None


def live_token(raw: str | None) -> ApiToken | None:
    """The live token of an active person that `raw` is, else None."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH or not raw.startswith(TOKEN_MARK):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def authenticate_request(request: HttpRequest, raw: str | None) -> ApiToken | None:
    """Find the token, count the request against its limit, and make its person the
    request's user (for remit and the event log). Raises RateLimited past the limit."""
    token = live_token(raw)
    if token is None:
        return None
    rate_limit_check(key=token.token_hash[:32])
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    request.user = token.user
    return token


class TokenAuth(HttpBearer):
    """Bearer token auth; `write=True` operations need a token with the write scope."""

    def __init__(self, *, write: bool) -> None:
        super().__init__()
        self.write = write

    def __call__(self, request: HttpRequest) -> Any:
        # HttpBearer answers None to any other scheme; ours also reads "bearer" any case.
        return self.authenticate(request, token_from_header(request) or "")

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = authenticate_request(request, token)
        if found is not None and self.write and not found.can_write:
            raise HttpError(403, "This token is read only: make a read and write token.")
        return found


read_auth = TokenAuth(write=False)
write_auth = TokenAuth(write=True)
