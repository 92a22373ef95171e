"""The test suite: base settings with a fast password hasher."""

import os

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret-" + "x" * 40
QPA_EVENT_LOG_KEYS = [("test", "test-only-not-secret-" + "x" * 40)]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No breached-password service here: tests/test_passwords.py starts a stand-in for it.
QPA_BREACHED_PASSWORD_CHECK = "off"  # noqa: S105 - a mode, not a password
# Off unless a test turns them on (tests/test_mfa.py, tests/test_lockout.py): the test
# client's login() calls authenticate() without a request, which axes refuses.
QPA_MFA_REQUIRED = False
AXES_ENABLED = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files come from the apps' folders: there is no collectstatic in the test run.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# One test database file per run, so that two runs in one checkout (a developer's and an
# editor's, say) never share a SQLite file; PostgreSQL runs name theirs in DATABASE_URL.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"]["NAME"] = str(DATA_DIR / f"test-{os.getpid()}.sqlite3")  # noqa: F405
