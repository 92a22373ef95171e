"""The audit's pages. Drafts save whatever is there: completeness is checked at submit."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from qpa.accounts.models import User
from qpa.audits.models import Captured, ChildSafe
from qpa.audits.services import MAX_TEXT
from qpa.core.forms import GovukDateField, GovukForm
from qpa.tools.models import Answer, Domain, Rating, TextAsked, VoiceQuestion

NOT_APPLICABLE = "not-applicable"
NO_OVERALL_RATING = "none"


def _text(label: str, *, rows: int = 6, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        max_length=MAX_TEXT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "spellcheck": "true"}),
        error_messages={"max_length": f"Keep this to {MAX_TEXT:,} characters or fewer."},
    )


def _rating_choices(ratings: list[Rating]) -> list[tuple[str, str]]:
    return [(str(r.pk), r.label) for r in ratings]


class HintedRadioSelect(forms.RadioSelect):
    """Radios that carry a GOV.UK hint under each choice: {value: hint}. The hints of the
    rating radios are the domain's grading descriptors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hints: dict[str, str] = {}

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        option["hint"] = self.hints.get(str(option["value"]), "")
        return option


class RatingChoiceField(forms.ChoiceField):
    """The rating radios of a domain, drawn with each radio's hint."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template_name = "audits/_rating_radios.html"


class DomainForm(GovukForm):
    rating = RatingChoiceField(label="Rating", required=False, widget=HintedRadioSelect, choices=[])
    evidence = _text(
        "Evidence and findings",
        rows=8,
        help_text="What the case file shows, with dates and examples.",
    )
    strengths = _text("Strengths")
    improvements = _text("What needs to improve")

    def __init__(self, *args: Any, domain: Domain, ratings: list[Rating], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ratings = {str(r.pk): r for r in ratings}
        choices = _rating_choices(ratings)
        if domain.allows_not_applicable:
            choices.append((NOT_APPLICABLE, "Not applicable"))
        field = self.fields["rating"]
        if not isinstance(field, forms.ChoiceField):  # pragma: no cover
            raise TypeError("rating must be a choice")
        field.choices = choices
        field.label = f"How would you rate {domain.name}?"
        field.error_messages["invalid_choice"] = "Choose one of the ratings."
        # Each rating's grading descriptor, shown as the hint of its radio.
        if isinstance(field.widget, HintedRadioSelect):
            field.widget.hints = {str(d.rating_id): d.text for d in domain.descriptors.all()}

    def rating_value(self) -> tuple[Rating | None, bool]:
        value = self.cleaned_data.get("rating") or ""
        if value == NOT_APPLICABLE:
            return None, True
        return self.ratings.get(value), False


class OverallForm(GovukForm):
    overall_rating = forms.ChoiceField(
        label="Overall rating of the case", required=False, widget=forms.RadioSelect, choices=[]
    )
    overall_rationale = _text(
        "Why this rating", rows=8, help_text="The findings that decided the overall rating."
    )
    child_experience_captured = forms.ChoiceField(
        label="Was the child’s lived experience captured?",
        required=False,
        widget=forms.RadioSelect,
        choices=Captured.choices,
    )
    child_experience_text = _text(
        "How the child’s lived experience was captured, or what was missing", rows=4
    )
    family_view_captured = forms.ChoiceField(
        label="Was the family’s view captured?",
        required=False,
        widget=forms.RadioSelect,
        choices=Captured.choices,
    )
    family_view_text = _text("How the family’s view was captured, or what was missing", rows=4)
    consistency_reason = _text("Why does the overall rating differ from the domains?", rows=4)

    def __init__(
        self, *args: Any, ratings: list[Rating], optional: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.ratings = {str(r.pk): r for r in ratings}
        field = self.fields["overall_rating"]
        if not isinstance(field, forms.ChoiceField):  # pragma: no cover
            raise TypeError("overall_rating must be a choice")
        field.choices = _rating_choices(ratings)
        if optional:
            # A themed tool reported domain by domain: a radio cannot be unticked, so
            # "no overall rating" is a choice of its own (not ticked for a new audit).
            field.choices = [*field.choices, (NO_OVERALL_RATING, "No overall rating")]
            field.label = "Overall rating of the case (optional)"
            field.help_text = (
                "This tool reports each domain: you may leave the overall rating out. An "
                "audit without one counts in the domain figures only."
            )
            self.fields["overall_rationale"].label = "Why this rating (if you gave one)"
        for name in ("overall_rating", "child_experience_captured", "family_view_captured"):
            self.fields[name].error_messages["invalid_choice"] = "Choose one of the answers."

    def rating(self) -> Rating | None:
        return self.ratings.get(self.cleaned_data.get("overall_rating") or "")

    def show_consistency(self, gap: str | None) -> None:
        """Ask why the overall rating differs from the domains only when it does (more
        than a grade from the worst or the best domain): `gap` says how."""
        if gap is None:
            del self.fields["consistency_reason"]
        else:
            why = "That can be right: say what decided it, so that a reader sees why."
            self.fields["consistency_reason"].help_text = f"{gap} {why}"


class SafetyForm(GovukForm):
    """Is the child safe now? Asked on every audit (decision 0114)."""

    child_safe = forms.ChoiceField(
        label="From what you have read, is the child safe now?",
        help_text="“No” or “Not sure” alerts the team manager and the Head of Service at "
        "once, whatever your ratings.",
        required=False,
        widget=forms.RadioSelect,
        choices=ChildSafe.choices,
        error_messages={"invalid_choice": "Choose yes, no or not sure."},
    )
    child_safe_reason = _text(
        "Why do you think so?",
        rows=5,
        help_text="What in the file tells you: the latest visit, the plan, what is missing.",
    )


class ReopenForm(GovukForm):
    reason = forms.CharField(
        label="Why are you reopening this audit?",
        help_text="The auditor sees this, and it stays in the audit’s history.",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter the reason for reopening the audit."},
    )


class ReplyForm(GovukForm):
    text = forms.CharField(
        label="Your reply to the findings",
        help_text="Your reply is shown with the audit. You can reply once.",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Enter your reply."},
    )


class VoiceForm(GovukForm):
    """The tool version's questions about the child's voice and the family's view: one
    set of radios each, and the short text where the question asks for one."""

    def __init__(self, *args: Any, questions: list[VoiceQuestion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        when: dict[str, str] = {
            TextAsked.YES: "Needed when you answer yes.",
            TextAsked.NOT_YES: "Needed when you answer no or not recorded.",
            TextAsked.ALWAYS: "Needed with any answer but not applicable.",
        }
        for question in questions:
            choices = [(a.value, a.label) for a in Answer if a != Answer.NOT_APPLICABLE]
            if question.allows_not_applicable:
                choices.append((Answer.NOT_APPLICABLE.value, Answer.NOT_APPLICABLE.label))
            self.fields[f"answer_{question.order}"] = forms.ChoiceField(
                label=question.text,
                help_text=question.hint,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "govuk-radios__input"}),
                choices=choices,
                error_messages={"invalid_choice": "Choose one of the answers."},
            )
            if question.text_asked != TextAsked.NEVER:
                field = _text(question.text_label, rows=3, help_text=when[question.text_asked])
                field.widget.attrs["class"] = "govuk-textarea"
                self.fields[f"text_{question.order}"] = field

    def pairs(self) -> list[tuple[VoiceQuestion, Any, Any]]:
        """(question, its radios, its text box or None) for the template."""
        return [
            (
                q,
                self[f"answer_{q.order}"],
                self[f"text_{q.order}"] if f"text_{q.order}" in self.fields else None,
            )
            for q in self.questions
        ]

    def answers(self) -> dict[int, tuple[str, str]]:
        """{question position: (answer, text)}; call after is_valid()."""
        data = self.cleaned_data
        return {
            q.order: (data.get(f"answer_{q.order}") or "", data.get(f"text_{q.order}") or "")
            for q in self.questions
        }


RECOMMENDATION_DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d %m %Y"]


class RecommendationForm(GovukForm):
    """An action the auditor recommends: what, a suggested owner, by when."""

    description = forms.CharField(
        label="What needs to be done",
        max_length=MAX_TEXT,
        help_text="One action: what, and for the child’s sake why.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter what needs to be done."},
    )
    suggested_owner = forms.TypedChoiceField(
        label="Suggested owner",
        coerce=int,
        required=False,
        help_text="The Head of Service decides who owns it. Type a name to find someone.",
        widget=forms.Select(attrs={"data-qpa-searchable": "Search for a person by name"}),
        error_messages={"invalid_choice": "Choose the suggested owner from the list."},
    )
    due_date = GovukDateField(
        label="By when",
        subject="The date by when it should be done",
        help_text="For example, 27 3 2027",
        input_formats=RECOMMENDATION_DATE_FORMATS,
        error_messages={"required": "Enter the date by when it should be done."},
    )

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._people = {p.pk: p for p in people}
        field = self.fields["suggested_owner"]
        if not isinstance(field, forms.ChoiceField):  # pragma: no cover
            raise TypeError("suggested_owner must be a choice of people")
        field.choices = [
            ("", "No one in particular"),
            *((p.pk, f"{p}, {p.role_label}") for p in people),
        ]

    def clean_suggested_owner(self) -> User | None:
        value = self.cleaned_data.get("suggested_owner")
        if value is None or value == "":
            return None
        person = self._people.get(int(value))
        if person is None:
            raise forms.ValidationError("Choose the suggested owner from the list.")
        return person

    def clean_due_date(self) -> date:
        due: date = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError("The date must be today or later.")
        return due
