from __future__ import annotations

from django import forms

from qpa.api.models import TokenScope
from qpa.api.services import DEFAULT_DAYS, MAX_DAYS
from qpa.core.forms import GovukForm


class ApiTokenForm(GovukForm):
    name = forms.CharField(
        label="Name",
        help_text="What the token is for, such as the system that will use it.",
        max_length=80,
        error_messages={"required": "Enter a name for the token."},
    )
    scope = forms.ChoiceField(
        label="What the token may do",
        widget=forms.RadioSelect,
        choices=TokenScope.choices,
        error_messages={"required": "Choose read only, or read and write."},
    )
    days = forms.IntegerField(
        label="Days until it expires",
        help_text=f"Up to {MAX_DAYS} days.",
        initial=DEFAULT_DAYS,
        min_value=1,
        max_value=MAX_DAYS,
        error_messages={
            "required": "Enter the number of days until the token expires.",
            "invalid": "Enter a whole number of days.",
            "min_value": "Enter at least 1 day.",
            "max_value": f"Enter {MAX_DAYS} days or fewer.",
        },
    )
