"""Optional sign-in through the council's identity provider (OpenID Connect).

Enabled only when QPA_OIDC_ISSUER is set (with QPA_OIDC_CLIENT_ID and
QPA_OIDC_CLIENT_SECRET). The provider's endpoints come from its discovery document,
fetched when first needed and kept for an hour, so a provider outage never stops QPA
starting. People are matched by email to existing active accounts only; nobody is
created. See docs/decisions/0042-openid-connect.md.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from qpa.accounts.models import User

logger = logging.getLogger(__name__)
DISCOVERY_SECONDS = 60 * 60
_ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}


def oidc_enabled() -> bool:
    return bool(settings.QPA_OIDC_ISSUER)


def discovery() -> dict[str, Any]:
    issuer: str = settings.QPA_OIDC_ISSUER
    cached = _discovered.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    response = requests.get(
        f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
    )
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ImproperlyConfigured(
            f"The provider at {issuer} names a different issuer: {document.get('issuer')!r}."
        )
    _discovered[issuer] = (time.monotonic() + DISCOVERY_SECONDS, document)
    return document


def oidc_setting(attr: str, *args: Any) -> Any:
    if attr in _ENDPOINTS:
        return discovery()[_ENDPOINTS[attr]]
    return import_from_settings(attr, *args)


class CouncilOIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django makes a backend for every request of a signed-in person (get_user):
        # the provider is asked for its endpoints only when someone signs in.
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        # Only the callback view passes a nonce; a password sign-in never comes here.
        if request is None or "nonce" not in kwargs or not oidc_enabled():
            return None
        super().__init__()
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException) as refused:
            logger.warning("Council sign-in refused: %s", refused)
            return None
        return user

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token: it must come from our issuer, for us
            audience = payload.get("aud")
            audiences = [audience] if isinstance(audience, str) else list(audience or [])
            if str(payload.get("iss", "")).rstrip("/") != settings.QPA_OIDC_ISSUER:
                raise SuspiciousOperation("The ID token comes from another issuer.")
            if settings.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation("The ID token is meant for another client.")
        return payload

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        email = claims.get("email")
        if not email or claims.get("email_verified") is False:
            return User.objects.none()
        return User.objects.filter(email__iexact=email, is_active=True)

    def create_user(self, claims: dict[str, Any]) -> None:
        return None

    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.filter(pk=user_id, is_active=True).first()
        return user


class CouncilSignInStartView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs: Any) -> None:
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404
        self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = oidc_setting("OIDC_RP_CLIENT_ID")
        response: HttpResponse = super().get(request)
        return response


class CouncilSignInCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404
        response: HttpResponse = super().get(request)
        return response
