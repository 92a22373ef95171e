from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from qpa.core.forms import GovukForm
from qpa.tools.models import AuditTool, QuestionAbout, Rating, RatingScale, TextAsked, ToolKind
from qpa.tools.services import (
    MAX_DESCRIPTOR,
    MAX_QUESTION,
    MAX_QUESTION_HINT,
    MAX_TEXT_LABEL,
    QuestionSpec,
)


def _overall_optional() -> forms.BooleanField:
    return forms.BooleanField(
        label="Auditors may leave the overall rating blank",
        required=False,
        help_text="For a themed tool whose results are reported domain by domain. Audits "
        "without an overall rating count in the domain figures only.",
    )


class ToolCreateForm(GovukForm):
    name = forms.CharField(label="Name of the tool", max_length=160)
    kind = forms.ChoiceField(
        label="Kind of tool", choices=ToolKind.choices, widget=forms.RadioSelect
    )
    scale = forms.ModelChoiceField(
        label="Rating scale", queryset=RatingScale.objects.all(), empty_label=None
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    overall_rating_optional = _overall_optional()

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if AuditTool.objects.filter(name__iexact=name).exists():
            raise ValidationError("A tool with this name already exists.")
        return name


class ToolEditForm(GovukForm):
    name = forms.CharField(label="Name of the tool", max_length=160)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(
        label="Available for new audits", required=False, help_text="Untick to retire the tool."
    )
    overall_rating_optional = _overall_optional()

    def __init__(self, *args: Any, tool: AuditTool, **kwargs: Any) -> None:
        self.tool = tool
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if AuditTool.objects.filter(name__iexact=name).exclude(pk=self.tool.pk).exists():
            raise ValidationError("A tool with this name already exists.")
        return name


class DomainForm(GovukForm):
    name = forms.CharField(label="Domain name", max_length=160)
    prompts = forms.CharField(
        label="Prompts",
        required=False,
        help_text="The questions the auditor considers, one a line.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    guidance = forms.CharField(
        label="Guidance",
        required=False,
        help_text="What good practice looks like in this domain.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    allows_not_applicable = forms.BooleanField(
        label="Auditors may rate this domain as not applicable", required=False
    )

    def __init__(self, *args: Any, scale: RatingScale, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One grading descriptor per rating of the tool's scale, shown to auditors beside
        # that rating's choice on the domain's page.
        for rating in scale.ratings.all():
            self.fields[f"descriptor_{rating.rank}"] = forms.CharField(
                label=f"What {rating.label.lower()} looks like",
                required=False,
                max_length=MAX_DESCRIPTOR,
                widget=forms.Textarea(attrs={"rows": 4, "class": "govuk-textarea"}),
                error_messages={
                    "max_length": f"Keep this to {MAX_DESCRIPTOR:,} characters or fewer."
                },
            )

    def descriptors(self) -> dict[int, str]:
        return {
            int(name.removeprefix("descriptor_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("descriptor_")
        }


class ScaleCreateForm(GovukForm):
    name = forms.CharField(label="Name of the scale", max_length=120)
    ratings = forms.CharField(
        label="Ratings, best first",
        help_text="One a line, as the rating then its short code, for example: Good, G",
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    good_or_better = forms.IntegerField(
        label="How many ratings, counting from the best, are good or better?", min_value=1
    )
    inadequate_or_worse = forms.IntegerField(
        label="How many ratings, counting from the worst, are inadequate or worse?", min_value=1
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if RatingScale.objects.filter(name__iexact=name).exists():
            raise ValidationError("A scale with this name already exists.")
        return name

    def clean_ratings(self) -> list[tuple[str, str]]:
        parsed = []
        for number, line in enumerate(self.cleaned_data["ratings"].splitlines(), start=1):
            if not line.strip():
                continue
            label, _, code = line.partition(",")
            label, code = label.strip(), code.strip()
            if not label or not code or len(code) > 8 or len(label) > 80:
                raise ValidationError(
                    f"Line {number} must be a rating and a short code, for example: Good, G"
                )
            parsed.append((label, code))
        if len(parsed) < 2:
            raise ValidationError("Enter at least two ratings.")
        return parsed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ratings, good, bad = (
            data.get("ratings"),
            data.get("good_or_better"),
            data.get("inadequate_or_worse"),
        )
        if ratings and good and bad and good + bad > len(ratings):
            self.add_error(
                "inadequate_or_worse",
                "The good and inadequate groups overlap: together they cover more ratings "
                "than the scale has.",
            )
        return data


class ScaleLinesForm(GovukForm):
    good_or_better = forms.IntegerField(
        label="How many ratings, counting from the best, are good or better?", min_value=1
    )
    inadequate_or_worse = forms.IntegerField(
        label="How many ratings, counting from the worst, are inadequate or worse?", min_value=1
    )


class CrosswalkForm(GovukForm):
    """One select per rating of the scale, choosing its equivalent in the target scale."""

    def __init__(self, *args: Any, scale: RatingScale, target: RatingScale, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = Rating.objects.filter(scale=target)
        for rating in scale.ratings.all():
            self.fields[f"rating_{rating.rank}"] = forms.ModelChoiceField(
                label=f"{rating.label} in {scale.name} is", queryset=targets, empty_label=None
            )
        # Fields added after GovukFormMixin.__init__ need their GOV.UK class here.
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "govuk-select")


class QuestionForm(GovukForm):
    """A question about the child's voice or the family's view (decision 0125)."""

    text = forms.CharField(
        label="Question",
        max_length=MAX_QUESTION,
        help_text="Answered yes, no or not recorded on every audit of the tool.",
        error_messages={"required": "Enter the question."},
    )
    hint = forms.CharField(
        label="Hint",
        required=False,
        max_length=MAX_QUESTION_HINT,
        help_text="What the auditor looks for in the file.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    about = forms.ChoiceField(
        label="What does a yes show?",
        choices=QuestionAbout.choices,
        widget=forms.RadioSelect,
        help_text="The report shows the share of audits where the child's lived experience "
        "is evident (every question about the child answered yes or not applicable) and the "
        "share with the family's view.",
        error_messages={
            "required": "Choose whether the question is about the child or the family."
        },
    )
    allows_not_applicable = forms.BooleanField(
        label="Auditors may answer not applicable",
        required=False,
        help_text="For a question that does not fit every child, such as a baby's wishes.",
    )
    text_asked = forms.ChoiceField(
        label="When does the auditor write a short text?",
        choices=TextAsked.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose when the question asks for a short text."},
    )
    text_label = forms.CharField(
        label="What the short text is for",
        required=False,
        max_length=MAX_TEXT_LABEL,
        help_text="For example: What did they say?",
    )

    def spec(self) -> QuestionSpec:
        data = self.cleaned_data
        return QuestionSpec(
            about=data["about"],
            text=data["text"],
            hint=data["hint"],
            allows_not_applicable=bool(data["allows_not_applicable"]),
            text_asked=data["text_asked"],
            text_label=data["text_label"],
        )
