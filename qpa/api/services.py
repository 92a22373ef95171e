"""Writes to personal API tokens: make one (shown once) and revoke one."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qpa.accounts.models import User
from qpa.api.models import ApiToken, TokenScope
from qpa.core.events import event_record

TOKEN_MARK = "qpa_"  # noqa: S105 (a marker, not a secret)
PREFIX_LENGTH = 12
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_LIVE_TOKENS = 20


def token_hash(token: str) -> str:
    """The stored form of a token. The tokens carry 256 random bits, so one fast hash is
    enough: there is nothing to guess from it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str


@transaction.atomic
def api_token_create(
    *, acting_user: User, name: str, scope: str, days: int = DEFAULT_DAYS
) -> NewToken:
    """A new token for the person themselves. The secret is returned once, never stored."""
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter a name for the token, such as the system that will use it."
    elif len(name) > 80:
        errors["name"] = "Keep the name to 80 characters or fewer."
    if scope not in TokenScope.values:
        errors["scope"] = "Choose read only, or read and write."
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        errors["days"] = f"Choose between 1 and {MAX_DAYS} days."
    if errors:
        raise ValidationError(errors)
    if not acting_user.is_active:
        raise PermissionDenied("A disabled account cannot make tokens.")
    live = ApiToken.objects.filter(
        user=acting_user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    if live.count() >= MAX_LIVE_TOKENS:
        raise ValidationError(f"You have {MAX_LIVE_TOKENS} tokens: revoke one you do not use.")
    secret = TOKEN_MARK + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=acting_user,
        name=name,
        scope=scope,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=token_hash(secret),
        expires_at=timezone.now() + timedelta(days=days),
        created_by=acting_user,
        updated_by=acting_user,
    )
    event_record(
        action="api_token.created",
        actor=acting_user,
        obj=token,
        data={"scope": scope, "days": days, "prefix": token.prefix},
    )
    return NewToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, acting_user: User, token: ApiToken) -> ApiToken:
    """Stop a token working at once. Revoking twice changes nothing."""
    if token.user_id != acting_user.pk:
        raise PermissionDenied("People revoke only their own tokens.")
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), updated_at=timezone.now(), updated_by=acting_user
        )
        token.refresh_from_db()
        event_record(
            action="api_token.revoked", actor=acting_user, obj=token, data={"prefix": token.prefix}
        )
    return token
