"""Forms of the assurance pages."""

from __future__ import annotations

from typing import Any

from django import forms

from qpa.assurance.services import MAX_REASON, Agreed, PairRow
from qpa.core.forms import GovukForm
from qpa.tools.models import Rating

NOT_APPLICABLE = "not-applicable"


class ReAuditDrawForm(GovukForm):
    quarter = forms.CharField(
        label="Quarter",
        max_length=7,
        help_text="For example, 2026-Q3. Draw a quarter once it has ended.",
        error_messages={"required": "Enter the quarter, for example 2026-Q3."},
    )
    share_percent = forms.IntegerField(
        label="Share of each service area's pool to re-audit, in per cent",
        required=False,
        min_value=1,
        max_value=100,
        help_text="Leave empty to give a number of cases instead.",
        error_messages={
            "min_value": "Enter a share between 1 and 100.",
            "max_value": "Enter a share between 1 and 100.",
            "invalid": "Enter a whole number between 1 and 100.",
        },
    )
    count = forms.IntegerField(
        label="Or a number of cases, shared across service areas",
        required=False,
        min_value=1,
        max_value=10_000,
        error_messages={
            "min_value": "Enter a number of cases of 1 or more.",
            "max_value": "Enter a number of cases of 10,000 or fewer.",
            "invalid": "Enter a whole number of cases.",
        },
    )

    capacity = forms.IntegerField(
        label="The most re-audits one person can take",
        min_value=1,
        max_value=50,
        help_text="Heads of Service of other areas are given cases first, then auditors, "
        "each up to this number. Their due dates are spread over the quarter after the "
        "one drawn.",
        error_messages={
            "required": "Enter the most re-audits one person can take, for example 4.",
            "min_value": "Enter a number of re-audits of 1 or more.",
            "max_value": "Enter a number of re-audits of 50 or fewer.",
            "invalid": "Enter a whole number of re-audits, for example 4.",
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        share, count = cleaned.get("share_percent"), cleaned.get("count")
        if share is None and count is None and not self.errors:
            self.add_error("share_percent", "Enter a share or a number of cases.")
        if share is not None and count is not None:
            self.add_error("count", "Enter a share or a number of cases, not both.")
        return cleaned


class SummarySendForm(GovukForm):
    """The send button's one-time token: a double click sends the summary once."""

    token = forms.UUIDField(widget=forms.HiddenInput)


class ModerationDrawForm(GovukForm):
    cycle = forms.UUIDField(widget=forms.HiddenInput)
    share_percent = forms.IntegerField(
        label="Share of the cycle to moderate, in per cent",
        min_value=1,
        max_value=100,
        error_messages={
            "required": "Enter the share to moderate.",
            "min_value": "Enter a share between 1 and 100.",
            "max_value": "Enter a share between 1 and 100.",
            "invalid": "Enter a whole number between 1 and 100.",
        },
    )


class AgreeForm(GovukForm):
    """One agreed rating and a reason for each domain, then overall."""

    def __init__(
        self, *args: Any, rows: list[PairRow], ratings: list[Rating], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.ratings = {str(r.pk): r for r in ratings}
        for row in rows:
            key = self.key(row)
            choices = [(str(r.pk), r.label) for r in ratings]
            if row.domain is not None and row.domain.allows_not_applicable:
                choices.append((NOT_APPLICABLE, "Not applicable"))
            self.fields[f"{key}_rating"] = forms.ChoiceField(
                label=f"Agreed rating: {row.name}",
                choices=choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Choose the agreed rating of {row.name}.",
                    "invalid_choice": "Choose one of the ratings.",
                },
            )
            self.fields[f"{key}_reason"] = forms.CharField(
                label=f"Reason: {row.name}",
                required=False,
                max_length=MAX_REASON,
                help_text="Needed where the two audits differ or you change the first rating.",
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            if row.agree and not self.is_bound:
                first = NOT_APPLICABLE if row.first_na else str(getattr(row.first_rating, "pk", ""))
                self.initial[f"{key}_rating"] = first

    @staticmethod
    def key(row: PairRow) -> str:
        return f"domain_{row.domain.pk}" if row.domain is not None else "overall"

    def agreed(self, row: PairRow) -> Agreed:
        key = self.key(row)
        value = self.cleaned_data.get(f"{key}_rating") or ""
        reason = self.cleaned_data.get(f"{key}_reason") or ""
        if value == NOT_APPLICABLE:
            return Agreed(rating=None, not_applicable=True, reason=reason)
        return Agreed(rating=self.ratings.get(value), not_applicable=False, reason=reason)
