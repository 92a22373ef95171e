"""The case list's search and filters: a GET form, applied in the database to the cases
the reader may see (`cases_visible_to`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from qpa.cases.models import Case, CaseStatus
from qpa.core.filters import FilterForm
from qpa.organisation.models import ServiceArea, Team

CASES_PER_PAGE = 50
ANY = ""


class CaseFilterForm(FilterForm):
    """Every field is optional: an empty form lists every case the reader may see."""

    q = forms.CharField(
        label="Child ID",
        required=False,
        max_length=64,
        help_text="The whole ID or part of it",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    area = forms.ModelChoiceField(
        label="Service area",
        required=False,
        queryset=ServiceArea.objects.filter(is_active=True),
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
    worker = forms.CharField(
        label="Allocated worker",
        required=False,
        max_length=160,
        help_text="Part of the worker's name",
    )
    status = forms.ChoiceField(
        label="Open or closed",
        required=False,
        choices=[(ANY, "Open or closed"), *CaseStatus.choices],
    )

    def filter(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        """`cases` narrowed by what was asked; call after `is_valid()`."""
        data: dict[str, Any] = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if query := (data.get("q") or "").strip():
            cases = cases.filter(child_id__icontains=query)
        if data.get("area"):
            cases = cases.filter(service_area=data["area"])
        if data.get("team"):
            cases = cases.filter(team=data["team"])
        if worker := (data.get("worker") or "").strip():
            cases = cases.filter(
                Q(worker_name__icontains=worker)
                | Q(practitioner__first_name__icontains=worker)
                | Q(practitioner__last_name__icontains=worker)
            )
        if data.get("status"):
            cases = cases.filter(status=data["status"])
        return cases
