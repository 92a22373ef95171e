from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from qpa.core.events import missing_triggers, verify_event_log
from qpa.core.models import Event

# Exit codes, for monitoring.
BROKEN = 1
UNPROTECTED = 3


class Command(BaseCommand):
    help = (
        "Checks the event log's hash chain, each entry's signature and the triggers. Exits 0 "
        "when intact, 1 naming the first broken or unsigned entry, 3 when the triggers that "
        "refuse changes are missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            metavar="SEQ:HASH",
            help="A head recorded earlier (for example copied off the server): the entry "
            "at SEQ must still have HASH. Catches entries removed from the end.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        verdict = verify_event_log(using)
        if not verdict.intact:
            raise CommandError(
                f"Event log broken at entry {verdict.broken_seq}: {verdict.reason}.",
                returncode=BROKEN,
            )
        if options["anchor"]:
            self._check_anchor(options["anchor"], using)
        missing = missing_triggers(connections[using])
        if missing:
            raise CommandError(
                f"The event log's chain is intact, but its triggers are missing: "
                f"{', '.join(missing)}. Run `qpa migrate core 0001` then `qpa migrate core`, "
                "or see docs/event-log.md.",
                returncode=UNPROTECTED,
            )
        self.stdout.write(
            f"Event log intact: {verdict.entries} entries; head {verdict.head_seq}:"
            f"{verdict.head_hash}"
        )
        if verdict.unsigned:
            self.stdout.write(
                f"Entries 1–{verdict.unsigned} were written before the log was signed "
                f"(SHA-256 alone); entry {verdict.unsigned + 1} vouches for them, and every "
                "entry since is signed."
            )

    def _check_anchor(self, anchor: str, using: str) -> None:
        seq_text, _, expected = anchor.partition(":")
        if not seq_text.isdigit() or len(expected) != 64:
            raise CommandError("--anchor takes SEQ:HASH, as printed by this command.")
        seq = int(seq_text)
        actual = Event.objects.using(using).filter(seq=seq).values_list("hash", flat=True).first()
        if actual is None:
            raise CommandError(
                f"Event log broken at entry {seq}: the anchored entry is missing "
                "(entries were removed from the end).",
                returncode=BROKEN,
            )
        if actual != expected:
            raise CommandError(
                f"Event log broken at entry {seq}: its hash differs from the anchor "
                "(the log was rewritten from there or earlier).",
                returncode=BROKEN,
            )
