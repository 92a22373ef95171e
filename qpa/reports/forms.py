"""Report forms. The report form is sent by GET so that a report is bookmarkable."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from qpa.core.forms import GovukForm
from qpa.cycles.models import Cycle
from qpa.organisation.models import ServiceArea, Team
from qpa.reports.report import ReportParams
from qpa.reports.summary import parse_month
from qpa.tools.models import AuditTool

MONTH_HINT = "For example, 2026-10"


class ReportForm(GovukForm):
    tool = forms.ChoiceField(label="Audit tool")
    service_area = forms.ChoiceField(label="Service area", required=False)
    team = forms.ChoiceField(label="Team", required=False)
    cycle = forms.ChoiceField(label="Audit cycle", required=False)
    intervals = forms.BooleanField(label="Show 95% confidence intervals (Wilson)", required=False)
    unsuppressed = forms.BooleanField(
        label="Show numbers from 1 to 4",
        help_text=(
            "Only for readers who may open every audit the report counts, and for use within"
            " the service. Anyone else sees them, and any number from which they could be"
            " worked out, as “not shown”. Applies to the page and every export."
        ),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" and "to" are the report's address (docs/reports.md) but Python keywords.
        months = {
            "from": forms.CharField(label="From (month)", help_text=MONTH_HINT, max_length=7),
            "to": forms.CharField(label="To (month)", help_text=MONTH_HINT, max_length=7),
        }
        self.fields = {**months, **self.fields}
        for field in months.values():
            field.widget.attrs.update({"class": "govuk-input govuk-input--width-5"})
        cast(forms.ChoiceField, self.fields["tool"]).choices = [
            (t.slug, t.name) for t in AuditTool.objects.order_by("kind", "name")
        ]
        cast(forms.ChoiceField, self.fields["service_area"]).choices = [
            ("", "All service areas")
        ] + [(a.slug, a.name) for a in ServiceArea.objects.order_by("order", "name")]
        cast(forms.ChoiceField, self.fields["team"]).choices = [("", "All teams")] + [
            (str(t.public_id), t.name) for t in Team.objects.order_by("name")
        ]
        cast(forms.ChoiceField, self.fields["cycle"]).choices = [
            ("", "All audits, in a cycle or not")
        ] + [(str(c.public_id), c.name) for c in Cycle.objects.select_related("tool")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("from", "to"):
            if name in data:
                try:
                    data[name] = parse_month(data[name])
                except ValidationError as error:
                    self.add_error(name, error)
        return data

    def params(self, reader: Any = None) -> ReportParams:
        """The report's parameters for `reader`; call after is_valid(). Adds errors and
        raises ValidationError when the combination is wrong. Small numbers are shown only
        when asked for and `reader` may see them (ReportParams.for_reader)."""
        data = self.cleaned_data
        try:
            return ReportParams.build(
                period_from=data["from"],
                period_to=data["to"],
                tool=data["tool"],
                service_area=data["service_area"] or None,
                team=data["team"] or None,
                cycle=data["cycle"] or None,
                reader=reader,
                unsuppressed=data["unsuppressed"],
                intervals=data["intervals"],
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
            raise


class KeyMessagesForm(GovukForm):
    text = forms.CharField(
        label="Key messages",
        help_text="One message a line. Start a line with “- ” to make it a sub-point.",
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=5000,
    )


class BriefingForm(GovukForm):
    briefing_for = forms.CharField(label="Briefing for", max_length=200, required=False)
    title = forms.CharField(label="Title", max_length=200, required=False)
    lead_officer = forms.CharField(label="Lead officer", max_length=200, required=False)
    date = forms.CharField(label="Date", max_length=60, required=False)

    def clean(self) -> dict[str, Any]:
        """A Word document cannot hold control characters: refuse them clearly."""
        data: dict[str, Any] = super().clean() or {}
        for name in ("briefing_for", "title", "lead_officer", "date"):
            text = data.get(name) or ""
            if any(ord(ch) < 32 and ch not in "\t" for ch in text):
                self.add_error(name, "Remove the control characters from this text.")
        return data


class BenchmarkUploadForm(GovukForm):
    file = forms.FileField(label="Upload a benchmarking file (.json)")


class BenchmarkExportForm(GovukForm):
    council = forms.CharField(label="Your council's name, as it should appear", max_length=200)
