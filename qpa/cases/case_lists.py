"""Imports a case list from any case-management system through a column mapping.

An uploaded case list waits in the database until its columns are matched on screen.
Waiting uploads are bounded: each person may have MAX_PENDING_UPLOADS of them, holding
MAX_PENDING_BYTES together, and each expires PENDING_LIFETIME after upload (`qpa
worker` removes its content; docs/decisions/0103-bounded-uploads.md)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from qpa.accounts.models import User
from qpa.cases.imports import (
    ImportFileError,
    ImportOutcome,
    closing_is_usual,
    closing_refusal,
    import_run_create,
)
from qpa.cases.models import CaseListMapping, ImportKind, ImportRun, ImportStatus
from qpa.cases.population import ChildRecord, ClosingRefused, snapshot_apply
from qpa.cases.tabular.cleaning import parse_date
from qpa.cases.tabular.errors import FileRefused, RowError
from qpa.cases.tabular.progress import Progress
from qpa.cases.tabular.readers import read_table

# QPA field -> (label for the mapping page, required, kind)
CASE_LIST_FIELDS: dict[str, tuple[str, bool, str]] = {
    "child_id": ("Child ID", True, "text"),
    "team": ("Allocated team", False, "text"),
    "worker": ("Allocated worker", False, "text"),
    "service_area": ("Service area", False, "text"),
    "status": ("Case status (open or closed)", False, "status"),
    "date_of_birth": ("Date of birth", False, "date"),
    "gender": ("Gender", False, "text"),
    "ethnicity": ("Ethnicity", False, "text"),
    "cin_start_date": ("Child in need start date", False, "date"),
    "cp_plan_start_date": ("Child protection plan start date", False, "date"),
    "looked_after_start_date": ("Date started to be looked after", False, "date"),
}
CLOSED_WORDS = {"closed", "close", "ended", "no", "n", "inactive", "false", "0"}
OPEN_WORDS = {"open", "yes", "y", "active", "true", "1", "current"}
WHOLE_POPULATION_LABEL = "This file is the whole open population"


PENDING_LIFETIME = timedelta(hours=24)
MAX_PENDING_UPLOADS = 3
MAX_PENDING_BYTES = 250 * 2**20
EXPIRED_MESSAGE = (
    "This upload expired: its columns were not matched within 24 hours, so the file was "
    "removed. Upload it again."
)


def case_list_uploads_expire(*, now: Any = None) -> int:
    """Expire every case-list upload that has waited PENDING_LIFETIME for its columns:
    its content is removed and it is marked rejected, saying why. Returns how many."""
    cutoff = (now or timezone.now()) - PENDING_LIFETIME
    stale = ImportRun.objects.filter(
        kind=ImportKind.CASE_LIST, status=ImportStatus.AWAITING_MAPPING, created_at__lt=cutoff
    )
    # A read first: the worker asks every few seconds, and nothing is usually due.
    if not stale.exists():
        return 0
    return stale.update(
        status=ImportStatus.REJECTED,
        message=EXPIRED_MESSAGE,
        content=None,
        finished_at=timezone.now(),
    )


def case_list_upload_create(
    *, acting_user: User, file_name: str, content: bytes, options: dict[str, Any]
) -> ImportRun:
    """Keep an uploaded case list until its columns are matched, within the person's
    quota of waiting uploads."""
    case_list_uploads_expire()
    with transaction.atomic():
        waiting = ImportRun.objects.select_for_update().filter(
            kind=ImportKind.CASE_LIST,
            status=ImportStatus.AWAITING_MAPPING,
            created_by=acting_user,
        )
        count = waiting.count()
        held = waiting.aggregate(total=Sum("file_size"))["total"] or 0
        if count >= MAX_PENDING_UPLOADS:
            raise ValidationError(
                {
                    "file": f"You have {count} case lists waiting for their columns to be "
                    "matched. Match the columns of one of them (see Imports) before you "
                    "upload another; an upload left waiting is removed 24 hours after it "
                    "was made."
                }
            )
        if held + len(content) > MAX_PENDING_BYTES:
            raise ValidationError(
                {
                    "file": f"Your case lists waiting for their columns hold "
                    f"{held / 2**20:.0f} MB; with this file they would pass the "
                    f"{MAX_PENDING_BYTES // 2**20} MB you may keep waiting. Match the "
                    "columns of one of them (see Imports) first."
                }
            )
        run = import_run_create(
            acting_user=acting_user,
            kind=ImportKind.CASE_LIST,
            file_name=file_name,
            content=content,
            options=options,
        )
        # Waiting from the start: the worker only takes runs that are queued.
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.AWAITING_MAPPING)
        run.status = ImportStatus.AWAITING_MAPPING
    return run


def headers_of(path: Path) -> list[str]:
    try:
        return read_table(path).headers
    except FileRefused as error:
        raise ImportFileError(str(error)) from error


def mapping_save(
    *, acting_user: User | None, name: str, columns: dict[str, str]
) -> CaseListMapping:
    name = name.strip()
    if not name:
        raise ValidationError("Give the mapping a name.")
    with transaction.atomic():
        mapping, _ = CaseListMapping.objects.update_or_create(
            name=name,
            defaults={"columns": columns, "updated_by": acting_user},
            create_defaults={
                "columns": columns,
                "created_by": acting_user,
                "updated_by": acting_user,
            },
        )
    return mapping


def _value(kind: str, raw: object) -> Any:
    if raw is None or raw == "":
        return None
    if kind == "date":
        return parse_date(raw)
    if kind == "status":
        word = str(raw).strip().casefold()
        if word in OPEN_WORDS:
            return True
        if word in CLOSED_WORDS:
            return False
        raise ValueError(f"{raw} is not a case status: use open or closed.")
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def case_list_import(
    *,
    acting_user: User | None,
    path: Path,
    file_name: str,
    columns: dict[str, str],
    close_missing: bool = True,
    valid_rows_only: bool = False,
    close_many_missing: bool = False,
    on_progress: Progress | None = None,
) -> ImportOutcome:
    """columns: QPA field -> the file's header. close_missing: the file is the whole open
    population, so open cases not in it are closed. close_many_missing: close them even if
    they are many (imports.closing_is_usual); without it such a file is refused and
    nothing is written, as for Annex A."""
    outcome = ImportOutcome()
    try:
        table = read_table(path)
    except FileRefused as error:
        raise ImportFileError(str(error)) from error
    missing = [h for h in columns.values() if h and h not in table.headers]
    if "child_id" not in columns or missing:
        raise ImportFileError(
            "The mapping does not fit this file: "
            + (f"no column {', '.join(missing)}." if missing else "choose the child ID column.")
        )
    records: dict[str, ChildRecord] = {}
    untouched: set[str] = set()
    try:
        for number, row in table.rows:
            outcome.rows += 1
            if on_progress and outcome.rows % 1000 == 0:
                on_progress(outcome.rows, 0)
            values: dict[str, Any] = {}
            row_errors = []
            for field_name, header in columns.items():
                if not header or field_name not in CASE_LIST_FIELDS:
                    continue
                try:
                    values[field_name] = _value(CASE_LIST_FIELDS[field_name][2], row.get(header))
                except ValueError as error:
                    row_errors.append(RowError(table.sheet, number, header, str(error)))
            child_id = values.get("child_id")
            if not child_id:
                row_errors.append(
                    RowError(table.sheet, number, columns["child_id"], "The child ID is blank.")
                )
            if row_errors:
                outcome.errors.extend(row_errors)
                if child_id:
                    untouched.add(str(child_id))
                continue
            record = records.setdefault(str(child_id), ChildRecord(child_id=str(child_id)))
            if values.get("status", True) is not False:
                record.open_sources["case_list"] = (
                    values.get("team") or "",
                    values.get("worker") or "",
                )
            record.service_area_name = values.get("service_area") or record.service_area_name
            record.gender = values.get("gender") or record.gender
            record.ethnicity = values.get("ethnicity") or record.ethnicity
            for date_field in (
                "date_of_birth",
                "cin_start_date",
                "cp_plan_start_date",
                "looked_after_start_date",
            ):
                found: date | None = values.get(date_field)
                if found:
                    setattr(record, date_field, found)
            record.attributes["case_list"] = {
                k: v.isoformat() if isinstance(v, date) else v
                for k, v in values.items()
                if v is not None and k != "child_id"
            }
    except FileRefused as error:
        raise ImportFileError(str(error)) from error
    if outcome.rows == 0:
        raise ImportFileError("The file has a header row but no cases.")
    if outcome.errors and not valid_rows_only:
        return outcome
    try:
        result = snapshot_apply(
            acting_user=acting_user,
            records=records.values(),
            close_missing=close_missing,
            untouched=untouched,
            may_close=None if close_many_missing else closing_is_usual,
        )
    except ClosingRefused as refused:
        return closing_refusal(
            outcome,
            refused,
            children=len(records),
            check="Check it is the whole list of open cases. If it lists only some of them, "
            f'import it again with "{WHOLE_POPULATION_LABEL}" unticked, and no case is closed.',
        )
    outcome.summary = result.as_summary()
    outcome.summary["rows"] = outcome.rows
    outcome.summary["children"] = len(records)
    outcome.written = True
    return outcome


def case_list_run(run: ImportRun, path: Path, on_progress: Progress) -> ImportOutcome:
    """Carries out a queued case-list run (registered with qpa.cases.imports)."""
    return case_list_import(
        acting_user=run.created_by,
        path=path,
        file_name=run.file_name,
        columns=run.options["columns"],
        close_missing=bool(run.options.get("close_missing", True)),
        valid_rows_only=bool(run.options.get("valid_rows_only")),
        close_many_missing=bool(run.options.get("close_many_missing")),
        on_progress=on_progress,
    )
