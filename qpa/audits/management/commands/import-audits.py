from __future__ import annotations

from typing import Any

from qpa.cases.management.importing import ImportCommand
from qpa.cases.models import ImportKind


class Command(ImportCommand):
    help = "Imports past audits from a CSV or XLSX file (format: docs/import-formats.md)."
    kind = ImportKind.PAST_AUDITS
    label = "Past audits"

    def success_line(self, summary: dict[str, Any]) -> str:
        return (
            f"Imported {summary.get('audits_created', 0)} audits; "
            f"{summary.get('duplicates_skipped', 0)} already imported were skipped; "
            f"{summary.get('cases_created', 0)} closed cases created for children not in QPA."
        )
