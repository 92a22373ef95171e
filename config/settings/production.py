"""Production: secure by default. SECRET_KEY, the event-log key and ALLOWED_HOSTS must
come from the environment; every cookie is Secure and HSTS is on."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str

from .base import *  # noqa: F403

SECRET_KEY = env_str("SECRET_KEY")
if not QPA_EVENT_LOG_KEYS:  # noqa: F405
    raise ImproperlyConfigured(
        "Set QPA_EVENT_LOG_KEY (ID:SECRET) or QPA_EVENT_LOG_KEY_FILE (a file holding it): "
        "the key that signs the event log, kept outside the database. docs/deployment.md."
    )
DEBUG = False

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
# No way round the second factor in production (Cyber Essentials fails a service that
# offers MFA without enforcing it).
QPA_MFA_REQUIRED = True
# Behind a load balancer that terminates TLS and sets X-Forwarded-Proto.
if QPA_BEHIND_PROXY:  # noqa: F405
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
