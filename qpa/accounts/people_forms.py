"""The forms of the people pages (qpa/accounts/people_views.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.db.models import QuerySet

from qpa.accounts.models import Role, User
from qpa.core.forms import GovukForm, GovukFormMixin
from qpa.organisation.models import ServiceArea, Team

STATUS_CHOICES = [("", "Everyone"), ("active", "Active"), ("disabled", "Disabled")]


class TeamChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Team) -> str:
        return f"{obj.name} ({obj.service_area.name})"


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: User) -> str:
        return f"{obj}, {obj.role_label}"


class PeopleFilterForm(GovukForm):
    q = forms.CharField(label="Name or username", required=False, max_length=100)
    role = forms.ChoiceField(
        label="Role", required=False, choices=[("", "Every role"), *Role.choices]
    )
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)


class PersonForm(GovukForm):
    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="What they type to sign in: letters, numbers and @ . + - _ only. "
        "It cannot be changed later.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        ),
        error_messages={"required": "Enter a username"},
    )
    first_name = forms.CharField(
        label="First name",
        max_length=150,
        error_messages={"required": "Enter the person’s first name"},
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        error_messages={"required": "Enter the person’s last name"},
    )
    email = forms.EmailField(
        label="Work email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the person’s work email address",
            "invalid": "Enter an email address in the correct format, like name@council.gov.uk",
        },
    )
    job_title = forms.CharField(label="Job title (optional)", max_length=120, required=False)
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        widget=forms.RadioSelect,
        help_text="What they may do in QPA: one role each.",
        error_messages={"required": "Choose the person’s role"},
    )
    teams = TeamChoiceField(
        label="Teams they belong to (optional)",
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="An auditor never audits a case of their own teams; a practitioner sees "
        "the audits of their own cases.",
    )
    service_areas = forms.ModelMultipleChoiceField(
        label="Service areas they are responsible for (optional)",
        queryset=ServiceArea.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For Heads of Service: the areas whose audits, alerts and actions are theirs.",
    )
    manager = PersonChoiceField(
        label="Their manager (optional)",
        queryset=User.objects.none(),
        required=False,
        empty_label="No manager",
        help_text="Where escalations go when their work is overdue.",
    )

    def __init__(self, *args: Any, person: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams: QuerySet[Team] = Team.objects.select_related("service_area").filter(is_active=True)
        areas: QuerySet[ServiceArea] = ServiceArea.objects.filter(is_active=True)
        managers: QuerySet[User] = User.objects.filter(is_active=True)
        if person is not None:
            del self.fields["username"]
            # A team or area the person still holds stays listed, so saving keeps it.
            teams = Team.objects.select_related("service_area").filter(
                pk__in=[
                    *teams.values_list("pk", flat=True),
                    *person.teams.values_list("pk", flat=True),
                ]
            )
            areas = ServiceArea.objects.filter(
                pk__in=[
                    *areas.values_list("pk", flat=True),
                    *person.service_areas.values_list("pk", flat=True),
                ]
            )
            managers = managers.exclude(pk=person.pk)
        self.fields["teams"].queryset = teams  # type: ignore[attr-defined]
        self.fields["service_areas"].queryset = areas  # type: ignore[attr-defined]
        self.fields["manager"].queryset = managers  # type: ignore[attr-defined]


class MfaResetForm(GovukForm):
    reason = forms.CharField(
        label="Why is their authenticator app being reset?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: “Phone lost on 3 December; identity checked by phone call "
        "with their manager”. This is kept in the event log.",
        error_messages={"required": "Say why the authenticator app is being reset"},
    )


class ChoosePasswordForm(GovukFormMixin, SetPasswordForm):  # type: ignore[type-arg]
    """The page a one-time link opens: the person chooses their own password."""

    error_messages = {
        **SetPasswordForm.error_messages,
        "password_mismatch": "The passwords do not match",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Password"
        self.fields["new_password1"].help_text = (
            "Use at least 12 characters. Three or more random words make a password that is "
            "long but easy to remember. Runs such as aaaa, abcd or qwerty and your own name "
            "do not count towards the 12. Do not use a password you use anywhere else."
        )
        self.fields["new_password2"].label = "Confirm your password"
