from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm

from qpa.core.forms import GovukFormMixin


class SignInForm(GovukFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account is disabled. Ask your administrator.",
    }
