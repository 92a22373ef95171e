"""Importing the case population, and the configuration that shapes it. For
Administrators and the Performance team: these pages show counts, never case detail."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, acting_user, permission_required, user_can
from qpa.cases import imports, services
from qpa.cases.case_lists import (
    case_list_upload_create,
    case_list_uploads_expire,
    headers_of,
    mapping_save,
)
from qpa.cases.forms import (
    AnnexAUploadForm,
    CaseListUploadForm,
    ColumnMappingForm,
    PopulationRulesForm,
    TeamAreaForm,
    TeamForm,
)
from qpa.cases.models import CaseStatus, ImportKind, ImportRun, ImportStatus, PopulationRule
from qpa.core.forms import add_validation_error
from qpa.organisation.models import Team

importers_only = permission_required(Permission.IMPORT_DATA)
ERRORS_SHOWN = 100


def _acting(request: HttpRequest) -> User:
    return acting_user(request)


@importers_only
def import_list(request: HttpRequest) -> HttpResponse:
    runs = ImportRun.objects.select_related("created_by").defer("content", "errors_csv")[:50]
    return render(request, "cases/import_list.html", {"runs": runs})


def _start(request: HttpRequest, run: ImportRun) -> HttpResponse:
    # The run waits for `qpa worker` (qpa.cases.imports.import_runs_work); its page shows
    # its progress.
    return redirect(run)


@importers_only
def annex_a_upload(request: HttpRequest) -> HttpResponse:
    form = AnnexAUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        options: dict[str, object] = {
            "valid_rows_only": form.cleaned_data["valid_rows_only"],
            "close_many_missing": form.cleaned_data["close_many_missing"],
        }
        team_map = form.cleaned_data.get("team_map")
        if team_map:
            import tempfile
            from pathlib import Path

            with tempfile.TemporaryDirectory() as folder:
                path = imports.upload_write(
                    Path(folder), file_name=team_map.name or "map.csv", content=team_map.read()
                )
                try:
                    options["team_map"] = imports.read_team_map_csv(path)
                except imports.ImportFileError as error:
                    form.add_error("team_map", str(error))
        if form.is_valid():
            upload = form.cleaned_data["file"]
            run = imports.import_run_create(
                acting_user=_acting(request),
                kind=ImportKind.ANNEX_A,
                file_name=upload.name,
                content=upload.read(),
                options=options,
            )
            return _start(request, run)
    return render(
        request,
        "cases/upload.html",
        {
            "form": form,
            "title": "Import an Annex A workbook",
            "intro": "QPA reads Lists 6 to 9 for the open cases: children in need, child "
            "protection, children in care and care leavers. Each import is a new "
            "snapshot: new children become cases, changes are updated, and open cases "
            "missing from the file are closed (never deleted). A file that would close many "
            "of the open cases is refused, in case it is the wrong file, unless you tick "
            "the box below.",
        },
    )


@importers_only
def case_list_upload(request: HttpRequest) -> HttpResponse:
    form = CaseListUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        mapping = form.cleaned_data["mapping"]
        try:
            run = case_list_upload_create(
                acting_user=_acting(request),
                file_name=upload.name,
                content=upload.read(),
                options={
                    "valid_rows_only": form.cleaned_data["valid_rows_only"],
                    "close_missing": form.cleaned_data["close_missing"],
                    "close_many_missing": form.cleaned_data["close_many_missing"],
                    "columns": mapping.columns if mapping else {},
                },
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            return redirect("cases:import-mapping", public_id=run.public_id)
    return render(
        request,
        "cases/upload.html",
        {
            "form": form,
            "title": "Import a case list",
            "intro": "A list of open cases from any case-management system, as .csv or .xlsx. "
            "On the next page you match its columns to QPA's fields. If the file is the whole "
            "open population, open cases missing from it are closed (never deleted); a file "
            "that would close many of them is refused, in case it is the wrong file, unless "
            "you tick the box below.",
        },
    )


@importers_only
def import_mapping(request: HttpRequest, public_id: UUID) -> HttpResponse:
    case_list_uploads_expire()  # one past its 24 hours cannot be matched any more
    run = get_object_or_404(ImportRun, public_id=public_id, kind=ImportKind.CASE_LIST)
    if run.status != ImportStatus.AWAITING_MAPPING:
        return redirect(run)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = imports.upload_write(Path(folder), file_name=run.file_name, content=run.content)
        try:
            headers = headers_of(path)
        except imports.ImportFileError as error:
            ImportRun.objects.filter(pk=run.pk).update(
                status=ImportStatus.REJECTED, message=str(error), content=None
            )
            return redirect(run)
    form = ColumnMappingForm(
        request.POST or None, headers=headers, initial_columns=run.options.get("columns")
    )
    if request.method == "POST" and form.is_valid():
        columns = form.columns()
        if form.cleaned_data["save_as"]:
            mapping_save(
                acting_user=_acting(request), name=form.cleaned_data["save_as"], columns=columns
            )
        options = {**run.options, "columns": columns}
        ImportRun.objects.filter(pk=run.pk, status=ImportStatus.AWAITING_MAPPING).update(
            options=options, status=ImportStatus.QUEUED
        )
        run.refresh_from_db()
        return _start(request, run)
    return render(
        request, "cases/import_mapping.html", {"form": form, "run": run, "headers": headers}
    )


@importers_only
def import_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    run = get_object_or_404(ImportRun.objects.defer("content"), public_id=public_id)
    errors = []
    if run.errors_csv:
        import csv
        import io

        reader = csv.DictReader(io.StringIO(run.errors_csv))
        for number, row in enumerate(reader):
            if number >= ERRORS_SHOWN:
                break
            errors.append(row)
    return render(
        request,
        "cases/import_detail.html",
        {"run": run, "errors": errors, "errors_shown": ERRORS_SHOWN},
    )


@importers_only
@require_GET
def import_status(request: HttpRequest, public_id: UUID) -> JsonResponse:
    run = get_object_or_404(ImportRun.objects.defer("content", "errors_csv"), public_id=public_id)
    return JsonResponse(
        {
            "status": run.status,
            "status_label": run.get_status_display(),
            "finished": run.is_finished,
            "rows_done": run.rows_done,
            "rows_total": run.rows_total,
            "percent": run.percent_done,
        }
    )


@importers_only
@require_GET
def import_errors_csv(request: HttpRequest, public_id: UUID) -> HttpResponse:
    run = get_object_or_404(ImportRun.objects.defer("content"), public_id=public_id)
    response = HttpResponse(run.errors_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-problems-{run.public_id}.csv"'
    return response


@importers_only
def team_list(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.select_related("service_area", "manager").annotate(
        open_cases=Count("cases", filter=Q(cases__status=CaseStatus.OPEN))
    )
    rules = PopulationRule.objects.select_related("service_area")
    return render(
        request,
        "cases/team_list.html",
        {
            "teams": teams,
            "rules": rules,
            "may_open_people": user_can(_acting(request), Permission.ADMINISTER),
        },
    )


@importers_only
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None, initial={"name": request.GET.get("name", "")[:160]})
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"].strip()
        if Team.objects.filter(name__iexact=name).exists():
            form.add_error("name", "A team with this name already exists: change its area instead.")
        else:
            imports.team_set_area(
                acting_user=_acting(request),
                name=name,
                service_area=form.cleaned_data["service_area"],
            )
            messages.success(request, f"{name} is now in {form.cleaned_data['service_area']}.")
            return redirect(
                request.GET.get("next", "") if _safe_next(request) else "cases:team-list"
            )
    return render(request, "cases/team_form.html", {"form": form, "title": "Add a team"})


def _safe_next(request: HttpRequest) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.GET.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    )


@importers_only
def team_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    team = get_object_or_404(Team.objects.select_related("manager"), public_id=public_id)
    form = TeamAreaForm(
        request.POST or None,
        initial={"service_area": team.service_area_id, "manager": team.manager_id},
    )
    if request.method == "POST" and form.is_valid():
        manager = form.cleaned_data["manager"]
        try:
            services.team_change(
                acting_user=_acting(request),
                team=team,
                service_area=form.cleaned_data["service_area"],
                manager=manager,
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            managed = (
                f"managed by {manager.get_full_name() or manager.username}"
                if manager
                else ("with no manager recorded")
            )
            messages.success(
                request, f"{team.name} is in {form.cleaned_data['service_area']}, {managed}."
            )
            return redirect("cases:team-list")
    return render(
        request,
        "cases/team_form.html",
        {"form": form, "title": f"Change {team.name}"},
    )


@importers_only
def population_rules(request: HttpRequest) -> HttpResponse:
    rules = list(PopulationRule.objects.select_related("service_area"))
    form = PopulationRulesForm(request.POST or None, rules=rules)
    if request.method == "POST" and form.is_valid():
        try:
            services.population_rules_set(
                acting_user=_acting(request),
                rules={
                    r.source: (
                        form.cleaned_data[f"precedence_{r.source}"],
                        form.cleaned_data[f"area_{r.source}"],
                    )
                    for r in rules
                },
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, "The population rules are saved. They apply from the next import."
            )
            return redirect("cases:team-list")
    return render(
        request,
        "cases/team_form.html",
        {
            "form": form,
            "title": "Which list decides a child's service area",
            "intro": "When a child is on several lists, the source with precedence 1 decides their "
            "service area, then 2, and so on. A team whose area is decided by team "
            "(disabilities, the front door) overrides these.",
        },
    )
