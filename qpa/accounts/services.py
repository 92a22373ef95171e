"""Writes to accounts: enrolment in the second factor, recovery codes, resetting a lost
authenticator app, disabling people. Each is recorded in the event log; changes to the
person's own fields are recorded by qpa.accounts.signals whatever made them."""

from __future__ import annotations

import secrets

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from qpa.accounts.mfa import RECOVERY_CODE_COUNT, new_recovery_code, recovery_code_hash
from qpa.accounts.models import RecoveryCode, User
from qpa.core.events import MAX_DATA_STRING, event_record


@transaction.atomic
def recovery_codes_replace(*, acting_user: User, user: User) -> list[str]:
    """Make a new set of recovery codes, voiding the old ones. The codes are returned
    to be shown once; only their hashes are stored."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    rows = []
    for code in codes:
        salt = secrets.token_hex(16)
        rows.append(RecoveryCode(user=user, salt=salt, code_hash=recovery_code_hash(salt, code)))
    RecoveryCode.objects.bulk_create(rows)
    event_record(
        action="auth.recovery_codes_replaced",
        actor=acting_user,
        obj=user,
        data={"username": user.username, "count": len(codes)},
    )
    return codes


@transaction.atomic
def mfa_device_confirm(*, acting_user: User, device: TOTPDevice) -> list[str]:
    """The person has typed a code from their new authenticator: the device counts from
    now on, any other half-set-up device goes, and they get their recovery codes."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    event_record(
        action="auth.mfa_enrolled",
        actor=acting_user,
        obj=device.user,
        data={"username": device.user.username},
    )
    return recovery_codes_replace(acting_user=acting_user, user=device.user)


@transaction.atomic
def mfa_reset(*, acting_user: User, user: User, reason: str) -> None:
    """Someone has lost their authenticator app: remove it and their recovery codes, and
    end their sessions. At their next sign-in they set up an app again. The reason is
    recorded."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": "Say why the authenticator app is being reset"})
    if len(reason) > MAX_DATA_STRING:
        raise ValidationError(
            {"reason": f"The reason must be {MAX_DATA_STRING} characters or fewer"}
        )
    devices = TOTPDevice.objects.filter(user=user).delete()[0]
    RecoveryCode.objects.filter(user=user).delete()
    _end_sessions(user)
    event_record(
        action="account.mfa_reset",
        actor=acting_user,
        obj=user,
        data={"username": user.username, "reset_reason": reason, "devices": devices},
    )


@transaction.atomic
def user_disable(*, acting_user: User, user: User) -> None:
    """Stop someone signing in, and end every session they have now.

    The session middleware refuses inactive users as well, so a session that is being
    saved at this very moment still ends at its next request.
    """
    user.is_active = False
    user.save(update_fields=["is_active"])
    _end_sessions(user)


def _end_sessions(user: User) -> None:
    user_id = str(user.pk)
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == user_id
    ]
    Session.objects.filter(session_key__in=ended).delete()
