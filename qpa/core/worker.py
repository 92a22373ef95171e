"""The duties `qpa worker` carries out besides delivering the outbox.

Each app that has background work registers a duty in its `AppConfig.ready`: a function
that does the work that is due now and returns how much it did. `qpa worker` calls every
duty on each round, so background work never runs in a thread of a web server, survives
a restart (each duty claims its work with a lease), and needs no second service.
"""

from __future__ import annotations

from collections.abc import Callable

Duty = Callable[[], int]

_DUTIES: dict[str, Duty] = {}


def worker_duty_register(name: str, duty: Duty) -> None:
    _DUTIES[name] = duty


def worker_duties() -> list[tuple[str, Duty]]:
    return sorted(_DUTIES.items())
