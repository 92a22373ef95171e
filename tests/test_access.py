"""Sign-in, sign-out, and the allow-list of pages that need no sign-in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver

from tests.support.factories import PASSWORD
from tests.support.people import Personas, signed_in
from tests.support.urls import ANONYMOUS_ALLOWED, API_NAMESPACE, example_path, walk


@pytest.mark.django_db
def test_every_url_but_the_allow_list_sends_anonymous_visitors_to_sign_in() -> None:
    client = Client()
    checked = 0
    for name, route in walk(get_resolver()):
        if name in ANONYMOUS_ALLOWED or name.startswith(API_NAMESPACE):
            continue
        path = example_path(route)
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 302, f"{name} {path} answered {response.status_code}"
            assert response["Location"].startswith("/sign-in/?next="), name
        checked += 1
    assert checked >= 10


@pytest.mark.django_db
def test_every_api_route_answers_401_anonymously() -> None:
    client = Client()
    checked = 0
    for name, route in walk(get_resolver()):
        if not name.startswith(API_NAMESPACE):
            continue
        path = example_path(route)
        answers = {
            method: getattr(client, method)(path, {}, content_type="application/json")
            for method in ("get", "post", "put", "patch", "delete")
        }
        codes = {method: response.status_code for method, response in answers.items()}
        assert set(codes.values()) <= {401, 405}, f"{name} {path} answered {codes}"
        assert 401 in codes.values(), f"{name} {path} answered {codes}"
        checked += 1
    assert checked >= 15


def test_sign_in_starts_a_new_session_and_reaches_home(personas: Personas) -> None:
    client = Client()
    client.get("/sign-in/")
    before = client.session.session_key
    response = client.post("/sign-in/", {"username": "hilda", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "Hello, " in response.content.decode()
    assert client.session.session_key != before


def test_a_wrong_password_is_refused_with_a_clear_message(personas: Personas) -> None:
    response = Client().post("/sign-in/", {"username": "hilda", "password": "wrong-password!"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Enter a correct username and password" in body
    assert "<title>Error: Sign in" in body


def test_sign_out_ends_the_session_on_the_server(personas: Personas) -> None:
    client = signed_in(personas.head_of_cp)
    cookie = client.cookies["sessionid"].value
    assert client.post("/sign-out/").status_code == 302
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get("/").status_code == 302


def test_sign_out_by_get_changes_nothing(personas: Personas) -> None:
    client = signed_in(personas.head_of_cp)
    assert client.get("/sign-out/").status_code == 405
    assert client.get("/").status_code == 200


def test_pages_carry_the_security_headers(personas: Personas) -> None:
    response = signed_in(personas.head_of_cp).get("/")
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_health_check_needs_no_sign_in(db: None) -> None:
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_each_named_permission_is_its_own_even_when_roles_coincide() -> None:
    # Two kinds of work held by the same roles today must stay two permissions, so that
    # changing one never silently changes the other.
    from qpa.accounts.permissions import Permission

    names = [permission.name for permission in Permission]
    assert len(names) == len(set(names)) == len(Permission.__members__)
    assert Permission.OPEN_CASES is not Permission.OWN_ACTIONS
    assert Permission.MANAGE_ASSURANCE is not Permission.READ_REPORTS
    assert Permission.OPEN_CASES.roles == Permission.OWN_ACTIONS.roles
