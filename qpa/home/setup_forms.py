"""Forms of the council's set-up pages (qpa/home/setup_views.py)."""

from __future__ import annotations

from django import forms

from qpa.core.forms import GovukForm


class CouncilForm(GovukForm):
    name = forms.CharField(
        label="What is the council’s name?",
        max_length=200,
        help_text="Shown at the top of every page, in emails and on the reports, for "
        "example “Northshire County Council”.",
        error_messages={"required": "Enter the council’s name"},
    )


class ServiceAreaForm(GovukForm):
    name = forms.CharField(
        label="Name of the service area",
        max_length=120,
        error_messages={"required": "Enter the service area’s name"},
    )


class ServiceAreaChangeForm(ServiceAreaForm):
    is_active = forms.ChoiceField(
        label="Is this service area in use?",
        choices=[("yes", "Yes"), ("no", "No, switch it off")],
        widget=forms.RadioSelect,
        help_text="A switched-off area keeps its cases, audits and figures; new cycles no "
        "longer offer it.",
    )
