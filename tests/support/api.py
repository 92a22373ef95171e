"""Clients of the REST API with a personal token."""

from __future__ import annotations

from django.test import Client

from qpa.accounts.models import User
from qpa.api.models import TokenScope
from qpa.api.services import api_token_create


def token_for(user: User, scope: str = TokenScope.WRITE, days: int = 90) -> str:
    return api_token_create(acting_user=user, name="Test", scope=scope, days=days).secret


def client_for(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def as_user(user: User, scope: str = TokenScope.WRITE) -> Client:
    return client_for(token_for(user, scope))
