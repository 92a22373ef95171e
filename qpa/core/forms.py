"""GOV.UK Design System markup for Django forms.

Every QPA form inherits GovukFormMixin: widgets get the GOV.UK classes, and a field with
an error points at its message through aria-describedby, as the error message pattern asks.
"""

from __future__ import annotations

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
            if field is None or isinstance(field.widget, forms.RadioSelect):
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
