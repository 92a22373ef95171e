"""Statistical disclosure control of report figures: small numbers do not name a child.

The one module that decides which report figures a reader sees (docs/reports.md,
"Small numbers"; decisions 108 and 131). Every channel — the report page, its Word, PDF,
Excel, CSV and JSON exports, `qpa report` and `GET /api/v1/reports/summary` — and every
figure — the summary, the comparisons, trends and teams, the re-audit, agreement and
audit-quality figures — reaches its figures through here: `figures_for_reader` and
`in_full` say whether a reader sees a document in full, `suppress_summary`,
`suppress_process` and `suppress_cells` suppress it, and `overdue_beside_quality` keeps
the report's action figures and its audit-quality figures from giving each other away.

- **Who may see small numbers.** A reader may switch suppression off only when they may
  open every audit the figures count: the counted audits ⊆ `audits_visible_to(reader)`
  (`may_open_all`). For anyone else, and for everyone by default, figures are suppressed.
- **Primary suppression.** Every count from 1 to 4 is hidden. Zeros are shown.
- **Secondary suppression.** Wherever a total and its parts are published (a rating
  table's rows and columns, the totals of areas and months), no hidden count can be
  worked out: a sum with exactly one hidden cell hides the next-smallest non-zero part
  too (the total only when no part is left); a sum whose hidden cells can only all be 1
  hides one more; and, to a fixed point, no hidden cell may follow from the published
  sums by linear algebra (`suppress_cells`).
- **Too few.** A filter that leaves from 1 to 4 audits shows no figure at all; the
  document says so (`suppression.too_few`).

Hidden figures are `None` in every document; every channel writes `HIDDEN` ("not
shown") for them. A hidden count is never shown as "fewer than 5": a secondarily hidden
count can be any size.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any, TypeVar

from django.db.models import QuerySet

from qpa.audits.models import Audit
from qpa.audits.selectors import audits_visible_to
from qpa.cycles.models import Cycle
from qpa.organisation.models import ServiceArea, Team
from qpa.reports.counting import counted_audits
from qpa.tools.models import AuditTool

THRESHOLD = 5
HIDDEN = "not shown"
NOTE = (
    "Numbers from 1 to 4 are not shown, nor any number from which one of them could be worked out."
)
TOO_FEW_NOTE = "Fewer than 5 audits match these filters, so no figures are shown."

K = TypeVar("K", bound=Hashable)
Sums = Sequence[tuple[Any, Sequence[Any]]]


def is_small(n: int | None) -> bool:
    """A count that primary suppression hides: from 1 to THRESHOLD - 1."""
    return n is not None and 0 < n < THRESHOLD


# --- Who may see small numbers -------------------------------------------------------


def counted_audits_in(
    *,
    period_from: date,
    period_to: date,
    tools: Iterable[AuditTool] | None = None,
    service_area: ServiceArea | None = None,
    team: Team | None = None,
    cycle: Cycle | None = None,
) -> QuerySet[Audit]:
    """The audits a report with these filters counts (`counting.counted_audits`), of
    any tool when `tools` is None."""
    audits = counted_audits().filter(audit_date__gte=period_from, audit_date__lte=period_to)
    if tools is not None:
        audits = audits.filter(tool_version__tool__in=list(tools))
    if service_area is not None:
        audits = audits.filter(service_area=service_area)
    if team is not None:
        audits = audits.filter(team=team)
    if cycle is not None:
        audits = audits.filter(allocation__sampled_case__cycle=cycle)
    return audits


def may_open_all(reader: Any, audits: QuerySet[Audit]) -> bool:
    """True when `reader` may open every one of `audits` (remit and blind rule alike).
    No reader (a command, a script) may open none."""
    if reader is None or not getattr(reader, "is_authenticated", False):
        return False
    visible = audits_visible_to(user=reader).values("pk")
    return not audits.exclude(pk__in=visible).exists()


def may_switch_off(reader: Any, summary: Mapping[str, Any]) -> bool:
    """True when `reader` may see `summary` (a `report_summary` document) unsuppressed:
    they may open every audit it counts. The filters are read back from the document
    (tool, service area and team names are unique; the cycle by id)."""
    tool = AuditTool.objects.filter(name=summary["tool"]).first()
    filters = summary["filters"]
    area = (
        ServiceArea.objects.filter(name=filters["service_area"]).first()
        if filters["service_area"]
        else None
    )
    team = Team.objects.filter(name=filters["team"]).first() if filters["team"] else None
    cycle = Cycle.objects.filter(public_id=filters["cycle"]).first() if filters["cycle"] else None
    if (
        tool is None
        or (filters["service_area"] and area is None)
        or (filters["team"] and team is None)
        or (filters["cycle"] and cycle is None)
    ):
        return False
    audits = counted_audits_in(
        period_from=date.fromisoformat(summary["period"]["from"]),
        period_to=date.fromisoformat(summary["period"]["to"]),
        tools=[tool],
        service_area=area,
        team=team,
        cycle=cycle,
    )
    return may_open_all(reader, audits)


def figures_for_reader(
    summary: dict[str, Any], *, reader: Any, unsuppressed: bool = False
) -> dict[str, Any]:
    """The figures `reader` may see of one `report_summary(...)` document built
    unsuppressed (`suppress=False`): the same document, suppressed unless the reader
    asked for `unsuppressed` figures and may open every audit it counts
    (`may_switch_off`). A refused request is said in `suppression.unsuppressed_refused`.

    This is the function every channel calls with a reader: the JSON download, the
    REST API, and any table built from summaries (a teams table builds one summary per
    team, calls this on each, or suppresses its own grid with `suppress_table`).
    """
    if summary["suppression"]["applied"]:
        return summary
    if unsuppressed and may_switch_off(reader, summary):
        return summary
    return suppress_summary(summary, refused=unsuppressed)


# --- The engine ----------------------------------------------------------------------


def suppress_cells(
    values: Mapping[K, int],
    sums: Iterable[tuple[K, Sequence[K]]],
    *,
    threshold: int = THRESHOLD,
    unpublished: Collection[K] = (),
) -> set[K]:
    """The keys of `values` to hide so that no count from 1 to threshold - 1 is shown or
    can be worked out from the published sums.

    `unpublished` cells are never shown, but a reader could work them out from the
    others (the audits of a team rated neither good nor poor, beside its audits, good
    and poor): unknowns of the sums, protected like a hidden cell when small, and never
    taken to be known. The result holds published cells only.

    `values` maps each published cell (any hashable key) to its count; `sums` lists
    (total, parts): the total cell is published as the sum of the part cells. A sum that
    does not hold in `values` is ignored (a reader cannot use it either). Example, a
    table with row totals::

        values = {("a", 1): 3, ("a", 2): 9, ("a", "total"): 12, ...}
        sums = [(("a", "total"), [("a", 1), ("a", 2)]), ...]
        hidden = suppress_cells(values, sums)   # {("a", 1), ("a", 2)}

    Rules, repeated until nothing changes:
    1. primary: hide every count from 1 to threshold - 1 (zeros stay shown);
    2. a sum with exactly one hidden cell hides its smallest non-zero shown part (first
       listed on a tie), or its total when no such part is left;
    3. a sum whose hidden cells add up to their number (each could only be 1) hides one
       more in the same way;
    4. a hidden cell that follows from the published sums by elimination (its unit
       vector lies in the row space of the sums over hidden cells) hides one more: the
       smallest shown non-zero part (else total) of the sums linked to it through
       hidden cells.
    """
    held = [
        (total, tuple(parts))
        for total, parts in sums
        if values[total] == sum(values[part] for part in parts)
    ]
    hidden = {key for key, n in values.items() if 0 < n < threshold} | set(unpublished)
    # Unknown to a reader, but neither small nor hiding a small one: no need to protect.
    free = {key for key in unpublished if not 0 < values[key] < threshold}
    while True:
        added = False
        for total, parts in held:
            inside = [key for key in (total, *parts) if key in hidden]
            guarded = [key for key in inside if key not in free]
            if not guarded:
                continue
            alone = len(inside) == 1
            # Each hidden cell is at least 1 (a free one at least 0): they can only be 1.
            all_ones = sum(values[key] for key in inside) <= len(guarded)
            if alone or all_ones:
                pick = _next_smallest(values, total, parts, hidden)
                if pick is not None:
                    hidden.add(pick)
                    added = True
        if added:
            continue
        for key in _determined(held, hidden):
            if key in free:
                continue
            if key in hidden and (pick := _breaker(values, held, hidden, key)) is not None:
                hidden.add(pick)
                added = True
                break
        if not added:
            return hidden - set(unpublished)


def _next_smallest(
    values: Mapping[K, int], total: K, parts: Sequence[K], hidden: set[K]
) -> K | None:
    shown = [(values[p], i, p) for i, p in enumerate(parts) if p not in hidden and values[p] > 0]
    if shown:
        return min(shown, key=lambda item: item[:2])[2]
    if total not in hidden and values[total] > 0:
        return total
    return None


def _breaker(
    values: Mapping[K, int], held: Sequence[tuple[K, tuple[K, ...]]], hidden: set[K], key: K
) -> K | None:
    """The cell to hide so that `key` no longer follows from the sums: the smallest shown
    non-zero part (else total) of the sums linked to `key` through hidden cells."""
    linked, reached, grew = [], {key}, True
    while grew:
        grew = False
        for index, (total, parts) in enumerate(held):
            cells = (total, *parts)
            if index not in linked and any(c in reached for c in cells):
                linked.append(index)
                reached |= {c for c in cells if c in hidden}
                grew = True
    candidates = []
    for order, index in enumerate(linked):
        total, parts = held[index]
        for cell, is_total in ((total, 1), *((p, 0) for p in parts)):
            if cell not in hidden and values[cell] > 0:
                candidates.append((is_total, values[cell], order, cell))
    return min(candidates, key=lambda c: c[:3])[3] if candidates else None


def _determined(held: Sequence[tuple[K, tuple[K, ...]]], hidden: set[K]) -> list[K]:
    """Hidden cells fixed by the sums: Gauss-Jordan elimination over the hidden cells of
    each sum (total - parts = shown values); a reduced row with one entry fixes it."""
    columns: dict[K, int] = {}
    rows: list[dict[int, Fraction]] = []
    for total, parts in held:
        row: dict[int, Fraction] = {}
        for key, sign in ((total, 1), *((p, -1) for p in parts)):
            if key in hidden:
                column = columns.setdefault(key, len(columns))
                row[column] = row.get(column, Fraction(0)) + sign
        row = {c: v for c, v in row.items() if v}
        if row:
            rows.append(row)
    pivots: list[tuple[int, dict[int, Fraction]]] = []
    for row in rows:
        for column, pivot_row in pivots:
            factor = row.get(column)
            if factor:
                for c, v in pivot_row.items():
                    row[c] = row.get(c, Fraction(0)) - factor * v
                row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        column = min(row)
        scale = row[column]
        row = {c: v / scale for c, v in row.items()}
        for index, (other_column, other) in enumerate(pivots):
            factor = other.get(column)
            if factor:
                merged = dict(other)
                for c, v in row.items():
                    merged[c] = merged.get(c, Fraction(0)) - factor * v
                pivots[index] = (other_column, {c: v for c, v in merged.items() if v})
        pivots.append((column, row))
    keys = {column: key for key, column in columns.items()}
    return [keys[column] for column, row in pivots if len(row) == 1]


def suppress_table(
    cells: Sequence[Sequence[int]],
    *,
    row_totals: Sequence[int] | None = None,
    column_totals: Sequence[int] | None = None,
    grand_total: int | None = None,
) -> tuple[list[list[int | None]], list[int | None] | None, list[int | None] | None, int | None]:
    """A published table of counts, suppressed: (cells, row totals, column totals, grand
    total) with hidden counts as None. Give the totals the table shows; each is taken to
    be the sum of its row, its column, or of all cells."""
    values: dict[tuple[Any, ...], int] = {}
    sums: list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]] = []
    for r, row in enumerate(cells):
        for c, n in enumerate(row):
            values[("cell", r, c)] = n
    width = max((len(row) for row in cells), default=0)
    if row_totals is not None:
        for r, n in enumerate(row_totals):
            values[("row", r)] = n
            sums.append((("row", r), [("cell", r, c) for c in range(len(cells[r]))]))
    if column_totals is not None:
        for c, n in enumerate(column_totals):
            values[("column", c)] = n
            sums.append(
                (("column", c), [("cell", r, c) for r in range(len(cells)) if c < len(cells[r])])
            )
    if grand_total is not None:
        values[("all",)] = grand_total
        if row_totals is not None:
            sums.append((("all",), [("row", r) for r in range(len(row_totals))]))
        if column_totals is not None:
            sums.append((("all",), [("column", c) for c in range(width)]))
        sums.append((("all",), [key for key in values if key[0] == "cell"]))
    hidden = suppress_cells(values, sums)

    def shown(key: tuple[Any, ...]) -> int | None:
        return None if key in hidden else values[key]

    return (
        [[shown(("cell", r, c)) for c in range(len(row))] for r, row in enumerate(cells)],
        None if row_totals is None else [shown(("row", r)) for r in range(len(row_totals))],
        None
        if column_totals is None
        else [shown(("column", c)) for c in range(len(column_totals))],
        None if grand_total is None else shown(("all",)),
    )


# --- A report summary ----------------------------------------------------------------


def _summary_cells(summary: Mapping[str, Any]) -> tuple[dict[tuple[Any, ...], int], Sums]:
    """Every count of a summary document, and the sums a reader can see between them."""
    completed, not_comparable = ("audits_completed",), ("not_comparable",)
    no_overall, concerns = ("no_overall_rating",), ("safeguarding_concerns",)
    values: dict[tuple[Any, ...], int] = {
        completed: summary["audits_completed"],
        not_comparable: summary["not_comparable"],
        no_overall: summary.get("no_overall_rating", 0),
        concerns: summary.get("safeguarding_concerns", 0),
        # Not published, but "n of N audits" gives it away: hidden when small, it hides n.
        ("child_safe_now",): summary["audits_completed"] - summary.get("safeguarding_concerns", 0),
    }
    sums: list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]] = [
        (completed, [concerns, ("child_safe_now",)])
    ]
    overall = []
    for i, row in enumerate(summary["overall"]):
        values[("overall", i)] = row["count"]
        overall.append(("overall", i))
    sums.append((completed, [*overall, not_comparable, no_overall]))
    areas = []
    for j, row in enumerate(summary["by_service_area"]):
        values[("by_service_area", j)] = row["count"]
        areas.append(("by_service_area", j))
    sums.append((completed, areas))
    months = []
    columns: dict[int, list[tuple[Any, ...]]] = {i: [] for i in range(len(overall))}
    for m, month in enumerate(summary["by_month"]):
        values[("by_month", m)] = month["audits"]
        months.append(("by_month", m))
        cells = []
        for i, row in enumerate(month["ratings"]):
            values[("by_month", m, i)] = row["count"]
            cells.append(("by_month", m, i))
            columns.setdefault(i, []).append(("by_month", m, i))
        sums.append((("by_month", m), cells))
    sums.append((completed, [*months, not_comparable, no_overall]))
    for i, cells in columns.items():
        if ("overall", i) in values:
            sums.append((("overall", i), cells))
    # The child's voice and the family's view: "evident in e of n audits" publishes n,
    # e, n - e and (beside the total) the audits not asked.
    for theme, block in summary.get("child_and_family", {}).items():
        cell = ("child_and_family", theme)
        values[(*cell, "evident")] = block["evident"]
        values[(*cell, "n")] = block["n"]
        values[(*cell, "not_evident")] = block["n"] - block["evident"]
        values[(*cell, "not_asked")] = max(0, summary["audits_completed"] - block["n"])
        sums.append(((*cell, "n"), [(*cell, "evident"), (*cell, "not_evident")]))
        sums.append((completed, [(*cell, "n"), (*cell, "not_asked")]))
    key = summary["ratings_key"]
    good = [i for i, k in enumerate(key) if k["good_or_better"]]
    poor = [i for i, k in enumerate(key) if k["inadequate_or_worse"]]
    for d, domain in enumerate(summary["domains"]):
        for field in ("rated", "not_applicable", "good_or_better", "inadequate_or_worse"):
            values[("domains", d, field)] = domain[field]
        ratings = []
        for i, row in enumerate(domain["ratings"]):
            values[("domains", d, i)] = row["count"]
            ratings.append(("domains", d, i))
        sums.append((("domains", d, "rated"), ratings))
        sums.append((("domains", d, "good_or_better"), [("domains", d, i) for i in good]))
        sums.append((("domains", d, "inadequate_or_worse"), [("domains", d, i) for i in poor]))
        sums.append((completed, [("domains", d, "rated"), ("domains", d, "not_applicable")]))
    return values, sums


def _hide(value: Any, hidden: bool) -> Any:
    return None if hidden else value


def suppress_summary(summary: Mapping[str, Any], *, refused: bool = False) -> dict[str, Any]:
    """A `report_summary` document (built with `suppress=False`) with small numbers
    suppressed, primary and secondary; every percentage and interval whose count or
    denominator is hidden is hidden too, and domains are ranked only on shown figures.
    From 1 to 4 audits in all: no figure at all (`suppression.too_few`)."""
    out: dict[str, Any] = copy.deepcopy(dict(summary))
    values, sums = _summary_cells(summary)
    too_few = is_small(summary["audits_completed"])
    hidden = set(values) if too_few else suppress_cells(values, sums)

    def gone(*key: Any) -> bool:
        return key in hidden

    def share(item: dict[str, Any], count_hidden: bool, total_hidden: bool) -> None:
        if count_hidden or total_hidden:
            item["percent"] = None
            if "ci95" in item:
                item["ci95"] = None

    completed_hidden = gone("audits_completed")
    out["audits_completed"] = _hide(summary["audits_completed"], completed_hidden)
    for field in ("not_comparable", "no_overall_rating", "safeguarding_concerns"):
        if field in out:
            out[field] = _hide(summary[field], gone(field))
    # Overall percentages are of the audits with an overall rating: completed - no_overall.
    overall_total_hidden = completed_hidden or gone("no_overall_rating")
    for i, row in enumerate(out["overall"]):
        row["count"] = _hide(row["count"], gone("overall", i))
        share(row, gone("overall", i), overall_total_hidden)
    for j, row in enumerate(out["by_service_area"]):
        row["count"] = _hide(row["count"], gone("by_service_area", j))
    for m, month in enumerate(out["by_month"]):
        month["audits"] = _hide(month["audits"], gone("by_month", m))
        for i, row in enumerate(month["ratings"]):
            row["count"] = _hide(row["count"], gone("by_month", m, i))
            share(row, gone("by_month", m, i), gone("by_month", m))
    for d, domain in enumerate(out["domains"]):
        rated_hidden = gone("domains", d, "rated")
        for i, row in enumerate(domain["ratings"]):
            row["count"] = _hide(row["count"], gone("domains", d, i))
            share(row, gone("domains", d, i), rated_hidden)
        for field in ("good_or_better", "inadequate_or_worse"):
            field_hidden = gone("domains", d, field)
            if field_hidden or rated_hidden:
                domain[f"{field}_percent"] = None
                if f"{field}_ci95" in domain:
                    domain[f"{field}_ci95"] = None
        for field in ("rated", "not_applicable", "good_or_better", "inadequate_or_worse"):
            domain[field] = _hide(domain[field], gone("domains", d, field))
    for theme, block in out.get("child_and_family", {}).items():
        evident_hidden = gone("child_and_family", theme, "evident")
        n_hidden = gone("child_and_family", theme, "n")
        block["evident"] = _hide(block["evident"], evident_hidden)
        block["n"] = _hide(block["n"], n_hidden)
        if evident_hidden or n_hidden:
            block["percent"] = None
    out["areas_of_good_practice"] = rank_domains(out["domains"], "good_or_better")
    out["areas_of_poor_practice"] = rank_domains(out["domains"], "inadequate_or_worse")
    out["suppression"] = {
        "applied": True,
        "threshold": THRESHOLD,
        "too_few": too_few,
        "unsuppressed_refused": refused,
    }
    return out


def overdue_beside_quality(
    report_overdue: int | None,
    quality: Mapping[str, Any],
    shown: dict[str, Any],
    *,
    report_in_full: bool,
    process_in_full: bool,
) -> int | None:
    """The report's overdue actions as a reader sees them beside the report's audit-quality
    figures, hiding in `shown` (the quality block as the reader sees it) what the two
    would give away together. `quality` is that block in full.

    The quality figures count the same actions and more (every tool, area and team) at
    the same date, so overdue across the service is the report's overdue and the rest;
    open actions are the overdue and those not yet due. Where the report has the only
    tool and no filter, the rest is known to be nought and the two overdue counts are
    one. So: the report's count is hidden when small, when the service's is hidden, or
    when the rest is from 1 to 4; a reader who sees the report in full (but not the
    audit process) sees its count, and the service's is hidden instead when the rest is
    small, with the open actions too when the rest is nought and those not yet due are
    from 1 to 4. Figures of the audit process in full go to a reader who may open every
    audit with an action (`process.process_audits`), so nothing is hidden from them."""
    if process_in_full or report_overdue is None:
        return report_overdue
    overdue, open_actions = quality["overdue_actions"], quality["open_actions"]
    rest, not_due = overdue - report_overdue, open_actions - overdue
    if report_in_full:
        if is_small(rest):
            shown["overdue_actions"] = None
        elif rest == 0 and is_small(not_due):
            shown["overdue_actions"] = shown["open_actions"] = None
        return report_overdue
    if is_small(report_overdue) or shown["overdue_actions"] is None or is_small(rest):
        return None
    return report_overdue


def shown_in_full() -> dict[str, Any]:
    """The `suppression` block of a document whose figures are shown in full."""
    return {
        "applied": False,
        "threshold": THRESHOLD,
        "too_few": False,
        "unsuppressed_refused": False,
    }


def rank_domains(domains: Sequence[Mapping[str, Any]], field: str, *, top: int = 3) -> list[str]:
    """Up to `top` domain names ranked by the exact share of rated cases in `field`
    (good_or_better or inadequate_or_worse), highest first; a tie goes to more cases
    rated, then to the domain first in the tool. A domain whose count or rated is
    hidden (None), none rated, or none in `field`, is not ranked."""
    ranked = []
    for position, domain in enumerate(domains):
        rated, count = domain["rated"], domain[field]
        if rated is None or count is None or rated == 0 or count == 0:
            continue
        ranked.append((-Fraction(count, rated), -rated, position, domain["domain"]))
    return [name for *_, name in sorted(ranked)[:top]]


def hide_small(n: int | None) -> int | None:
    """Primary suppression of a count that is in no published sum."""
    return None if is_small(n) else n


# --- Who sees a page's figures in full -----------------------------------------------

# `qpa report` run on the server: it has no reader whose remit could be checked, and
# shows figures in full when, and only when, `--unsuppressed` asks (decision 0108).
THE_SERVER = object()


def in_full(reader: Any, audits: QuerySet[Audit], *, asked: bool) -> bool:
    """True when figures counting `audits` are shown to `reader` in full: they asked
    (`unsuppressed`), and they may open every one of the audits (the server may, when
    asked). Every page, table and document with a reader decides through here or
    through `figures_for_reader`, which asks the same of a summary's audits."""
    if not asked:
        return False
    return reader is THE_SERVER or may_open_all(reader, audits)


# --- The audit process: re-audits, agreement, audit quality ------------------------------

# A statistic of fewer pairs than this (exact agreement, a kappa, the share of grades
# moderation changed) is never shown, whoever reads it.
MIN_PAIRS = THRESHOLD
TOO_FEW_PAIRS = "too few pairs to measure"


def _process_cells(
    doc: Mapping[str, Any],
) -> tuple[dict[tuple[Any, ...], int], Sums, set[tuple[Any, ...]]]:
    """Every count of a process document (`qpa.reports.process`), the sums a reader can
    see between them, and the parts that are not published but would follow from a
    total and the other parts (the re-audits not yet done, the pairs that differ, ...):
    cells too, so that they are protected when small."""
    values: dict[tuple[Any, ...], int] = {}
    sums: list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]] = []
    unpublished: set[tuple[Any, ...]] = set()

    def whole(total: tuple[Any, ...], parts: list[tuple[Any, ...]], rest: tuple[Any, ...]) -> None:
        left = values[total] - sum(values[p] for p in parts)
        if left >= 0:
            values[rest] = left
            unpublished.add(rest)
            sums.append((total, [*parts, rest]))

    for q, row in enumerate(doc["reaudits"]):
        for field in (
            "drawn",
            "completed",
            "improved",
            "unchanged",
            "declined",
            "cleared",
            "actions",
            "actions_completed",
        ):
            values[("reaudits", q, field)] = row[field]
        key = ("reaudits", q)
        whole((*key, "drawn"), [(*key, "completed")], (*key, "waiting"))
        outcomes = [(*key, "improved"), (*key, "unchanged"), (*key, "declined")]
        whole((*key, "completed"), outcomes, (*key, "not_comparable"))
        whole((*key, "completed"), [(*key, "cleared")], (*key, "kept"))
        whole((*key, "actions"), [(*key, "actions_completed")], (*key, "actions_open"))

    agreement = doc["agreement"]
    for field in ("moderated", "agreed", "changed"):
        values[("agreement", field)] = agreement[field]
    whole(("agreement", "moderated"), [("agreement", "agreed")], ("agreement", "not_agreed"))
    whole(("agreement", "agreed"), [("agreement", "changed")], ("agreement", "kept"))

    def entry(key: tuple[Any, ...], figures: Mapping[str, Any]) -> None:
        values[(*key, "pairs")] = figures["pairs"]
        values[(*key, "same")] = figures["same"]
        whole((*key, "pairs"), [(*key, "same")], (*key, "differ"))

    entry(("agreement", "overall_grade"), agreement["overall_grade"])
    whole(
        ("agreement", "moderated"),
        [("agreement", "overall_grade", "pairs")],
        ("agreement", "no_overall_pair"),
    )
    entry(("agreement", "all_domains"), agreement["all_domains"])
    for group in ("by_domain", "by_cycle"):
        for i, row in enumerate(agreement[group]):
            entry(("agreement", group, i), row)
        for field in ("pairs", "same", "differ"):
            total = ("agreement", "all_domains", field)
            parts = [("agreement", group, i, field) for i in range(len(agreement[group]))]
            if total in values and all(p in values for p in parts):
                whole(total, parts, ("agreement", group, "rest", field))

    quality = doc["quality"]
    for field in (
        "due",
        "on_time",
        "open_actions",
        "overdue_actions",
        "voice_recorded",
        "voice_captured",
    ):
        values[("quality", field)] = quality[field]
    whole(("quality", "due"), [("quality", "on_time")], ("quality", "late"))
    whole(("quality", "open_actions"), [("quality", "overdue_actions")], ("quality", "in_time"))
    whole(("quality", "voice_recorded"), [("quality", "voice_captured")], ("quality", "voice_not"))
    return values, sums, unpublished


def suppress_process(doc: Mapping[str, Any], *, refused: bool = False) -> dict[str, Any]:
    """A process document (built in full) with small numbers suppressed, primary and
    secondary, by the rule of `suppress_cells`; a percentage whose count or denominator is
    hidden is hidden too. Statistics of fewer than MIN_PAIRS pairs are already null in
    every document (`measured` false)."""
    out: dict[str, Any] = copy.deepcopy(dict(doc))
    values, sums, unpublished = _process_cells(doc)
    hidden = suppress_cells(values, sums, unpublished=unpublished)

    def shown(key: tuple[Any, ...], value: Any) -> Any:
        return None if key in hidden else value

    for q, row in enumerate(out["reaudits"]):
        for field in list(row):
            if field != "quarter":
                row[field] = shown(("reaudits", q, field), row[field])
    agreement = out["agreement"]
    for field in ("moderated", "agreed", "changed"):
        agreement[field] = shown(("agreement", field), agreement[field])
    if agreement["changed"] is None or agreement["agreed"] is None:
        agreement["changed_percent"] = None

    def entry(key: tuple[Any, ...], figures: dict[str, Any]) -> None:
        figures["pairs"] = shown((*key, "pairs"), figures["pairs"])
        figures["same"] = shown((*key, "same"), figures["same"])
        if figures["pairs"] is None or figures["same"] is None:
            figures["exact_percent"] = None

    entry(("agreement", "overall_grade"), agreement["overall_grade"])
    entry(("agreement", "all_domains"), agreement["all_domains"])
    for group in ("by_domain", "by_cycle"):
        for i, row in enumerate(agreement[group]):
            entry(("agreement", group, i), row)
    quality = out["quality"]
    for field in (
        "due",
        "on_time",
        "open_actions",
        "overdue_actions",
        "voice_recorded",
        "voice_captured",
    ):
        quality[field] = shown(("quality", field), quality[field])
    if quality["on_time"] is None or quality["due"] is None:
        quality["on_time_percent"] = None
    if quality["voice_captured"] is None or quality["voice_recorded"] is None:
        quality["voice_percent"] = None
    out["suppression"] = {
        "applied": True,
        "threshold": THRESHOLD,
        "too_few": False,
        "unsuppressed_refused": refused,
    }
    return out
