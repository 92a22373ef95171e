"""Forms of the cycle pages: one question per page for creating a cycle, and the forms
that change a frozen sample (each asks for a reason)."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from qpa.accounts.models import User
from qpa.core.forms import GovukDateField, GovukForm, GovukMonthField
from qpa.cycles.models import CycleKind, QuotaMethod, SamplingPlan
from qpa.cycles.population import PopulationSize, clean_population_filter
from qpa.organisation.models import ServiceArea, Team
from qpa.tools.models import AuditTool


class KindForm(GovukForm):
    kind = forms.ChoiceField(
        label="What kind of cycle is this?",
        choices=CycleKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a monthly or a themed audit."},
    )


class MonthForm(GovukForm):
    month = GovukMonthField(
        subject="The month of the cycle",
        label="Which month is the cycle for?",
        help_text="For example, 12 2026",
    )

    def clean_month(self) -> str:
        month: date = self.cleaned_data["month"]
        return month.isoformat()


class ThemeForm(GovukForm):
    theme = forms.CharField(
        label="What is the theme of the audit?",
        help_text="For example, Child protection core assessment",
        max_length=160,
        error_messages={"required": "Enter the theme of the audit."},
    )


class ToolForm(GovukForm):
    tool = forms.ModelChoiceField(
        label="Which audit tool will auditors use?",
        queryset=AuditTool.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        empty_label=None,
        to_field_name="slug",
        error_messages={"required": "Choose the audit tool."},
    )


YES_NO_ANY = [("", "Either"), ("yes", "Yes"), ("no", "No")]


class PopulationForm(GovukForm):
    """The themed population: every answer is optional, at least one is needed."""

    service_areas = forms.ModelMultipleChoiceField(
        label="Service areas",
        help_text="Leave empty for every area.",
        queryset=ServiceArea.objects.filter(is_active=True),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    teams = forms.ModelMultipleChoiceField(
        label="Teams",
        help_text="Leave empty for every team.",
        queryset=Team.objects.filter(is_active=True),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    cp_plan_started_within_months = forms.IntegerField(
        label="Child protection plan started in the last how many months?",
        required=False,
        min_value=1,
        max_value=120,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
    )
    looked_after_within_months = forms.IntegerField(
        label="Started to be looked after in the last how many months?",
        required=False,
        min_value=1,
        max_value=120,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
    )
    age_from = forms.IntegerField(
        label="Youngest age, in years",
        required=False,
        min_value=0,
        max_value=25,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
    )
    age_to = forms.IntegerField(
        label="Oldest age, in years",
        required=False,
        min_value=0,
        max_value=25,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
    )
    has_disability = forms.ChoiceField(
        label="Has a disability", choices=YES_NO_ANY, required=False, widget=forms.RadioSelect
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw: dict[str, Any] = {}
        for key, value in data.items():
            if value in (None, "", []) or (hasattr(value, "exists") and not value.exists()):
                continue
            if key == "service_areas":
                raw[key] = [a.slug for a in value]
            elif key == "teams":
                raw[key] = [str(t.public_id) for t in value]
            else:
                raw[key] = value
        if not raw and not self.errors:
            raise ValidationError("Answer at least one question: a theme needs a population.")
        try:
            self.population_filter = clean_population_filter(raw)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data

    @staticmethod
    def initial_from(population_filter: dict[str, Any]) -> dict[str, Any]:
        return dict(population_filter)


# The answer of a themed cycle that draws from its population without a plan.
NO_PLAN = "none"


class PlanChoiceForm(GovukForm):
    plan = forms.ModelChoiceField(
        label="Which sampling plan should the draw follow?",
        queryset=SamplingPlan.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        empty_label=None,
        to_field_name="public_id",
        error_messages={"required": "Choose a sampling plan."},
    )

    def __init__(self, *args: Any, themed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if themed:
            # A theme's population is the sample frame: no plan of zero quotas needed.
            plans = SamplingPlan.objects.filter(is_active=True)
            self.fields["plan"] = forms.ChoiceField(
                label="Which sampling plan should the draw follow?",
                choices=[
                    (NO_PLAN, "No plan: draw from the theme’s population alone"),
                    *[(str(p.public_id), p.name) for p in plans],
                ],
                widget=forms.RadioSelect(attrs={"class": "govuk-radios__input"}),
                error_messages={
                    "required": "Choose a sampling plan, or no plan.",
                    "invalid_choice": "Choose a sampling plan, or no plan.",
                },
            )

    def answer(self) -> str:
        value = self.cleaned_data["plan"]
        return value if isinstance(value, str) else str(value.public_id)


class SampleSizeForm(GovukForm):
    """A themed cycle without a plan: how many of its population's cases to draw."""

    size = forms.IntegerField(
        label="How many cases should the draw take?",
        required=False,
        min_value=1,
        max_value=5000,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-4"}),
        error_messages={
            "min_value": "Enter at least 1 case, or leave it empty for every case.",
            "max_value": "Enter 5000 cases or fewer.",
            "invalid": "Enter a whole number of cases, or leave it empty for every case.",
        },
    )

    def __init__(self, *args: Any, population: PopulationSize | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hint = "Leave it empty to audit every eligible case."
        if population is not None:
            found = "1 case meets" if population.total == 1 else f"{population.total} cases meet"
            hint = (
                f"{found} the theme’s population today, {population.open} of them open. "
                "Closed cases, and cases no auditor of the cycle is independent of, are left "
                f"out at the draw. {hint}"
            )
        self.fields["size"].help_text = hint


class PeopleField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj}, {obj.role_label}"


class AuditorsForm(GovukForm):
    auditors = PeopleField(
        label="Who will audit the cases?",
        help_text="Auditors and Heads of Service. Nobody is given a case of a team they "
        "manage or belong to.",
        queryset=User.objects.none(),
        to_field_name="username",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one auditor."},
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(PeopleField, self.fields["auditors"])
        field.queryset = candidates


class CapacityForm(GovukForm):
    """One number per chosen auditor."""

    def __init__(self, *args: Any, auditors: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for person in auditors:
            self.fields[f"capacity_{person.username}"] = forms.IntegerField(
                label=f"{person}, {person.role_label}",
                min_value=1,
                max_value=500,
                widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
                error_messages={
                    "required": f"Enter how many cases {person} can take.",
                    "min_value": f"{person} must be able to take at least 1 case.",
                },
            )


class DueDateForm(GovukForm):
    due_date = GovukDateField(
        label="When are the audits due?",
        subject="The date the audits are due",
        help_text="For example, 31 12 2026",
        input_formats=["%d/%m/%Y", "%Y-%m-%d", "%d %m %Y"],
    )

    def clean_due_date(self) -> str:
        value: date = self.cleaned_data["due_date"]
        return value.isoformat()


class ReasonForm(GovukForm):
    reason = forms.CharField(
        label="Why must this change?",
        help_text="The reason is kept in the cycle's change log and shown in its report.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the reason for this change."},
    )

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Enter the reason for this change.")
        return reason


class ReallocateForm(ReasonForm):
    auditor = forms.ModelChoiceField(
        label="Who should audit this case instead?",
        queryset=User.objects.none(),
        to_field_name="username",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose the auditor who takes the case."},
    )
    field_order = ["auditor", "reason"]

    def __init__(self, *args: Any, candidates: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["auditor"])  # type: ignore[type-arg]
        field.queryset = User.objects.filter(pk__in=[c.pk for c in candidates])


class HandPickingForm(ReasonForm):
    allowed = forms.ChoiceField(
        label="Allow hand-picked cases in this cycle?",
        choices=[("yes", "Yes, and log every pick"), ("no", "No, the sample stays random")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether hand-picking is allowed."},
    )
    field_order = ["allowed", "reason"]


class HandPickForm(ReasonForm):
    child_id = forms.CharField(
        label="Child Unique ID of the case to add",
        max_length=64,
        error_messages={"required": "Enter the Child Unique ID."},
    )
    field_order = ["child_id", "reason"]


CHOOSE_METHOD = "Choose a fixed number for each area, or a total split in proportion."


class PlanForm(GovukForm):
    """A sampling plan. The page reveals only the chosen method's questions (GOV.UK
    conditional radios); without JavaScript both show, each labelled with its method."""

    name = forms.CharField(
        label="Name of the plan",
        max_length=120,
        error_messages={"required": "Enter a name for the plan."},
    )
    method = forms.ChoiceField(
        label="How is the sample shared between service areas?",
        choices=QuotaMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": CHOOSE_METHOD, "invalid_choice": CHOOSE_METHOD},
    )
    total = forms.IntegerField(
        label="Proportional plans: how many cases in total?",
        required=False,
        min_value=1,
        max_value=5000,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-4"}),
        error_messages={
            "min_value": "Enter a total of at least 1 case.",
            "max_value": "Enter a total of 5000 cases or fewer.",
            "invalid": "Enter the total as a whole number, like 45.",
        },
    )
    minimum_per_area = forms.IntegerField(
        label="Proportional plans: at least how many cases from each area?",
        required=False,
        min_value=0,
        max_value=500,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-4"}),
        error_messages={
            "min_value": "Enter 0 or more cases from each area.",
            "max_value": "Enter 500 cases or fewer from each area.",
            "invalid": "Enter the least from each area as a whole number, like 3.",
        },
    )
    exclude_audited_within_months = forms.IntegerField(
        label="Leave out cases audited in the last how many months?",
        help_text="Enter 0 to leave no case out.",
        initial=12,
        min_value=0,
        max_value=120,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
        error_messages={
            "required": "Enter how many months, or 0 to leave no case out.",
            "min_value": "Enter 0 months or more.",
            "max_value": "Enter 120 months or fewer.",
            "invalid": "Enter the months as a whole number, like 12.",
        },
    )
    PROPORTIONAL_FIELDS = ("total", "minimum_per_area")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.areas = list(ServiceArea.objects.filter(is_active=True))
        for area in self.areas:
            self.fields[f"quota_{area.slug}"] = forms.IntegerField(
                label=f"Fixed plans: cases from {area.name}",
                required=False,
                min_value=0,
                max_value=500,
                widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
                error_messages={
                    "min_value": f"Enter 0 or more cases from {area.name}.",
                    "max_value": f"Enter 500 cases or fewer from {area.name}.",
                    "invalid": f"Enter the cases from {area.name} as a whole number, like 5.",
                },
            )

    def quota_fields(self) -> list[forms.BoundField]:
        return [self[f"quota_{area.slug}"] for area in self.areas]

    def proportional_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.PROPORTIONAL_FIELDS]

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if SamplingPlan.objects.filter(name__iexact=name).exists():
            raise ValidationError("A sampling plan with this name already exists.")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The other method's answers are hidden from the person: they neither count nor
        # stop the form with an error they cannot see.
        if data.get("method") == QuotaMethod.FIXED:
            ignored = list(self.PROPORTIONAL_FIELDS)
        elif data.get("method") == QuotaMethod.PROPORTIONAL:
            ignored = [f"quota_{area.slug}" for area in self.areas]
        else:
            ignored = []
        for name in ignored:
            self.errors.pop(name, None)
            data[name] = None
        if data.get("method") == QuotaMethod.PROPORTIONAL and not data.get("total"):
            self.add_error("total", "Enter how many cases to draw in total.")
        if data.get("method") == QuotaMethod.FIXED and not any(
            data.get(f"quota_{a.slug}") for a in self.areas
        ):
            self.add_error(
                f"quota_{self.areas[0].slug}" if self.areas else None,
                "Enter the number of cases for at least one service area.",
            )
        return data

    def quotas(self) -> dict[ServiceArea, int]:
        return {a: self.cleaned_data.get(f"quota_{a.slug}") or 0 for a in self.areas}
