"""The briefing a performance team sends upward, laid out as a council paper: what it
says, once, for the Word document (briefing_word.py) and the PDF (briefing_pdf.py).

`briefing_content(report, heading)` turns a report into a list of blocks — headings,
paragraphs, tables, charts and the key — in the order of the report page, with every
section of the page and its figures in plain words. Both renderers draw the same blocks:
A4 portrait, the protective marking (`QPA_PROTECTIVE_MARKING`) and the title in the
header, "Page X of Y" and the date in the footer, column widths fitted to their text
(`column_widths`: never narrower than a column's longest word), header rows repeated on
each page and kept with the table, the key kept together, charts at print resolution
with their alternative text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone

from qpa.assurance.agreement import kappa_figure, kappa_words
from qpa.reports import charts, disclosure, process
from qpa.reports.exports import CHILD_AND_FAMILY, KEY_TEXT, Table, tables
from qpa.reports.key_areas import key_areas
from qpa.reports.models import BenchmarkFile
from qpa.reports.report import Report, message_lines

# --- What a briefing holds -----------------------------------------------------------


@dataclass(frozen=True)
class BriefingHeading:
    briefing_for: str = "Children and Families Performance Management Team"
    title: str = "Quality of Practice Audit - update"
    lead_officer: str = ""
    date: str = ""


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 1: a part of the paper; 2: a section; 3: a sub-section


@dataclass(frozen=True)
class Para:
    text: str
    kind: str = "body"  # body, bullet, sub-bullet, note


@dataclass(frozen=True)
class TableBlock:
    title: str
    header: list[str]
    rows: list[list[str]]
    numeric: list[bool]


@dataclass(frozen=True)
class ChartBlock:
    spec: charts.ChartSpec

    @property
    def caption(self) -> str:
        return self.spec.alt.replace("The table below gives", "The table after it gives")


@dataclass(frozen=True)
class KeyBlock:
    lines: list[str]


Block = Heading | Para | TableBlock | ChartBlock | KeyBlock


@dataclass(frozen=True)
class Briefing:
    marking: str
    title: str
    date: str
    heading_rows: list[tuple[str, str]]
    blocks: list[Block] = field(default_factory=list)

    @property
    def sections(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Heading)]


# --- Figures in words ----------------------------------------------------------------


def cell_text(value: Any, form: str) -> str:
    """A table cell as the briefing prints it."""
    if isinstance(value, str):
        return value
    if form == "percent":
        return f"{value:.1f}"
    if form == "kappa":
        return kappa_figure(value)
    return str(value)


def _plural(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def _share(part: int, whole: int) -> str:
    return f"{round(part * 100 / whole)}%" if whole else "none"


def _some(n: int | None, noun: str, plural: str | None = None) -> str:
    """A count in words; a hidden one is "some" (never "fewer than 5")."""
    if n is None:
        return f"some {plural or noun + 's'}"
    return _plural(n, noun, plural)


def _of(part: int | None, whole: int | None) -> str:
    """ "(62%)", or nothing when either count is hidden."""
    if part is None or whole is None:
        return ""
    return f" ({_share(part, whole)})"


def agreement_words(extra: dict[str, Any]) -> list[str]:
    """Moderation and agreement in plain words: hidden counts are "some", and no
    statistic of fewer than 5 pairs is given (`process.agreement_entry`)."""
    agreement = extra["agreement"]
    moderated = agreement["moderated"]
    if moderated == 0:
        return ["No case was moderated in the cycles of this period."]
    lines = [
        f"{_some(moderated, 'case').capitalize()} {'was' if moderated == 1 else 'were'}"
        " moderated blind in the cycles of this period: a second auditor rated the case"
        " without seeing the first auditor's ratings."
    ]
    grade = agreement["overall_grade"]
    if grade["pairs"] != 0:
        same = process.count_text(grade["same"]).replace(disclosure.HIDDEN, "some")
        lines.append(
            f"The moderator gave the same overall grade as the first auditor in {same} of"
            f" {_some(grade['pairs'], 'case')}{_of(grade['same'], grade['pairs'])}."
        )
        if not grade["measured"]:
            lines.append(
                "Agreement beyond chance (kappa) is not measured: there are too few pairs"
                " to measure it (fewer than 5)."
            )
        else:
            # The moderation page's measure and words (assurance.agreement), so the paper
            # and the page never disagree.
            kappa = grade["linear_kappa"]
            if kappa is None:
                lines.append(
                    "Both auditors gave every case one and the same overall grade, so"
                    " agreement beyond chance (kappa) cannot be worked out."
                )
            else:
                lines.append(
                    "Allowing for the agreement chance alone would give, moderators and first"
                    f" auditors agreed {kappa_words(kappa)} on the overall grade (weighted"
                    f" kappa {kappa_figure(kappa)}). Kappa is 1 for perfect agreement and 0 for"
                    " agreement no better than chance."
                )
    domains = agreement["all_domains"]
    if domains["pairs"] != 0:
        same = process.count_text(domains["same"]).replace(disclosure.HIDDEN, "some")
        share = _of(domains["same"], domains["pairs"])
        lines.append(
            f"Across the domains, the two auditors gave the same rating {same} times in"
            f" {_some(domains['pairs'], 'pair')} of ratings{share}."
        )
    if changed := process.changed_sentence(agreement):
        lines.append(changed)
    return lines


def quality_words(quality: dict[str, Any]) -> list[str]:
    due, on_time = quality["due"], quality["on_time"]
    lines = [
        f"{process.count_text(on_time).replace(disclosure.HIDDEN, 'Some')} of"
        f" {_some(due, 'audit')} due in the period {'was' if on_time == 1 else 'were'}"
        f" completed by the due date{_of(on_time, due)}."
        if due != 0
        else "No audit was due in the period."
    ]
    open_actions, overdue = quality["open_actions"], quality["overdue_actions"]
    lines.append(
        f"{process.count_text(overdue).replace(disclosure.HIDDEN, 'Some')} of"
        f" {_some(open_actions, 'follow-up action')} open at the end of the period"
        f" {'was' if overdue == 1 else 'were'} overdue."
        if open_actions != 0
        else "No follow-up action was open at the end of the period."
    )
    recorded, captured = quality["voice_recorded"], quality["voice_captured"]
    lines.append(
        f"{process.count_text(captured).replace(disclosure.HIDDEN, 'Some')} of"
        f" {_some(recorded, 'audit')} completed in the period captured the child's voice"
        f" (fully or in part){_of(captured, recorded)}."
        if recorded != 0
        else "No audit completed in the period recorded whether the child's voice was heard."
    )
    return lines


def reaudit_words(extra: dict[str, Any]) -> list[str]:
    if not extra["reaudits"]:
        return ["No re-audit sample was drawn for the quarters of this period."]

    def c(n: int | None) -> str:
        return "some" if n is None else str(n)

    return [
        f"{r['quarter']}: {_some(r['drawn'], 'case')} drawn for re-audit and"
        f" {c(r['completed'])} re-audited; {c(r['improved'])} improved, {c(r['unchanged'])}"
        f" unchanged and {c(r['declined'])} declined; {c(r['cleared'])} left the re-audit"
        f" pool; {c(r['actions_completed'])} of {_some(r['actions'], 'follow-up action')}"
        " completed."
        for r in extra["reaudits"]
    ]


def benchmark_rows(report: Report) -> dict[str, Any]:
    """Other councils' figures beside ours: overall and domain percentages."""
    files = list(BenchmarkFile.objects.filter(tool=report.summary["tool"]))
    if not files:
        return {}
    ours = report.summary
    ratings = [r["rating"] for r in ours["overall"]]
    overall = []
    for rating in ratings:
        row = [next((r["percent"] for r in ours["overall"] if r["rating"] == rating), None)]
        for f in files:
            row.append(
                next((r["percent"] for r in f.figures["overall"] if r["rating"] == rating), None)
            )
        overall.append((rating, row))
    domains = []
    for domain in ours["domains"]:
        name = domain["domain"]
        good = [domain["good_or_better_percent"]]
        poor = [domain["inadequate_or_worse_percent"]]
        for f in files:
            theirs = next((d for d in f.figures["domains"] if d["domain"] == name), None)
            good.append(theirs["good_or_better_percent"] if theirs else None)
            poor.append(theirs["inadequate_or_worse_percent"] if theirs else None)
        domains.append((name, good, poor))
    completed = [ours["audits_completed"], *[f.figures["audits_completed"] for f in files]]
    return {"files": files, "overall": overall, "domains": domains, "completed": completed}


# --- The content ---------------------------------------------------------------------


def _printable(text: str) -> str:
    """A Word document cannot hold control characters; key messages are typed text."""
    return "".join(ch for ch in text if ch >= " " or ch == "\t")


def _table(table: Table, *, short: bool = True) -> TableBlock:
    header = table.short_header if short and table.short_header else table.header
    return TableBlock(
        title=table.title,
        header=[_printable(h) for h in header],
        rows=[
            [_printable(cell_text(v, f)) for v, f in zip(row, table.formats, strict=True)]
            for row in table.rows
        ],
        numeric=[f != "text" for f in table.formats],
    )


def _pct(value: float | None) -> str:
    return disclosure.HIDDEN if value is None else f"{value:.1f}%"


def briefing_content(
    report: Report,
    heading: BriefingHeading,
    *,
    marking: str | None = None,
    today: date | None = None,
) -> Briefing:
    s = report.summary
    params = report.params
    when = heading.date or f"{today or timezone.localdate():%-d %B %Y}"
    by_title = {t.title: t for t in tables(report) if t.in_briefing}
    specs = charts.chart_specs(report)
    blocks: list[Block] = []
    add = blocks.append

    def table_with_chart(title: str) -> None:
        table = by_title[title]
        if table.chart and table.chart in specs:
            add(ChartBlock(specs[table.chart]))
        add(_table(table))

    add(Heading(f"Summary of key messages – {params.label}", 1))
    add(
        Para(
            f"{s['tool']}, {params.scope}"
            + (f", cycle {s['filters']['cycle_name']}" if s["filters"]["cycle_name"] else "")
            + ". Figures only: no child, case or audit is named.",
            "note",
        )
    )
    if s["suppression"].get("too_few"):
        add(Para(disclosure.TOO_FEW_NOTE, "note"))
    elif s["suppression"].get("applied"):
        add(Para(f"{disclosure.NOTE} They say “{disclosure.HIDDEN}”.", "note"))
    for sub, text in message_lines(report.key_messages):
        add(Para(_printable(text), "sub-bullet" if sub else "bullet"))

    add(Heading("Cases audited", 2))
    add(_table(by_title["Cases audited by service area"]))
    if s["audits_completed"] != 0 and not s["suppression"].get("too_few"):
        concerns, audits = s["safeguarding_concerns"], s["audits_completed"]
        add(
            Para(
                "Safeguarding concerns raised:"
                f" {disclosure.HIDDEN if concerns is None else concerns} of"
                f" {disclosure.HIDDEN if audits is None else audits} audits (the auditor was"
                " not sure the child was safe, or said the child was not)."
            )
        )
    add(Heading("Overall ratings", 2))
    table_with_chart("Overall ratings")

    add(Heading("Domain ratings", 2))
    areas = key_areas(s)
    if areas.too_few:
        add(Para(areas.too_few_message))
    else:
        for label, names in (
            ("Areas of good practice", areas.good),
            ("Areas of poor practice", areas.poor),
        ):
            add(Para(f"{label}: {', '.join(names) or 'none in this period'}.", "bullet"))
    add(
        Para(
            "Domains are ranked by the share of the cases rated in the domain that were good"
            " or better (and inadequate or worse). The rating columns use the codes of the"
            " key at the end of this paper.",
            "note",
        )
    )
    table_with_chart("Domain ratings")

    add(Heading("Summary of cases audited – number by rating per month", 2))
    table_with_chart("Cases audited by rating per month")

    periods = ", ".join(report.comparison.periods)
    add(Heading(f"Comparisons of good practice ({periods})", 2))
    table_with_chart("Comparison of good practice (% good or better)")
    add(Heading(f"Comparisons of poor practice ({periods})", 2))
    table_with_chart("Comparison of poor practice (% inadequate or worse)")

    add(Heading("Themed audits", 2))
    if s["tool_kind"] == "themed":
        add(Para(f"{s['tool']} is a themed tool: its results per domain are above."))
    elif not report.themed:
        add(Para("No themed audit was completed in this period."))
    for theme in report.themed:
        n = theme["audits_completed"]
        cases = "Cases (number not shown)" if n is None else _plural(n, "case")
        add(
            Heading(
                f"Themed audit: {theme['tool']} – {cases} looked at across"
                f" {len(theme['domains'])} domains",
                3,
            )
        )
        table_with_chart(f"Themed audit: {theme['tool']}")

    add(Heading(CHILD_AND_FAMILY, 2))
    add(
        Para(
            "Of the audits whose tool asks about them: the child's lived experience is evident"
            " when every question about the child was answered yes (or not applicable), and"
            " the family's view when the family was asked about the help they received.",
            "note",
        )
    )
    add(_table(by_title[CHILD_AND_FAMILY]))

    add(Heading("Actions", 2))
    add(_table(by_title["Actions"]))

    extra = report.extra
    if extra:
        add(Heading("Re-audit outcomes", 2))
        for line in reaudit_words(extra):
            add(Para(line))
        if extra["reaudits"]:
            add(_table(by_title["Re-audit outcomes"]))
        add(Heading("Moderation and agreement", 2))
        for line in agreement_words(extra):
            add(Para(line))
        if extra["agreement"]["moderated"] != 0:
            add(_table(by_title["Agreement between first auditors and moderators"]))
            if by_title["Agreement by domain"].rows:
                add(_table(by_title["Agreement by domain"]))
        add(Heading("Audit quality", 2))
        for line in quality_words(extra["quality"]):
            add(Para(line))
        add(_table(by_title["Audit quality"]))

    benchmarks = benchmark_rows(report)
    if benchmarks:
        add(Heading("Other councils", 2))
        add(Para("Figures from benchmarking files other councils shared.", "note"))
        names = [
            f"{f.council}, {f.period_from:%b %Y} to {f.period_to:%b %Y}"
            for f in benchmarks["files"]
        ]
        add(
            TableBlock(
                "Overall ratings beside other councils (% of cases audited)",
                ["Rating", "This report", *names],
                [[r, *[_pct(v) for v in values]] for r, values in benchmarks["overall"]],
                [False, True, *[True] * len(names)],
            )
        )
        add(
            TableBlock(
                "Domains beside other councils (% good or better / % inadequate or worse)",
                ["Domain", "This report", *[f.council for f in benchmarks["files"]]],
                [
                    [d, *[f"{_pct(g)} / {_pct(p)}" for g, p in zip(good, poor, strict=True)]]
                    for d, good, poor in benchmarks["domains"]
                ],
                [False, True, *[True] * len(names)],
            )
        )

    add(Heading("Key", 2))
    lines = []
    for rating in s["ratings_key"]:
        meaning = KEY_TEXT.get(rating["code"], rating["rating"].upper())
        if rating["inadequate_or_worse"]:
            meaning += " – needs immediate manager action"
        lines.append(f"{rating['code']} – {meaning}")
    lines.append(
        f"{disclosure.HIDDEN} – a number from 1 to 4, or one from which such a number could be"
        " worked out, hidden so that no child can be identified"
    )
    lines.append("none – nothing to count: no case was rated")
    add(KeyBlock(lines))

    return Briefing(
        marking=marking if marking is not None else settings.QPA_PROTECTIVE_MARKING,
        title=heading.title or BriefingHeading.title,
        date=when,
        heading_rows=[
            ("Briefing for:", heading.briefing_for),
            ("Title:", heading.title),
            ("Lead Officer:", heading.lead_officer),
            ("Date:", when),
        ],
        blocks=blocks,
    )


# --- Column widths -------------------------------------------------------------------


def column_widths(
    block: TableBlock,
    available: float,
    measure: Callable[[str, bool], float],
    padding: float,
) -> list[float]:
    """Widths (in points) that fit each column to its text within `available`.

    A column is never narrower than its longest word (so no word is broken), and wants
    its longest cell on one line. When every column can have what it wants, the spare
    width is shared in proportion; otherwise each gets its longest word, and the rest
    goes to the columns whose text would wrap, in proportion to what they lack.
    """
    columns = len(block.header)
    least = [0.0] * columns
    most = [0.0] * columns
    for index, row in enumerate([block.header, *block.rows]):
        bold = index == 0
        for c, text in enumerate(row):
            words = text.split() or [""]
            least[c] = max(least[c], max(measure(w, bold) for w in words) + padding)
            most[c] = max(most[c], measure(text, bold) + padding)
    if sum(most) <= available:
        spare = available - sum(most)
        total = sum(most) or 1
        return [m + spare * m / total for m in most]
    if sum(least) <= available:
        spare = available - sum(least)
        lacking = [m - w for m, w in zip(most, least, strict=True)]
        total = sum(lacking) or 1
        return [w + spare * lack / total for w, lack in zip(least, lacking, strict=True)]
    scale = available / sum(least)
    return [w * scale for w in least]
