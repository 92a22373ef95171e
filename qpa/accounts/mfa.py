"""The second sign-in step: TOTP through django-otp, and recovery codes kept hashed.

docs/decisions/0040-mfa-with-totp.md explains the choices. A session is "fully signed
in" when django-otp has recorded the device that verified it, or, when the council's
identity provider is trusted to have asked for a second factor, when it was signed in
through OpenID Connect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from qpa.accounts.models import RecoveryCode, User
from qpa.core.events import event_record

OIDC_BACKEND = "qpa.accounts.oidc.CouncilOIDCBackend"
RECOVERY_CODE_COUNT = 10
# Letters only, so a recovery code is never mistaken for a TOTP code, and none that
# look alike (i, l, o). Four groups of four: 23**16, about 72 bits.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz"
_GROUPS = 4
_GROUP_LENGTH = 4


def mfa_satisfied(request: HttpRequest) -> bool:
    """Whether this session has passed every sign-in step QPA asks for."""
    if not settings.QPA_MFA_REQUIRED:
        return True
    user = request.user
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return True
    return bool(
        settings.QPA_OIDC_SATISFIES_MFA and request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND
    )


def confirmed_device(user: User) -> TOTPDevice | None:
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    )
    return device


def unconfirmed_device(user: User) -> TOTPDevice:
    """The device being set up: one per person until it is confirmed with a code."""
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def secret_for_typing(device: TOTPDevice) -> str:
    """The key as authenticator apps take it typed in: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_url(text: str) -> str:
    """An SVG QR code as a data: URL (the CSP allows img-src data:; no inline markup)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=4)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def normalise_code(raw: str) -> str:
    return "".join(raw.split()).replace("-", "").lower()


def new_recovery_code() -> str:
    return "-".join(
        "".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_LENGTH)) for _ in range(_GROUPS)
    )


def recovery_code_hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{normalise_code(code)}".encode()).hexdigest()


def recovery_code_matches(stored: RecoveryCode, code: str) -> bool:
    return hmac.compare_digest(stored.code_hash, recovery_code_hash(stored.salt, code))


@transaction.atomic
def recovery_code_use(*, user: User, code: str, request: HttpRequest | None = None) -> bool:
    """Spend one unused recovery code; each works once, even under concurrent requests.
    The use is recorded in the event log, with how many codes are left."""
    for stored in RecoveryCode.objects.filter(user=user, used_at__isnull=True):
        if recovery_code_matches(stored, code):
            spent = RecoveryCode.objects.filter(pk=stored.pk, used_at__isnull=True).update(
                used_at=timezone.now()
            )
            if spent != 1:
                return False
            left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
            event_record(
                action="auth.recovery_code_used",
                actor=user,
                request=request,
                data={"unused_left": left},
            )
            return True
    return False


TOTP = "totp"
RECOVERY_CODE = "recovery_code"


@transaction.atomic
def second_factor_verify(
    *, device: TOTPDevice, code: str, request: HttpRequest | None = None
) -> str | None:
    """Check a TOTP code or a recovery code against the person's confirmed device, and
    say which passed (TOTP or RECOVERY_CODE), or None. A failure is recorded.

    django-otp refuses a TOTP code at or before the last step accepted (so a code cannot
    be used twice) and throttles failures with a doubling delay; a wrong recovery code
    counts as a failure in that same throttle. The row lock serialises concurrent tries.
    """
    locked: TOTPDevice = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    allowed, _ = locked.verify_is_allowed()
    if not allowed:
        second_factor_failed(user=locked.user, request=request, reason="throttled")
        return None
    token = normalise_code(code)
    if token.isdigit():
        if locked.verify_token(token):
            return TOTP
    elif token.isalpha() and recovery_code_use(user=locked.user, code=token, request=request):
        locked.throttle_reset()
        return RECOVERY_CODE
    else:
        locked.throttle_increment()
    second_factor_failed(user=locked.user, request=request, reason="wrong_code")
    return None


def second_factor_failed(
    *, user: User, request: HttpRequest | None, reason: str, step: str = "sign_in"
) -> None:
    """Record a refused second factor: a wrong code, or a try while throttled."""
    event_record(
        action="auth.second_factor_failed",
        actor=user,
        request=request,
        data={"failure": reason, "step": step},
    )


def sign_in_completed(*, request: HttpRequest, user: User, second_factor: str) -> None:
    """Record the sign-in, now that both steps have passed."""
    via = "council" if request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND else "password"
    event_record(
        action="auth.sign_in",
        actor=user,
        request=request,
        data={"via": via, "second_factor": second_factor},
    )


def throttled_until(device: TOTPDevice) -> int | None:
    """Seconds to wait before the next try, or None when a try is allowed now."""
    device.refresh_from_db()
    allowed, data = device.verify_is_allowed()
    if allowed or not data or "locked_until" not in data:
        return None
    wait = (data["locked_until"] - timezone.now()).total_seconds()
    return max(1, int(wait + 0.999))
