"""The email that carries a new person's one-time link to choose their password.

Accounts sits below notifications, so it announces the link with a signal
(qpa.accounts.set_password) and this receiver puts it in the outbox, in the same
transaction: a rolled-back change sends nothing. The link reaches the person by email
only; it is never shown to the administrator who asked for it.
"""

from __future__ import annotations

from typing import Any

from qpa.accounts.models import User
from qpa.accounts.set_password import set_password_link_issued
from qpa.notifications.services import notification_send

KIND = "account.set_password"


def _send_link(sender: Any, user: User, path: str, days: int, **kwargs: Any) -> None:
    within = "1 day" if days == 1 else f"{days} days"
    notification_send(
        recipient=user,
        kind=KIND,
        subject="Choose your password for Quality of Practice Audit",
        body=(
            f"Your username is {user.username}.\n\n"
            f"Use the link below to choose your password. It works once, within {within}. "
            "If it has run out, ask your administrator for a new one.\n\n"
            "After your password, you will be asked to set up an authenticator app on "
            "your phone."
        ),
        url=path,
    )


def connect() -> None:
    set_password_link_issued.connect(_send_link, dispatch_uid="qpa-set-password-email")
