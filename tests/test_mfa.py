"""The second sign-in step: with MFA required, a password alone reaches nothing."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from qpa.accounts.middleware import MFA_EXEMPT_VIEWS
from qpa.accounts.models import RecoveryCode, User
from qpa.accounts.services import mfa_reset, recovery_codes_replace
from qpa.core.models import Event
from tests.support.factories import PASSWORD
from tests.support.people import Personas, signed_in
from tests.support.urls import example_path, walk

# The only pages a session that has passed the password step alone may reach.
SIGN_IN_STEPS = {
    "accounts:sign-in",
    "accounts:sign-out",
    "accounts:mfa-verify",
    "accounts:mfa-enrol",
    "accounts:oidc-start",
    "accounts:oidc-callback",
    "core:health",
}


@pytest.fixture(autouse=True)
def mfa_required(settings: Settings) -> None:
    settings.QPA_MFA_REQUIRED = True


def _device(user: User) -> TOTPDevice:
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return device


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=device.drift):06d}"


def _verify(client: Client, code: str, next_url: str = "/") -> object:
    return client.post("/sign-in/code/", {"code": code, "next": next_url})


def test_the_exempt_pages_are_only_the_sign_in_steps() -> None:
    assert MFA_EXEMPT_VIEWS == SIGN_IN_STEPS


def test_every_url_sends_a_password_only_session_to_the_code_step(personas: Personas) -> None:
    _device(personas.head_of_cp)
    client = signed_in(personas.head_of_cp)
    checked = 0
    for name, route in walk(get_resolver()):
        if name in SIGN_IN_STEPS:
            continue
        path = example_path(route)
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 302, f"{name} {path} answered {response.status_code}"
            assert response["Location"].startswith("/sign-in/code/?next="), name
        checked += 1
    assert checked >= 10
    # A URL that matches nothing is no way round either.
    assert client.get("/no-such-page/")["Location"].startswith("/sign-in/code/?next=")


def test_someone_with_no_app_yet_is_sent_to_set_one_up(personas: Personas) -> None:
    client = signed_in(personas.auditor)
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/set-up-app/?next=%2Fcases%2F"
    # With a password alone nobody can reach the code page's success: it sends them back.
    assert client.get("/sign-in/code/?next=/")["Location"].startswith("/sign-in/set-up-app/")


def test_after_a_totp_code_every_page_loads(personas: Personas) -> None:
    device = _device(personas.head_of_cp)
    client = signed_in(personas.head_of_cp)
    before = client.session.session_key
    response = _verify(client, _code(device), "/cases/")
    assert response.status_code == 302
    assert response["Location"] == "/cases/"
    assert client.session.session_key != before
    assert client.get("/").status_code == 200
    for name, route in walk(get_resolver()):
        if name in SIGN_IN_STEPS:
            continue
        response = client.get(example_path(route))
        location = response.get("Location", "")
        assert not location.startswith("/sign-in/"), f"{name} still asks to sign in"


def test_a_code_cannot_be_used_twice(personas: Personas) -> None:
    device = _device(personas.head_of_cp)
    with time_machine.travel(timezone.now(), tick=False):
        code = _code(device)
        assert _verify(signed_in(personas.head_of_cp), code).status_code == 302
        again = signed_in(personas.head_of_cp)
        response = _verify(again, code)
    assert response.status_code == 200
    assert "Enter the code your authenticator app shows now" in response.content.decode()
    assert again.get("/")["Location"].startswith("/sign-in/code/")


def test_wrong_codes_are_throttled(personas: Personas) -> None:
    device = _device(personas.head_of_cp)
    client = signed_in(personas.head_of_cp)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        right = _code(device)
        assert _verify(client, "000000" if right != "000000" else "111111").status_code == 200
        # After one failure the next try waits a second, even with the right code.
        response = _verify(client, right)
        assert "Too many wrong codes. Wait 1 second, then try again" in response.content.decode()
        clock.shift(timedelta(seconds=1))
        # A wrong recovery code counts as a failure too, and the wait doubles.
        assert _verify(client, "abcd-efgh-jkmn-pqrs").status_code == 200
        response = _verify(client, right)
        assert "Wait 2 seconds" in response.content.decode()
        clock.shift(timedelta(seconds=2))
        assert _verify(client, right).status_code == 302
    assert client.get("/").status_code == 200


def test_enrolment_shows_the_key_then_the_recovery_codes_once(personas: Personas) -> None:
    client = signed_in(personas.auditor)
    page = client.get("/sign-in/set-up-app/?next=/").content.decode()
    device = TOTPDevice.objects.get(user=personas.auditor, confirmed=False)
    assert 'src="data:image/svg+xml;base64,' in page
    assert 'alt="QR code for setting up your authenticator app"' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert secret is not None
    assert base64.b32decode(secret.group(1).replace(" ", "")) == device.bin_key

    with time_machine.travel(timezone.now(), tick=False) as clock:
        wrong = client.post("/sign-in/set-up-app/", {"code": "12345x", "next": "/"})
        assert wrong.status_code == 200
        assert not TOTPDevice.objects.get(pk=device.pk).confirmed
        assert client.get("/")["Location"].startswith("/sign-in/set-up-app/")
        clock.shift(timedelta(seconds=1))  # the wrong code is throttled like any other
        response = client.post("/sign-in/set-up-app/", {"code": _code(device), "next": "/"})
    assert response.status_code == 200
    codes = re.findall(r"<code>([a-z-]+)</code>", response.content.decode())
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/").status_code == 200

    # Stored hashed: no column of any row holds a code, in any spelling.
    stored = list(RecoveryCode.objects.filter(user=personas.auditor).values())
    assert len(stored) == 10
    for code in codes:
        for row in stored:
            for value in row.values():
                assert code not in str(value)
                assert code.replace("-", "") not in str(value)
    with connection.cursor() as cursor:
        cursor.execute("SELECT salt, code_hash FROM accounts_recoverycode")
        raw = " ".join(f"{salt} {digest}" for salt, digest in cursor.fetchall())
    assert not any(code.replace("-", "") in raw for code in codes)


def test_a_password_alone_cannot_set_up_a_second_app(personas: Personas) -> None:
    _device(personas.head_of_cp)
    client = signed_in(personas.head_of_cp)
    response = client.get("/sign-in/set-up-app/?next=/")
    assert response["Location"].startswith("/sign-in/code/")
    client.post("/sign-in/set-up-app/", {"code": "123456", "next": "/"})
    assert TOTPDevice.objects.filter(user=personas.head_of_cp).count() == 1


def test_recovery_codes_work_once_each(personas: Personas) -> None:
    _device(personas.head_of_cp)
    codes = recovery_codes_replace(acting_user=personas.head_of_cp, user=personas.head_of_cp)
    first = signed_in(personas.head_of_cp)
    assert _verify(first, codes[0].upper().replace("-", " ")).status_code == 302
    assert first.get("/").status_code == 200
    second = signed_in(personas.head_of_cp)
    response = _verify(second, codes[0])
    assert response.status_code == 200
    assert "an unused recovery code" in response.content.decode()
    assert second.get("/")["Location"].startswith("/sign-in/code/")
    assert RecoveryCode.objects.filter(user=personas.head_of_cp, used_at__isnull=False).count() == 1
    # Another person's code is no use.
    other = recovery_codes_replace(acting_user=personas.director, user=personas.director)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        third = signed_in(personas.head_of_cp)
        assert _verify(third, other[0]).status_code == 200


def test_new_recovery_codes_replace_the_old_ones(personas: Personas) -> None:
    device = _device(personas.head_of_cp)
    old = recovery_codes_replace(acting_user=personas.head_of_cp, user=personas.head_of_cp)
    client = signed_in(personas.head_of_cp)
    _verify(client, _code(device))
    assert (
        "You have 10 unused recovery codes"
        in client.get("/account/recovery-codes/").content.decode()
    )
    response = client.post("/account/recovery-codes/")
    new = re.findall(r"<code>([a-z-]+)</code>", response.content.decode())
    assert len(new) == 10
    assert not set(old) & set(new)
    assert _verify(signed_in(personas.head_of_cp), old[1]).status_code == 200


def _setting(module: str, name: str) -> str:
    """A setting as a fresh process reads it at start-up, with the production secrets."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QPA_", "DJANGO_", "SECRET_KEY"))
    }
    result = subprocess.run(  # noqa: S603 - this Python, fixed arguments
        [sys.executable, "-c", f"import {module} as s; print(s.{name})"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**environment, "SECRET_KEY": "x" * 50, "QPA_EVENT_LOG_KEY": "k:" + "y" * 64},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_production_requires_mfa_and_the_demo_does_not() -> None:
    assert _setting("config.settings.production", "QPA_MFA_REQUIRED") == "True"
    assert _setting("config.settings.demo", "QPA_MFA_REQUIRED") == "False"


# --- The event log --------------------------------------------------------------------


def _actions_since(seq: int) -> list[tuple[str, dict[str, object]]]:
    return [
        (entry.action, entry.data)
        for entry in Event.objects.filter(seq__gt=seq).order_by("seq")
        if not entry.action.startswith(("access.", "account."))
    ]


def _head() -> int:
    return Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_the_sign_in_is_recorded_only_once_the_second_factor_passes(personas: Personas) -> None:
    device = _device(personas.head_of_cp)
    start = _head()
    client = Client(REMOTE_ADDR="192.0.2.44")
    client.post("/sign-in/", {"username": "hilda", "password": PASSWORD})
    assert _actions_since(start) == [("auth.first_step_passed", {"via": "password"})]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        right = _code(device)
        _verify(client, "000000" if right != "000000" else "111111")
        _verify(client, right)  # too soon after a failure: throttled
        clock.shift(timedelta(seconds=2))
        assert _verify(client, right).status_code == 302
    assert _actions_since(start) == [
        ("auth.first_step_passed", {"via": "password"}),
        ("auth.second_factor_failed", {"failure": "wrong_code", "step": "sign_in"}),
        ("auth.second_factor_failed", {"failure": "throttled", "step": "sign_in"}),
        ("auth.sign_in", {"via": "password", "second_factor": "totp"}),
    ]
    signed = Event.objects.get(action="auth.sign_in")
    assert (signed.actor_username, signed.ip) == ("hilda", "192.0.2.44")


def test_enrolment_and_its_failures_are_recorded(personas: Personas) -> None:
    client = signed_in(personas.auditor)
    start = _head()
    page = client.get("/sign-in/set-up-app/?next=/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=personas.auditor, confirmed=False)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.post("/sign-in/set-up-app/", {"code": "12345x", "next": "/"})
        clock.shift(timedelta(seconds=1))
        client.post("/sign-in/set-up-app/", {"code": _code(device), "next": "/"})
    assert _actions_since(start) == [
        ("auth.second_factor_failed", {"failure": "wrong_code", "step": "enrol"}),
        ("auth.mfa_enrolled", {"username": "alice"}),
        ("auth.recovery_codes_replaced", {"username": "alice", "count": 10}),
        ("auth.sign_in", {"via": "password", "second_factor": "totp"}),
    ]


def test_a_recovery_code_used_is_recorded_with_how_many_are_left(personas: Personas) -> None:
    _device(personas.head_of_cp)
    codes = recovery_codes_replace(acting_user=personas.head_of_cp, user=personas.head_of_cp)
    client = signed_in(personas.head_of_cp)
    start = _head()
    assert _verify(client, codes[3]).status_code == 302
    assert _actions_since(start) == [
        ("auth.recovery_code_used", {"unused_left": 9}),
        ("auth.sign_in", {"via": "password", "second_factor": "recovery_code"}),
    ]


def test_resetting_a_lost_app_removes_it_ends_sessions_and_is_recorded(
    personas: Personas,
) -> None:
    device = _device(personas.head_of_cp)
    recovery_codes_replace(acting_user=personas.head_of_cp, user=personas.head_of_cp)
    client = signed_in(personas.head_of_cp)
    assert _verify(client, _code(device)).status_code == 302
    with pytest.raises(ValidationError):
        mfa_reset(acting_user=personas.admin, user=personas.head_of_cp, reason="  ")
    assert TOTPDevice.objects.filter(user=personas.head_of_cp).exists()

    mfa_reset(
        acting_user=personas.admin, user=personas.head_of_cp, reason="Phone lost, ticket 4411"
    )

    assert not TOTPDevice.objects.filter(user=personas.head_of_cp).exists()
    assert not RecoveryCode.objects.filter(user=personas.head_of_cp).exists()
    assert client.get("/")["Location"].startswith("/sign-in/")
    entry = Event.objects.get(action="account.mfa_reset")
    assert entry.actor_username == "ada"
    assert entry.data == {
        "username": "hilda",
        "reset_reason": "Phone lost, ticket 4411",
        "devices": 1,
    }
    # At the next sign-in the person sets up an app again.
    again = signed_in(personas.head_of_cp)
    assert again.get("/")["Location"].startswith("/sign-in/set-up-app/")
