"""Imports of the case population: an Annex A workbook or any case list.

Every row is checked first and every problem is reported by row and column; by default
nothing is written if any row is wrong, nor if the file would close many of the open
cases. Then one transaction writes the new snapshot.
An ImportRun records who imported which file (name and SHA-256) and what it did.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import hashlib
import io
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from qpa.accounts.models import User
from qpa.cases.models import ImportKind, ImportRun, ImportStatus
from qpa.cases.population import (
    ChildRecord,
    ClosingRefused,
    merge_annex_block,
    name_key,
    snapshot_apply,
)
from qpa.cases.tabular.errors import FileRefused, RowError
from qpa.cases.tabular.progress import Progress
from qpa.cases.tabular.readers import AnnexAReader, AnnexBlock
from qpa.core.spreadsheets import csv_text
from qpa.organisation.models import ServiceArea, Team

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 200 * 2**20
PROGRESS_EVERY_ROWS = 2000
# How long `qpa worker` holds a running import without a sign of progress before another
# worker may take it up, and how many interruptions a run survives.
IMPORT_LEASE = timedelta(minutes=10)
IMPORT_MAX_ATTEMPTS = 3
# The lists that hold open cases; the front-door and adoption lists are not read.
POPULATION_LISTS = frozenset({6, 7, 8, 9})
# An import (Annex A or a whole case list) that would close more than this share of the
# open cases, and at least MANY_CLOSURES_MINIMUM of them, writes nothing unless the person
# says the closures are meant (docs/import-formats.md). A month closes under a tenth of a
# caseload (children's cases turn over about once a year), three months about a quarter;
# a wrong or partial file closes most of it. The minimum spares a small or new database,
# where a handful of closures is a large share.
MANY_CLOSURES_SHARE = 0.25
MANY_CLOSURES_MINIMUM = 20
CLOSE_ANYWAY_LABEL = "Close the cases missing from this file, even though there are many"


@dataclass
class ImportOutcome:
    summary: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    written: bool = False
    # Why nothing was written, when the rows' problems are not the reason.
    refused: str = ""


class ImportFileError(Exception):
    """The file cannot be imported at all (not a spreadsheet, encrypted, a zip bomb…)."""


def errors_as_csv(errors: Iterable[RowError]) -> str:
    """Every problem as CSV. Sheet names, headers and messages quote the file's own text,
    so each cell is neutralised (qpa.core.spreadsheets): none becomes a formula."""
    return csv_text(
        [
            ["sheet", "row", "column", "problem"],
            *([error.sheet, error.row, error.column, error.message] for error in errors),
        ]
    )


# --- The team → service area table -------------------------------------------------


def team_map_apply(
    *, acting_user: User | None, rows: Iterable[tuple[int, str, str]]
) -> list[RowError]:
    """rows: (row number, team name, service area name). Creates or moves teams; returns
    the rows it could not use and writes nothing if there are any."""
    areas = {name_key(a.name): a for a in ServiceArea.objects.all()}
    errors: list[RowError] = []
    wanted: dict[str, tuple[str, ServiceArea]] = {}
    for number, team, area_name in rows:
        team, area_name = team.strip(), area_name.strip()
        if not team:
            errors.append(RowError("team map", number, "team", "The team name is blank."))
            continue
        area = areas.get(name_key(area_name))
        if area is None:
            errors.append(
                RowError(
                    "team map",
                    number,
                    "service_area",
                    f"{area_name or 'A blank'} is not a service area. Use one of: "
                    + ", ".join(sorted(a.name for a in areas.values()))
                    + ".",
                )
            )
            continue
        wanted[name_key(team)] = (team, area)
    if errors:
        return errors
    with transaction.atomic():
        existing = {name_key(t.name): t for t in Team.objects.all()}
        for key, (name, area) in wanted.items():
            team_set_area(
                acting_user=acting_user, name=name, service_area=area, team=existing.get(key)
            )
    return []


def team_set_area(
    *, acting_user: User | None, name: str, service_area: ServiceArea, team: Team | None = None
) -> Team:
    if team is None:
        return Team.objects.create(
            name=name.strip(),
            service_area=service_area,
            created_by=acting_user,
            updated_by=acting_user,
        )
    if team.service_area_id != service_area.pk:
        team.service_area = service_area
        team.updated_by = acting_user
        team.save(update_fields=["service_area", "updated_by", "updated_at"])
    return team


def read_team_map_csv(path: Path) -> list[tuple[int, str, str]]:
    """MAP.csv: the columns team,service_area (a header row, any order)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportFileError(f"The team map {path.name} cannot be read: {error}") from error
    reader = csv.DictReader(io.StringIO(text))
    headers = {name_key(h): h for h in reader.fieldnames or []}
    if "team" not in headers or "service_area" not in headers:
        raise ImportFileError("The team map must have the columns team,service_area.")
    return [
        (number, row.get(headers["team"]) or "", row.get(headers["service_area"]) or "")
        for number, row in enumerate(reader, start=2)
    ]


# --- Annex A -------------------------------------------------------------------------


@dataclass
class ReadResult:
    records: dict[str, ChildRecord]
    errors: list[RowError]
    rows: int
    # Children with a row we could not read: their cases are left as they are.
    untouched: set[str]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while an import builds its objects: a large Annex A
    makes millions (cells, rows, one record per child), none in a reference cycle, and
    the collector would walk all that are alive again and again as they grow: about a
    fifth of the import's time (bench/import_annex_a.py). It runs again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def annex_a_records(path: Path, *, on_progress: Progress | None = None) -> ReadResult:
    """Reads the workbook into one record per child, with every row's problems.

    The rows come in blocks, a column at a time, and are merged into the records a
    column at a time (population.merge_annex_block)."""
    result = ReadResult(records={}, errors=[], rows=0, untouched=set())
    try:
        with collector_paused(), AnnexAReader(path) as reader:  # checks the file first
            for block in reader.blocks(on_progress=on_progress, lists=POPULATION_LISTS):
                result.rows += len(block)
                columns = block.columns
                if block.errors:
                    good = _rows_without_errors(block, result)
                    columns = {key: [cells[i] for i in good] for key, cells in columns.items()}
                if columns["child_id"]:
                    merge_annex_block(result.records, block.list_number, block.keys, columns)
    except FileRefused as error:
        raise ImportFileError(str(error)) from error
    if result.rows == 0:
        raise ImportFileError(
            "The workbook holds no Annex A list (Lists 6 to 9 give the open cases): "
            "check it is the Annex A return."
        )
    return result


def _rows_without_errors(block: AnnexBlock, result: ReadResult) -> list[int]:
    """Reports the block's rows that have a problem, in order, and keeps their children
    as they are; gives the positions of the rows that can be used."""
    good = []
    for i, child_id in enumerate(block.columns["child_id"]):
        if not child_id:
            result.errors.append(
                RowError(
                    block.sheet, block.row_numbers[i], "Child Unique ID", "The child ID is blank."
                )
            )
        elif i in block.errors:
            result.errors.extend(
                RowError(c.sheet, c.row_number, c.column, c.message) for c in block.errors[i]
            )
            result.untouched.add(str(child_id))
        else:
            good.append(i)
    return good


def annex_a_import(
    *,
    acting_user: User | None,
    path: Path,
    valid_rows_only: bool = False,
    close_many_missing: bool = False,
    team_map: list[tuple[int, str, str]] | None = None,
    on_progress: Progress | None = None,
) -> ImportOutcome:
    """close_many_missing: write even if the file would close many of the open cases
    (closing_is_usual); without it such a file is refused and nothing is written, not
    even the team map, which is applied in the same transaction as the cases."""
    outcome = ImportOutcome()
    with collector_paused():
        read = annex_a_records(path, on_progress=on_progress)
        outcome.errors, outcome.rows = read.errors, read.rows
        if read.errors and not valid_rows_only:
            return outcome
        try:
            with transaction.atomic():
                if team_map:
                    team_errors = team_map_apply(acting_user=acting_user, rows=team_map)
                    if team_errors:
                        outcome.errors = team_errors
                        return outcome
                result = snapshot_apply(
                    acting_user=acting_user,
                    records=read.records.values(),
                    untouched=read.untouched,
                    may_close=None if close_many_missing else closing_is_usual,
                )
        except ClosingRefused as refused:
            return closing_refusal(
                outcome,
                refused,
                children=len(read.records),
                check="Check it is the whole Annex A return for this month (Lists 6 to 9).",
            )
    outcome.summary = result.as_summary()
    outcome.summary["rows"] = read.rows
    outcome.summary["children"] = len(read.records)
    outcome.written = True
    return outcome


def closing_is_usual(closing: int, open_cases: int) -> bool:
    """Whether an import may close `closing` of the `open_cases` without the person saying
    the closures are meant (MANY_CLOSURES_SHARE, MANY_CLOSURES_MINIMUM)."""
    return closing < MANY_CLOSURES_MINIMUM or closing <= open_cases * MANY_CLOSURES_SHARE


def closing_refusal(
    outcome: ImportOutcome, refused: ClosingRefused, *, children: int, check: str
) -> ImportOutcome:
    """Records on `outcome` that nothing was written because the file would close many of
    the open cases: why, and the counts. `check` says what the file should be."""
    closing, open_cases = refused.closing, refused.open_cases
    outcome.refused = (
        f"This file would close {closing:,} of the {open_cases:,} open cases, because they "
        f"are not open in it, so nothing was written. {check} If the file is right, import "
        f'it again and tick "{CLOSE_ANYWAY_LABEL}".'
    )
    outcome.summary = {
        "rows": outcome.rows,
        "children": children,
        "open_cases": open_cases,
        "would_close": closing,
    }
    return outcome


# --- Runs: history, background execution -----------------------------------------------


def import_run_create(
    *,
    acting_user: User | None,
    kind: str,
    file_name: str,
    content: bytes,
    options: dict[str, Any] | None = None,
) -> ImportRun:
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB. Split it, or ask for help."
        )
    return ImportRun.objects.create(
        kind=kind,
        file_name=Path(file_name).name[:255],
        file_sha256=hashlib.sha256(content).hexdigest(),
        file_size=len(content),
        content=content,
        options=options or {},
        created_by=acting_user,
        updated_by=acting_user,
    )


def _progress_saver(run: ImportRun) -> Progress:
    last = [0]

    def save(done: int, total: int) -> None:
        if done - last[0] < PROGRESS_EVERY_ROWS and done < total:
            return
        last[0] = done
        # Each step of progress also renews the worker's hold on the run.
        ImportRun.objects.filter(pk=run.pk).update(
            rows_done=done,
            rows_total=max(total, done),
            lease_until=timezone.now() + IMPORT_LEASE,
        )

    return save


def _run_annex_a(run: ImportRun, path: Path, on_progress: Progress) -> ImportOutcome:
    return annex_a_import(
        acting_user=run.created_by,
        path=path,
        valid_rows_only=bool(run.options.get("valid_rows_only")),
        close_many_missing=bool(run.options.get("close_many_missing")),
        team_map=[
            (int(n), str(team), str(area)) for n, team, area in run.options.get("team_map", [])
        ],
        on_progress=on_progress,
    )


# How each kind of run is carried out. The app that owns a kind registers its runner in
# its AppConfig.ready (cases: case lists; audits: past audits), so that this module need
# not import the modules and apps that build on it.
ImportRunner = Callable[[ImportRun, Path, Progress], ImportOutcome]
_RUNNERS: dict[str, ImportRunner] = {ImportKind.ANNEX_A: _run_annex_a}


def import_runner_register(kind: str, runner: ImportRunner) -> None:
    _RUNNERS[kind] = runner


def _execute(run: ImportRun, path: Path, on_progress: Progress) -> ImportOutcome:
    runner = _RUNNERS.get(run.kind)
    if runner is None:
        raise ValueError(f"Unknown import kind {run.kind}")
    return runner(run, path, on_progress)


def import_run_claim(*, run: ImportRun | None = None) -> ImportRun | None:
    """Take a run to carry out: `run` if it is still waiting, or else the oldest run that
    is waiting or whose worker stopped without finishing it (its lease ran out). A run
    interrupted IMPORT_MAX_ATTEMPTS times is marked failed with its reason instead.
    Nothing is half-written by an interrupted run: an import writes in one transaction,
    so taking it up again runs it from the start."""
    now = timezone.now()
    waiting = Q(status=ImportStatus.QUEUED) | Q(status=ImportStatus.RUNNING, lease_until__lt=now)
    candidates = ImportRun.objects.filter(waiting)
    if run is not None:
        candidates = candidates.filter(pk=run.pk)
    for candidate in candidates.order_by("created_at").only("pk", "status", "attempts")[:10]:
        if candidate.attempts >= IMPORT_MAX_ATTEMPTS:
            ImportRun.objects.filter(pk=candidate.pk, status=candidate.status).update(
                status=ImportStatus.FAILED,
                message=(
                    f"The import was interrupted {candidate.attempts} times (the server "
                    "restarted while it ran), so it was stopped. Nothing was written: "
                    "import the file again."
                ),
                finished_at=now,
                lease_until=None,
                content=None,
            )
            continue
        claimed = ImportRun.objects.filter(
            waiting, pk=candidate.pk, attempts=candidate.attempts
        ).update(
            status=ImportStatus.RUNNING,
            started_at=now,
            lease_until=now + IMPORT_LEASE,
            attempts=F("attempts") + 1,
        )
        if claimed:
            return ImportRun.objects.get(pk=candidate.pk)
    return None


def import_runs_work() -> int:
    """`qpa worker`'s duty: carry out every import that is waiting, one after another."""
    done = 0
    while (run := import_run_claim()) is not None:
        _carry_out(run)
        done += 1
    return done


def import_run_execute(*, run: ImportRun, on_progress: Progress | None = None) -> ImportRun:
    """Runs a queued import to its end, here and now (the `qpa import-*` commands).
    Whatever happens, the run records the outcome and the database holds either the whole
    import or none of it."""
    claimed = import_run_claim(run=run)
    if claimed is None:
        run.refresh_from_db()
        return run
    return _carry_out(claimed, on_progress=on_progress)


def upload_write(folder: Path, *, file_name: str, content: bytes | memoryview | None) -> Path:
    """Writes an upload into `folder` to be read, under the person's own file name, so that
    what the checks and readers say of the file names the file they chose. A name the file
    system will not take falls back to "upload" with the name's extension."""
    name = Path(file_name).name
    data = bytes(content or b"")
    if name not in ("", ".", ".."):
        path = folder / name
        with contextlib.suppress(OSError, ValueError):  # too long, or a null character
            path.write_bytes(data)
            return path
    suffix = Path(name).suffix.lower()
    path = folder / f"upload{suffix if suffix[1:].isalnum() and len(suffix) <= 16 else '.bin'}"
    path.write_bytes(data)
    return path


def _carry_out(run: ImportRun, *, on_progress: Progress | None = None) -> ImportRun:
    saver = _progress_saver(run)

    def progress(done: int, total: int) -> None:
        saver(done, total)
        if on_progress:
            on_progress(done, total)

    status, message, outcome = ImportStatus.FAILED, "", ImportOutcome()
    with tempfile.TemporaryDirectory(prefix="qpa-import-") as folder:
        path = upload_write(Path(folder), file_name=run.file_name, content=run.content)
        try:
            outcome = _execute(run, path, progress)
        except ImportFileError as error:
            status, message = ImportStatus.REJECTED, str(error)
        except Exception:
            logger.exception("Import %s failed", run.public_id)
            message = "The import stopped because of an error in QPA. Nothing was written."
        else:
            if outcome.written:
                status = ImportStatus.COMPLETED
                if outcome.errors:
                    message = (
                        f"Imported the valid rows; {len(outcome.errors)} problems were skipped."
                    )
            elif outcome.refused:
                status, message = ImportStatus.REJECTED, outcome.refused
            else:
                status = ImportStatus.REJECTED
                message = (
                    f"{len(outcome.errors)} problems were found, so nothing was written. "
                    "Correct the file and import it again, or choose to import the valid "
                    "rows only."
                )
    ImportRun.objects.filter(pk=run.pk).update(
        status=status,
        message=message,
        summary=outcome.summary,
        error_count=len(outcome.errors),
        errors_csv=errors_as_csv(outcome.errors) if outcome.errors else "",
        rows_done=outcome.rows,
        rows_total=max(outcome.rows, run.rows_total),
        finished_at=timezone.now(),
        lease_until=None,
        content=None,
    )
    run.refresh_from_db()
    return run
