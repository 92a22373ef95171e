"""The audit list's search, filters and sort: a GET form applied in the database to the
audits the reader may see (`audits_visible_to`), and the same rows as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django import forms
from django.db.models import F, QuerySet
from django.utils import timezone

from qpa.accounts.models import User
from qpa.audits.models import Audit, AuditStatus
from qpa.audits.second_looks import with_second_look
from qpa.core.filters import FilterForm
from qpa.organisation.models import ServiceArea, Team
from qpa.tools.models import AuditTool, Rating

AUDITS_PER_PAGE = 50
ANY = ""
# How far back the period's months go.
PERIOD_MONTHS = 60

# Sort key -> (ordering, column label). A leading "-" in the key sorts descending.
SORTS: dict[str, tuple[Any, ...]] = {
    "date": (F("audit_date").asc(nulls_first=True), "created_at"),
    "-date": (F("audit_date").desc(nulls_last=True), "-created_at"),
    "child": ("case__child_id", "-audit_date"),
    "-child": ("-case__child_id", "-audit_date"),
    "rating": (F("overall_rating__rank").asc(nulls_last=True), "-audit_date"),
    "-rating": (F("overall_rating__rank").desc(nulls_last=True), "-audit_date"),
    "auditor": ("auditor__last_name", "auditor__first_name", "auditor_name", "-audit_date"),
    "-auditor": ("-auditor__last_name", "-auditor__first_name", "-auditor_name", "-audit_date"),
}
DEFAULT_SORT = "-date"
# The columns a reader can sort by, with the key that sorts them ascending.
SORTABLE_COLUMNS = {"child": "Child ID", "auditor": "Auditor", "date": "Audit date"}


def _months(today: date) -> list[tuple[str, str]]:
    months = []
    year, month = today.year, today.month
    for _ in range(PERIOD_MONTHS):
        months.append((f"{year:04d}-{month:02d}", f"{date(year, month, 1):%B %Y}"))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


class AuditFilterForm(FilterForm):
    """Every field is optional: an empty form lists every audit the reader may see."""

    q = forms.CharField(
        label="Child ID",
        required=False,
        max_length=64,
        help_text="The whole ID or part of it",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    tool = forms.ModelChoiceField(
        label="Tool",
        required=False,
        queryset=AuditTool.objects.all(),
        empty_label="Any tool",
        to_field_name="slug",
    )
    # The cycles of the audits the reader may see, read through the audits' allocations:
    # cycles stand above audits in the layers (docs/architecture.md).
    cycle = forms.ChoiceField(label="Cycle", required=False)
    area = forms.ModelChoiceField(
        label="Service area",
        required=False,
        queryset=ServiceArea.objects.all(),
        empty_label="Any service area",
        to_field_name="slug",
    )
    team = forms.ModelChoiceField(
        label="Team",
        required=False,
        queryset=Team.objects.select_related("service_area"),
        empty_label="Any team",
        to_field_name="public_id",
    )
    auditor = forms.ModelChoiceField(
        label="Auditor",
        required=False,
        queryset=User.objects.none(),
        empty_label="Any auditor",
        to_field_name="username",
    )
    rating = forms.ChoiceField(label="Overall rating", required=False)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[(ANY, "Draft or submitted"), *AuditStatus.choices],
    )
    period_from = forms.ChoiceField(label="Audited from", required=False)
    period_to = forms.ChoiceField(label="Audited to", required=False)

    def __init__(self, *args: Any, visible: QuerySet[Audit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        auditor = self.fields["auditor"]
        if not isinstance(auditor, forms.ModelChoiceField):  # pragma: no cover
            raise TypeError("auditor must be a choice of people")
        cycle = "allocation__sampled_case__cycle__"
        cycles = (
            visible.filter(allocation__isnull=False)
            .values_list(
                f"{cycle}public_id", f"{cycle}tool__name", f"{cycle}month", f"{cycle}theme"
            )
            .order_by(f"-{cycle}month", f"{cycle}theme")
            .distinct()
        )
        # Named as the cycle names itself (qpa.cycles.models.Cycle.name).
        self.fields["cycle"].choices = [  # type: ignore[attr-defined]
            (ANY, "Any cycle"),
            *(
                (str(public_id), f"{tool}, {month:%B %Y}" if month else f"Themed: {theme}")
                for public_id, tool, month, theme in cycles
            ),
        ]
        auditor.queryset = User.objects.filter(pk__in=visible.values("auditor"))
        labels = dict.fromkeys(Rating.objects.order_by("rank").values_list("label", flat=True))
        self.fields["rating"].choices = [(ANY, "Any rating"), *((lab, lab) for lab in labels)]  # type: ignore[attr-defined]
        months = _months(timezone.localdate())
        self.fields["period_from"].choices = [(ANY, "Any month"), *months]  # type: ignore[attr-defined]
        self.fields["period_to"].choices = [(ANY, "Any month"), *months]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("period_from"), cleaned.get("period_to")
        if start and end and end < start:
            self.add_error("period_to", "Choose a month the same as or after “Audited from”.")
        return cleaned

    def filter(self, audits: QuerySet[Audit]) -> QuerySet[Audit]:
        """`audits` narrowed by what was asked."""
        data: dict[str, Any] = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if query := (data.get("q") or "").strip():
            audits = audits.filter(case__child_id__icontains=query)
        if data.get("tool"):
            audits = audits.filter(tool_version__tool=data["tool"])
        if data.get("cycle"):
            audits = audits.filter(allocation__sampled_case__cycle__public_id=data["cycle"])
        if data.get("area"):
            audits = audits.filter(service_area=data["area"])
        if data.get("team"):
            audits = audits.filter(team=data["team"])
        if data.get("auditor"):
            audits = audits.filter(auditor=data["auditor"])
        if data.get("rating"):
            audits = audits.filter(overall_rating__label=data["rating"])
        if data.get("status"):
            audits = audits.filter(status=data["status"])
        if start := data.get("period_from"):
            audits = audits.filter(audit_date__gte=date.fromisoformat(f"{start}-01"))
        if end := data.get("period_to"):
            year, month = (int(part) for part in end.split("-"))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            audits = audits.filter(audit_date__lt=date(year, month, 1))
        return audits


def sort_key(requested: str | None) -> str:
    return requested if requested in SORTS else DEFAULT_SORT


def audits_listed(audits: QuerySet[Audit], *, sort: str) -> QuerySet[Audit]:
    """The list's rows: everything each row shows, in one query."""
    return (
        with_second_look(audits)
        .select_related(
            "case",
            "tool_version__tool",
            "service_area",
            "team",
            "auditor",
            "overall_rating__scale",
            "agreed_overall_rating",
            "allocation__sampled_case__cycle__tool",
        )
        .order_by(*SORTS[sort], "pk")
    )


CSV_HEADER = (
    "Child ID",
    "Tool",
    "Tool version",
    "Cycle",
    "Service area",
    "Team",
    "Auditor",
    "Audit date",
    "Submitted",
    "Status",
    "Overall rating",
    "Agreed rating after moderation",
    "Source",
    "Audit page",
)


def csv_rows(audits: QuerySet[Audit], *, link: Any) -> Iterator[tuple[Any, ...]]:
    """The CSV's rows, header first; `link(audit)` gives each audit's full address."""
    yield CSV_HEADER
    for audit in audits:
        allocation = audit.allocation
        cycle = allocation.sampled_case.cycle.name if allocation else ""
        submitted = timezone.localtime(audit.submitted_at).date() if audit.submitted_at else None
        yield (
            audit.case.child_id,
            audit.tool_version.tool.name,
            audit.tool_version.number,
            cycle,
            audit.service_area.name if audit.service_area else "",
            audit.team.name if audit.team else "",
            audit.auditor_display,
            audit.audit_date.isoformat() if audit.audit_date else "",
            submitted.isoformat() if submitted else "",
            audit.get_status_display(),
            audit.overall_rating.label if audit.overall_rating else "",
            audit.agreed_overall_rating.label if audit.agreed_overall_rating else "",
            audit.get_source_display(),
            link(audit),
        )
