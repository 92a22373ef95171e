"""Passwords follow NCSC guidance: 12 characters or more, a deny-list, no composition
rules, paste allowed; changing one needs the current one."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from qpa.accounts.models import User
from tests.conftest import Personas, signed_in
from tests.factories import PASSWORD


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
