"""One-time links with which a new person chooses their own password, so that no
administrator ever types, sees or knows it (docs/decisions/0122-people-and-first-passwords.md).

The link is Django's password-reset token: it is signed with SECRET_KEY over the
person's password hash and last sign-in, so it works once (setting the password changes
the hash), stops working after PASSWORD_RESET_TIMEOUT, and a newer link voids an older
one (issuing a link gives the account a new unusable password). The outbox lives in a
higher app (notifications), so this module sends a signal that it connects to.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.dispatch import Signal
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from qpa.accounts.models import User

# Sent inside the transaction that issues a link: kwargs `user` and `path` (the link's
# path, to be put after QPA_SITE_URL), and `days` (how long it works).
set_password_link_issued = Signal()


def set_password_path(user: User) -> str:
    """The path of a new one-time link for `user`, valid until their password changes."""
    return reverse(
        "accounts:set-password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def link_days() -> int:
    """How many whole days a link works (PASSWORD_RESET_TIMEOUT, at least one)."""
    return max(1, int(settings.PASSWORD_RESET_TIMEOUT) // 86_400)
