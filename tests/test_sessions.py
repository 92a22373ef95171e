"""Sessions: a new id at sign-in, a 30-minute idle timeout that autosave does not reset,
an "extend" control, an absolute limit, and disabling a person ends their sessions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.utils import timezone
from pytest_django.fixtures import Settings

from qpa.accounts.models import User
from qpa.accounts.services import user_disable
from qpa.accounts.sessions import is_background_request
from tests.support.factories import PASSWORD
from tests.support.people import Personas, signed_in


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _minutes(traveller: time_machine.Traveller, minutes: float) -> None:
    traveller.shift(timedelta(minutes=minutes))


def _still_signed_in(client: Client) -> bool:
    response = client.get("/")
    return response.status_code == 200


def test_signing_in_gives_a_new_session_id(personas: Personas) -> None:
    client = Client()
    client.get("/sign-in/")
    client.cookies["sessionid"] = "attacker-chosen-session-id"
    client.get("/sign-in/")
    before = client.session.session_key
    response = client.post("/sign-in/", {"username": "hilda", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.session_key not in {before, "attacker-chosen-session-id"}


def test_thirty_minutes_idle_signs_you_out(
    personas: Personas, clock: time_machine.Traveller
) -> None:
    client = signed_in(personas.head_of_cp)
    cookie = client.cookies["sessionid"].value
    _minutes(clock, 29)
    assert _still_signed_in(client)
    _minutes(clock, 31)
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?signed-out=idle&next=%2Fcases%2F"
    # Ended on the server: the old cookie is no use to anyone.
    assert not Session.objects.filter(session_key=cookie).exists()
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out because you did nothing for 30 minutes" in page


def test_a_timed_out_post_does_not_come_back_to_a_post_only_address(
    personas: Personas, clock: time_machine.Traveller
) -> None:
    client = signed_in(personas.head_of_cp)
    _minutes(clock, 31)
    response = client.post("/sign-out/")
    assert response["Location"] == "/sign-in/?signed-out=idle"


def test_activity_keeps_the_session_alive(
    personas: Personas, clock: time_machine.Traveller
) -> None:
    client = signed_in(personas.head_of_cp)
    for _ in range(4):
        _minutes(clock, 25)
        assert _still_signed_in(client)


def test_autosave_does_not_keep_the_session_alive(
    personas: Personas, clock: time_machine.Traveller
) -> None:
    client = signed_in(personas.head_of_cp)
    for _ in range(3):
        _minutes(clock, 9)
        # Background requests are served while the session lasts...
        assert client.get("/", HTTP_X_QPA_BACKGROUND="1").status_code == 200
        assert client.get("/session/").status_code == 200
    _minutes(clock, 4)
    # ...but 31 minutes after the person last did anything, it is over.
    response = client.get("/", HTTP_X_QPA_BACKGROUND="1")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?signed-out=idle"
    assert not _still_signed_in(client)


def test_background_requests_are_recognised(settings: Settings) -> None:
    factory = RequestFactory()
    assert is_background_request(factory.get("/", HTTP_X_QPA_BACKGROUND="1"))
    assert not is_background_request(factory.get("/", HTTP_X_QPA_BACKGROUND="0"))
    assert not is_background_request(factory.get("/"))
    assert is_background_request(factory.get("/session/"))
    assert not is_background_request(factory.get("/cases/imports/"))
    settings.QPA_SESSION_BACKGROUND_URL_NAMES = ["cases:import-list"]
    assert is_background_request(factory.get("/cases/imports/"))
    assert not is_background_request(factory.get("/no-such-page/"))


def test_the_status_check_reports_the_time_left_without_extending(
    personas: Personas, clock: time_machine.Traveller
) -> None:
    client = signed_in(personas.head_of_cp)
    _minutes(clock, 20)
    status = client.get("/session/").json()
    assert status["idle_remaining_seconds"] == 600
    assert status["remaining_seconds"] == 600
    assert status["can_extend"] is True
    _minutes(clock, 5)
    assert client.get("/session/").json()["remaining_seconds"] == 300


def test_the_extend_button_restarts_the_idle_clock(
    personas: Personas, clock: time_machine.Traveller
) -> None:
    client = signed_in(personas.head_of_cp)
    _minutes(clock, 28.5)
    response = client.post("/session/extend/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert json.loads(response.content)["idle_remaining_seconds"] == 1800
    _minutes(clock, 25)
    assert client.get("/session/").json()["remaining_seconds"] == 300
    assert _still_signed_in(client)
    # Without JavaScript the form posts and comes back to the page.
    no_js = client.post("/session/extend/", {"next": "/cases/"})
    assert no_js["Location"] == "/cases/"


def test_extend_needs_a_post_with_a_csrf_token(personas: Personas) -> None:
    client = signed_in(personas.head_of_cp)
    assert client.get("/session/extend/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    assert strict.post("/session/extend/").status_code == 403


def test_the_absolute_limit_ends_even_a_busy_session(
    personas: Personas, clock: time_machine.Traveller
) -> None:
    client = signed_in(personas.head_of_cp)
    for _ in range(29):  # 9 hours 40 minutes of steady work
        _minutes(clock, 20)
        assert _still_signed_in(client)
    status = client.get("/session/").json()
    assert status["absolute_remaining_seconds"] == 20 * 60
    assert status["can_extend"] is False
    _minutes(clock, 20)
    response = client.get("/")
    assert response["Location"] == "/sign-in/?signed-out=absolute&next=%2F"
    assert "signed in for 10 hours" in client.get(response["Location"]).content.decode()


def test_disabling_someone_ends_their_sessions_at_once(personas: Personas) -> None:
    desk = signed_in(personas.head_of_cp)
    laptop = signed_in(personas.head_of_cp)
    colleague = signed_in(personas.director)
    user_disable(acting_user=personas.admin, user=personas.head_of_cp)
    for client in (desk, laptop):
        assert client.get("/")["Location"].startswith("/sign-in/")
    assert _still_signed_in(colleague)
    assert Session.objects.count() == 1
    assert not Client().login(username="hilda", password=PASSWORD)


def test_a_disabled_person_is_refused_whatever_lets_them_in(
    personas: Personas, settings: Settings
) -> None:
    # A backend that does not check is_active (as some single sign-on backends do not).
    allow_all = "django.contrib.auth.backends.AllowAllUsersModelBackend"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, allow_all]
    client = Client()
    client.force_login(personas.head_of_cp, backend=allow_all)
    assert _still_signed_in(client)
    User.objects.filter(pk=personas.head_of_cp.pk).update(is_active=False)
    response = client.get("/")
    assert response["Location"] == "/sign-in/?signed-out=disabled&next=%2F"
    assert "_auth_user_id" not in client.session


def test_signed_in_pages_carry_the_timeout_warning_and_say_the_limit(
    personas: Personas,
) -> None:
    html = signed_in(personas.head_of_cp).get("/").content.decode()
    assert "QPA signs you out after 30 minutes without activity" in html
    remaining = re.search(r'data-remaining-seconds="(\d+)"', html)
    assert remaining is not None
    assert 1790 <= int(remaining.group(1)) <= 1800
    assert 'data-warning-seconds="120"' in html
    assert "Extend my session" in html
    assert '<script type="module" src="/static/qpa/session-timeout.js">' in html
    assert "<script>" not in html  # nothing inline: the CSP forbids it
    anonymous = Client().get("/sign-in/").content.decode()
    assert "session-timeout.js" not in anonymous
