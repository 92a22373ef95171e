"""Lock-out after 10 failed sign-ins per username and address together (django-axes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone
from pytest_django.fixtures import Settings

from qpa.accounts.lockout import client_ip
from tests.support.factories import PASSWORD
from tests.support.people import Personas

OFFICE = "192.0.2.10"
HOME = "198.51.100.7"


@pytest.fixture(autouse=True)
def axes_on(settings: Settings) -> None:
    settings.AXES_ENABLED = True


def _sign_in(username: str, password: str, address: str) -> tuple[Client, int]:
    client = Client(REMOTE_ADDR=address)
    response = client.post("/sign-in/", {"username": username, "password": password})
    return client, response.status_code


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _ten_wrong_passwords(username: str, address: str) -> None:
    for attempt in range(10):
        _, status = _sign_in(username, f"wrong-password-{attempt}", address)
        assert status == (429 if attempt == 9 else 200)


def test_the_settings_lock_by_username_and_address_together() -> None:
    assert django_settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert django_settings.AXES_FAILURE_LIMIT == 10
    assert django_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_nine_wrong_passwords_do_not_lock_the_account(personas: Personas) -> None:
    for attempt in range(9):
        assert _sign_in("hilda", f"wrong-{attempt}", OFFICE)[1] == 200
    client, status = _sign_in("hilda", PASSWORD, OFFICE)
    assert status == 302
    assert _signed_in(client)


def test_ten_wrong_passwords_lock_that_username_from_that_address(personas: Personas) -> None:
    _ten_wrong_passwords("hilda", OFFICE)
    client = Client(REMOTE_ADDR=OFFICE)
    response = client.post("/sign-in/", {"username": "hilda", "password": PASSWORD})
    assert response.status_code == 429
    assert not _signed_in(client)
    body = response.content.decode()
    assert '<h1 class="govuk-heading-l">You cannot sign in at the moment</h1>' in body
    assert "Wait 30 minutes" in body
    assert "contact your QPA administrator" in body
    assert response["Cache-Control"] == "no-store"


def test_a_colleague_at_the_same_address_can_still_sign_in(personas: Personas) -> None:
    _ten_wrong_passwords("hilda", OFFICE)
    client, status = _sign_in("dora", PASSWORD, OFFICE)
    assert status == 302
    assert _signed_in(client)


def test_the_same_person_from_another_address_can_still_sign_in(personas: Personas) -> None:
    _ten_wrong_passwords("hilda", OFFICE)
    client, status = _sign_in("hilda", PASSWORD, HOME)
    assert status == 302
    assert _signed_in(client)


def test_the_lock_lifts_after_the_cool_off(personas: Personas) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _ten_wrong_passwords("hilda", OFFICE)
        clock.shift(timedelta(minutes=29))
        assert _sign_in("hilda", PASSWORD, OFFICE)[1] == 429
        # That refused try started the wait again.
        clock.shift(timedelta(minutes=29))
        assert _sign_in("hilda", PASSWORD, OFFICE)[1] == 429
        clock.shift(timedelta(minutes=31))
        client, status = _sign_in("hilda", PASSWORD, OFFICE)
    assert status == 302
    assert _signed_in(client)


def test_behind_the_load_balancer_the_address_is_the_one_it_appended(
    settings: Settings,
) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=f"203.0.113.99, {OFFICE}"
    )
    assert client_ip(request) == "10.0.0.5"
    settings.QPA_BEHIND_PROXY = True
    # The first entry comes from the client and could be forged to dodge the lock-out.
    assert client_ip(request) == OFFICE


def test_the_lock_out_is_kept_in_the_database_that_every_server_shares(
    personas: Personas,
) -> None:
    """Several application servers share one database, so a lock-out made on one holds on
    every other, with or without a shared cache (docs/decisions/0104-shared-cache.md)."""
    assert axes_settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    _ten_wrong_passwords("hilda", OFFICE)
    attempt = AccessAttempt.objects.get(username="hilda", ip_address=OFFICE)
    assert attempt.failures_since_start == 10
    # Nothing of it lives in a process's memory: emptying the cache changes nothing.
    cache.clear()
    assert _sign_in("hilda", PASSWORD, OFFICE)[1] == 429
