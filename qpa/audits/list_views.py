"""The audit list (search, filters, sort, pages, CSV) and an audit's print view.

Every row comes from `audits_visible_to`, so the blind rule of moderation and each
person's remit hold here as everywhere; filters, sort and paging run in the database.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from qpa.accounts.permissions import Permission, acting_user, permission_required
from qpa.audits import services
from qpa.audits.listing import (
    AUDITS_PER_PAGE,
    SORTABLE_COLUMNS,
    AuditFilterForm,
    audits_listed,
    csv_rows,
    sort_key,
)
from qpa.audits.models import Audit, AuditReply
from qpa.audits.selectors import audits_visible_to
from qpa.core.events import record_view
from qpa.core.spreadsheets import csv_text


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, Any, str]:
    visible = audits_visible_to(user=acting_user(request))
    asked = request.GET.keys() - {"page", "sort"}
    form = AuditFilterForm(request.GET if asked else None, visible=visible)
    sort = sort_key(request.GET.get("sort"))
    return form, audits_listed(form.filter(visible), sort=sort), sort


def _sort_links(sort: str) -> list[dict[str, str]]:
    """Each sortable column's next sort and its aria-sort, as the GOV.UK table shows."""
    links = []
    for key, label in SORTABLE_COLUMNS.items():
        if sort == key:
            state, following = "ascending", f"-{key}"
        elif sort == f"-{key}":
            state, following = "descending", key
        else:
            state, following = "none", f"-{key}" if key == "date" else key
        links.append({"key": key, "label": label, "state": state, "next": following})
    return links


@require_GET
@permission_required(Permission.OPEN_CASES)
def audit_list(request: HttpRequest) -> HttpResponse:
    form, audits, sort = _filtered(request)
    page = Paginator(audits, AUDITS_PER_PAGE).get_page(request.GET.get("page"))
    shown: list[Audit] = list(page.object_list)
    page.object_list = shown
    if shown:
        record_view(request, action="audits.listed", objects=shown)
    return render(
        request,
        "audits/audit_list.html",
        {
            "form": form,
            "page": page,
            "sort": sort,
            "sort_links": _sort_links(sort),
            "chosen": form.chosen(),
        },
        status=400 if form.errors else 200,
    )


@require_GET
@permission_required(Permission.OPEN_CASES)
def audit_list_csv(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV: the same rows as the pages, every page at once."""
    form, audits, _ = _filtered(request)
    if form.errors:
        return audit_list(request)
    rows = list(audits)
    record_view(request, action="audits.exported", objects=rows)
    text = csv_text(
        csv_rows(rows, link=lambda audit: request.build_absolute_uri(audit.get_absolute_url()))  # type: ignore[arg-type]
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="audits-{stamp}.csv"'
    return response


@require_GET
def audit_print(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The whole audit on one page, for paper: case, auditor, dates, every domain's rating
    and evidence, the overall judgement, the reply and the actions; no buttons."""
    audit = (
        audits_visible_to(user=acting_user(request))
        .select_related(
            "case__team__manager",
            "case__practitioner",
            "service_area",
            "team",
            "auditor",
            "overall_rating__scale",
            "agreed_overall_rating__scale",
            "tool_version__tool",
        )
        .filter(public_id=public_id)
        .first()
    )
    if audit is None:
        raise Http404
    tasks = services.audit_tasks(audit)
    reply = AuditReply.objects.filter(audit=audit).select_related("author").first()
    actions = list(audit.actions.select_related("owner").order_by("due_date", "created_at"))
    record_view(request, action="audit.printed", objects=[audit])
    return render(
        request,
        "audits/print.html",
        {
            "audit": audit,
            "tasks": tasks[:-1],
            "reply": reply,
            "actions": actions,
            "history": audit.changes.select_related("actor").all(),
            "printed_at": timezone.localtime(),
        },
    )
