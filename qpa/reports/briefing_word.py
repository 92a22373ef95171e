"""The briefing as a Word document (python-docx), laid out as a council paper.

A4 portrait; the protective marking and the title in the header, the marking again and
"Page X of Y" (Word's PAGE and NUMPAGES fields) with the date in the footer; tables with
fixed column widths fitted to their text, a header row that repeats on each page, rows
that never split, and small tables kept whole (a long one keeps its header with its
first rows); the key kept together; charts as 300 dpi pictures with alternative text.
"""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from reportlab.pdfbase.pdfmetrics import stringWidth

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

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
SIDE_MARGIN = Cm(2.5)
TEXT_WIDTH_PT = (210 - 2 * 25) / 25.4 * 72  # 16 cm in points
TABLE_FONT = 9
# Word's default cell margins are 0.19 cm each side; a little more for safety.
CELL_PADDING_PT = 2 * 0.19 / 2.54 * 72 + 3
KEEP_WHOLE_ROWS = 30  # a table this long or shorter never splits over pages
HEADER_FILL = "D9D9D9"


def _measure(text: str, bold: bool) -> float:
    """Width in points of text in Arial (Helvetica has Arial's metrics)."""
    return stringWidth(text, "Helvetica-Bold" if bold else "Helvetica", TABLE_FONT)


def _field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice fill in as they lay out."""
    for kind, text in (("begin", None), ("instr", instruction), ("separate", None)):
        run = paragraph.add_run()
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)
    paragraph.add_run(shown)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _row_property(row: object, name: str) -> None:
    tr = row._tr  # type: ignore[attr-defined]
    properties = tr.get_or_add_trPr()
    element = OxmlElement(name)
    element.set(qn("w:val"), "true")
    properties.append(element)


def _shade(cell: object, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


class WordBriefing:
    def __init__(self, briefing: Briefing) -> None:
        self.briefing = briefing
        self.doc = Document()

    def render(self) -> bytes:
        self._page()
        self._styles()
        self._heading_block()
        for block in self.briefing.blocks:
            if isinstance(block, Heading):
                self._heading(block)
            elif isinstance(block, Para):
                self._para(block)
            elif isinstance(block, TableBlock):
                self._table(block)
            elif isinstance(block, ChartBlock):
                self._chart(block)
            elif isinstance(block, KeyBlock):
                self._key(block)
        core = self.doc.core_properties
        core.title = self.briefing.title
        core.subject = self.briefing.marking
        core.keywords = self.briefing.marking
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

    # -- the page ---------------------------------------------------------------------

    def _page(self) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.left_margin = section.right_margin = SIDE_MARGIN
        section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
        section.header_distance = section.footer_distance = Cm(1)
        b = self.briefing

        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        marking = header.add_run(b.marking)
        marking.bold = True
        title = section.header.add_paragraph(b.title)
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.runs[0].font.size = Pt(9)

        footer = section.footer.paragraphs[0]
        footer.paragraph_format.tab_stops.add_tab_stop(Cm(16), WD_TAB_ALIGNMENT.RIGHT)
        footer.add_run("Page ")
        _field(footer, "PAGE", "1")
        footer.add_run(" of ")
        _field(footer, "NUMPAGES", "1")
        footer.add_run(f"\t{b.date}")
        for run in footer.runs:
            run.font.size = Pt(9)
        mark = section.footer.add_paragraph()
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
        mark.add_run(b.marking).bold = True

    def _styles(self) -> None:
        styles = self.doc.styles
        normal = styles["Normal"]
        normal.font.name = "Arial"
        normal.font.size = Pt(11)
        for name, size in (("Heading 1", 14), ("Heading 2", 12), ("Heading 3", 11)):
            style = styles[name]
            style.font.name = "Arial"
            style.font.size = Pt(size)
            style.font.color.rgb = RGBColor(0x0B, 0x0C, 0x0C)
            style.paragraph_format.keep_with_next = True
            style.paragraph_format.space_before = Pt(12)

    def _heading_block(self) -> None:
        block = self.doc.add_table(rows=0, cols=2)
        block.style = "Table Grid"
        block.autofit = False
        for label, value in self.briefing.heading_rows:
            cells = block.add_row().cells
            cells[0].text = label
            cells[1].text = value
            cells[0].paragraphs[0].runs[0].bold = True
            cells[0].width, cells[1].width = Cm(4), Cm(12)
        self.doc.add_paragraph()

    # -- blocks -----------------------------------------------------------------------

    def _heading(self, block: Heading) -> None:
        self.doc.add_heading(block.text, level=block.level)

    def _para(self, block: Para) -> None:
        style = {"bullet": "List Bullet", "sub-bullet": "List Bullet 2"}.get(block.kind)
        paragraph = self.doc.add_paragraph(block.text, style=style)
        if block.kind == "note":
            for run in paragraph.runs:
                run.font.size = Pt(10)

    def _table(self, block: TableBlock) -> None:
        caption = self.doc.add_paragraph()
        caption.add_run(block.title).bold = True
        caption.paragraph_format.keep_with_next = True
        caption.paragraph_format.space_after = Pt(3)
        widths = column_widths(block, TEXT_WIDTH_PT, _measure, CELL_PADDING_PT)
        table = self.doc.add_table(rows=1, cols=len(block.header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        table.autofit = False
        self._fill_row(table.rows[0], block.header, block.numeric, bold=True)
        _row_property(table.rows[0], "w:tblHeader")
        for values in block.rows:
            self._fill_row(table.add_row(), values, block.numeric, bold=False)
        for index, width in enumerate(widths):
            table.columns[index].width = Pt(width)
            for cell in table.columns[index].cells:
                cell.width = Pt(width)
        # Keep the table with its caption, and whole when it is short; a long table at
        # least keeps its header with its first two rows.
        keep = len(table.rows) - 1 if len(block.rows) <= KEEP_WHOLE_ROWS else 3
        for number, row in enumerate(table.rows):
            _row_property(row, "w:cantSplit")
            if number < min(keep, len(table.rows) - 1):
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        paragraph.paragraph_format.keep_with_next = True
        self.doc.add_paragraph().paragraph_format.space_after = Pt(0)

    def _fill_row(self, row: object, values: list[str], numeric: list[bool], *, bold: bool) -> None:
        for cell, text, is_number in zip(row.cells, values, numeric, strict=True):  # type: ignore[attr-defined]
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(text)
            run.bold = bold
            run.font.size = Pt(TABLE_FONT)
            paragraph.paragraph_format.space_after = Pt(0)
            if is_number:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if bold:
                _shade(cell, HEADER_FILL)

    def _chart(self, block: ChartBlock) -> None:
        data, _ = charts.chart_png(block.spec)
        paragraph = self.doc.add_paragraph()
        paragraph.paragraph_format.keep_with_next = True
        shape = paragraph.add_run().add_picture(io.BytesIO(data), width=Cm(16))
        properties = shape._inline.docPr
        properties.set("descr", block.spec.alt)
        properties.set("title", block.spec.figures["title"])
        # The chart stays with its heading and caption; its table may start a new page.
        caption = self.doc.add_paragraph(block.caption)
        for run in caption.runs:
            run.italic = True
            run.font.size = Pt(9)

    def _key(self, block: KeyBlock) -> None:
        for number, line in enumerate(block.lines):
            paragraph = self.doc.add_paragraph(line)
            paragraph.paragraph_format.space_after = Pt(2)
            paragraph.paragraph_format.keep_together = True
            paragraph.paragraph_format.keep_with_next = number < len(block.lines) - 1


def briefing_docx(
    report: Report,
    heading: BriefingHeading,
    *,
    marking: str | None = None,
    today: date | None = None,
) -> bytes:
    return WordBriefing(briefing_content(report, heading, marking=marking, today=today)).render()
