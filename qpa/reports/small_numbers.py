"""Which small numbers the comparison, trend and team pages hide, and from whom.

The one place those pages ask. qpa/reports/disclosure.py (issue 13) is to be the
service's small-number rule; once it is on main, `hidden_for` calls its `may_open_all`
and `team_cells` its `suppress_cells`, and nothing else here changes.

Until then the same rule, as issue 13 states it: small numbers are hidden unless the
reader may open every audit the figures count (Performance and Administrators open none;
a Head of Service only their areas'), and always in the copy to share (`suppress`). A
count from 1 to 4 is hidden, and a percentage whose count or denominator is hidden. The
table of teams adds secondary suppression, so that no hidden cell can be worked out from
the totals the report publishes (each service area's audits, and the service's audits,
good or better and inadequate or worse) and the cells shown beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet

from qpa.audits.models import Audit
from qpa.audits.selectors import audits_visible_to
from qpa.reports.counting import counted_audits
from qpa.reports.summary import Filters, is_small, percent


def counted_in(
    filters: Filters, *, period_from: date, period_to: date, whole_area: bool = False
) -> QuerySet[Audit]:
    """The audits figures of this tool, period and place count (`whole_area`: every
    team of the filters' service area, or of the team's area)."""
    audits = counted_audits().filter(
        tool_version__tool=filters.tool, audit_date__gte=period_from, audit_date__lte=period_to
    )
    area = filters.service_area or (filters.team.service_area if filters.team else None)
    if area is not None:
        audits = audits.filter(service_area=area)
    if filters.team is not None and not whole_area:
        audits = audits.filter(team=filters.team)
    if filters.cycle is not None:
        audits = audits.filter(allocation__sampled_case__cycle=filters.cycle)
    return audits


def hidden_for(user: Any, *, suppress: bool, audits: QuerySet[Audit]) -> bool:
    """True when small numbers are hidden from `user`: the copy to share, or figures
    that count an audit the user may not open."""
    if suppress or not getattr(user, "is_authenticated", False):
        return True
    visible = audits_visible_to(user=user).values("pk")
    return audits.exclude(pk__in=visible).exists()


def count(n: int, hidden: bool) -> int | None:
    return None if hidden and is_small(n) else n


def share(part: int, total: int, hidden: bool) -> float | None:
    if hidden and (is_small(part) or is_small(total)):
        return None
    return percent(part, total)


@dataclass(frozen=True)
class TeamCells:
    """Which cells of one team's row are hidden."""

    audits: bool
    good: bool
    poor: bool


def team_cells(rows: Sequence[tuple[str, int, int, int]], hidden: bool) -> list[TeamCells]:
    """For rows of (service area, audits, good or better, inadequate or worse), the cells
    to hide. A row with 1 to 4 audits is hidden whole; a count from 1 to 4 is hidden; then,
    wherever a total is published (each service area's audits, and the service's audits,
    good or better and inadequate or worse), a lone hidden cell takes the next smallest
    non-zero cell of its group with it."""
    if not hidden:
        return [TeamCells(False, False, False) for _ in rows]
    audits = [is_small(r[1]) for r in rows]
    good = [is_small(r[2]) for r in rows]
    poor = [is_small(r[3]) for r in rows]
    groups = [
        [i for i, r in enumerate(rows) if r[0] == area] for area in sorted({r[0] for r in rows})
    ]
    everyone = list(range(len(rows)))
    changed = True
    while changed:
        changed = False
        for group in [*groups, everyone]:
            changed |= _second_cell(group, [r[1] for r in rows], audits)
        # A hidden row hides its other cells too.
        for i, row_hidden in enumerate(audits):
            if row_hidden and not (good[i] and poor[i]):
                good[i] = poor[i] = True
                changed = True
        changed |= _second_cell(everyone, [r[2] for r in rows], good)
        changed |= _second_cell(everyone, [r[3] for r in rows], poor)
    return [TeamCells(a, g, p) for a, g, p in zip(audits, good, poor, strict=True)]


def _second_cell(group: list[int], values: list[int], mask: list[bool]) -> bool:
    """If exactly one non-zero cell of `group` is hidden, hide the smallest other
    non-zero one."""
    hidden = [i for i in group if mask[i] and values[i] > 0]
    shown = [i for i in group if not mask[i] and values[i] > 0]
    if len(hidden) != 1 or not shown:
        return False
    mask[min(shown, key=lambda i: (values[i], i))] = True
    return True
