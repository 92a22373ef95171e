"""GOV.UK Design System markup for Django forms.

Every QPA form inherits GovukFormMixin: widgets get the GOV.UK classes, and a field with
an error points at its message through aria-describedby, as the error message pattern asks.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import Input

_WIDGET_CLASSES: list[tuple[type[forms.Widget], str]] = [
    (forms.RadioSelect, "govuk-radios__input"),
    (forms.CheckboxSelectMultiple, "govuk-checkboxes__input"),
    (forms.CheckboxInput, "govuk-checkboxes__input"),
    (forms.Textarea, "govuk-textarea"),
    (forms.Select, "govuk-select"),
    (forms.ClearableFileInput, "govuk-file-upload"),
    (Input, "govuk-input"),
]


DATE_PARTS = ("day", "month", "year")
MONTH_PARTS = ("month", "year")
MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


def month_label(month: str) -> str:
    """A month as the report's documents key it ("2026-11"), in words: "November 2026"."""
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1].capitalize()} {year}"


class GovukDateInput(forms.MultiWidget):
    """The GOV.UK date input: boxes for the day, month and year under one legend. Their
    names are `<field>-day`, `<field>-month` and `<field>-year`; a link or bookmark may
    still carry the whole date as one value (`?date_from=2026-11-01`)."""

    template_name = "core/forms/date_input.html"
    parts: tuple[str, ...] = DATE_PARTS

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        widths = {"day": 2, "month": 2, "year": 4}
        super().__init__(
            [
                forms.TextInput(
                    attrs={
                        "class": f"govuk-input govuk-date-input__input "
                        f"govuk-input--width-{widths[part]}",
                        "inputmode": "numeric",
                    }
                )
                for part in self.parts
            ],
            attrs,
        )
        self.widgets_names = [f"-{part}" for part in self.parts]
        # The parts a person must correct: only these boxes are shown in error.
        self.error_parts: set[str] = set()

    def decompress(self, value: Any) -> list[str | None]:
        if isinstance(value, str):
            for parse in (date.fromisoformat, _day_month_year):
                with contextlib.suppress(ValueError):
                    value = parse(value)
                    break
        if isinstance(value, date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        parts = [data.get(f"{name}-{part}") for part in self.parts]
        if all(part is None for part in parts) and data.get(name):
            return data.get(name)
        return parts

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and super().value_omitted_from_data(data, files, name)

    def id_for_label(self, id_: str) -> str:
        """The error summary links to the first box to correct (the first when all are)."""
        if not id_:
            return id_
        for index, part in enumerate(self.parts):
            if part in self.error_parts:
                return f"{id_}_{index}"
        return f"{id_}_0"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        for part, subwidget in zip(self.parts, context["widget"]["subwidgets"], strict=True):
            subwidget["label"] = part.capitalize()
            if part in self.error_parts:
                subwidget["attrs"]["class"] += " govuk-input--error"
        return context


class GovukMonthInput(GovukDateInput):
    """The GOV.UK date input for a month: boxes for the month and the year, named
    `<field>-month` and `<field>-year`; one value (`2026-12`, `December 2026`) is still
    read, for links and scripts."""

    parts = MONTH_PARTS

    def decompress(self, value: Any) -> list[str | None]:
        if isinstance(value, str):
            with contextlib.suppress(ValidationError):
                value = parse_month(value)
        if isinstance(value, date):
            return [str(value.month), str(value.year)]
        return [None, None]


class _InBoxes(forms.Field):
    """A field asked in the date input's boxes, whose messages name it: `subject` names
    it at the start of a sentence ("The due date")."""

    def __init__(self, *, subject: str, **kwargs: Any) -> None:
        kwargs["error_messages"] = {
            "required": f"Enter {subject[0].lower()}{subject[1:]}.",
            **kwargs.get("error_messages", {}),
        }
        super().__init__(**kwargs)
        self.subject = subject

    def _error_parts(self) -> set[str]:
        """The boxes to show in error: filled in as the value is read."""
        error_parts: set[str] = set()
        if isinstance(self.widget, GovukDateInput):
            self.widget.error_parts = error_parts
        return error_parts


class GovukMonthField(_InBoxes):
    """A month asked with the GOV.UK date input's month and year boxes, with its error
    messages ("Enter the month of the cycle", "… must include a year", "… must be a real
    month"); gives the month's first day."""

    widget = GovukMonthInput

    def to_python(self, value: Any) -> date | None:
        error_parts = self._error_parts()
        if not isinstance(value, list | tuple):
            if not value:
                return None
            try:
                return parse_month(str(value))
            except ValidationError:
                error_parts.update(MONTH_PARTS)
                raise
        texts = [str(part or "").strip() for part in value]
        if not any(texts):
            return None
        missing = [part for part, text in zip(MONTH_PARTS, texts, strict=True) if not text]
        if missing:
            error_parts.update(missing)
            raise ValidationError(
                f"{self.subject} must include a {' and '.join(missing)}.", code="incomplete"
            )
        month_text, year_text = texts
        month_number = _month_number(month_text)
        if month_number is None:
            error_parts.add("month")
            raise ValidationError(f"{self.subject} must be a real month.", code="invalid")
        if not re.fullmatch(r"\d{4}", year_text):
            error_parts.add("year")
            raise ValidationError("The year must include 4 numbers.", code="invalid_year")
        if not 2000 <= int(year_text) <= 2100:
            error_parts.add("year")
            raise ValidationError(f"{self.subject} must be a real month.", code="invalid")
        return date(int(year_text), month_number, 1)


def parse_month(text: str) -> date:
    """A month written as 2026-12, 12/2026, 12 2026 or December 2026 (or Dec 2026), as its
    first day."""
    value = " ".join(text.strip().lower().replace(",", " ").split())
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", value) or None
    if match:
        year, month = int(match[1]), int(match[2])
    else:
        match = re.fullmatch(r"(\d{1,2})[ /](\d{4})", value)
        if match:
            month, year = int(match[1]), int(match[2])
        else:
            match = re.fullmatch(r"([a-z]+) (\d{4})", value)
            names = [
                n for n in MONTH_NAMES if match and len(match[1]) >= 3 and n.startswith(match[1])
            ]
            if not match or len(names) != 1:
                raise ValidationError("Enter a month and year, for example December 2026.")
            month, year = MONTH_NAMES.index(names[0]) + 1, int(match[2])
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValidationError("Enter a real month and year, for example December 2026.")
    return date(year, month, 1)


class GovukDateField(_InBoxes, forms.DateField):
    """A date asked as the GOV.UK date input pattern asks it, with its error messages:
    "Enter the due date", "The due date must include a month", "The due date must be a
    real date"."""

    widget = GovukDateInput

    def __init__(self, *, subject: str, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d", "%d/%m/%Y"])
        super().__init__(subject=subject, **kwargs)

    def to_python(self, value: Any) -> date | None:
        error_parts = self._error_parts()
        if not isinstance(value, list | tuple):
            try:
                return super().to_python(value)
            except ValidationError:
                error_parts.update(DATE_PARTS)
                raise ValidationError(
                    f"{self.subject} must be a real date.", code="invalid"
                ) from None
        texts = [str(part or "").strip() for part in value]
        if not any(texts):
            return None
        missing = [part for part, text in zip(DATE_PARTS, texts, strict=True) if not text]
        if missing:
            error_parts.update(missing)
            raise ValidationError(
                f"{self.subject} must include a {' and '.join(missing)}.", code="incomplete"
            )
        day_text, month_text, year_text = texts
        month_number = _month_number(month_text)
        numbers = [day_text, year_text]
        if month_number is None or not all(re.fullmatch(r"\d{1,4}", n) for n in numbers):
            error_parts.update(DATE_PARTS)
            raise ValidationError(f"{self.subject} must be a real date.", code="invalid")
        if len(year_text) != 4:
            error_parts.add("year")
            raise ValidationError("The year must include 4 numbers.", code="invalid_year")
        try:
            return date(int(year_text), month_number, int(day_text))
        except ValueError:
            error_parts.update(DATE_PARTS)
            raise ValidationError(f"{self.subject} must be a real date.", code="invalid") from None


def _day_month_year(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


def _month_number(text: str) -> int | None:
    """A month as a number (1 to 12) or its name, in full or its first three letters."""
    if re.fullmatch(r"\d{1,2}", text):
        number = int(text)
        return number if 1 <= number <= 12 else None
    name = text.lower().rstrip(".")
    for number, month in enumerate(MONTH_NAMES, start=1):
        if len(name) >= 3 and month.startswith(name):
            return number
    return None


class GovukFormRenderer(DjangoTemplates):
    form_template_name = "core/forms/form.html"
    field_template_name = "core/forms/field.html"


class GovukFormMixin:
    fields: dict[str, forms.Field]
    errors: Any
    prefix: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            for widget_type, css in _WIDGET_CLASSES:
                if isinstance(field.widget, widget_type):
                    field.widget.attrs.setdefault("class", css)
                    break

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:
            field = self.fields.get(name)
            # Radios and date inputs describe their errors on their fieldset.
            if field is None or isinstance(field.widget, forms.RadioSelect | GovukDateInput):
                continue
            auto_id = self[name].auto_id  # type: ignore[index]
            described_by = [f"{auto_id}_error"]
            if field.help_text:
                described_by.insert(0, f"{auto_id}_helptext")
            field.widget.attrs["aria-describedby"] = " ".join(described_by)
            classes = field.widget.attrs.get("class", "")
            for base in ("govuk-input", "govuk-textarea", "govuk-select", "govuk-file-upload"):
                if base in classes.split():
                    field.widget.attrs["class"] = f"{classes} {base}--error"


class GovukForm(GovukFormMixin, forms.Form):
    pass


class GovukModelForm(GovukFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    pass


def add_validation_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Shows a service's ValidationError on the form: each message on its field when the
    form has one, otherwise at the top of the error summary."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for text in error.messages:
            form.add_error(None, text)
