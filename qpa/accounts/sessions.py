"""Session lifetimes: a 30-minute idle timeout and an absolute limit, both kept on the
server in the session itself (docs/decisions/0043-session-timeouts.md).

Autosave must not keep a session alive for ever, so a background request (the header
``X-QPA-Background: 1``, or a URL named in ``QPA_SESSION_BACKGROUND_URL_NAMES``) is
served without resetting the idle clock. Autosave views rely on is_background_request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.urls import Resolver404, resolve

SIGNED_IN_AT = "qpa_signed_in_at"
LAST_ACTIVITY = "qpa_last_activity"
BACKGROUND_HEADER = "X-QPA-Background"


def is_background_request(request: HttpRequest) -> bool:
    """True for requests a person did not make themselves (autosave, status checks)."""
    if request.headers.get(BACKGROUND_HEADER) == "1":
        return True
    names = settings.QPA_SESSION_BACKGROUND_URL_NAMES
    if not names:
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in names


@dataclass(frozen=True)
class SessionClock:
    idle_remaining: float
    absolute_remaining: float

    @property
    def remaining(self) -> float:
        return min(self.idle_remaining, self.absolute_remaining)

    @property
    def can_extend(self) -> bool:
        """Extending helps only while the idle timeout, not the absolute limit, comes first."""
        return self.absolute_remaining > self.idle_remaining

    @property
    def ended(self) -> str | None:
        if self.absolute_remaining <= 0:
            return "absolute"
        if self.idle_remaining <= 0:
            return "idle"
        return None

    def as_json(self) -> dict[str, Any]:
        return {
            "remaining_seconds": max(0, int(self.remaining)),
            "idle_remaining_seconds": max(0, int(self.idle_remaining)),
            "absolute_remaining_seconds": max(0, int(self.absolute_remaining)),
            "can_extend": self.can_extend,
        }


def session_clock(session: SessionBase) -> SessionClock:
    """How long the session has left; a session from before these keys starts now."""
    now = time.time()
    signed_in_at = float(session.setdefault(SIGNED_IN_AT, now))
    last_activity = float(session.setdefault(LAST_ACTIVITY, now))
    return SessionClock(
        idle_remaining=settings.QPA_SESSION_IDLE_SECONDS - (now - last_activity),
        absolute_remaining=settings.SESSION_COOKIE_AGE - (now - signed_in_at),
    )


def touch(session: SessionBase) -> None:
    """A person did something: restart the idle clock."""
    session[LAST_ACTIVITY] = time.time()


def start_clocks(
    sender: type[AbstractBaseUser],
    request: HttpRequest,
    user: AbstractBaseUser | AnonymousUser,
    **kwargs: Any,
) -> None:
    """user_logged_in receiver: both clocks start at sign-in."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now
