"""Which domains a report names as areas of good and of poor practice, in its key
messages and beside its domain table (docs/reports.md, "Key messages").

A domain is named only when at least QPA_KEY_MESSAGE_MIN_RATED cases (default 10) were
rated in it, and never on both sides: an area of good practice has more of its rated
cases good or better than inadequate or worse, an area of poor practice more inadequate
or worse than good or better. Each side is ranked as the JSON contract ranks its lists
(the exact share, then more cases rated, then the tool's order), three at most. A
domain whose figures are hidden as small numbers is not named. When no domain has
enough cases rated, the report says there are too few audits to pick out areas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.conf import settings

RANKED = 3


@dataclass(frozen=True)
class KeyAreas:
    good: list[str]
    poor: list[str]
    min_rated: int
    # No domain had min_rated cases rated (and something was rated).
    too_few: bool

    @property
    def too_few_message(self) -> str:
        return (
            "Too few audits to pick out areas of good or poor practice: no domain had"
            f" {self.min_rated} or more cases rated."
        )


def min_rated() -> int:
    return int(getattr(settings, "QPA_KEY_MESSAGE_MIN_RATED", 10))


def key_areas(summary: Mapping[str, Any], *, least: int | None = None) -> KeyAreas:
    """The areas of good and of poor practice of a `report_summary` document."""
    least = min_rated() if least is None else least
    good: list[tuple[Fraction, int, int, str]] = []
    poor: list[tuple[Fraction, int, int, str]] = []
    enough = False
    anything = False
    for position, domain in enumerate(summary["domains"]):
        rated, g, p = domain["rated"], domain["good_or_better"], domain["inadequate_or_worse"]
        if rated != 0:
            anything = True
        if rated is None or g is None or p is None or rated < least:
            continue
        enough = True
        if g > p:
            good.append((-Fraction(g, rated), -rated, position, domain["domain"]))
        elif p > g:
            poor.append((-Fraction(p, rated), -rated, position, domain["domain"]))
    return KeyAreas(
        good=[name for *_, name in sorted(good)[:RANKED]],
        poor=[name for *_, name in sorted(poor)[:RANKED]],
        min_rated=least,
        too_few=anything and not enough,
    )
