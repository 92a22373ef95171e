"""What the import commands share: reading the file, a progress bar, the outcome."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qpa.cases import imports
from qpa.cases.models import ImportRun, ImportStatus

EXIT_REJECTED = 1  # rows had problems; nothing written
EXIT_BAD_FILE = 2  # not a readable file of the kind expected
EXIT_MANY_CLOSURES = 3  # would close many open cases; nothing written


class ProgressBar:
    """A one-line text progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream, self.label, self.last = stream, label, 0.0
        self.interactive = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < (0.1 if self.interactive else 5.0) and done < total:
            return
        self.last = now
        if total:
            share = min(1.0, done / total)
            bar = "#" * int(share * 30)
            line = f"{self.label} [{bar:<30}] {share:4.0%} {done:,} of about {total:,} rows"
        else:
            line = f"{self.label} {done:,} rows"
        self.stream.write(("\r" + line) if self.interactive else line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.interactive:
            self.stream.write("\n")


class ImportCommand(BaseCommand):
    kind: str = ""
    label: str = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--valid-rows-only",
            action="store_true",
            help="Import the valid rows and skip the rest (default: nothing if any row is bad).",
        )
        parser.add_argument(
            "--errors-csv",
            type=Path,
            help="Where to write every problem as CSV (default: FILE.problems.csv).",
        )

    def options_for_run(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"valid_rows_only": options["valid_rows_only"]}

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file.", returncode=EXIT_BAD_FILE)
        if path.stat().st_size > imports.MAX_UPLOAD_BYTES:
            raise CommandError(
                f"{path.name} is larger than {imports.MAX_UPLOAD_BYTES // 2**20} MB.",
                returncode=EXIT_BAD_FILE,
            )
        run = imports.import_run_create(
            acting_user=None,
            kind=self.kind,
            file_name=path.name,
            content=path.read_bytes(),
            options=self.options_for_run(options),
        )
        bar = ProgressBar(sys.stderr, self.label)
        run = imports.import_run_execute(run=run, on_progress=bar)
        bar.finish()
        self.report(run, path, options)

    def report(self, run: ImportRun, path: Path, options: dict[str, Any]) -> None:
        summary = run.summary
        self.report_problems(run, path, options)
        if run.status == ImportStatus.COMPLETED:
            self.stdout.write(self.style.SUCCESS(self.success_line(summary)))
            for area in summary.get("by_service_area", []):
                self.stdout.write(
                    f"  {area['service_area']}: {area['created']} created, {area['updated']} "
                    f"updated, {area['closed']} closed, {area['unchanged']} unchanged"
                )
            for team in summary.get("unmapped_teams", []):
                self.stdout.write(
                    self.style.WARNING(
                        f"  Team {team['team']!r} maps to no service area ({team['cases']} cases)"
                    )
                )
            return
        code = (
            EXIT_BAD_FILE
            if run.status == ImportStatus.REJECTED and not run.error_count
            else EXIT_REJECTED
        )
        raise CommandError(run.message, returncode=code)

    def report_problems(self, run: ImportRun, path: Path, options: dict[str, Any]) -> None:
        if run.errors_csv:
            target = options.get("errors_csv") or path.with_name(path.name + ".problems.csv")
            target.write_text(run.errors_csv, encoding="utf-8")
            self.stderr.write(f"{run.error_count} problems written to {target}")
            for line in run.errors_csv.splitlines()[1:11]:
                self.stderr.write(f"  {line}")

    def success_line(self, summary: dict[str, Any]) -> str:
        return (
            f"Imported: {summary.get('created', 0)} created, {summary.get('updated', 0)} "
            f"updated, {summary.get('closed', 0)} closed, {summary.get('unchanged', 0)} unchanged."
        )
