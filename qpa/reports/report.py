"""One report as the page and the exports show it: the summary, comparisons with earlier
periods, themed tools' results, actions, and the key messages."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils import timezone

from qpa.actions.models import ActionStatus
from qpa.actions.selectors import actions_in_figures
from qpa.audits.models import Audit
from qpa.reports import disclosure, process
from qpa.reports.counting import month_end, month_of
from qpa.reports.key_areas import key_areas
from qpa.reports.models import KeyMessages
from qpa.reports.summary import Filters, check_period, report_summary, resolve_filters
from qpa.tools.models import AuditTool, ToolKind

SCOPE_ALL = "Children and Families"


@dataclass(frozen=True)
class ReportParams:
    """What a report is about. `query()` is its bookmarkable address.

    Small numbers are suppressed (`suppress`) unless `for_reader` finds that the reader
    who asked for them in full may open every audit the report counts
    (qpa.reports.disclosure, docs/decisions/0108-small-number-suppression.md)."""

    period_from: date
    period_to: date
    filters: Filters
    suppress: bool = True
    intervals: bool = False
    # Figures in full were asked for by a reader who may not see them.
    unsuppressed_refused: bool = False
    # The audit process's figures (re-audits, agreement, audit quality) in full: only
    # with the rest in full, for a reader who may open every audit they count too.
    process_in_full: bool = False

    @classmethod
    def build(
        cls,
        *,
        period_from: date,
        period_to: date,
        tool: Any = None,
        service_area: Any = None,
        team: Any = None,
        cycle: Any = None,
        suppress: bool = True,
        intervals: bool = False,
        reader: Any = None,
        unsuppressed: bool = False,
    ) -> ReportParams:
        """Suppressed unless `unsuppressed` is asked for by a `reader` who may see the
        figures in full (`for_reader`). `suppress` is the old way to ask for the
        suppressed copy, now the default: it never switches suppression off."""
        first, last = check_period(period_from, period_to)
        filters = resolve_filters(tool=tool, service_area=service_area, team=team, cycle=cycle)
        params = cls(first, last, filters, True, intervals)
        return params.for_reader(reader) if unsuppressed else params

    def for_reader(self, reader: Any) -> ReportParams:
        """These parameters in full when `reader` may open every audit the report counts
        (`counted_audits`); otherwise suppressed, with the refusal noted."""
        if disclosure.may_open_all(reader, self.counted_audits()):
            process_in_full = disclosure.may_open_all(reader, self.process_audits())
            return replace(
                self, suppress=False, unsuppressed_refused=False, process_in_full=process_in_full
            )
        return replace(self, suppress=True, unsuppressed_refused=True, process_in_full=False)

    def process_audits(self) -> QuerySet[Audit]:
        """Every audit the report's figures of the audit process may count."""
        return process.process_audits(
            period_from=self.period_from, period_to=self.period_to, tool=self.filters.tool
        )

    def counted_audits(self) -> QuerySet[Audit]:
        """Every audit a figure of this report may count: its period and the earlier
        periods it is compared with; its tool, or any tool when it shows themed tools
        too; its service area and team, in any cycle; and the audits whose actions it
        counts. A superset errs towards suppression."""
        f = self.filters
        earlier = [self.shifted(self.months)] + ([self.shifted(12)] if self.months < 12 else [])
        counted = disclosure.counted_audits_in(
            period_from=min(p.period_from for p in earlier),
            period_to=self.period_to,
            tools=[f.tool] if f.tool.kind == ToolKind.THEMED else None,
            service_area=f.service_area,
            team=f.team,
        )
        acted = Audit.objects.filter(tool_version__tool=f.tool, actions__isnull=False)
        if f.service_area:
            acted = acted.filter(service_area=f.service_area)
        if f.team:
            acted = acted.filter(team=f.team)
        return Audit.objects.filter(Q(pk__in=counted.values("pk")) | Q(pk__in=acted.values("pk")))

    @property
    def months(self) -> int:
        return (
            (self.period_to.year - self.period_from.year) * 12
            + self.period_to.month
            - self.period_from.month
            + 1
        )

    def pairs(self) -> list[tuple[str, str]]:
        f = self.filters
        pairs = [
            ("from", f"{self.period_from:%Y-%m}"),
            ("to", f"{self.period_to:%Y-%m}"),
            ("tool", f.tool.slug),
        ]
        if f.service_area:
            pairs.append(("service_area", f.service_area.slug))
        if f.team:
            pairs.append(("team", str(f.team.public_id)))
        if f.cycle:
            pairs.append(("cycle", str(f.cycle.public_id)))
        # Suppressed is the default; "unsuppressed" asks for figures in full.
        pairs.append(("suppress", "1") if self.suppress else ("unsuppressed", "1"))
        if self.intervals:
            pairs.append(("intervals", "1"))
        return pairs

    def query(self) -> str:
        return urlencode(self.pairs())

    def key(self) -> str:
        """Key messages belong to a report's parameters; intervals change no message.
        A copy in full has the key it had before suppression became the default."""
        return urlencode([p for p in self.pairs() if p[0] not in ("intervals", "unsuppressed")])

    def shifted(self, months_back: int) -> ReportParams:
        return ReportParams(
            _add_months(self.period_from, -months_back),
            month_end(_add_months(month_of(self.period_to), -months_back)),
            self.filters,
            self.suppress,
            self.intervals,
            self.unsuppressed_refused,
        )

    def summary(self, tool: AuditTool | None = None) -> dict[str, Any]:
        f = self.filters
        return report_summary(
            period_from=self.period_from,
            period_to=self.period_to,
            tool=tool or f.tool,
            service_area=f.service_area,
            team=f.team,
            cycle=None if tool is not None else f.cycle,
            suppress=self.suppress,
            intervals=self.intervals,
        )

    @property
    def label(self) -> str:
        return period_label(self.period_from, self.period_to)

    @property
    def scope(self) -> str:
        f = self.filters
        if f.team:
            return f.team.name
        if f.service_area:
            return f.service_area.name
        return SCOPE_ALL


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_label(first: date, last: date) -> str:
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%B %Y}"
    if first.year == last.year:
        return f"{first:%B} to {last:%B %Y}"
    return f"{first:%B %Y} to {last:%B %Y}"


@dataclass
class Comparison:
    periods: list[str]
    # (domain, [(percent or None, n or None) per period]) for good and for poor practice
    good: list[tuple[str, list[tuple[float | None, int | None]]]]
    poor: list[tuple[str, list[tuple[float | None, int | None]]]]


@dataclass
class ActionFigures:
    opened: int | None
    completed: int | None
    overdue: int | None
    as_at: date


@dataclass
class Report:
    params: ReportParams
    summary: dict[str, Any]
    comparison: Comparison
    themed: list[dict[str, Any]]
    actions: ActionFigures
    key_messages: str
    key_messages_saved: KeyMessages | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def drafted(self) -> bool:
        return self.key_messages_saved is None


def comparison(params: ReportParams, current: dict[str, Any]) -> Comparison:
    """This period, the one before it of the same length, and the same period a year
    earlier when the period is a year or shorter."""
    earlier = [params.shifted(params.months)]
    if params.months < 12:
        earlier.append(params.shifted(12))
    summaries = [current, *(p.summary() for p in earlier)]
    labels = [params.label, *(p.label for p in earlier)]
    good, poor = [], []
    for domain in current["domains"]:
        name = domain["domain"]
        rows = [next((d for d in s["domains"] if d["domain"] == name), None) for s in summaries]
        good.append(
            (name, [(r["good_or_better_percent"], r["rated"]) if r else (None, 0) for r in rows])
        )
        poor.append(
            (
                name,
                [(r["inadequate_or_worse_percent"], r["rated"]) if r else (None, 0) for r in rows],
            )
        )
    return Comparison(labels, good, poor)


def themed_results(params: ReportParams) -> list[dict[str, Any]]:
    """Each themed tool's results in the period (the chosen tool itself when themed)."""
    if params.filters.tool.kind == ToolKind.THEMED:
        return []
    results = []
    for tool in AuditTool.objects.filter(kind=ToolKind.THEMED).order_by("name"):
        summary = params.summary(tool)
        if summary["audits_completed"] != 0:
            results.append(summary)
    return results


def action_counts(params: ReportParams, *, today: date | None = None) -> ActionFigures:
    """Actions on the report's audits, in full: opened and completed in the period, and
    overdue at its end (or today, if it has not ended)."""
    f = params.filters
    as_at = min(params.period_to, today or timezone.localdate())
    actions = actions_in_figures().filter(audit__tool_version__tool=f.tool)
    if f.service_area:
        actions = actions.filter(audit__service_area=f.service_area)
    if f.team:
        actions = actions.filter(audit__team=f.team)
    if f.cycle:
        actions = actions.filter(audit__allocation__sampled_case__cycle=f.cycle)
    start = timezone.make_aware(datetime.combine(params.period_from, time.min))
    end = timezone.make_aware(datetime.combine(params.period_to, time.max))
    as_at_end = timezone.make_aware(datetime.combine(as_at, time.max))
    opened = actions.filter(created_at__range=(start, end)).count()
    completed = actions.filter(
        status=ActionStatus.COMPLETED, completed_at__range=(start, end)
    ).count()
    overdue = (
        actions.filter(created_at__lte=as_at_end, due_date__lt=as_at)
        .filter(Q(completed_at__isnull=True) | Q(completed_at__gt=as_at_end))
        .count()
    )
    return ActionFigures(opened, completed, overdue, as_at)


def action_figures(params: ReportParams, *, today: date | None = None) -> ActionFigures:
    """The report's action figures (`action_counts`), small ones hidden unless the
    reader sees the report in full; beside the audit-quality figures, `report_figures`
    hides more."""
    return _as_shown(params, action_counts(params, today=today))


def _as_shown(params: ReportParams, counted: ActionFigures) -> ActionFigures:
    if not params.suppress:
        return counted
    hide = disclosure.hide_small
    return ActionFigures(
        hide(counted.opened), hide(counted.completed), hide(counted.overdue), counted.as_at
    )


def quality_beside_actions(
    params: ReportParams,
    overdue: int | None,
    *,
    report_in_full: bool,
    process_in_full: bool,
    refused: bool,
) -> tuple[int | None, dict[str, Any]]:
    """The audit-process figures of the report's period as the reader sees them, and the
    report's `overdue` actions (`action_counts`) as shown beside them
    (`disclosure.overdue_beside_quality`): every channel that shows the two for one
    report, or either for the same report, gets them from here."""
    full = process.process_document(
        period_from=params.period_from,
        period_to=params.period_to,
        tool=params.filters.tool,
        suppress=False,
    )
    shown = full if process_in_full else disclosure.suppress_process(full, refused=refused)
    shown_overdue = disclosure.overdue_beside_quality(
        overdue,
        full["quality"],
        shown["quality"],
        report_in_full=report_in_full,
        process_in_full=process_in_full,
    )
    return shown_overdue, shown


def number(n: int | None, noun: str, plural: str | None = None) -> str:
    if n is None:  # hidden: never 0, and not always fewer than 5 (secondary suppression)
        return f"Some {plural or noun + 's'}"
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def _and(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def draft_key_messages(
    params: ReportParams,
    summary: dict[str, Any],
    themed: list[dict[str, Any]],
    actions: ActionFigures,
) -> str:
    """Key messages in the briefing's style, one per line; "- " marks a sub-point."""
    if summary["suppression"]["too_few"]:
        return (
            f"Fewer than 5 cases audited across {params.scope} ({params.label}):"
            " no figures are shown, so that no child can be recognised."
        )
    lines = [
        f"{number(summary['audits_completed'], 'case')} audited across {params.scope}"
        f" ({params.label})"
    ]
    lines += [
        f"- {row['count']} {row['service_area']}"
        if row["count"] is not None
        else f"- {row['service_area']}: some cases (the number is not shown)"
        for row in summary["by_service_area"]
        if row["count"] != 0
    ]
    for row in summary["overall"]:
        if row["count"] == 0:
            continue
        share = f" ({row['percent']}%)" if row["percent"] is not None else ""
        lines.append(f"{number(row['count'], 'case')} rated as {row['rating'].lower()}{share}")
    areas = key_areas(summary)
    if areas.too_few:
        lines.append(areas.too_few_message)
    if areas.good:
        lines.append("Areas of good practice: " + _and(areas.good) + ".")
    if areas.poor:
        lines.append("Areas of poor practice: " + _and(areas.poor) + ".")
    for theme in themed:
        lines.append(
            f"Themed audit, {theme['tool']}: {number(theme['audits_completed'], 'case')} looked at"
            f" across {len(theme['domains'])} domains."
        )
        for domain in theme["domains"]:
            parts = [
                f"{number(r['count'], 'case')} rated as {r['rating'].lower()}"
                for r in reversed(domain["ratings"])
                if r["count"] != 0
            ]
            if parts:
                lines.append(f"- In the {domain['domain']} domain, {_and(parts)}.")
    lines.append(
        f"{number(actions.opened, 'action')} opened and"
        f" {number(actions.completed, 'action').lower()} completed;"
        f" {number(actions.overdue, 'action').lower()} overdue on"
        f" {actions.as_at:%-d %B %Y}."
    )
    return "\n".join(lines)


def assurance_figures(params: ReportParams) -> dict[str, Any]:
    """The assurance figures for the report's period (`qpa.reports.process`): re-audit
    outcomes of each quarter the period touches, agreement between auditors in the
    cycles of the period, and the audit-quality figures of the period, as they stood at
    its end; suppressed unless the reader may see them in full (`process_in_full`), and
    beside the report's action figures (`quality_beside_actions`)."""
    return report_figures(params)[1]


def report_figures(params: ReportParams) -> tuple[ActionFigures, dict[str, Any]]:
    """The report's action figures and its assurance figures, each as the reader sees it
    beside the other."""
    counted = action_counts(params)
    overdue, assurance = quality_beside_actions(
        params,
        counted.overdue,
        report_in_full=not params.suppress,
        process_in_full=params.process_in_full,
        refused=params.unsuppressed_refused or not (params.suppress or params.process_in_full),
    )
    return replace(_as_shown(params, counted), overdue=overdue), assurance


def build_report(params: ReportParams) -> Report:
    summary = params.summary()
    themed = themed_results(params)
    actions, assurance = report_figures(params)
    if summary["suppression"]["too_few"]:
        actions = ActionFigures(None, None, None, actions.as_at)
    saved = KeyMessages.objects.filter(parameters=params.key()).select_related("edited_by").first()
    text = saved.text if saved else draft_key_messages(params, summary, themed, actions)
    return Report(
        params=params,
        summary=summary,
        comparison=comparison(params, summary),
        themed=themed,
        actions=actions,
        key_messages=text,
        key_messages_saved=saved,
        extra=assurance,
    )


def message_lines(text: str) -> list[tuple[bool, str]]:
    """(is a sub-point, text) for each non-blank line of key messages."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        sub = stripped.startswith(("- ", "o "))
        lines.append((sub, stripped[2:].strip() if sub else stripped))
    return lines
