"""Password rules beyond length and Django's common-password list (NCSC guidance: length
and deny-lists, no composition rules). docs/decisions/0101-password-checks.md.

- PredictablePasswordValidator: repeated characters ("aaaa"), sequences ("abcd",
  "4321"), keyboard runs ("qwerty", "asdf") and the person's own names do not count
  towards the 12 characters a password needs.
- BreachedPasswordValidator: the password must not appear in the Have I Been Pwned
  corpus of breached passwords, asked through the range API with k-anonymity (only the
  first five characters of the password's SHA-1 leave the server) by the
  pwned-passwords-django client.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables
from pwned_passwords_django import api
from pwned_passwords_django.exceptions import PwnedPasswordsError

from qpa.core.events import event_record

logger = logging.getLogger(__name__)

MIN_REPEAT = 3
MIN_RUN = 4
KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "!@#$%^&*()")
# Letters people swap in for look-alike digits and symbols, to find a name in "h1lda".
_LOOK_ALIKES = str.maketrans("013457@$!", "oieastasi")
_NEXT_ON_KEYBOARD = {row[i]: (row, i) for row in KEYBOARD_ROWS for i in range(len(row))}

REPEATS = "repeated characters such as “aaa”"
SEQUENCES = "sequences such as “abcd” or “4321”"
KEYBOARD = "keyboard runs such as “qwerty”"
NAMES = "your own name or username"


def _runs(text: str, step: Any, minimum: int) -> list[tuple[int, int]]:
    """Maximal [start, end) runs where each character follows the one before by `step`
    (going one way), at least `minimum` long."""
    found = []
    start, direction = 0, 0
    for i in range(1, len(text) + 1):
        follows = 0 if i == len(text) else step(text[i - 1], text[i])
        if follows and (direction in (0, follows)):
            direction = follows
            continue
        if i - start >= minimum:
            found.append((start, i))
        # The last pair may begin a run the other way.
        start = i - 1 if follows else i
        direction = follows
    return found


def _sequence_step(a: str, b: str) -> int:
    same_kind = (a.isdigit() and b.isdigit()) or ("a" <= a <= "z" and "a" <= b <= "z")
    difference = ord(b) - ord(a)
    return difference if same_kind and difference in (1, -1) else 0


def _keyboard_step(a: str, b: str) -> int:
    here, there = _NEXT_ON_KEYBOARD.get(a), _NEXT_ON_KEYBOARD.get(b)
    if here is None or there is None or here[0] != there[0]:
        return 0
    difference = there[1] - here[1]
    return difference if difference in (1, -1) else 0


def _repeat_runs(text: str) -> list[tuple[int, int]]:
    pattern = rf"(.)\1{{{MIN_REPEAT - 1},}}"
    return [m.span() for m in re.finditer(pattern, text, re.DOTALL)]


def _names_of(user: Any) -> list[str]:
    if user is None:
        return []
    values = [
        getattr(user, "username", "") or "",
        getattr(user, "first_name", "") or "",
        getattr(user, "last_name", "") or "",
        (getattr(user, "email", "") or "").partition("@")[0],
    ]
    parts = {
        part
        for value in values
        for part in re.split(r"[\W_\d]+", value.casefold().translate(_LOOK_ALIKES))
        if len(part) >= 3
    }
    return sorted(parts, key=len, reverse=True)


class PredictablePasswordValidator:
    """Refuses a password whose unpredictable part is shorter than `min_length`: runs
    of repeated characters, sequences, keyboard runs and the person's names are
    removed before counting."""

    def __init__(self, min_length: int = 12) -> None:
        self.min_length = min_length

    @sensitive_variables("password", "text")
    def validate(self, password: str, user: Any = None) -> None:
        text = password.casefold()
        counted = [True] * len(text)
        kinds: list[str] = []
        spans = {
            REPEATS: _repeat_runs(text),
            SEQUENCES: _runs(text, _sequence_step, MIN_RUN),
            KEYBOARD: _runs(text, _keyboard_step, MIN_RUN),
            NAMES: self._name_spans(text, user),
        }
        for kind, found in spans.items():
            for start, end in found:
                counted[start:end] = [False] * (end - start)
            if found:
                kinds.append(kind)
        left = sum(counted)
        # A password short with nothing predictable in it is the length rule's to refuse.
        if left >= self.min_length or not kinds:
            return
        listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
        raise ValidationError(
            "This password is too easy to guess: leaving out %(kinds)s, it has %(left)d "
            "of the %(min_length)d characters it needs. Add a word or two.",
            code="password_predictable",
            params={"kinds": listed, "min_length": self.min_length, "left": left},
        )

    def _name_spans(self, text: str, user: Any) -> list[tuple[int, int]]:
        plain = text.translate(_LOOK_ALIKES)
        spans: list[tuple[int, int]] = []
        for name in _names_of(user):
            spans.extend(m.span() for m in re.finditer(re.escape(name), plain))
        return spans

    def get_help_text(self) -> str:
        return (
            f"Repeated characters, sequences such as abcd or 1234, keyboard runs such as "
            f"qwerty, and your own name do not count towards the {self.min_length} "
            "characters."
        )


# --- Breached passwords ----------------------------------------------------------------

REQUIRED, IF_REACHABLE, OFF = "required", "if-reachable", "off"
CHECK_MODES = (REQUIRED, IF_REACHABLE, OFF)


class BreachedPasswordValidator:
    """Refuses a password found in the Have I Been Pwned corpus.

    `settings.QPA_BREACHED_PASSWORD_CHECK` says what happens when the service cannot be
    asked: `required` (production's default) refuses the password with a message saying
    so, `if-reachable` accepts it on the other rules alone and records
    `auth.breach_check_unavailable` in the event log, `off` never asks.
    """

    def __init__(self) -> None:
        self.client = api.PwnedPasswords()

    @sensitive_variables("password")
    def validate(self, password: str, user: Any = None) -> None:
        mode = settings.QPA_BREACHED_PASSWORD_CHECK
        if mode == OFF:
            return
        self.client.api_endpoint = settings.QPA_PWNED_PASSWORDS_URL
        try:
            seen = self.client.check_password(password)
        except PwnedPasswordsError as error:
            logger.warning(
                "The breached-password check could not reach %s (%s); mode %s.",
                settings.QPA_PWNED_PASSWORDS_URL,
                error.code.value,
                mode,
            )
            if mode == REQUIRED:
                raise ValidationError(
                    "QPA could not check this password against the list of passwords "
                    "exposed in data breaches, because that service did not answer. Your "
                    "password has not been changed. Try again in a few minutes; if it "
                    "happens again, tell your QPA administrator.",
                    code="password_check_unavailable",
                ) from None
            event_record(
                action="auth.breach_check_unavailable",
                actor=user if getattr(user, "pk", None) else None,
                data={"failure": error.code.value},
            )
            return
        if seen:
            raise ValidationError(
                "This password has appeared in data breaches, so attackers try it first. "
                "Choose a different one: three or more random words work well.",
                code="password_compromised",
            )

    def get_help_text(self) -> str:
        return "It must not be a password that has appeared in a data breach."
