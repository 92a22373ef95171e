"""Report pages. Figures only: no child, case or audit is named on any of them, so they
start from the aggregates, not from a remit selector (docs/decisions/0060-*)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, acting_user, permission_required, user_can
from qpa.core.events import event_record
from qpa.organisation.models import Council
from qpa.reports import (
    benchmarking,
    charts,
    disclosure,
    exports,
    process,
    services,
    trend_charts,
)
from qpa.reports.briefing import BriefingHeading, benchmark_rows
from qpa.reports.briefing_pdf import briefing_pdf
from qpa.reports.briefing_word import briefing_docx
from qpa.reports.comparison import compare_periods
from qpa.reports.document import report_document
from qpa.reports.forms import (
    BenchmarkExportForm,
    BenchmarkUploadForm,
    BriefingForm,
    KeyMessagesForm,
    ReportForm,
)
from qpa.reports.key_areas import key_areas
from qpa.reports.models import BenchmarkFile
from qpa.reports.period_form import ComparePeriodsForm
from qpa.reports.report import (
    Report,
    ReportParams,
    assurance_figures,
    build_report,
    message_lines,
)
from qpa.reports.summary import parse_month
from qpa.reports.teams import team_audits, team_table
from qpa.reports.trends import domain_trends, twelve_months

readers = permission_required(Permission.READ_REPORTS)
editors = permission_required(Permission.EDIT_REPORTS)


def _acting(request: HttpRequest) -> User:
    return acting_user(request)


def _default_period() -> tuple[date, date]:
    """The last full month."""
    this_month = timezone.localdate().replace(day=1)
    last = date(this_month.year - (this_month.month == 1), (this_month.month - 2) % 12 + 1, 1)
    return last, last


def _report_form(query: QueryDict) -> ReportForm:
    if "from" in query or "to" in query:
        return ReportForm(query)
    first, last = _default_period()
    data = query.copy()
    data.setdefault("from", f"{first:%Y-%m}")
    data.setdefault("to", f"{last:%Y-%m}")
    data.setdefault("tool", "quality-of-practice")
    return ReportForm(data)


def _params(request: HttpRequest) -> ReportParams:
    """The report an export or chart asks for; its page showed the errors already."""
    form = _report_form(request.GET)
    if not form.is_valid():
        raise Http404("That report's address is not valid.")
    try:
        return form.params(reader=acting_user(request))
    except ValidationError:
        raise Http404("That report's address is not valid.") from None


def _shortcuts(params: ReportParams | None) -> list[tuple[str, str]]:
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month, _ = _default_period()
    quarter_start = date(this_month.year, (this_month.month - 1) // 3 * 3 + 1, 1)
    previous_quarter = date(
        quarter_start.year - (quarter_start.month == 1), (quarter_start.month - 4) % 12 + 1, 1
    )
    quarter_end = date(previous_quarter.year, previous_quarter.month + 2, 1)
    year_ago = date(this_month.year - 1, this_month.month, 1)
    tool = params.filters.tool.slug if params else "quality-of-practice"
    return [
        (label, f"?from={a:%Y-%m}&to={b:%Y-%m}&tool={tool}")
        for label, a, b in (
            ("Last month", last_month, last_month),
            ("This month so far", this_month, this_month),
            ("Last quarter", previous_quarter, quarter_end),
            ("Last 12 months", year_ago, last_month),
        )
    ]


@readers
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    form = _report_form(request.GET)
    report: Report | None = None
    if form.is_valid():
        try:
            report = build_report(form.params(reader=acting_user(request)))
        except ValidationError:
            report = None
    context: dict[str, Any] = {"form": form, "report": report, "shortcuts": _shortcuts(None)}
    if report is not None:
        query = report.params.query()
        chart_list = [
            (
                name,
                spec.alt,
                f"{reverse('reports:chart', kwargs={'chart': name})}?{query}&v={spec.digest}",
            )
            for name, spec in charts.chart_specs(report).items()
        ]
        chart_map = {name.replace("-", "_"): (alt, url) for name, alt, url in chart_list}
        context.update(
            query=query,
            shortcuts=_shortcuts(report.params),
            chart_map=chart_map,
            comparison_charts=[c for c in chart_list if c[0].endswith("-comparison")],
            themed_charts=[
                (alt, url) for name, alt, url in chart_list if name.startswith("themed-")
            ],
            messages_lines=message_lines(report.key_messages),
            areas=key_areas(report.summary),
            can_edit=user_can(_acting(request), Permission.EDIT_REPORTS),
            can_read_evidence=user_can(request.user, Permission.READ_EVIDENCE),
            briefing_form=BriefingForm(initial={"title": "Quality of Practice Audit - update"}),
            protective_marking=settings.QPA_PROTECTIVE_MARKING,
            benchmarks=benchmark_rows(report),
            agreement_rows=process.agreement_rows(report.extra["agreement"]),
            agreement_by_domain=[
                (row["domain"], row) for row in report.extra["agreement"]["by_domain"]
            ],
        )
    return render(request, "reports/report.html", context)


@readers
@require_GET
def summary_json(request: HttpRequest) -> HttpResponse:
    """The JSON contract (docs/reports.md): tool, service_area and team by name; with
    `compare_from`/`compare_to`, `teams=1` and `assurance=1`, the members they add, each
    suppressed by the one rule (qpa.reports.document)."""
    query = request.GET
    try:
        summary = report_document(
            reader=acting_user(request),
            period_from=parse_month(query.get("from", "")),
            period_to=parse_month(query.get("to", "")),
            tool=query.get("tool") or None,
            service_area=query.get("service_area") or None,
            team=query.get("team") or None,
            cycle=query.get("cycle") or None,
            intervals=query.get("intervals") == "1",
            unsuppressed=query.get("unsuppressed") == "1",
            compare=_compare_months(query),
            teams=query.get("teams") == "1",
            assurance=query.get("assurance") == "1",
        )
    except ValidationError as error:
        return JsonResponse({"errors": _messages(error)}, status=400)
    response = JsonResponse(summary, json_dumps_params={"ensure_ascii": False, "indent": 2})
    if query.get("download") == "1":
        response["Content-Disposition"] = 'attachment; filename="qpa-report.json"'
        event_record(action="report.exported", request=request, data={"format": "json"})
    return response


def _compare_months(query: QueryDict) -> tuple[date, date] | None:
    """The comparison period `compare_from` and `compare_to` ask for, if any."""
    if not (query.get("compare_from") or query.get("compare_to")):
        return None
    months: dict[str, date] = {}
    errors: dict[str, list[str]] = {}
    for name in ("compare_from", "compare_to"):
        try:
            months[name] = parse_month(query.get(name, ""))
        except ValidationError as error:
            errors[name] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    return months["compare_from"], months["compare_to"]


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {k: [str(m) for m in v] for k, v in error.message_dict.items()}
    return {"__all__": [str(m) for m in error.messages]}


@readers
@require_GET
def chart(request: HttpRequest, chart: str) -> HttpResponse:
    """A chart of the report, drawn once per set of figures (qpa/reports/charts.py)."""
    kept = charts.cached_svg(request.GET.get("v", ""))
    if kept is not None:
        return HttpResponse(kept, content_type="image/svg+xml")
    spec = charts.chart_spec(_params(request), chart)
    if spec is None:
        raise Http404("No such chart.")
    return HttpResponse(charts.chart_svg(spec), content_type="image/svg+xml")


def _download(
    request: HttpRequest, body: bytes | str, content_type: str, name: str
) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    event_record(
        action="report.exported", request=request, data={"format": name.rsplit(".", 1)[-1]}
    )
    return response


def _file_stem(params: ReportParams) -> str:
    first, last = params.period_from, params.period_to
    return f"qpa-report-{params.filters.tool.slug}-{first:%Y-%m}-to-{last:%Y-%m}"


@readers
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    return _download(
        request,
        exports.summary_csv({**params.summary(), "assurance": assurance_figures(params)}),
        "text/csv; charset=utf-8",
        f"{_file_stem(params)}.csv",
    )


@readers
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    return _download(
        request,
        exports.workbook(build_report(params)),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{_file_stem(params)}.xlsx",
    )


def _briefing_heading(request: HttpRequest) -> BriefingHeading:
    form = BriefingForm(request.GET)
    if form.is_valid():
        return BriefingHeading(**{k: v for k, v in form.cleaned_data.items() if v})
    return BriefingHeading()


@readers
@require_GET
def export_docx(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    return _download(
        request,
        briefing_docx(build_report(params), _briefing_heading(request)),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        f"{_file_stem(params)}.docx",
    )


@readers
@require_GET
def export_pdf(request: HttpRequest) -> HttpResponse:
    """The Word briefing's content as a PDF, for committee papers."""
    params = _params(request)
    return _download(
        request,
        briefing_pdf(build_report(params), _briefing_heading(request)),
        "application/pdf",
        f"{_file_stem(params)}.pdf",
    )


@editors
@require_http_methods(["GET", "POST"])
def key_messages_edit(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    report = build_report(params)
    back = f"{reverse('reports:report')}?{params.query()}"
    if request.method == "POST":
        form = KeyMessagesForm(request.POST)
        if form.is_valid():
            try:
                services.key_messages_save(
                    acting_user=_acting(request),
                    parameters=params.key(),
                    text=form.cleaned_data["text"],
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("text", message)
            else:
                messages.success(request, "The key messages are saved. Every export uses them.")
                return redirect(f"{back}#key-messages")
    else:
        form = KeyMessagesForm(initial={"text": report.key_messages})
    return render(
        request,
        "reports/key_messages.html",
        {"form": form, "report": report, "back": back, "query": params.query()},
    )


@editors
@require_GET
def benchmark_export(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    shared = ReportParams(params.period_from, params.period_to, params.filters, suppress=True)
    council = Council.objects.first()
    form = BenchmarkExportForm(request.GET)
    name = form.cleaned_data["council"] if form.is_valid() else (council.name if council else "")
    document = benchmarking.benchmark_document(
        summary=shared.summary(), council=name or "A council"
    )
    return _download(
        request,
        json.dumps(document, indent=2, ensure_ascii=False),
        "application/json",
        f"qpa-benchmark-{params.period_from:%Y-%m}-to-{params.period_to:%Y-%m}.json",
    )


@editors
@require_http_methods(["GET", "POST"])
def benchmark_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = BenchmarkUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                stored = services.benchmark_file_import(
                    acting_user=_acting(request),
                    content=upload.read(benchmarking.MAX_BYTES + 1),
                    file_name=upload.name or "",
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("file", message)
            else:
                messages.success(
                    request, f"{stored} is imported: its figures show beside yours on the report."
                )
                return redirect("reports:benchmarks")
    else:
        form = BenchmarkUploadForm()
    return render(
        request,
        "reports/benchmarks.html",
        {"form": form, "files": BenchmarkFile.objects.all()},
    )


@editors
@require_POST
def benchmark_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    benchmark = get_object_or_404(BenchmarkFile, public_id=public_id)
    services.benchmark_file_delete(acting_user=_acting(request), benchmark=benchmark)
    messages.success(request, f"{benchmark} is removed.")
    return redirect("reports:benchmarks")


# --- Comparisons, trends and teams (docs/reports.md) ------------------------------------

read_reports = permission_required(Permission.READ_REPORTS)


def _hidden(request: HttpRequest, params: ReportParams, first: date, last: date) -> bool:
    """Whether this reader sees small numbers hidden in figures of `params`' filters from
    `first` to `last`: unless they asked for figures in full and may open every audit
    counted (`disclosure.in_full`)."""
    f = params.filters
    area = f.service_area or (f.team.service_area if f.team else None)
    audits = disclosure.counted_audits_in(
        period_from=first,
        period_to=last,
        tools=[f.tool],
        service_area=area,
        team=f.team,
        cycle=f.cycle,
    )
    asked = not params.suppress or params.unsuppressed_refused
    return not disclosure.in_full(acting_user(request), audits, asked=asked)


def _figures_context(params: ReportParams, page: str, hidden: bool) -> dict[str, Any]:
    query = params.query()
    return {
        "params": params,
        "query": query,
        "hidden": hidden,
        "page": page,
        "back": f"{reverse('reports:report')}?{query}",
        "tool": params.filters.tool.name,
        "figure_pages": [
            ("compare", "Compare two periods", reverse("reports:compare")),
            ("trends", "Trends over twelve months", reverse("reports:trends")),
            ("teams", "Teams side by side", reverse("reports:teams")),
        ],
    }


def _trends_hidden(request: HttpRequest, params: ReportParams) -> bool:
    months = twelve_months(params)
    return _hidden(request, params, months[0], params.period_to)


def _teams_hidden(request: HttpRequest, params: ReportParams) -> bool:
    asked = not params.suppress or params.unsuppressed_refused
    return not disclosure.in_full(acting_user(request), team_audits(params), asked=asked)


@read_reports
@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """Period A against period B, both chosen by the reader, under the report's filters."""
    params = _params(request)
    if ComparePeriodsForm.asked(request.GET):
        form = ComparePeriodsForm(request.GET)
    else:
        earlier = params.shifted(params.months)
        form = ComparePeriodsForm(
            ComparePeriodsForm.initial_for(
                (earlier.period_from, earlier.period_to), (params.period_from, params.period_to)
            )
        )
    comparison = None
    hidden = params.suppress
    if form.is_valid():
        first, second = (
            dataclasses.replace(
                params,
                period_from=form.cleaned_data[f"{period}_period"][0],
                period_to=form.cleaned_data[f"{period}_period"][1],
                intervals=False,
            )
            for period in ("a", "b")
        )
        hidden = _hidden(
            request,
            params,
            min(first.period_from, second.period_from),
            max(first.period_to, second.period_to),
        )
        comparison = compare_periods(first, second, hidden=hidden)
    context = _figures_context(params, "compare", hidden)
    context.update(
        form=form,
        comparison=comparison,
        sections=[
            ("good", "Share rated good or better"),
            ("poor", "Share rated inadequate or worse"),
        ],
        report_pairs=[p for p in params.pairs() if p[0] != "intervals"],
    )
    return render(request, "reports/compare.html", context)


@read_reports
@require_GET
def trends(request: HttpRequest) -> HttpResponse:
    """The overall rating and each domain, month by month over twelve months."""
    params = _params(request)
    found = domain_trends(params, hidden=_trends_hidden(request, params))
    context = _figures_context(params, "trends", found.hidden)
    url = reverse("reports:trend-chart")
    context.update(
        trends=found,
        series=[
            (trend, trend_charts.trend_alt(found, trend), f"{url}?{context['query']}&series={i}")
            for i, trend in enumerate(found.series)
        ],
    )
    return render(request, "reports/trends.html", context)


@read_reports
@require_GET
def teams(request: HttpRequest) -> HttpResponse:
    """Teams side by side for the period, and the funnel plot of their shares."""
    params = _params(request)
    table = team_table(params, hidden=_teams_hidden(request, params))
    context = _figures_context(params, "teams", table.hidden)
    context.update(
        table=table,
        funnel_alt=trend_charts.funnel_alt(table),
        funnel_url=f"{reverse('reports:funnel-chart')}?{context['query']}",
    )
    return render(request, "reports/teams.html", context)


def _svg(figures: dict[str, Any]) -> HttpResponse:
    return HttpResponse(trend_charts.chart_svg(figures), content_type="image/svg+xml")


@read_reports
@require_GET
def trend_chart(request: HttpRequest) -> HttpResponse:
    """One chart of the trends page (`series`: 0 the overall rating, then each domain),
    with the numbers this reader may see."""
    params = _params(request)
    found = domain_trends(params, hidden=_trends_hidden(request, params))
    series = request.GET.get("series", "0")
    if not series.isdigit() or int(series) >= len(found.series):
        raise Http404("No such chart.")
    return _svg(trend_charts.trend_figures(found, found.series[int(series)]))


@read_reports
@require_GET
def funnel_chart(request: HttpRequest) -> HttpResponse:
    """The funnel plot of the teams page, with the numbers this reader may see."""
    params = _params(request)
    return _svg(
        trend_charts.funnel_figures(team_table(params, hidden=_teams_hidden(request, params)))
    )
