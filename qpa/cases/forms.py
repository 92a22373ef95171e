from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from qpa.accounts.models import User
from qpa.accounts.people_forms import PersonChoiceField
from qpa.cases import services
from qpa.cases.case_lists import CASE_LIST_FIELDS, WHOLE_POPULATION_LABEL
from qpa.cases.imports import CLOSE_ANYWAY_LABEL, MAX_UPLOAD_BYTES
from qpa.cases.models import CaseListMapping, PopulationRule
from qpa.core.forms import GovukForm
from qpa.organisation.models import ServiceArea


class UploadForm(GovukForm):
    file = forms.FileField(
        label="Upload a file", error_messages={"required": "Choose a file to upload."}
    )
    valid_rows_only = forms.BooleanField(
        label="Import the valid rows only",
        required=False,
        help_text="Leave this unticked to import nothing when any row has a problem.",
    )
    allowed_suffixes: tuple[str, ...] = (".xlsx",)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith(self.allowed_suffixes):
            raise ValidationError(
                "The selected file must be " + " or ".join(self.allowed_suffixes) + "."
            )
        if upload.size == 0:
            raise ValidationError("The selected file is empty.")
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"The selected file must be smaller than {MAX_UPLOAD_BYTES // 2**20} MB."
            )
        return upload


def close_many_missing_field() -> forms.BooleanField:
    """The box that lets an import close many of the open cases (imports.closing_is_usual),
    the same on every form that closes cases."""
    return forms.BooleanField(
        label=CLOSE_ANYWAY_LABEL,
        required=False,
        help_text="Leave this unticked, and QPA refuses a file that would close many of the "
        "open cases, in case it is the wrong file. Tick it when QPA refused this file and "
        "it is right.",
    )


class AnnexAUploadForm(UploadForm):
    file = forms.FileField(
        label="Upload the Annex A workbook",
        help_text="The .xlsx file of Lists 1 to 11.",
        error_messages={"required": "Choose the Annex A workbook (.xlsx) to upload."},
    )
    team_map = forms.FileField(
        label="Team map (optional)",
        required=False,
        help_text="A .csv file with the columns team,service_area. It updates the team table "
        "as the cases are imported, and not if the import is refused.",
    )
    close_many_missing = close_many_missing_field()

    def clean_team_map(self) -> Any:
        upload = self.cleaned_data.get("team_map")
        if upload and not upload.name.lower().endswith(".csv"):
            raise ValidationError("The team map must be a .csv file.")
        if upload and upload.size > 2**20:
            raise ValidationError("The team map must be smaller than 1 MB.")
        return upload


class CaseListUploadForm(UploadForm):
    file = forms.FileField(
        label="Upload the case list",
        help_text="A .csv or .xlsx file with a header row.",
        error_messages={"required": "Choose the case list (.csv or .xlsx) to upload."},
    )
    allowed_suffixes = (".csv", ".xlsx")
    mapping = forms.ModelChoiceField(
        label="Use a saved column mapping (optional)",
        queryset=CaseListMapping.objects.all(),
        required=False,
        empty_label="Choose the columns on the next page",
    )
    close_missing = forms.BooleanField(
        label=WHOLE_POPULATION_LABEL,
        required=False,
        initial=True,
        help_text="Open cases that are not in the file will be closed (never deleted).",
    )
    close_many_missing = close_many_missing_field()


class PastAuditsUploadForm(UploadForm):
    file = forms.FileField(
        label="Upload the past audits",
        help_text="A .csv or .xlsx file in the template's format.",
        error_messages={"required": "Choose the file of past audits (.csv or .xlsx) to upload."},
    )
    allowed_suffixes = (".csv", ".xlsx")


class ColumnMappingForm(GovukForm):
    """One select per QPA field, listing the file's columns."""

    save_as = forms.CharField(
        label="Save this mapping for next time as (optional)", required=False, max_length=120
    )

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        initial_columns: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Not in this file"), *[(h, h) for h in headers]]
        guesses = initial_columns or {}
        fields: dict[str, forms.Field] = {}
        for key, (label, required, _) in CASE_LIST_FIELDS.items():
            guess = guesses.get(key) or next(
                (
                    h
                    for h in headers
                    if h.casefold().replace(" ", "") == label.casefold().replace(" ", "")
                ),
                "",
            )
            fields[f"col_{key}"] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=required,
                initial=guess,
                widget=forms.Select(attrs={"class": "govuk-select"}),
            )
        # The columns come first, the name to save under last.
        save_as = self.fields.pop("save_as")
        self.fields.update(fields)
        self.fields["save_as"] = save_as

    def columns(self) -> dict[str, str]:
        return {
            key: self.cleaned_data[f"col_{key}"]
            for key in CASE_LIST_FIELDS
            if self.cleaned_data.get(f"col_{key}")
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [v for k, v in data.items() if k.startswith("col_") and v]
        if len(chosen) != len(set(chosen)):
            raise ValidationError("Each column of the file can be used for one field only.")
        return data


class TeamForm(GovukForm):
    name = forms.CharField(
        label="Team name", max_length=160, help_text="As the case-management system spells it."
    )
    # A blank first choice: a new team's area is chosen, never taken from the top of a list.
    service_area = forms.ModelChoiceField(
        label="Service area",
        queryset=ServiceArea.objects.filter(is_active=True),
        empty_label="Choose a service area",
        error_messages={
            "required": "Choose the service area this team works in.",
            "invalid_choice": "Choose the service area this team works in from the list.",
        },
    )


class TeamAreaForm(GovukForm):
    """A team's service area and its manager."""

    service_area = forms.ModelChoiceField(
        label="Service area", queryset=ServiceArea.objects.filter(is_active=True), empty_label=None
    )
    manager = PersonChoiceField(
        label="Team manager",
        help_text="Told of the team's audits, alerted on the inadequate and critical ones, "
        "and never given the team's cases to audit. An auditor or a Head of Service.",
        queryset=User.objects.none(),
        required=False,
        empty_label="No manager recorded",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = services.team_managers()  # type: ignore[attr-defined]


class PopulationRulesForm(GovukForm):
    """Precedence (1 wins) and service area for each source of open cases."""

    def __init__(self, *args: Any, rules: list[PopulationRule], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rules = rules
        count = len(rules)
        for rule in rules:
            self.fields[f"precedence_{rule.source}"] = forms.TypedChoiceField(
                label=f"{rule.get_source_display()}: precedence",
                choices=[(n, str(n)) for n in range(1, count + 1)],
                coerce=int,
                initial=rule.precedence,
                widget=forms.Select(attrs={"class": "govuk-select"}),
            )
            self.fields[f"area_{rule.source}"] = forms.ModelChoiceField(
                label=f"{rule.get_source_display()}: service area",
                queryset=ServiceArea.objects.filter(is_active=True),
                initial=rule.service_area_id,
                empty_label=None,
                widget=forms.Select(attrs={"class": "govuk-select"}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        numbers = [data.get(f"precedence_{r.source}") for r in self.rules]
        if None not in numbers and len(set(numbers)) != len(numbers):
            raise ValidationError("Give each source a different precedence.")
        return data
