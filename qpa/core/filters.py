"""The base of every list's filter form."""

from __future__ import annotations

from django import forms

from qpa.core.forms import GovukForm


class FilterForm(GovukForm):
    """A list's filters, all optional; an empty choice means "any"."""

    def chosen(self) -> list[tuple[str, str]]:
        """(label, value) of each filter in use, for the "selected filters" summary."""
        if not (self.is_bound and self.is_valid()):
            return []
        shown = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if isinstance(field, forms.ChoiceField) and not isinstance(
                field, forms.ModelChoiceField
            ):
                value = dict(field.choices).get(value, value)  # type: ignore[arg-type]
            shown.append((str(field.label), str(value)))
        return shown
