"""Sign-in, sign-out, and the allow-list of pages that need no sign-in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import Personas, signed_in
from tests.factories import PASSWORD

# Every other URL must send an anonymous visitor to the sign-in page.
ANONYMOUS_ALLOWED = {
    "accounts:sign-in",
    "accounts:sign-out",
    # The council identity provider's sign-in (404 unless QPA_OIDC_ISSUER is set).
    "accounts:oidc-start",
    "accounts:oidc-callback",
    "core:health",
}


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):  # type: ignore[no-untyped-def]
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}", prefix + str(pattern.pattern)


def _example_path(route: str) -> str:
    for converter, value in (
        ("<slug:slug>", "quality-of-practice"),
        ("<slug:target_slug>", "ilacs"),
        ("<int:position>", "1"),
        ("<slug:step>", "kind"),
        ("<slug:chart>", "overall"),
        ("<uuid:plan_id>", "00000000-0000-4000-8000-000000000001"),
        ("<uuid:cycle_id>", "00000000-0000-4000-8000-000000000002"),
        ("<uuid:sampled_id>", "00000000-0000-4000-8000-000000000003"),
        ("<uuid:allocation_id>", "00000000-0000-4000-8000-000000000004"),
        ("<uuid:public_id>", "00000000-0000-4000-8000-000000000000"),
    ):
        route = route.replace(converter, value)
    assert "<" not in route, f"add an example value for {route}"
    return "/" + route.lstrip("^").rstrip("$")


@pytest.mark.django_db
def test_every_url_but_the_allow_list_sends_anonymous_visitors_to_sign_in() -> None:
    client = Client()
    checked = 0
    for name, route in _walk(get_resolver()):
        path = _example_path(route)
        if name in ANONYMOUS_ALLOWED:
            continue
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 302, f"{name} {path} answered {response.status_code}"
            assert response["Location"].startswith("/sign-in/?next="), name
        checked += 1
    assert checked >= 10


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
