"""The form of the comparison page: two periods, each a first and a last month, asked
with the GOV.UK date input (month and year, no day). Sent by GET, so a comparison is
bookmarkable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from qpa.core.forms import GovukForm
from qpa.reports.summary import check_period

PERIODS = (("a", "A"), ("b", "B"))
ENDS = (("from", "first month"), ("to", "last month"))


@dataclass(frozen=True)
class MonthInput:
    """One GOV.UK date input of the form, for its template."""

    key: str  # a_from, a_to, b_from, b_to
    legend: str
    month: forms.BoundField
    year: forms.BoundField

    @property
    def errors(self) -> list[str]:
        return [str(error) for error in self.month.errors]


class ComparePeriodsForm(GovukForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for period, _ in PERIODS:
            for end, _ in ENDS:
                key = f"{period}_{end}"
                self.fields[f"{key}_month"] = forms.CharField(
                    label="Month",
                    max_length=2,
                    required=False,
                    widget=forms.TextInput(
                        attrs={
                            "class": "govuk-input govuk-date-input__input govuk-input--width-2",
                            "inputmode": "numeric",
                        }
                    ),
                )
                self.fields[f"{key}_year"] = forms.CharField(
                    label="Year",
                    max_length=4,
                    required=False,
                    widget=forms.TextInput(
                        attrs={
                            "class": "govuk-input govuk-date-input__input govuk-input--width-4",
                            "inputmode": "numeric",
                        }
                    ),
                )

    def month_inputs(self) -> list[MonthInput]:
        return [
            MonthInput(
                f"{period}_{end}",
                f"Period {letter}: {words}",
                self[f"{period}_{end}_month"],
                self[f"{period}_{end}_year"],
            )
            for period, letter in PERIODS
            for end, words in ENDS
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        months: dict[str, date] = {}
        for period, letter in PERIODS:
            for end, words in ENDS:
                key = f"{period}_{end}"
                month_text = (data.get(f"{key}_month") or "").strip()
                year_text = (data.get(f"{key}_year") or "").strip()
                what = f"the {words} of period {letter}"
                if not month_text and not year_text:
                    self.add_error(f"{key}_month", f"Enter {what}.")
                    continue
                if not month_text or not year_text:
                    missing = "month" if not month_text else "year"
                    self.add_error(f"{key}_month", f"Enter the {missing} of {what}.")
                    continue
                if not (month_text.isdigit() and year_text.isdigit()):
                    self.add_error(f"{key}_month", f"Enter {what} as numbers, like 10 and 2009.")
                    continue
                month, year = int(month_text), int(year_text)
                if not 1 <= month <= 12 or not 2000 <= year <= 2100:
                    self.add_error(
                        f"{key}_month",
                        f"{what[0].upper()}{what[1:]} must be a real month: a month from 1 to"
                        " 12 and a year from 2000 to 2100.",
                    )
                    continue
                months[key] = date(year, month, 1)
        for period, letter in PERIODS:
            first, last = months.get(f"{period}_from"), months.get(f"{period}_to")
            if first is None or last is None:
                continue
            if last < first:
                self.add_error(
                    f"{period}_to_month",
                    f"Period {letter} must end in or after the month it starts.",
                )
                continue
            try:
                data[f"{period}_period"] = check_period(first, last)
            except ValidationError:
                self.add_error(f"{period}_to_month", f"Period {letter} covers at most ten years.")
        return data

    @staticmethod
    def initial_for(a: tuple[date, date], b: tuple[date, date]) -> dict[str, str]:
        values: dict[str, str] = {}
        for (period, _), (first, last) in zip(PERIODS, (a, b), strict=True):
            for (end, _), day in zip(ENDS, (first, last), strict=True):
                values[f"{period}_{end}_month"] = str(day.month)
                values[f"{period}_{end}_year"] = str(day.year)
        return values

    @classmethod
    def asked(cls, query: Any) -> bool:
        """Whether the address holds any of this form's fields."""
        return any(
            f"{period}_{end}_{part}" in query
            for period, _ in PERIODS
            for end, _ in ENDS
            for part in ("month", "year")
        )
