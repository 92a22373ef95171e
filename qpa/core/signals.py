"""Failed sign-ins and sign-outs go into the event log, whichever path (the sign-in page,
django-axes, OpenID Connect) authenticated the person. The sign-in itself is recorded by
qpa.accounts.signals, which knows whether a second factor is still to come."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest

from qpa.core.events import event_record, register_sqlite_function


def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only the username tried: Django has already masked the password.
    username = str(credentials.get("username", ""))[:150]
    event_record(
        action="auth.sign_in_failed",
        request=request,
        data={"username": username},
    )


def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    event_record(action="auth.sign_out", actor=user, request=request)


def _on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        register_sqlite_function(connection)


def connect() -> None:
    user_login_failed.connect(_sign_in_failed, dispatch_uid="qpa-event-sign-in-failed")
    user_logged_out.connect(_signed_out, dispatch_uid="qpa-event-sign-out")
    connection_created.connect(_on_connection_created, dispatch_uid="qpa-event-log-sqlite")
