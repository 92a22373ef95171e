"""The case list and a case's page: what QPA holds about a child, and its history.

For the people who audit, manage and work cases; through `cases_visible_to`, so a case
out of the reader's remit answers 404. Performance and Administrators see figures and
configuration, never these pages (Permission.OPEN_CASES).
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
from qpa.cases.facts import case_facts
from qpa.cases.history import case_history
from qpa.cases.listing import CASES_PER_PAGE, CaseFilterForm
from qpa.cases.models import Case
from qpa.cases.selectors import cases_visible_to
from qpa.cases.tabular.cleaning import strip_code
from qpa.cases.timescales import long_date
from qpa.core.events import record_view


def legal_status(case: Case) -> str:
    """The child's legal status in words: Annex A List 8's column when the child is in
    care, otherwise what the lists and dates QPA holds say."""
    attributes = case.attributes if isinstance(case.attributes, dict) else {}
    in_care = attributes.get("list_8")
    if isinstance(in_care, dict) and isinstance(in_care.get("legal_status"), str):
        text = strip_code(in_care["legal_status"].strip())
        since = case.looked_after_start_date
        return f"{text} (looked after since {long_date(since)})" if since else text
    if case.looked_after_start_date:
        return f"Looked after since {long_date(case.looked_after_start_date)}"
    if case.cp_plan_start_date:
        return f"Child protection plan since {long_date(case.cp_plan_start_date)}"
    if "list_9" in attributes:
        return "Care leaver"
    if case.cin_start_date:
        return f"Child in need since {long_date(case.cin_start_date)}"
    return "Not recorded"


@require_GET
@permission_required(Permission.OPEN_CASES)
def case_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = CaseFilterForm(request.GET if request.GET.keys() - {"page"} else None)
    cases = form.filter(
        cases_visible_to(user=user).select_related("service_area", "team", "practitioner")
    ).order_by("child_id")
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    shown: list[Any] = list(page.object_list)
    page.object_list = shown
    if shown:
        record_view(request, action="cases.listed", objects=shown)
    return render(
        request,
        "cases/case_list.html",
        {"form": form, "page": page, "chosen": form.chosen()},
        status=400 if form.errors else 200,
    )


@require_GET
@permission_required(Permission.OPEN_CASES)
def case_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    case = (
        cases_visible_to(user=user)
        .select_related("service_area", "team__manager", "practitioner")
        .filter(public_id=public_id)
        .first()
    )
    if case is None:
        raise Http404
    history = case_history(user=user, case=case)
    shown: list[Any] = [case, *(obj for entry in history for obj in entry.shown)]
    record_view(request, action="case.viewed", objects=shown)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "facts": case_facts(case, today=timezone.localdate()),
            "legal_status": legal_status(case),
            "history": history,
        },
    )
