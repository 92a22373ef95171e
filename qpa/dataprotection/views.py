"""The event log's search page, for administrators."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qpa.accounts.permissions import Permission, permission_required
from qpa.core.events import event_details, event_record, events_search
from qpa.core.forms import GovukDateField, GovukForm
from qpa.core.models import Event

EVENTS_PER_PAGE = 50


class EventSearchForm(GovukForm):
    username = forms.CharField(label="Username", required=False, max_length=150)
    action = forms.CharField(
        label="Action",
        required=False,
        max_length=64,
        help_text="For example case.viewed, or auth. for every sign-in event",
    )
    child_id = forms.CharField(label="Child ID", required=False, max_length=64)
    date_from = GovukDateField(
        label="From (UTC)",
        subject="The date to search from",
        required=False,
        help_text="For example, 1 11 2026",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )
    date_to = GovukDateField(
        label="To (UTC)",
        subject="The date to search to",
        required=False,
        help_text="For example, 30 11 2026",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date must be the same as or after the start date.")
        for name in ("username", "action", "child_id"):
            cleaned[name] = (cleaned.get(name) or "").strip()
        return cleaned


@require_GET
@permission_required(Permission.ADMINISTER)
def event_list(request: HttpRequest) -> HttpResponse:
    """Administrators search the event log. Read-only: no view changes an entry."""
    form = EventSearchForm(request.GET if request.GET.keys() - {"page"} else None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {name: value for name, value in form.cleaned_data.items() if value}
    events = events_search(**filters) if not form.errors else Event.objects.none()
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    # The log's readers (Permission.ADMINISTER) may not see case detail: an entry's
    # details about what an audit found (its severity, say) are withheld from them.
    for event in page.object_list:
        event.details = event_details(event.data, case_detail=False)  # type: ignore[attr-defined]
    # Searching the log is itself recorded, after the page is read so it does not shift it.
    event_record(
        action="event_log.searched",
        request=request,
        data={"filters": {name: str(value) for name, value in filters.items()}},
    )
    return render(request, "dataprotection/events.html", {"form": form, "page": page})
