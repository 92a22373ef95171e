"""Signing in with a TOTP code, then the idle-timeout warning and its Extend button,
with the browser's clock and the server's moved forward together; axe on every state."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from qpa.accounts.models import Role
from tests.support.browser import assert_accessible
from tests.support.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


def _sign_in_with_a_code(page: Page, base: str) -> None:
    user = UserFactory(username="tess", role=Role.AUDITOR)
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)

    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/"))
    assert_accessible(page)
    page.get_by_label("Username").fill("tess")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app"
    )
    assert_accessible(page)
    page.get_by_label("Code").fill("000000")  # wrong (or, once in a million, right)
    code = f"{totp(device.bin_key):06d}"
    if code != "000000":
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("alert")).to_contain_text("There is a problem")
        assert_accessible(page)
        page.wait_for_timeout(1100)  # django-otp's throttle: one second after a failure
        page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello,")
    assert_accessible(page)


def test_sign_in_with_a_code_then_extend_the_session_when_warned(
    page: Page, live_server: Any, settings: Settings
) -> None:
    settings.QPA_MFA_REQUIRED = True
    page.clock.install()
    _sign_in_with_a_code(page, live_server.url)
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("QPA signs you out after 30 minutes without activity")).to_be_visible()

    with time_machine.travel(timezone.now() + timedelta(minutes=28, seconds=30)) as server:
        page.clock.fast_forward("28:30")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("we will sign you out in 2 minutes")
        extend = dialog.get_by_role("button", name="Extend my session")
        expect(extend).to_be_focused()
        assert_accessible(page)

        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()

        # Five minutes later on the server: 33 minutes since the page loaded, but only
        # five since Extend, so the session is still there.
        server.shift(timedelta(minutes=5))
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Hello,")


def test_ignoring_the_warning_signs_you_out(
    page: Page, live_server: Any, settings: Settings
) -> None:
    settings.QPA_MFA_REQUIRED = True
    page.clock.install()
    _sign_in_with_a_code(page, live_server.url)
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")

    with time_machine.travel(timezone.now() + timedelta(minutes=28, seconds=30)) as server:
        page.clock.fast_forward("28:30")
        expect(dialog).to_be_visible()
        server.shift(timedelta(minutes=2))
        page.clock.fast_forward("02:00")
        expect(page).to_have_url(re.compile(r"/sign-in/\?signed-out=idle"))
        expect(page.get_by_text("You were signed out because you did nothing")).to_be_visible()
        assert_accessible(page)
