from __future__ import annotations

import getpass
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qpa.core.events import event_record
from qpa.dataprotection.subject_access import subject_export


class Command(BaseCommand):
    help = (
        "Writes, as JSON, everything QPA holds about a child (UK GDPR subject access): the "
        "case, its audits and domain ratings, sampling records, and who looked at them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("child_id", metavar="CHILD_ID")
        parser.add_argument(
            "--output", metavar="FILE", help="Write here (readable by you only), not stdout."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        child_id: str = options["child_id"].strip()
        export = subject_export(child_id)
        if export is None:
            raise CommandError(f"QPA holds nothing about child {child_id}.")
        text = json.dumps(export, indent=2, ensure_ascii=False) + "\n"
        output = options["output"]
        if output:
            _write_private(Path(output), text)
        else:
            self.stdout.write(text, ending="")
        event_record(
            action="subject.exported",
            child_id=child_id,
            data={"os_user": getpass.getuser(), "to_file": bool(output)},
        )
        if output:
            self.stderr.write(
                f"Wrote {len(export['audits'])} audits and {len(export['events'])} event-log "
                f"entries about {child_id} to {output}."
            )


def _write_private(path: Path, text: str) -> None:
    """Mode 0600, and all or nothing: the file holds one child's record."""
    directory = path.resolve().parent
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".subject-export-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
