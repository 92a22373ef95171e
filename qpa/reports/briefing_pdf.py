"""The briefing as a PDF for committee papers (ReportLab's page layout engine), drawn
from the same blocks as the Word briefing (docs/decisions/0090-pdf-briefing-with-reportlab.md).

A4 portrait; on every page the protective marking and the title at the top, and
"Page X of Y", the date and the marking at the foot (the total is known once the last
page is laid out, so pages are kept until then); tables with column widths fitted to
their text, never narrower than a column's longest word or number (`table_layout`: a
table too wide for the page is set in a smaller type, and only failing that on a
landscape page), their header row repeated on each page, kept with their caption, and
kept whole when they fit on a page; the key kept together; charts as 300 dpi pictures,
each followed by its alternative text as a caption and kept with its table. Text is
DejaVu Sans (shipped with matplotlib), so any name prints.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm, mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    ActionFlowable,
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    ListFlowable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from qpa.reports import charts
from qpa.reports.briefing import (
    Briefing,
    BriefingHeading,
    ChartBlock,
    Heading,
    KeyBlock,
    Para,
    TableBlock,
    briefing_content,
)
from qpa.reports.report import Report

# Binary streams: ASCII85 text encoding only grows the file, and without ReportLab's
# optional C accelerator it takes seconds for the charts' pictures.
rl_config.useA85 = 0

FONT, BOLD, ITALIC = "QPA-Sans", "QPA-Sans-Bold", "QPA-Sans-Oblique"
_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
for _name, _file in (
    (FONT, "DejaVuSans.ttf"),
    (BOLD, "DejaVuSans-Bold.ttf"),
    (ITALIC, "DejaVuSans-Oblique.ttf"),
):
    if _name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_name, str(_FONTS / _file)))
pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic=BOLD)

PAGE_WIDTH, PAGE_HEIGHT = A4
SIDE_MARGIN = 2.5 * cm
TOP_MARGIN, BOTTOM_MARGIN = 2.5 * cm, 2.4 * cm
TEXT_WIDTH = PAGE_WIDTH - 2 * SIDE_MARGIN
LANDSCAPE_TEXT_WIDTH = PAGE_HEIGHT - 2 * SIDE_MARGIN
TABLE_FONT = 8.5
# A table too wide for the page at TABLE_FONT tries each smaller size in turn; 7 points of
# DejaVu Sans still reads easily on paper.
TABLE_FONTS = (TABLE_FONT, 8.0, 7.5, 7.0)
CELL_PADDING = 4
# ReportLab breaks a word that is wider than its column by any rounding at all.
WIDTH_SLACK = 1.0
INK = colors.HexColor("#0B0C0C")


def _cell_styles(size: float) -> dict[str, ParagraphStyle]:
    """A table's cells and header in type of `size` points, numbers to the right."""
    leading = size + 2
    return {
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=size, leading=leading),
        "cell-number": ParagraphStyle(
            "cell-number", fontName=FONT, fontSize=size, leading=leading, alignment=TA_RIGHT
        ),
        "head": ParagraphStyle("head", fontName=BOLD, fontSize=size, leading=leading),
        "head-number": ParagraphStyle(
            "head-number", fontName=BOLD, fontSize=size, leading=leading, alignment=TA_RIGHT
        ),
    }


_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13.5, spaceAfter=5)
_TABLE_STYLES = {size: _cell_styles(size) for size in TABLE_FONTS}
STYLES = {
    "body": _BODY,
    "note": ParagraphStyle("note", parent=_BODY, fontSize=9, leading=12),
    "bullet": ParagraphStyle("bullet", parent=_BODY, spaceAfter=3),
    "caption": ParagraphStyle(
        "caption", parent=_BODY, fontName=ITALIC, fontSize=8.5, leading=11, spaceAfter=4
    ),
    "table-title": ParagraphStyle(
        "table-title", parent=_BODY, fontName=BOLD, fontSize=9.5, spaceBefore=4, spaceAfter=3
    ),
    1: ParagraphStyle(
        "h1", fontName=BOLD, fontSize=14, leading=18, spaceBefore=10, spaceAfter=6,
        keepWithNext=1,
    ),
    2: ParagraphStyle(
        "h2", fontName=BOLD, fontSize=12, leading=15, spaceBefore=12, spaceAfter=5,
        keepWithNext=1,
    ),
    3: ParagraphStyle(
        "h3", fontName=BOLD, fontSize=10.5, leading=13.5, spaceBefore=8, spaceAfter=4,
        keepWithNext=1,
    ),
}  # fmt: skip


def _text(text: str) -> str:
    return escape(text)


# --- Fitting a table to the page ------------------------------------------------------


@dataclass(frozen=True)
class TableLayout:
    font_size: float
    widths: list[float]
    landscape: bool


def _needs(block: TableBlock, size: float) -> tuple[list[float], list[float]]:
    """Each column's least width (its longest word or number, which must never be
    broken) and the width that puts its longest cell on one line, padding included."""
    columns = len(block.header)
    least = [0.0] * columns
    most = [0.0] * columns
    extra = 2 * CELL_PADDING + WIDTH_SLACK
    for index, row in enumerate([block.header, *block.rows]):
        font = BOLD if index == 0 else FONT
        for c, text in enumerate(row):
            words = text.split() or [""]
            widest = max(pdfmetrics.stringWidth(w, font, size) for w in words)
            least[c] = max(least[c], widest + extra)
            most[c] = max(most[c], pdfmetrics.stringWidth(text, font, size) + extra)
    return least, most


def fitted_widths(block: TableBlock, available: float, size: float) -> list[float] | None:
    """Column widths within `available` that break no word or number, or None when the
    columns' longest words alone are wider than that.

    Every column has its longest word; what is left goes first to the text columns
    (a domain name on one line), then to the numbers' columns (their headers on fewer
    lines), and what is left after that is shared in proportion, so that every table
    spans the text width.
    """
    least, most = _needs(block, size)
    if sum(least) > available:
        return None
    widths = list(least)
    spare = available - sum(least)
    text = [c for c, number in enumerate(block.numeric) if not number]
    numbers = [c for c, number in enumerate(block.numeric) if number]
    for group in (text, numbers):
        lacking = {c: most[c] - widths[c] for c in group if most[c] > widths[c]}
        wanted = sum(lacking.values())
        if not wanted or spare <= 0:
            continue
        given = min(spare, wanted)
        for c, lack in lacking.items():
            widths[c] += given * lack / wanted
        spare -= given
    if spare > 0:
        total = sum(widths)
        widths = [w + spare * w / total for w in widths]
    return widths


def table_layout(block: TableBlock) -> TableLayout:
    """The largest type in which the table fits the portrait page without breaking a
    word or number; failing that, a landscape page; failing even that (a table of
    dozens of columns), the landscape page with its columns squeezed."""
    for landscape_page, available in ((False, TEXT_WIDTH), (True, LANDSCAPE_TEXT_WIDTH)):
        for size in TABLE_FONTS:
            widths = fitted_widths(block, available, size)
            if widths is not None:
                return TableLayout(size, widths, landscape_page)
    size = TABLE_FONTS[-1]
    least, _ = _needs(block, size)
    scale = LANDSCAPE_TEXT_WIDTH / sum(least)
    return TableLayout(size, [w * scale for w in least], True)


class _NumberedCanvas(Canvas):
    """Keeps each page until the document ends, then draws "Page X of Y" on all."""

    def __init__(self, *args: Any, briefing: Briefing, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._briefing = briefing
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        b = self._briefing
        width, height = self._pagesize  # type: ignore[attr-defined]  # a landscape page too
        self.saveState()
        self.setFillColor(INK)
        self.setFont(BOLD, 10)
        self.drawCentredString(width / 2, height - 12 * mm, b.marking)
        self.setFont(FONT, 8.5)
        self.drawCentredString(width / 2, height - 17 * mm, b.title)
        self.setFont(FONT, 8.5)
        self.drawString(SIDE_MARGIN, 14 * mm, f"Page {self.getPageNumber()} of {total}")
        self.drawRightString(width - SIDE_MARGIN, 14 * mm, b.date)
        self.setFont(BOLD, 10)
        self.drawCentredString(width / 2, 8 * mm, b.marking)
        self.restoreState()


def _page_template(name: str, size: tuple[float, float]) -> PageTemplate:
    # No side padding: the text is the 16 cm between the margins, as the charts are drawn.
    frame = Frame(
        SIDE_MARGIN,
        BOTTOM_MARGIN,
        size[0] - 2 * SIDE_MARGIN,
        size[1] - TOP_MARGIN - BOTTOM_MARGIN,
        leftPadding=0,
        rightPadding=0,
        id=name,
    )
    return PageTemplate(id=name, frames=[frame], pagesize=size)


# What moves to another page or page template rather than drawing anything.
_PAGE_CONTROL = (CondPageBreak, PageBreak, ActionFlowable)


class PdfBriefing:
    def __init__(self, briefing: Briefing) -> None:
        self.briefing = briefing

    def render(self) -> bytes:
        b = self.briefing
        out = io.BytesIO()
        document = BaseDocTemplate(
            out,
            pagesize=A4,
            pageTemplates=[
                _page_template("portrait", A4),
                _page_template("landscape", landscape(A4)),
            ],
            leftMargin=SIDE_MARGIN,
            rightMargin=SIDE_MARGIN,
            topMargin=TOP_MARGIN,
            bottomMargin=BOTTOM_MARGIN,
            title=b.title,
            subject=b.marking,
            keywords=[b.marking],
            creator="Quality of Practice Audit",
            lang="en-GB",
        )
        document.build(self.story(), canvasmaker=partial(_NumberedCanvas, briefing=b))
        return out.getvalue()

    def story(self) -> list[Flowable]:
        story: list[Flowable] = [self._heading_block(), Spacer(1, 10)]
        headings: list[Flowable] = []
        blocks = self.briefing.blocks
        index = 0
        while index < len(blocks):
            block = blocks[index]
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            if isinstance(block, ChartBlock) and isinstance(following, TableBlock):
                flowables = self._table(following, chart=block)
                index += 2
            else:
                flowables = self._flowables(block)
                index += 1
            if isinstance(block, Heading):
                headings.extend(flowables)
                continue
            if headings:
                # A heading never ends a page: it goes with what it heads (a chart, or a
                # table's title and first rows), onto a landscape page with its table.
                at = next(i for i, f in enumerate(flowables) if not isinstance(f, _PAGE_CONTROL))
                story.extend(flowables[:at])
                first = flowables[at]
                # Flattened: ReportLab breaks the page before a KeepTogether nested in one.
                inner = first._content if isinstance(first, KeepTogether) else [first]  # type: ignore[attr-defined]
                story.append(KeepTogether([*headings, *inner]))
                story.extend(flowables[at + 1 :])
                headings = []
            else:
                story.extend(flowables)
        story.extend(headings)
        return story

    def _heading_block(self) -> Flowable:
        styles = _TABLE_STYLES[TABLE_FONT]
        rows = [
            [Paragraph(_text(label), styles["head"]), Paragraph(_text(value), styles["cell"])]
            for label, value in self.briefing.heading_rows
        ]
        table = PdfTable(rows, colWidths=[4 * cm, TEXT_WIDTH - 4 * cm], hAlign="LEFT")
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, INK)]))
        return table

    def _flowables(self, block: Any) -> list[Flowable]:
        if isinstance(block, Heading):
            return [Paragraph(_text(block.text), STYLES[block.level])]
        if isinstance(block, Para):
            if block.kind in ("bullet", "sub-bullet"):
                indent = 14 if block.kind == "bullet" else 28
                return [
                    ListFlowable(
                        [Paragraph(_text(block.text), STYLES["bullet"])],
                        bulletType="bullet",
                        start="•" if block.kind == "bullet" else "–",
                        leftIndent=indent,
                        bulletFontName=FONT,
                    )
                ]
            return [Paragraph(_text(block.text), STYLES[block.kind])]
        if isinstance(block, TableBlock):
            return self._table(block)
        if isinstance(block, ChartBlock):
            return self._chart(block)
        if isinstance(block, KeyBlock):
            return [KeepTogether([Paragraph(_text(line), STYLES["body"]) for line in block.lines])]
        raise TypeError(f"No PDF drawing for {block!r}")

    def _table(self, block: TableBlock, chart: ChartBlock | None = None) -> list[Flowable]:
        layout = table_layout(block)
        styles = _TABLE_STYLES[layout.font_size]

        def cells(values: list[str], head: bool) -> list[Paragraph]:
            return [
                Paragraph(
                    _text(text),
                    styles[("head" if head else "cell") + ("-number" if number else "")],
                )
                for text, number in zip(values, block.numeric, strict=True)
            ]

        data = [cells(block.header, True), *[cells(row, False) for row in block.rows]]
        table = PdfTable(data, colWidths=layout.widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, INK),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9D9D9")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        title = Paragraph(_text(block.title), STYLES["table-title"])
        if chart is None:
            # A table that fits on a page stays whole with its title; a longer one starts
            # where its title, header and a few rows fit, and repeats its header.
            flowables: list[Flowable] = [CondPageBreak(4 * cm), KeepTogether([title, table])]
        else:
            # A chart and the table of its figures go on one page; a table too long for
            # that starts on the page of its chart.
            flowables = [KeepTogether([*self._chart_parts(chart), title, table])]
        flowables.append(Spacer(1, 8))
        if layout.landscape:
            return [
                NextPageTemplate("landscape"),
                PageBreak(),
                *flowables,
                NextPageTemplate("portrait"),
                PageBreak(),
            ]
        return flowables

    def _chart(self, block: ChartBlock) -> list[Flowable]:
        return [KeepTogether(self._chart_parts(block))]

    def _chart_parts(self, block: ChartBlock) -> list[Flowable]:
        data, (width, height) = charts.chart_png(block.spec)
        shown = min(TEXT_WIDTH, width * 72)
        picture = Image(io.BytesIO(data), width=shown, height=shown * height / width)
        return [picture, Paragraph(_text(block.caption), STYLES["caption"])]


def briefing_pdf(
    report: Report,
    heading: BriefingHeading,
    *,
    marking: str | None = None,
    today: date | None = None,
) -> bytes:
    return PdfBriefing(briefing_content(report, heading, marking=marking, today=today)).render()
