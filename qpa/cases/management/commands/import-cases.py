from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from qpa.cases import imports
from qpa.cases.management.importing import EXIT_BAD_FILE, ImportCommand
from qpa.cases.models import ImportKind


class Command(ImportCommand):
    help = "Imports the open cases from an Annex A workbook (.xlsx): a new snapshot."
    kind = ImportKind.ANNEX_A
    label = "Annex A"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--team-map",
            type=Path,
            help="A CSV with the columns team,service_area, applied to the team table first.",
        )

    def options_for_run(self, options: dict[str, Any]) -> dict[str, Any]:
        run_options = super().options_for_run(options)
        if options.get("team_map"):
            try:
                run_options["team_map"] = imports.read_team_map_csv(options["team_map"])
            except imports.ImportFileError as error:
                raise CommandError(str(error), returncode=EXIT_BAD_FILE) from error
        return run_options
