from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from qpa.core.forms import GovukForm, GovukFormMixin


class SignInForm(GovukFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account is disabled. Ask your administrator.",
    }


class CodeForm(GovukForm):
    code = forms.CharField(
        label="Code",
        max_length=40,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"}
        ),
        error_messages={"required": "Enter the code"},
    )

    def __init__(self, *args: Any, help_text: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = help_text
        self.fields["code"].widget.attrs["class"] = "govuk-input govuk-input--width-20"


class ChangePasswordForm(GovukFormMixin, PasswordChangeForm):
    """Asks for the current password first (ASVS 6.2.3); paste is allowed in every field."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "Your current password is not correct",
        "password_mismatch": "The new passwords do not match",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = (
            "Use at least 12 characters. Three or more random words make a password that is "
            "long but easy to remember. Runs such as aaaa, abcd or qwerty and your own name "
            "do not count towards the 12. Do not use a password you use anywhere else."
        )
        self.fields["new_password2"].label = "Confirm new password"
