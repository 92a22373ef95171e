"""Django's `flush`, able to empty the event log as well.

`flush` removes every row of every table; the test runner uses it between transactional
tests. On PostgreSQL it truncates, which the log's TRUNCATE trigger refuses unless told;
on SQLite it deletes, which the DELETE trigger refuses unless told. Nothing else is.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from qpa.core.events import flush_allowed


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with flush_allowed(options["database"]):
            super().handle(**options)
