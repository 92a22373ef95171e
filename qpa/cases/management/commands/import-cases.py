from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from qpa.cases import imports
from qpa.cases.management.importing import EXIT_BAD_FILE, EXIT_MANY_CLOSURES, ImportCommand
from qpa.cases.models import ImportKind, ImportRun, ImportStatus


class Command(ImportCommand):
    help = "Imports the open cases from an Annex A workbook (.xlsx): a new snapshot."
    kind = ImportKind.ANNEX_A
    label = "Annex A"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--team-map",
            type=Path,
            help="A CSV with the columns team,service_area, applied to the team table as the "
            "cases are imported (not if the import is refused).",
        )
        parser.add_argument(
            "--close-many-missing",
            action="store_true",
            help="Close the open cases missing from the file even though there are many "
            "(default: write nothing if the file would close many of the open cases).",
        )

    def options_for_run(self, options: dict[str, Any]) -> dict[str, Any]:
        run_options = super().options_for_run(options)
        run_options["close_many_missing"] = options["close_many_missing"]
        if options.get("team_map"):
            try:
                run_options["team_map"] = imports.read_team_map_csv(options["team_map"])
            except imports.ImportFileError as error:
                raise CommandError(str(error), returncode=EXIT_BAD_FILE) from error
        return run_options

    def report(self, run: ImportRun, path: Path, options: dict[str, Any]) -> None:
        if run.status == ImportStatus.REJECTED and "would_close" in run.summary:
            self.report_problems(run, path, options)
            raise CommandError(
                f"{run.message} On the command line: --close-many-missing.",
                returncode=EXIT_MANY_CLOSURES,
            )
        super().report(run, path, options)
