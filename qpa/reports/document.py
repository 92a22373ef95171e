"""The report as one JSON document for one reader: the summary (docs/reports.md, "The JSON
contract") and, when asked for, a comparison period, the teams side by side and the
figures of the audit process. The JSON download, `GET /api/v1/reports/summary` and
`qpa report` all build it here, so each part passes the one small-number rule
(qpa.reports.disclosure) the same way in every channel: suppressed by default; in full
only when asked for (`unsuppressed`) by a reader who may open every audit the part
counts, or by `qpa report --unsuppressed` on the server (`disclosure.THE_SERVER`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from qpa.reports import disclosure
from qpa.reports.comparison import compare_summaries, comparison_json
from qpa.reports.process import process_audits
from qpa.reports.report import ReportParams, action_counts, quality_beside_actions
from qpa.reports.summary import report_summary
from qpa.reports.teams import team_audits, team_table, teams_json


def for_reader(summary: dict[str, Any], *, reader: Any, unsuppressed: bool) -> dict[str, Any]:
    """A summary built in full, as `reader` may see it."""
    if reader is disclosure.THE_SERVER:
        return summary if unsuppressed else disclosure.suppress_summary(summary)
    return disclosure.figures_for_reader(summary, reader=reader, unsuppressed=unsuppressed)


def report_document(
    *,
    reader: Any,
    period_from: date,
    period_to: date,
    tool: Any = None,
    service_area: Any = None,
    team: Any = None,
    cycle: Any = None,
    intervals: bool = False,
    unsuppressed: bool = False,
    compare: tuple[date, date] | None = None,
    teams: bool = False,
    assurance: bool = False,
) -> dict[str, Any]:
    """The summary, and the `comparison` (the period `compare`), `teams` and `assurance`
    members when asked for. Raises ValidationError for a bad filter or period (a bad
    comparison period names `compare_from` or `compare_to`)."""
    filters = {"tool": tool, "service_area": service_area, "team": team, "cycle": cycle}
    document = for_reader(
        report_summary(
            period_from=period_from, period_to=period_to, intervals=intervals, **filters
        ),
        reader=reader,
        unsuppressed=unsuppressed,
    )
    if not (compare or teams or assurance):
        return document
    params = ReportParams.build(period_from=period_from, period_to=period_to, **filters)
    if compare is not None:
        try:
            earlier = ReportParams.build(period_from=compare[0], period_to=compare[1], **filters)
        except ValidationError as error:
            named = {
                f"compare_{k}" if k in ("from", "to") else k: v
                for k, v in error.message_dict.items()
            }
            raise ValidationError(named) from None
        shown = for_reader(
            report_summary(period_from=earlier.period_from, period_to=earlier.period_to, **filters),
            reader=reader,
            unsuppressed=unsuppressed,
        )
        compared = compare_summaries(
            earlier, params, (shown, document), hidden=shown["suppression"]["applied"]
        )
        document["comparison"] = comparison_json(compared)
    if teams:
        full = disclosure.in_full(reader, team_audits(params), asked=unsuppressed)
        document["teams"] = teams_json(
            team_table(params, hidden=not full), refused=unsuppressed and not full
        )
    if assurance:
        audits = process_audits(
            period_from=params.period_from, period_to=params.period_to, tool=params.filters.tool
        )
        full = not document["suppression"]["applied"] and disclosure.in_full(
            reader, audits, asked=unsuppressed
        )
        # As the report page shows them, beside its action figures.
        document["assurance"] = quality_beside_actions(
            params,
            action_counts(params).overdue,
            report_in_full=not document["suppression"]["applied"],
            process_in_full=full,
            refused=unsuppressed and not full,
        )[1]
    return document
