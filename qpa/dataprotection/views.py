"""The event log's search page, for administrators."""

from __future__ import annotations

import re
from dataclasses import dataclass
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
# A list in an entry (the objects a page listed, the children an export named) shows its
# first items in the row; the whole list is one click away under them, so that a row of
# an export of 2,000 audits stays a row.
LIST_ITEMS_SHOWN = 5


@dataclass(frozen=True)
class Shown:
    """A value as the page shows it: `text` is the whole value, or the first items of a
    long list with `more` items left out; `full` then holds the whole list."""

    text: str
    more: int = 0
    full: str = ""

    @property
    def more_label(self) -> str:
        return f"and {self.more:,} more"

    @property
    def total_label(self) -> str:
        return f"{LIST_ITEMS_SHOWN + self.more:,}"


@dataclass(frozen=True)
class ShownEntry:
    action_parts: list[str]
    child_ids: Shown
    details: list[tuple[str, Shown]]
    withheld: int


def _shown(value: Any) -> Shown:
    if not isinstance(value, list):
        return Shown(text=str(value))
    items = [str(item) for item in value]
    if not items:
        return Shown(text="none")
    if len(items) <= LIST_ITEMS_SHOWN:
        return Shown(text=", ".join(items))
    return Shown(
        text=", ".join(items[:LIST_ITEMS_SHOWN]),
        more=len(items) - LIST_ITEMS_SHOWN,
        full=", ".join(items),
    )


def _shown_entry(event: Event) -> ShownEntry:
    """An entry as the log's readers see it: `event_details` decides which details they
    may see and counts the rest; long lists are shortened."""
    details = event_details(event.data, case_detail=False)
    child_ids = event.child_ids.split() or ([event.child_id] if event.child_id else [])
    return ShownEntry(
        # A long action (account.service_areas_changed) may wrap after a dot or an underscore.
        action_parts=re.split(r"(?<=[._])", event.action),
        child_ids=_shown(child_ids) if child_ids else Shown(text=""),
        details=[(key, _shown(event.data[key])) for key, _ in details.shown],
        withheld=details.withheld,
    )


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
    entries = [(event, _shown_entry(event)) for event in page.object_list]
    # Searching the log is itself recorded, after the page is read so it does not shift it.
    event_record(
        action="event_log.searched",
        request=request,
        data={"filters": {name: str(value) for name, value in filters.items()}},
    )
    return render(
        request,
        "dataprotection/events.html",
        {"form": form, "page": page, "entries": entries},
    )
