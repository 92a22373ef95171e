from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from qpa.accounts.models import User
from qpa.actions.models import ActionStatus
from qpa.audits.services import MAX_TEXT
from qpa.core.forms import GovukForm

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d %m %Y"]


class OwnerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.role_label})"


class ActionForm(GovukForm):
    description = forms.CharField(
        label="What needs to be done",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter what needs to be done."},
    )
    owner = OwnerChoiceField(
        label="Owner",
        queryset=User.objects.none(),
        empty_label="Choose the person responsible",
        error_messages={"required": "Choose who owns the action."},
    )
    due_date = forms.DateField(
        label="Due date",
        help_text="For example, 27/3/2027",
        input_formats=DATE_FORMATS,
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-10"}),
        error_messages={
            "required": "Enter the due date.",
            "invalid": "Enter a real date, for example 27/3/2027.",
        },
    )

    def __init__(self, *args: Any, owners: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        if not isinstance(field, forms.ModelChoiceField):  # pragma: no cover
            raise TypeError("owner must be a choice of people")
        field.queryset = User.objects.filter(pk__in=[o.pk for o in owners]).order_by(
            "last_name", "first_name", "username"
        )

    def clean_due_date(self) -> date:
        due: date = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError("The due date must be today or later.")
        return due


class ActionStatusForm(GovukForm):
    status = forms.ChoiceField(
        label="Status",
        widget=forms.RadioSelect,
        choices=[(ActionStatus.OPEN, "Open"), (ActionStatus.IN_PROGRESS, "In progress")],
        error_messages={"required": "Choose open or in progress."},
    )


class ActionCompleteForm(GovukForm):
    evidence = forms.CharField(
        label="Evidence of completion",
        help_text="What was done, when, and where the record of it is.",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter the evidence that the action was completed."},
    )
