from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from qpa.accounts.access import role_required
from qpa.accounts.models import Role, User
from qpa.audits.imports import template_csv
from qpa.cases import imports
from qpa.cases.forms import PastAuditsUploadForm
from qpa.cases.models import ImportKind
from qpa.tools.models import AuditTool

importers_only = role_required(Role.ADMINISTRATOR, Role.PERFORMANCE)


@importers_only
def past_audits_upload(request: HttpRequest) -> HttpResponse:
    form = PastAuditsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        acting_user: User = request.user  # type: ignore[assignment]
        run = imports.import_run_create(
            acting_user=acting_user,
            kind=ImportKind.PAST_AUDITS,
            file_name=upload.name,
            content=upload.read(),
            options={"valid_rows_only": form.cleaned_data["valid_rows_only"]},
        )
        imports.import_run_start_in_background(run=run)
        return redirect(run)
    return render(
        request,
        "cases/upload.html",
        {
            "form": form,
            "title": "Import past audits",
            "intro": "The audits you did before QPA, one row each, so they count in every report. "
            "Ratings and domains must match the named tool and its scale.",
            "template_url": reverse("audits:import-template"),
        },
    )


@importers_only
@require_GET
def past_audits_template(request: HttpRequest) -> HttpResponse:
    tool = get_object_or_404(AuditTool, slug=request.GET.get("tool", "quality-of-practice"))
    response = HttpResponse(template_csv(tool), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="past-audits-{tool.slug}.csv"'
    return response
