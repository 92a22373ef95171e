"""`make run`: the demo council on this machine, over plain HTTP, with the demo banner."""

from config.env import env_choice, env_str

from .base import *  # noqa: F403

SECRET_KEY = env_str("SECRET_KEY", "demo-only-not-secret-" + "x" * 40)
QPA_EVENT_LOG_KEYS = QPA_EVENT_LOG_KEYS or [("demo", "demo-only-not-secret-" + "x" * 40)]  # noqa: F405
# The demo may run with no internet: a password is then checked on the other rules alone.
QPA_BREACHED_PASSWORD_CHECK = env_choice(
    "QPA_BREACHED_PASSWORD_CHECK", "if-reachable", ("required", "if-reachable", "off")
)
QPA_DEMO_MODE = True
# The demo sign-ins on the sign-in page need no authenticator app.
QPA_MFA_REQUIRED = False
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
