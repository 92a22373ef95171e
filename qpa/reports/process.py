"""The report's figures of the audit process: re-audit outcomes, agreement between first
auditors and moderators, and audit quality (docs/reports.md, "The audit process").

One document, `process_document`, is what every channel shows — the page, the Word and
PDF briefings, the Excel workbook, the CSV, the JSON download, the REST API and `qpa
report` (as the `assurance` member). It is built in full from `qpa.assurance.figures`,
then suppressed by the one small-number rule (`disclosure.suppress_process`) unless the
reader asked for figures in full and may open every audit the figures count
(`process_audits`). Whoever reads it, a statistic of fewer than five pairs — exact
agreement, a kappa, the share of grades moderation changed — is never a figure:
`measured` is false and the channels say "too few pairs to measure". A report names no
person (decision 0060): agreement and overdue audits by auditor are on the assurance
pages, for the managers of auditors, not here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from qpa.actions.models import Action
from qpa.assurance.agreement import Agreement, Kappa, kappa_figure
from qpa.assurance.figures import AgreementRow, agreement_figures, quality_figures
from qpa.assurance.models import Moderation, ReAudit, ReAuditDraw
from qpa.assurance.services import quarter_of, reaudit_summary
from qpa.audits.models import Audit, AuditStatus
from qpa.cycles.models import Allocation, Cycle
from qpa.reports import disclosure
from qpa.reports.summary import percent
from qpa.tools.models import AuditTool

OVERALL_GRADE = "Overall grade"
ALL_DOMAINS = "Every domain"
REAUDIT_FIELDS = (
    "drawn",
    "completed",
    "improved",
    "unchanged",
    "declined",
    "cleared",
    "actions",
    "actions_completed",
)


def quarters_of(period_from: date, period_to: date) -> list[str]:
    """Every quarter ("2026-Q4") the period touches, in order."""
    quarters: list[str] = []
    month = period_from.replace(day=1)
    while month <= period_to:
        if quarter_of(month) not in quarters:
            quarters.append(quarter_of(month))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return quarters


def _cycles(period_from: date, period_to: date, tool: AuditTool | None) -> QuerySet[Cycle]:
    """The cycles of the period: monthly cycles of its months, other cycles created in it;
    of the report's tool."""
    cycles = Cycle.objects.filter(
        Q(month__gte=period_from, month__lte=period_to)
        | Q(
            month__isnull=True,
            created_at__date__gte=period_from,
            created_at__date__lte=period_to,
        )
    )
    return cycles if tool is None else cycles.filter(tool=tool)


def process_audits(
    *, period_from: date, period_to: date, tool: AuditTool | None
) -> QuerySet[Audit]:
    """Every audit the process figures of this period may count: both audits of each
    re-audit drawn for its quarters or due in it, both audits of each moderation in its
    cycles, the audits of allocations due in it, the audits submitted in it, and every
    audit with a follow-up action. A superset errs towards suppression."""
    quarters = quarters_of(period_from, period_to)
    reaudits = ReAudit.objects.filter(
        Q(draw__quarter__in=quarters) | Q(due_date__range=(period_from, period_to))
    )
    moderations = Moderation.objects.filter(
        draw__cycle__in=_cycles(period_from, period_to, tool).values("pk")
    )
    allocations = Allocation.objects.filter(due_date__range=(period_from, period_to))
    return Audit.objects.filter(
        Q(pk__in=reaudits.values("original_id"))
        | Q(pk__in=reaudits.values("reaudit_id"))
        | Q(pk__in=moderations.values("allocation__audit"))
        | Q(pk__in=moderations.values("moderation_audit_id"))
        | Q(allocation__in=allocations.values("pk"))
        | Q(status=AuditStatus.SUBMITTED, audit_date__range=(period_from, period_to))
        | Q(pk__in=Action.objects.values("audit_id"))
    )


def _kappa(figure: Kappa | None, measured: bool) -> tuple[float | None, list[float] | None]:
    if not measured or figure is None or figure.kappa is None:
        return None, None
    low, high = figure.low, figure.high
    interval = None if low is None or high is None else [round(low, 3), round(high, 3)]
    return round(figure.kappa, 3), interval


def agreement_entry(figures: Agreement) -> dict[str, Any]:
    """One group of pairs: how many, how many the same, and — from five pairs — exact
    agreement and the two weighted kappas with their 95% intervals. `measured` is false
    under five pairs; a kappa is null when measured but not defined (every pair one and
    the same rating)."""
    pairs = figures.n
    same = round((figures.exact or 0) * pairs)
    measured = pairs >= disclosure.MIN_PAIRS
    linear, linear_ci = _kappa(figures.linear, measured)
    quadratic, quadratic_ci = _kappa(figures.quadratic, measured)
    return {
        "pairs": pairs,
        "same": same,
        "measured": measured,
        "exact_percent": percent(same, pairs) if measured else None,
        "linear_kappa": linear,
        "linear_kappa_ci95": linear_ci,
        "quadratic_kappa": quadratic,
        "quadratic_kappa_ci95": quadratic_ci,
    }


def _rows(rows: list[AgreementRow], name: str) -> list[dict[str, Any]]:
    return [{name: row.label, **agreement_entry(row.figures)} for row in rows]


def process_document(
    *,
    period_from: date,
    period_to: date,
    tool: AuditTool | None,
    suppress: bool = True,
    refused: bool = False,
    today: date | None = None,
) -> dict[str, Any]:
    """The process figures of the period, suppressed unless `suppress` is false (a
    caller that checked the reader with `process_audits`). `refused`: figures in full
    were asked for by a reader who may not see them."""
    quarters = quarters_of(period_from, period_to)
    drawn = set(ReAuditDraw.objects.filter(quarter__in=quarters).values_list("quarter", flat=True))
    reaudits = []
    for quarter in quarters:
        if quarter in drawn:
            figures = reaudit_summary(quarter)
            reaudits.append(
                {"quarter": figures.quarter, **{f: getattr(figures, f) for f in REAUDIT_FIELDS}}
            )
    cycles = list(_cycles(period_from, period_to, tool).values_list("pk", flat=True))
    agreement = agreement_figures(cycle_ids=cycles)
    changed = round((agreement.changed or 0) * agreement.agreed)
    quality = quality_figures(period_from=period_from, period_to=period_to, today=today)
    document: dict[str, Any] = {
        "period": {"from": period_from.isoformat(), "to": period_to.isoformat()},
        "reaudits": reaudits,
        "agreement": {
            "moderated": agreement.moderated,
            "agreed": agreement.agreed,
            "changed": changed,
            "changed_measured": agreement.agreed >= disclosure.MIN_PAIRS,
            "changed_percent": percent(changed, agreement.agreed)
            if agreement.agreed >= disclosure.MIN_PAIRS
            else None,
            "overall_grade": agreement_entry(agreement.overall_grade),
            "all_domains": agreement_entry(agreement.all_domains),
            "by_domain": _rows(agreement.by_domain, "domain"),
            "by_cycle": _rows(agreement.by_cycle, "cycle"),
        },
        "quality": {
            "due": quality.due,
            "on_time": quality.on_time,
            "on_time_percent": percent(quality.on_time, quality.due),
            "open_actions": quality.open_actions,
            "overdue_actions": quality.overdue_actions,
            "voice_recorded": quality.voice_recorded,
            "voice_captured": quality.voice_captured,
            "voice_percent": percent(quality.voice_captured, quality.voice_recorded),
        },
        "suppression": disclosure.shown_in_full(),
    }
    return disclosure.suppress_process(document, refused=refused) if suppress else document


# --- How the figures read ---------------------------------------------------------------


def count_text(value: int | None) -> str:
    return disclosure.HIDDEN if value is None else str(value)


def exact_text(entry: dict[str, Any]) -> str:
    """Exact agreement of one group of pairs, as every channel writes it."""
    if entry["pairs"] == 0:
        return "none"
    if not entry["measured"]:
        return disclosure.TOO_FEW_PAIRS
    if entry["exact_percent"] is None:
        return disclosure.HIDDEN
    return f"{entry['exact_percent']}%"


def kappa_text(entry: dict[str, Any], which: str) -> str:
    """`which` ("linear" or "quadratic") kappa with its 95% interval."""
    if entry["pairs"] == 0:
        return "none"
    if not entry["measured"]:
        return disclosure.TOO_FEW_PAIRS
    kappa, interval = entry[f"{which}_kappa"], entry[f"{which}_kappa_ci95"]
    if kappa is None:
        return "not defined"
    bounds = f" ({kappa_figure(interval[0])} to {kappa_figure(interval[1])})" if interval else ""
    return kappa_figure(kappa) + bounds


def changed_text(agreement: dict[str, Any]) -> str:
    """The share of agreed overall grades that moderation changed."""
    if agreement["agreed"] == 0:
        return "none"
    if not agreement["changed_measured"]:
        return disclosure.TOO_FEW_PAIRS
    if agreement["changed_percent"] is None:
        return disclosure.HIDDEN
    return f"{agreement['changed_percent']}%"


def changed_sentence(agreement: dict[str, Any]) -> str:
    """How often moderation changed the agreed overall grade, as a sentence every channel
    writes the same way; hidden counts are never spliced into it ("of not shown of the
    not shown"). Empty when no grade was agreed."""
    agreed, changed = agreement["agreed"], agreement["changed"]
    if agreed == 0:
        return ""
    if agreed is None or changed is None:
        return (
            "Moderation changed the overall grade of some of the cases whose grade was"
            " agreed; the numbers are too small to show."
        )
    cases = "case" if agreed == 1 else "cases"
    if not agreement["changed_measured"]:
        return (
            f"The overall grade was agreed for {agreed} {cases}: too few to say how often"
            " moderation changes it."
        )
    return (
        f"Moderation changed the overall grade of {changed} of the {agreed} {cases} whose"
        f" grade was agreed ({changed_text(agreement)})."
    )


def agreement_rows(agreement: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The overall grade and every domain together, as the first agreement table."""
    return [(OVERALL_GRADE, agreement["overall_grade"]), (ALL_DOMAINS, agreement["all_domains"])]
