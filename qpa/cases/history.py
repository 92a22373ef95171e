"""A case's history, newest first, gathered from the apps that hold it.

Cases sit low in the layers: audits, actions and the assurance loop stand above and may
not be imported here. Each of them registers a provider in its `case_history` module (found
at start-up by CasesConfig.ready, as the admin finds `admin` modules) that
answers "what may this person see of this case?" through its own remit selector, and the
case page lists what they return (docs/decisions/0116-case-pages-and-history-providers.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Model

from qpa.cases.models import Case


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened to a case, as the reader may see it."""

    at: datetime
    kind: str  # "Audit", "Reply", "Action", "Re-audit", "Moderation"
    title: str
    # The entry's page, or "" when the reader may not open it.
    url: str = ""
    details: tuple[str, ...] = ()
    # A rating to show as a tag (a qpa.tools Rating), when the entry carries one.
    rating: Any = None
    # What the entry shows, for the event log.
    shown: tuple[Model, ...] = field(default=(), compare=False)


Provider = Callable[..., Iterable[HistoryEntry]]

_providers: list[Provider] = []


def history_provider(provider: Provider) -> Provider:
    """Register `provider(*, user, case)`; each app registers its own once, at start-up."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def case_history(*, user: Any, case: Case) -> list[HistoryEntry]:
    """Everything the reader may see of the case's history, newest first."""
    entries = [entry for provider in _providers for entry in provider(user=user, case=case)]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
