"""`qpa worker`: deliver the notification outbox by email, and carry out the background
work the apps register (qpa.core.worker: uploaded imports), now and then forever.

Run one long-lived `qpa worker` under systemd, or `qpa worker --once` from cron; several
at once are safe (see qpa/notifications/delivery.py and docs/notifications.md).
"""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from qpa.core.worker import worker_duties
from qpa.notifications.delivery import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LEASE,
    DEFAULT_MAX_ATTEMPTS,
    OutboxPolicy,
    outbox_deliver_due,
    outbox_retry_failed,
)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Email the notifications that are due, retrying failures with backoff, and carry "
        "out uploaded imports."
    )
    verbose = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Deliver what is due now, then exit."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="Seconds to wait between looks at the outbox (default 5).",
        )
        parser.add_argument(
            "--max-attempts",
            type=_positive,
            default=DEFAULT_MAX_ATTEMPTS,
            help=f"Give up on an email after this many attempts (default {DEFAULT_MAX_ATTEMPTS}).",
        )
        parser.add_argument(
            "--lease",
            type=_positive,
            default=int(DEFAULT_LEASE.total_seconds()),
            help="Seconds a claimed notification stays with this worker before another "
            f"may take it (default {int(DEFAULT_LEASE.total_seconds())}).",
        )
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="First give the emails that gave up a fresh set of attempts.",
        )
        parser.add_argument(
            "--batch-size",
            type=_positive,
            default=DEFAULT_BATCH_SIZE,
            help=f"Notifications claimed at a time (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        policy = OutboxPolicy(
            max_attempts=options["max_attempts"],
            lease=timedelta(seconds=options["lease"]),
            batch_size=options["batch_size"],
        )
        self.verbose = options["verbosity"] > 1
        if options["retry_failed"]:
            count = outbox_retry_failed()
            self.stdout.write(f"{count} failed email{'s' if count != 1 else ''} to try again.")
        if options["once"]:
            self._deliver(policy)
            return
        stopping = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        # Finish the message in hand, then stop: systemd's stop sends SIGTERM.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Delivering notifications every {options['interval']:g} seconds.")
        while not stopping.is_set():
            # A worker lives for days: drop connections the database has closed meanwhile.
            close_old_connections()
            self._deliver(policy)
            stopping.wait(options["interval"])
        self.stdout.write("Stopped.")

    def _deliver(self, policy: OutboxPolicy) -> None:
        report = outbox_deliver_due(policy=policy)
        if report.handled or self.verbose:
            self.stdout.write(str(report))
        for error in report.errors:
            self.stderr.write(error)
        for name, duty in worker_duties():
            done = duty()
            if done or self.verbose:
                self.stdout.write(f"{name}: {done} done.")
