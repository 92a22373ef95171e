"""Passwords follow NCSC guidance: 12 characters or more, deny-lists (common passwords,
predictable runs, the person's names, breached passwords), no composition rules, paste
allowed; changing one needs the current one; hashed with Argon2id."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from pytest_django.fixtures import Settings

from config.settings import base
from qpa.accounts.models import User
from qpa.core.models import Event
from tests.support.factories import PASSWORD
from tests.support.people import Personas, signed_in

BASE_HASHERS = base.PASSWORD_HASHERS


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("elevenchars", "too short. It must contain at least 12 characters"),
        ("password1234", "too common"),
        ("qwertyuiop123", "too common"),
        ("1234567890123", "too common"),
    ],
)
def test_short_and_common_passwords_are_refused(password: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert any(message in error for error in refused.value.messages)


@pytest.mark.parametrize(
    "password",
    [
        "twelvechars!",  # exactly 12
        "lanternmosskettle",  # letters only: no composition rules
        "lantern moss kettle",  # spaces are fine
        "ŝtono ĉevalo pomo",  # so is any character
        "a" * 20 + "-correct-horse-battery-staple-" + "b" * 50,  # 100 characters
    ],
)
def test_long_uncommon_passwords_are_accepted_whatever_they_contain(password: str) -> None:
    validate_password(password)


def _password_inputs(html: str) -> list[str]:
    return re.findall(r"<input[^>]*type=\"password\"[^>]*>", html)


def _assert_paste_allowed(html: str, expected_inputs: int) -> None:
    inputs = _password_inputs(html)
    assert len(inputs) == expected_inputs
    for tag in inputs:
        for blocker in ("onpaste", "oncopy", "oncut", "ondrop", 'autocomplete="off"', "readonly"):
            assert blocker not in tag, tag
        assert 'autocomplete="current-password"' in tag or 'autocomplete="new-password"' in tag


def test_the_sign_in_page_lets_password_managers_paste(db: None) -> None:
    _assert_paste_allowed(Client().get("/sign-in/").content.decode(), 1)


def test_the_change_password_page_lets_password_managers_paste(personas: Personas) -> None:
    html = signed_in(personas.auditor).get("/account/password/").content.decode()
    _assert_paste_allowed(html, 3)


def _change(client: Client, old: str, new: str, confirm: str | None = None) -> str:
    response = client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": confirm or new},
    )
    return "" if response.status_code == 302 else response.content.decode()


def test_changing_a_password_needs_the_current_one(personas: Personas) -> None:
    client = signed_in(personas.auditor)
    body = _change(client, "not-my-password", "lantern moss kettle")
    assert "Your current password is not correct" in body
    assert personas.auditor.check_password(PASSWORD)
    user = User.objects.get(pk=personas.auditor.pk)
    assert user.check_password(PASSWORD)
    assert not user.check_password("lantern moss kettle")


def test_a_new_password_must_meet_the_rules(personas: Personas) -> None:
    client = signed_in(personas.auditor)
    assert "at least 12 characters" in _change(client, PASSWORD, "short-one")
    assert "too common" in _change(client, PASSWORD, "password1234")
    assert "The new passwords do not match" in _change(
        client, PASSWORD, "lantern moss kettle", "lantern moss kettles"
    )
    assert User.objects.get(pk=personas.auditor.pk).check_password(PASSWORD)


def test_a_changed_password_works_and_the_session_carries_on(personas: Personas) -> None:
    client = signed_in(personas.auditor)
    assert _change(client, PASSWORD, "lantern moss kettle") == ""
    home = client.get("/")
    assert home.status_code == 200
    assert "Your password has been changed" in home.content.decode()
    assert Client().login(username="alice", password="lantern moss kettle")
    assert not Client().login(username="alice", password=PASSWORD)


# --- Predictable passwords -------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "kind"),
    [
        ("aaaaaaaaaaaa", "repeated characters"),
        ("123456789012", "sequences"),
        ("abcdefghijkl", "sequences"),
        ("zyxwvutsrqpo", "sequences"),
        ("qwertyuiop12", "keyboard runs"),
        ("asdfghjkl;'#", "keyboard runs"),
        ("lantern aaaa1234", "repeated characters"),
    ],
)
def test_repeated_sequential_and_keyboard_runs_do_not_count(password: str, kind: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    message = " ".join(refused.value.messages)
    assert "This password is too easy to guess: leaving out" in message
    assert kind in message


@pytest.mark.parametrize(
    "password",
    ["hildasmith2026!", "H1ld4-Sm1th-99", "hilda.smith.hilda", "smithsmith77!!"],
)
def test_the_persons_own_names_do_not_count(password: str) -> None:
    person = User(username="hilda.smith", first_name="Hilda", last_name="Smith")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=person)
    assert "your own name or username" in " ".join(refused.value.messages)
    validate_password(password, user=User(username="someone", first_name="Jo", last_name="Bloggs"))


def test_a_name_inside_a_longer_password_leaves_enough_to_count(db: None) -> None:
    validate_password(
        "lantern moss kettle", user=User(username="moss", first_name="Kit", last_name="Moss")
    )


def test_the_change_password_page_refuses_a_predictable_password(personas: Personas) -> None:
    client = signed_in(personas.auditor)
    body = _change(client, PASSWORD, "qwertyuiop12")
    assert "keyboard runs such as “qwerty”" in body
    assert User.objects.get(pk=personas.auditor.pk).check_password(PASSWORD)


# --- Breached passwords: a local stand-in for the Have I Been Pwned range API -----------

BREACHED = "lantern moss kettle"  # the stand-in's corpus holds this one, 4,211 times


@dataclass
class PwnedStandIn:
    url: str
    prefixes: list[str] = field(default_factory=list)
    padding: list[str] = field(default_factory=list)


@pytest.fixture
def pwned(settings: Settings) -> Iterator[PwnedStandIn]:
    digest = hashlib.sha1(BREACHED.encode(), usedforsecurity=False).hexdigest().upper()
    seen = PwnedStandIn(url="")

    class RangeAPI(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            prefix = self.path.rsplit("/", 1)[-1]
            seen.prefixes.append(self.path)
            seen.padding.append(self.headers.get("Add-Padding", ""))
            lines = [f"{'0' * 35}:3", "F" * 35 + ":0"]
            if prefix == digest[:5]:
                lines.append(f"{digest[5:]}:4,211")
            body = "\r\n".join(lines).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), RangeAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    seen.url = f"http://127.0.0.1:{server.server_address[1]}/range/"
    settings.QPA_PWNED_PASSWORDS_URL = seen.url
    settings.QPA_BREACHED_PASSWORD_CHECK = "required"
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/range/"


def test_a_breached_password_is_refused_and_only_a_hash_prefix_leaves(
    pwned: PwnedStandIn,
) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password(BREACHED)
    assert "This password has appeared in data breaches" in refused.value.messages[0]
    validate_password("tangerine velvet harbour")
    # k-anonymity: each request names five hex characters of the SHA-1, nothing more.
    assert len(pwned.prefixes) == 2
    for path in pwned.prefixes:
        assert re.fullmatch(r"/range/[0-9A-F]{5}", path), path
    assert pwned.padding == ["true", "true"]


def test_the_change_password_page_refuses_a_breached_password(
    personas: Personas, pwned: PwnedStandIn
) -> None:
    client = signed_in(personas.auditor)
    assert "appeared in data breaches" in _change(client, PASSWORD, BREACHED)
    assert _change(client, PASSWORD, "tangerine velvet harbour") == ""


def test_when_the_service_cannot_be_asked_the_password_is_refused_and_the_person_told(
    personas: Personas, pwned: PwnedStandIn, settings: Settings
) -> None:
    settings.QPA_PWNED_PASSWORDS_URL = _closed_port()
    client = signed_in(personas.auditor)
    body = _change(client, PASSWORD, "tangerine velvet harbour")
    assert "QPA could not check this password against the list of passwords" in body
    assert "tell your QPA administrator" in body
    assert User.objects.get(pk=personas.auditor.pk).check_password(PASSWORD)


def test_if_reachable_accepts_on_the_other_rules_and_records_that_it_could_not_ask(
    personas: Personas, pwned: PwnedStandIn, settings: Settings
) -> None:
    settings.QPA_PWNED_PASSWORDS_URL = _closed_port()
    settings.QPA_BREACHED_PASSWORD_CHECK = "if-reachable"
    client = signed_in(personas.auditor)
    assert _change(client, PASSWORD, "tangerine velvet harbour") == ""
    entry = Event.objects.get(action="auth.breach_check_unavailable")
    assert entry.actor_username == "alice"
    assert entry.data == {"failure": "request_error"}
    # The other rules still hold.
    assert "keyboard runs" in _change(client, "tangerine velvet harbour", "qwertyuiop12")


# --- Hashing -----------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id_and_pbkdf2_hashes_upgrade_at_sign_in(
    personas: Personas, settings: Settings
) -> None:
    settings.PASSWORD_HASHERS = BASE_HASHERS
    person = User.objects.get(pk=personas.auditor.pk)
    person.password = make_password("lantern moss kettle", hasher="pbkdf2_sha256")
    person.save(update_fields=["password"])
    assert person.password.startswith("pbkdf2_sha256$")

    response = Client().post("/sign-in/", {"username": "alice", "password": "lantern moss kettle"})

    assert response.status_code == 302
    stored = User.objects.get(pk=person.pk).password
    assert stored.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert Client().login(username="alice", password="lantern moss kettle")
    # The upgrade is not a change of password.
    assert not Event.objects.filter(action="account.password_changed", actor_username="alice")
    # A new password is Argon2id at once.
    person.set_password("tangerine velvet harbour")
    assert person.password.startswith("argon2$argon2id$")
