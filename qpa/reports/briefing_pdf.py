"""The briefing as a PDF for committee papers (ReportLab's page layout engine), drawn
from the same blocks as the Word briefing (docs/decisions/0090-pdf-briefing-with-reportlab.md).

A4 portrait; on every page the protective marking and the title at the top, and
"Page X of Y", the date and the marking at the foot (the total is known once the last
page is laid out, so pages are kept until then); tables with column widths fitted to
their text, their header row repeated on each page, kept with their caption, and kept
whole when they fit on a page; the key kept together; charts as 300 dpi pictures, each
followed by its alternative text as a caption. Text is DejaVu Sans (shipped with
matplotlib), so any name prints.
"""

from __future__ import annotations

import io
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm, mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    ListFlowable,
    Paragraph,
    SimpleDocTemplate,
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
    column_widths,
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
TEXT_WIDTH = PAGE_WIDTH - 2 * SIDE_MARGIN
TABLE_FONT = 8.5
CELL_PADDING = 4
INK = colors.HexColor("#0B0C0C")

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13.5, spaceAfter=5)
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
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=TABLE_FONT, leading=10.5),
    "cell-number": ParagraphStyle(
        "cell-number", fontName=FONT, fontSize=TABLE_FONT, leading=10.5, alignment=TA_RIGHT
    ),
    "head": ParagraphStyle("head", fontName=BOLD, fontSize=TABLE_FONT, leading=10.5),
    "head-number": ParagraphStyle(
        "head-number", fontName=BOLD, fontSize=TABLE_FONT, leading=10.5, alignment=TA_RIGHT
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


def _measure(text: str, bold: bool) -> float:
    return pdfmetrics.stringWidth(text, BOLD if bold else FONT, TABLE_FONT)


def _text(text: str) -> str:
    return escape(text)


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
        self.saveState()
        self.setFillColor(INK)
        self.setFont(BOLD, 10)
        self.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 12 * mm, b.marking)
        self.setFont(FONT, 8.5)
        self.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 17 * mm, b.title)
        self.setFont(FONT, 8.5)
        self.drawString(SIDE_MARGIN, 14 * mm, f"Page {self.getPageNumber()} of {total}")
        self.drawRightString(PAGE_WIDTH - SIDE_MARGIN, 14 * mm, b.date)
        self.setFont(BOLD, 10)
        self.drawCentredString(PAGE_WIDTH / 2, 8 * mm, b.marking)
        self.restoreState()


class PdfBriefing:
    def __init__(self, briefing: Briefing) -> None:
        self.briefing = briefing

    def render(self) -> bytes:
        b = self.briefing
        out = io.BytesIO()
        document = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=SIDE_MARGIN,
            rightMargin=SIDE_MARGIN,
            topMargin=2.5 * cm,
            bottomMargin=2.4 * cm,
            title=b.title,
            subject=b.marking,
            keywords=[b.marking],
            creator="Quality of Practice Audit",
            lang="en-GB",
        )
        story: list[Flowable] = [self._heading_block(), Spacer(1, 10)]
        headings: list[Flowable] = []
        for block in b.blocks:
            flowables = self._flowables(block)
            if isinstance(block, Heading):
                headings.extend(flowables)
                continue
            if headings:
                # A heading never ends a page: it goes with what it heads (a chart, or a
                # table's title and first rows).
                at = next(i for i, f in enumerate(flowables) if not isinstance(f, CondPageBreak))
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
        document.build(story, canvasmaker=partial(_NumberedCanvas, briefing=b))
        return out.getvalue()

    def _heading_block(self) -> Flowable:
        rows = [
            [Paragraph(_text(label), STYLES["head"]), Paragraph(_text(value), STYLES["cell"])]
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

    def _table(self, block: TableBlock) -> list[Flowable]:
        widths = column_widths(block, TEXT_WIDTH, _measure, 2 * CELL_PADDING)

        def cells(values: list[str], head: bool) -> list[Paragraph]:
            return [
                Paragraph(
                    _text(text),
                    STYLES[("head" if head else "cell") + ("-number" if number else "")],
                )
                for text, number in zip(values, block.numeric, strict=True)
            ]

        data = [cells(block.header, True), *[cells(row, False) for row in block.rows]]
        table = PdfTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
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
        # A table that fits on a page stays whole with its title; a longer one starts
        # where its title, header and a few rows fit, and repeats its header.
        return [CondPageBreak(4 * cm), KeepTogether([title, table]), Spacer(1, 8)]

    def _chart(self, block: ChartBlock) -> list[Flowable]:
        data, (width, height) = charts.chart_png(block.spec)
        shown = min(TEXT_WIDTH, width * 72)
        picture = Image(io.BytesIO(data), width=shown, height=shown * height / width)
        caption = Paragraph(_text(block.caption), STYLES["caption"])
        return [KeepTogether([picture, caption])]


def briefing_pdf(
    report: Report,
    heading: BriefingHeading,
    *,
    marking: str | None = None,
    today: date | None = None,
) -> bytes:
    return PdfBriefing(briefing_content(report, heading, marking=marking, today=today)).render()
