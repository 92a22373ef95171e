"""Typed readers for settings taken from the environment.

Each fails loudly with ImproperlyConfigured on a value it cannot read, so a typo in a
deployment's environment stops the service at start-up instead of changing behaviour.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}")
MIN_SECRET_CHARS = 32


def env_signing_keys(name: str, file_name: str) -> list[tuple[str, str]]:
    """Signing keys as (id, secret), oldest first, from the variable `name` or from the
    file whose path is in the variable `file_name`; empty when neither is set.

    Each key is written `ID:SECRET`: the id names the key on every row it signs, so that
    keys can be rotated; the secret has at least 32 characters. In the variable, keys are
    separated by commas or spaces; in the file, one a line, with `#` comments. The last
    key is the newest, the one that signs from now on.
    """
    value = os.environ.get(name)
    path = os.environ.get(file_name)
    if value is not None and path is not None:
        raise ImproperlyConfigured(f"Set {name} or {file_name}, not both.")
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ImproperlyConfigured(f"{file_name}: cannot read {path}: {error}") from None
        entries = [line.split("#", 1)[0].strip() for line in text.splitlines()]
        source = f"{file_name} ({path})"
    else:
        entries = re.split(r"[\s,]+", value or "")
        source = name
    keys: list[tuple[str, str]] = []
    for entry in (e for e in entries if e):
        key_id, colon, secret = entry.partition(":")
        if not colon or not _KEY_ID.fullmatch(key_id):
            raise ImproperlyConfigured(
                f"{source}: each key is ID:SECRET, the ID of 1 to 16 letters, digits, dots, "
                "hyphens or underscores (for example 2026a:<64 hex digits>)."
            )
        if len(secret) < MIN_SECRET_CHARS:
            raise ImproperlyConfigured(
                f"{source}: the secret of key {key_id} has {len(secret)} characters; use at "
                f"least {MIN_SECRET_CHARS} (for example `openssl rand -hex 32`)."
            )
        if any(key_id == known for known, _ in keys):
            raise ImproperlyConfigured(f"{source}: the key id {key_id} is used twice.")
        keys.append((key_id, secret))
    return keys


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name)
    if value is None:
        return default
    chosen = value.strip().lower()
    if chosen not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return chosen


def env_cache(name: str) -> dict[str, Any]:
    """Django's default cache from a URL in the variable `name`:

    - unset or `locmem://`: memory of each process (one server; the tests);
    - `redis://[:password@]host:6379/0` or `rediss://…` (TLS): Django's RedisCache, shared
      by every server, so that the API's rate limit holds across them.
    """
    value = os.environ.get(name, "").strip()
    if value in ("", "locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    scheme = value.partition("://")[0].lower()
    if scheme in ("redis", "rediss"):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": value,
            "KEY_PREFIX": "qpa",
            "TIMEOUT": 300,
        }
    raise ImproperlyConfigured(
        f"{name} must be redis://host:port/db, rediss://host:port/db or locmem://, "
        f"not {scheme or value!r}."
    )
