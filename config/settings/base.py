"""Settings shared by every environment. Values come from the environment (config.env)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url

from config.env import (
    env_bool,
    env_cache,
    env_choice,
    env_int,
    env_list,
    env_signing_keys,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("QPA_DATA_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The address people use to reach QPA, for links in emails (e.g. https://qpa.council.example).
QPA_SITE_URL = env_str("QPA_SITE_URL", "").rstrip("/")

# The keys that sign every event-log entry (HMAC-SHA256), held outside the database so
# that database access alone cannot add an entry that verifies: ID:SECRET pairs, the last
# the newest (docs/event-log.md, docs/decisions/0100-signed-event-log.md). Production
# refuses to start without one.
QPA_EVENT_LOG_KEYS = env_signing_keys("QPA_EVENT_LOG_KEY", "QPA_EVENT_LOG_KEY_FILE")

# The default cache counts the API's rate limit per token (docs/api.md): with several
# application servers, CACHE_URL names a Redis they share (docs/deployment.md, decision
# 104). Lock-outs are kept in the database, which every server shares already.
CACHES: dict[str, dict[str, Any]] = {"default": env_cache("CACHE_URL")}

# Shows the "demo — no real data" banner on every page.
QPA_DEMO_MODE = env_bool("QPA_DEMO_MODE", False)

# How long closed cases and their audits are kept (`qpa purge`, docs/data-protection.md).
# The council's retention schedule decides; the defaults follow common ones: 35 years
# after a child protection case closes, to a looked-after child's 75th birthday, else 7.
QPA_RETENTION_CLOSED_CASE_YEARS = env_int("QPA_RETENTION_CLOSED_CASE_YEARS", 7, minimum=1)
QPA_RETENTION_CHILD_PROTECTION_YEARS = env_int(
    "QPA_RETENTION_CHILD_PROTECTION_YEARS", 35, minimum=1
)
QPA_RETENTION_LOOKED_AFTER_AGE = env_int("QPA_RETENTION_LOOKED_AFTER_AGE", 75, minimum=18)

# Assurance (docs/moderation.md, docs/reaudit.md): the share of each cycle moderated, and
# the worst overall rank a re-audit may give for the case to leave the re-audit pool
# (0: the rating just above the scale's inadequate line, e.g. Adequate).
QPA_MODERATION_SHARE_PERCENT = env_int("QPA_MODERATION_SHARE_PERCENT", 10, minimum=1)
QPA_REAUDIT_CLEAR_RANK = env_int("QPA_REAUDIT_CLEAR_RANK", 0, minimum=0)

# The independence policy (qpa/cycles/independence.py, decision 105): a Head of Service
# never audits a case in their own service areas. A council with nobody else may turn
# it off.
QPA_HEADS_OF_SERVICE_INDEPENDENT = env_bool("QPA_HEADS_OF_SERVICE_INDEPENDENT", True)

# Reports (docs/reports.md, "Key messages"): the fewest cases rated in a domain for key
# messages to name it an area of good or poor practice.
QPA_KEY_MESSAGE_MIN_RATED = env_int("QPA_KEY_MESSAGE_MIN_RATED", 10, minimum=1)

# The protective marking in the header and footer of every page of the Word and PDF
# briefings (the Government Security Classifications; docs/reports.md).
QPA_PROTECTIVE_MARKING = env_str("QPA_PROTECTIVE_MARKING", "OFFICIAL-SENSITIVE")

# Audits (docs/audits.md): the fewest characters of evidence a domain rated inadequate or
# critical is submitted with.
QPA_MIN_EVIDENCE_CHARS = env_int("QPA_MIN_EVIDENCE_CHARS", 50, minimum=1)

INSTALLED_APPS = [
    # Before django.contrib.auth, so that its `createsuperuser` (which refuses, pointing to
    # `qpa create-administrator`) is the one `qpa` runs (decision 0122).
    "qpa.accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "qpa.core",
    "qpa.organisation",
    "qpa.tools",
    "qpa.cases",
    "qpa.audits",
    "qpa.cycles",
    "qpa.notifications",
    "qpa.actions",
    "qpa.reports",
    "qpa.assurance",
    "qpa.api",
    "qpa.home",
    "qpa.demo",
    "qpa.dataprotection",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "qpa.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "qpa.core.middleware.NoStoreMiddleware",
    "qpa.core.middleware.EventLogMiddleware",
    # Inside the header middleware, so their redirects carry the security headers too.
    "qpa.accounts.middleware.SessionTimeoutMiddleware",
    "qpa.accounts.middleware.MFARequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qpa.home.context_processors.shell",
                "qpa.accounts.context_processors.session_timeout",
            ],
        },
    },
]


def database_config() -> dict[str, Any]:
    """PostgreSQL from DATABASE_URL, else a SQLite file configured for durability.

    The SQLite options follow docs/decisions/0003-sqlite-durability.md: WAL, FULL sync,
    a busy timeout and IMMEDIATE transactions, so writers queue instead of failing with
    "database is locked". qpa.core.checks verifies them on every new connection.
    """
    url = env_str("DATABASE_URL", "")
    if url:
        config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("QPA_SQLITE_PATH", str(DATA_DIR / "qpa.sqlite3")),
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            ),
        },
        "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
    }


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

# Axes counts failed sign-ins; the password and OpenID Connect backends follow it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# A second factor (TOTP) for every account: docs/decisions/0040-mfa-with-totp.md.
# Production forces it on; demo and test settings turn it off.
QPA_MFA_REQUIRED = True
OTP_TOTP_ISSUER = "Quality of Practice Audit"

# Lock-out after 10 failures per username and address together, so that one person
# cannot lock out a whole office behind one address: docs/decisions/0041-lock-out.md.
AXES_FAILURE_LIMIT = 10
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=env_int("QPA_LOCKOUT_COOLOFF_MINUTES", 30, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False
AXES_LOCKOUT_CALLABLE = "qpa.accounts.lockout.locked_out"
AXES_CLIENT_IP_CALLABLE = "qpa.accounts.lockout.client_ip"
# Behind a load balancer that terminates TLS, sets X-Forwarded-Proto and appends the
# client's address to X-Forwarded-For.
QPA_BEHIND_PROXY = env_bool("QPA_BEHIND_PROXY", False)

# Optional sign-in through the council's identity provider (OpenID Connect), matched by
# email to existing active accounts only: docs/decisions/0042-openid-connect.md.
QPA_OIDC_ISSUER = env_str("QPA_OIDC_ISSUER", "").rstrip("/")
# The council's provider normally enforces its own MFA; False asks for QPA's TOTP as well.
QPA_OIDC_SATISFIES_MFA = env_bool("QPA_OIDC_SATISFIES_MFA", True)
if QPA_OIDC_ISSUER:
    OIDC_RP_CLIENT_ID = env_str("QPA_OIDC_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = env_str("QPA_OIDC_CLIENT_SECRET")
    AUTHENTICATION_BACKENDS.append("qpa.accounts.oidc.CouncilOIDCBackend")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email"
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc-callback"
LOGIN_REDIRECT_URL_FAILURE = "/sign-in/?council-account=not-recognised"

# NCSC guidance: length and deny-lists, no composition rules, no expiry. Runs such as
# aaaa, abcd, qwerty and the person's own names do not count towards the length, and a
# password found in the Have I Been Pwned corpus is refused:
# docs/decisions/0101-password-checks.md.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "qpa.accounts.passwords.PredictablePasswordValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "qpa.accounts.passwords.BreachedPasswordValidator"},
]
# Asked with the first five characters of the password's SHA-1 only (k-anonymity), over
# HTTPS (HTTPS_PROXY is honoured). When it cannot be asked: "required" refuses the new
# password and says why, "if-reachable" accepts it on the other rules and records that
# in the event log, "off" never asks.
QPA_BREACHED_PASSWORD_CHECK = env_choice(
    "QPA_BREACHED_PASSWORD_CHECK", "required", ("required", "if-reachable", "off")
)
QPA_PWNED_PASSWORDS_URL = env_str(
    "QPA_PWNED_PASSWORDS_URL", "https://api.pwnedpasswords.com/range/"
)
PWNED_PASSWORDS = {"API_TIMEOUT": 3.0, "ADD_PADDING": True}

# Argon2id (OWASP's first choice, with its recommended 19 MiB, 2 passes, 1 lane); a
# PBKDF2 hash from before is upgraded to Argon2id when its owner next signs in
# (docs/decisions/0102-argon2id.md). Django's own Argon2 parameters stay readable.
PASSWORD_HASHERS = [
    "qpa.accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# The absolute limit: qpa.accounts.middleware also enforces it on the server, counted
# from the sign-in. See docs/decisions/0043-session-timeouts.md.
SESSION_COOKIE_AGE = env_int("QPA_SESSION_ABSOLUTE_SECONDS", 10 * 60 * 60, minimum=60)
QPA_SESSION_IDLE_SECONDS = env_int("QPA_SESSION_IDLE_SECONDS", 30 * 60, minimum=300)
QPA_SESSION_WARNING_SECONDS = 120
# Views whose requests never reset the idle clock (autosave, the session status check),
# as URL names; requests with the header X-QPA-Background: 1 never reset it either.
QPA_SESSION_BACKGROUND_URL_NAMES = ["accounts:session-status"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT: Path | None = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "qpa@localhost")

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# django-csp 4: no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

FORM_RENDERER = "qpa.core.forms.GovukFormRenderer"

# API requests a minute per personal token (docs/api.md). Counted in the default cache:
# with several application servers set CACHE_URL to a Redis they share.
QPA_API_RATE_LIMIT_PER_MINUTE = env_int("QPA_API_RATE_LIMIT_PER_MINUTE", 120, minimum=1)

# Report charts, drawn once per set of figures and kept under the figures' hash
# (qpa/reports/charts.py): in files, so that every worker process shares them and they
# outlive a restart. The default cache stays Django's per-process memory cache.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "charts": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache" / "charts"),
        "TIMEOUT": 7 * 24 * 60 * 60,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}

# The default cache, as CACHE_URL says (see above); the charts keep their own.
CACHES["default"] = env_cache("CACHE_URL")
