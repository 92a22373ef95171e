"""The briefing a performance officer sends upward: a council paper in Word and in PDF
(A4, protective marking, "Page X of Y", fitted columns, repeated and kept header rows,
every section of the page), the workbook's sheet names and period, text that never
becomes a formula, one meaning per colour and hatching on every chart, and charts drawn
once per set of figures."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from matplotlib.colors import to_hex
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from qpa.audits.models import Audit, Captured
from qpa.organisation.models import ServiceArea
from qpa.reports import charts
from qpa.reports.exports import tables
from qpa.reports.models import KeyMessages
from qpa.reports.report import ReportParams, build_report
from qpa.reports.services import key_messages_save, report_aggregates_rebuild
from tests.support.briefing import load_briefing
from tests.support.factories import CaseFactory, TeamFactory, area, submitted_audit
from tests.support.people import Personas, signed_in

# October 2009 to February 2010: the briefing's period. A director may open every audit
# counted, so may ask for the figures in full.
QUERY = "from=2009-10&to=2010-02&tool=quality-of-practice&unsuppressed=1"
SECTIONS = [
    "Cases audited",
    "Overall ratings",
    "Domain ratings",
    "Summary of cases audited – number by rating per month",
    "Themed audits",
    "Actions",
    "Re-audit outcomes",
    "Moderation and agreement",
    "Audit quality",
    "Key",
]


@pytest.fixture(autouse=True)
def chart_cache(tmp_path: Path) -> Any:
    """Each test draws its charts afresh, in a cache of its own."""
    location = tmp_path / "chart-cache"
    with override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "charts": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(location),
            },
        }
    ):
        yield caches["charts"]


@pytest.fixture
def client(personas: Personas, tmp_path: Path) -> Client:
    load_briefing(tmp_path)
    return signed_in(personas.director)


def _docx(client: Client, query: str = QUERY) -> Any:
    response = client.get(f"/reports/export.docx?{query}&lead_officer=M. Wheeler")
    assert response.status_code == 200
    return Document(io.BytesIO(response.content))


def _texts(table: Any) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def _today() -> str:
    return f"{date.today():%-d %B %Y}"


# --- Word ------------------------------------------------------------------------------


def test_the_word_briefing_is_an_a4_council_paper_with_marking_and_page_numbers(
    client: Client,
) -> None:
    document = _docx(client)
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1)
    assert abs(section.page_height - Mm(297)) < Mm(1)
    assert section.page_height > section.page_width  # portrait

    header = [p.text for p in section.header.paragraphs]
    assert header == ["OFFICIAL-SENSITIVE", "Quality of Practice Audit - update"]
    footer = section.footer._element.xml
    instructions = [i.text.strip() for i in section.footer._element.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    footer_text = "".join(t.text or "" for t in section.footer._element.iter(qn("w:t")))
    assert footer_text.startswith("Page 1 of 1")
    assert _today() in footer_text
    assert "OFFICIAL-SENSITIVE" in footer_text
    assert 'w:fldCharType="begin"' in footer and 'w:fldCharType="end"' in footer


def test_the_protective_marking_is_a_setting(client: Client) -> None:
    with override_settings(QPA_PROTECTIVE_MARKING="OFFICIAL"):
        document = _docx(client)
    assert document.sections[0].header.paragraphs[0].text == "OFFICIAL"
    assert document.core_properties.keywords == "OFFICIAL"


def test_the_word_briefing_holds_every_section_of_the_page(client: Client) -> None:
    document = _docx(client)
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for section in SECTIONS:
        assert section in headings, section
    assert headings.index("Re-audit outcomes") < headings.index("Key")
    text = "\n".join(p.text for p in document.paragraphs)
    # Moderation and audit quality in plain words, as the page has them.
    assert "No case was moderated in the cycles of this period." in text
    assert "No re-audit sample was drawn for the quarters of this period." in text
    assert "No audit was due in the period." in text
    # The key is kept together: each line but the last keeps with the next.
    key = [p for p in document.paragraphs if re.match(r"^(O|G|A|IA|C|not shown|none) – ", p.text)]
    assert [p.text.split(" – ")[0] for p in key] == ["O", "G", "A", "IA", "C", "not shown", "none"]
    assert all(p.paragraph_format.keep_with_next for p in key[:-1])
    assert not key[-1].paragraph_format.keep_with_next


def test_a_share_of_no_audits_says_none_not_suppressed(client: Client) -> None:
    document = _docx(client)
    # The same months a year earlier (October 2008 to February 2009) had no audits.
    comparison = next(
        _texts(t)
        for t in document.tables
        if _texts(t)[0][0:2] == ["Domain", "October 2009 to February 2010 (%)"]
    )
    header, first = comparison[0], comparison[1]
    year_earlier = header.index("October 2008 to February 2009 (%)")
    assert first[year_earlier] == "none"
    assert first[header.index("October 2008 to February 2009 (n)")] == "0"
    assert "not shown" not in {cell for row in comparison for cell in row}


def test_tables_repeat_their_header_keep_it_with_their_rows_and_fit_their_words(
    client: Client,
) -> None:
    document = _docx(client)
    data_tables = document.tables[1:]  # after the heading block
    assert len(data_tables) >= 8
    for table in data_tables:
        rows = table.rows
        assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in rows)
        # The header row keeps with the first data row: never alone at a page's foot.
        assert all(p.paragraph_format.keep_with_next for c in rows[0].cells for p in c.paragraphs)
        caption = table._element.getprevious()
        assert caption.tag == qn("w:p")
        assert caption.find(".//" + qn("w:keepNext")) is not None
    domains = next(
        t for t in data_tables if _texts(t)[0][0] == "Domain" and "Rated" in _texts(t)[0]
    )
    widths_pt = [c.width.pt for c in domains.rows[0].cells]
    assert sum(widths_pt) <= 16 / 2.54 * 72 + 1  # within the A4 text width
    padding = 2 * 0.19 / 2.54 * 72
    for column, width in enumerate(widths_pt):
        words = {w for row in _texts(domains) for w in row[column].split()}
        longest = max(stringWidth(w, "Helvetica-Bold", 9) for w in words)
        assert width >= longest + padding, (column, width, longest)
    assert [r[0] for r in _texts(domains)][1:3] == ["Referral and Response", "Risk Assessment"]


def test_charts_are_at_print_resolution_with_their_alternative_text(client: Client) -> None:
    document = _docx(client)
    shapes = document.inline_shapes
    assert len(shapes) == 6
    for shape in shapes:
        alt = shape._inline.docPr.get("descr")
        assert alt and alt.endswith("The table below gives the figures.")
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        image = document.part.related_parts[blip.embed].blob
        pixels = Image.open(io.BytesIO(image)).size[0]
        inches = shape.width.inches
        assert pixels / inches >= 295, (pixels, inches)


# --- PDF -------------------------------------------------------------------------------


def test_the_pdf_briefing_is_the_same_paper_on_a4_with_page_numbers(client: Client) -> None:
    response = client.get(f"/reports/export.pdf?{QUERY}&lead_officer=M. Wheeler")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('.pdf"')
    reader = PdfReader(io.BytesIO(response.content))
    pages = reader.pages
    assert len(pages) >= 4
    for page in pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1
    texts = [page.extract_text() for page in pages]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert text.count("OFFICIAL-SENSITIVE") == 2  # at the top and at the foot
        assert _today() in text
    everything = "\n".join(texts)
    for section in SECTIONS:
        assert section in everything, section
    assert "181 cases audited across Children and Families" in everything
    assert "M. Wheeler" in everything
    assert "Bar chart of overall ratings, October 2009 to February 2010." in everything
    assert (
        reader.metadata is not None
        and reader.metadata.title == "Quality of Practice Audit - update"
    )
    images = sum(len(page.images) for page in pages)
    assert images == 6


def test_the_report_page_links_both_briefings(client: Client) -> None:
    page = client.get(f"/reports/?{QUERY}").content.decode()
    assert 'href="/reports/export.pdf?' in page
    assert 'formaction="/reports/export.pdf"' in page
    assert "Download the Word briefing" in page


# --- Excel and CSV ---------------------------------------------------------------------


def test_sheet_names_read_as_words_within_31_characters(client: Client, personas: Personas) -> None:
    response = client.get(f"/reports/export.xlsx?{QUERY}&from=2010-01&to=2010-01")
    book = load_workbook(io.BytesIO(response.content))
    params = ReportParams.build(
        period_from=date(2010, 1, 1),
        period_to=date(2010, 1, 1),
        tool="quality-of-practice",
        reader=personas.director,
        unsuppressed=True,
    )
    intended = [t.sheet for t in tables(build_report(params))]
    assert book.sheetnames[0] == "Report"
    assert len(book.sheetnames) == len(intended) + 1
    for name, full in zip(book.sheetnames[1:], intended, strict=True):
        assert len(name) <= 31, name
        # Cut only between words: the name is the full name or its first words.
        assert full.startswith(name) and full[len(name) : len(name) + 1] in ("", " "), name
        assert book[name]["A1"].value.endswith(", January 2010")
    assert "Themed – Child Protection Core" in book.sheetnames
    assert "Themed – Child Protection Core Assessment" in intended


def test_every_sheet_is_bound_to_the_chosen_period(personas: Personas) -> None:
    team = TeamFactory(name="CP Team B", service_area=area("child-protection"))
    for day, voice in (
        (date(2025, 11, 5), Captured.YES),
        (date(2025, 11, 20), Captured.NO),
        (date(2025, 12, 3), Captured.YES),
        (date(2025, 12, 4), Captured.YES),
        (date(2025, 12, 9), Captured.PARTLY),
    ):
        audit = submitted_audit(case=CaseFactory(team=team), audit_date=day)
        Audit.objects.filter(pk=audit.pk).update(child_experience_captured=voice)
    report_aggregates_rebuild()
    client = signed_in(personas.director)
    book = load_workbook(
        io.BytesIO(
            client.get(
                "/reports/export.xlsx?from=2025-11&to=2025-11&tool=quality-of-practice&unsuppressed=1"
            ).content
        )
    )
    quality = book["Audit quality"]
    assert quality["A1"].value == "Audit quality, November 2025"
    rows = {r[0].value: [c.value for c in r[1:]] for r in quality.iter_rows(min_row=4)}
    assert rows["Audits that captured the child’s voice"] == [1, 2]
    assert book["Overall ratings"]["A1"].value == "Overall ratings, November 2025"
    december = load_workbook(
        io.BytesIO(
            client.get(
                "/reports/export.xlsx?from=2025-12&to=2025-12&tool=quality-of-practice&unsuppressed=1"
            ).content
        )
    )
    rows = {
        r[0].value: [c.value for c in r[1:]] for r in december["Audit quality"].iter_rows(min_row=4)
    }
    assert rows["Audits that captured the child’s voice"] == [3, 3]


def test_typed_text_never_becomes_a_formula(client: Client, personas: Personas) -> None:
    formula = '=HYPERLINK("http://evil.example/","Open the report")'
    params = ReportParams.build(
        period_from=date(2009, 10, 1), period_to=date(2010, 2, 1), tool="quality-of-practice"
    )
    key_messages_save(
        acting_user=personas.performance,
        parameters=build_report(params).params.key(),
        text=f"{formula}\n- +SUM(1,2)",
    )
    assert KeyMessages.objects.count() == 1
    ServiceArea.objects.filter(slug="leaving-care").update(name="=1+2")
    response = client.get("/reports/export.xlsx?from=2009-10&to=2010-02&tool=quality-of-practice")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            assert "<f>" not in archive.read(name).decode(), name
    book = load_workbook(io.BytesIO(response.content))
    messages = [c.value for c in book["Report"]["A"] if c.value]
    assert formula in messages
    assert "    – +SUM(1,2)" in messages
    assert "=1+2" in [c.value for c in book["Cases audited"]["A"]]

    rows = list(
        csv.reader(io.StringIO(client.get(f"/reports/export.csv?{QUERY}").content.decode()))
    )
    assert ["by_service_area", "'=1+2", "", "15", ""] in rows


# --- Charts ----------------------------------------------------------------------------


def _drawn(figure: Any) -> list[tuple[str, str, str]]:
    """(meaning, colour, hatching) of every legend entry of a drawn chart."""
    out = []
    for legend in [*(ax.get_legend() for ax in figure.axes), *figure.legends]:
        if legend is None:
            continue
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
            out.append((text.get_text(), to_hex(handle.get_facecolor()), handle.get_hatch() or ""))
    return out


def test_each_rating_has_one_colour_and_hatching_on_every_chart(client: Client) -> None:
    params = ReportParams.build(
        period_from=date(2010, 1, 1), period_to=date(2010, 1, 1), tool="quality-of-practice"
    )
    specs = charts.chart_specs(build_report(params))
    assert set(specs) == {
        "overall",
        "domains",
        "by-month",
        "good-comparison",
        "poor-comparison",
        "themed-1",
    }
    meaning_of: dict[tuple[str, str], str] = {}
    colour_of: dict[str, str] = {}
    hatch_of: dict[str, str] = {}
    for name, spec in specs.items():
        figure = charts.draw(spec)
        entries = _drawn(figure)
        assert entries or spec.kind == "overall", name
        for meaning, colour, hatch in entries:
            code = meaning.split(" – ")[0]
            if code in charts.RATING_STYLES:
                style = charts.RATING_STYLES[code]
                assert (colour, hatch) == (style.colour.lower(), style.hatch), (name, meaning)
            # One meaning per colour, and one per hatching, across every chart.
            assert meaning_of.setdefault((colour, hatch), meaning) == meaning, (name, meaning)
            assert colour_of.setdefault(colour, meaning) == meaning, (name, meaning, colour)
            assert hatch_of.setdefault(hatch, meaning) == meaning, (name, meaning, hatch)
        if spec.kind == "overall":
            # Each bar of the overall chart is drawn in its own rating's style.
            bars = [p for p in figure.axes[0].patches]
            codes = [code for code, _ in spec.figures["key"]]
            assert [to_hex(b.get_facecolor()) for b in bars] == [
                charts.RATING_STYLES[c].colour.lower() for c in codes
            ]
    assert {"G – Good", "IA – Inadequate"} <= set(meaning_of.values())
    # The periods of the comparisons use none of the ratings' colours.
    rating_colours = {s.colour.lower() for s in charts.RATING_STYLES.values()}
    assert not rating_colours & {s.colour.lower() for s in charts.PERIOD_STYLES}


def test_the_workbook_draws_ratings_in_the_same_colours(client: Client) -> None:
    response = client.get(f"/reports/export.xlsx?{QUERY}")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        xml = "".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart")
        )
    for code in ("O", "G", "A", "IA", "C"):  # the briefing's scale
        style = charts.RATING_STYLES[code]
        if style.excel_pattern:
            assert f'prst="{_drawingml(style.excel_pattern)}"' in xml
        assert style.colour.upper().lstrip("#") in xml.upper()


def _drawingml(pattern: str) -> str:
    """XlsxWriter's pattern names as DrawingML writes them."""
    return {
        "small_confetti": "smConfetti",
        "wide_upward_diagonal": "wdUpDiag",
        "light_vertical": "ltVert",
        "light_horizontal": "ltHorz",
        "small_check": "smCheck",
        "wide_downward_diagonal": "wdDnDiag",
    }[pattern]


def test_charts_are_drawn_once_per_set_of_figures(
    client: Client, chart_cache: Any, personas: Personas
) -> None:
    url = f"/reports/chart/overall.svg?{QUERY}"
    first = client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "image/svg+xml"
    params = ReportParams.build(
        period_from=date(2009, 10, 1),
        period_to=date(2010, 2, 1),
        tool="quality-of-practice",
        reader=personas.director,
        unsuppressed=True,
    )
    spec = charts.chart_spec(params, "overall")
    assert spec is not None
    key = f"qpa-chart:svg:{spec.digest}"
    assert chart_cache.get(key) == first.content
    # The page's next request is answered from the cache, not drawn again; the page
    # names each chart by its figures' digest.
    chart_cache.set(key, b"<svg>kept</svg>")
    assert client.get(url).content == b"<svg>kept</svg>"
    page = client.get(f"/reports/?{QUERY}").content.decode()
    named = re.search(r'src="(/reports/chart/overall\.svg\?[^"]+)"', page)
    assert named is not None and f"v={spec.digest}" in named.group(1)
    assert client.get(named.group(1).replace("&amp;", "&")).content == b"<svg>kept</svg>"
    # New figures are a new drawing.
    team = TeamFactory(name="CP Team C", service_area=area("child-protection"))
    submitted_audit(case=CaseFactory(team=team), audit_date=date(2009, 11, 2))
    report_aggregates_rebuild()
    fresh = charts.chart_spec(params, "overall")
    assert fresh is not None and fresh.digest != spec.digest
    assert client.get(url).content.startswith(b"<?xml")


def _agreement(**changes: Any) -> dict[str, Any]:
    """A process document's agreement part: seven moderated, six agreed, three changed."""
    grade = {
        "pairs": 7,
        "same": 4,
        "measured": True,
        "exact_percent": 57,
        "linear_kappa": 0.6,
        "linear_kappa_ci95": [0.3, 0.9],
        "quadratic_kappa": 0.77,
        "quadratic_kappa_ci95": [0.5, 1.0],
    }
    agreement = {
        "moderated": 7,
        "agreed": 6,
        "changed": 3,
        "changed_measured": True,
        "changed_percent": 50,
        "overall_grade": grade,
        "all_domains": {**grade, "pairs": 0},
        "by_domain": [],
        "by_cycle": [],
    }
    return {**agreement, **changes}


def test_the_briefing_words_agreement_as_the_moderation_page_does() -> None:
    from qpa.assurance.agreement import kappa_words
    from qpa.reports.briefing import agreement_words

    text = " ".join(agreement_words({"agreement": _agreement()}))
    # The moderation page's measure (linearly weighted) and its words; never another
    # kappa with other words ("substantial", 0.77) for the same pairs.
    assert f"agreed {kappa_words(0.6)} on the overall grade (weighted kappa 0.60)" in text
    assert "moderately" in text and "0.77" not in text and "substantial" not in text
    assert "changed the overall grade of 3 of the 6 cases whose grade was agreed (50%)" in text


def test_hidden_counts_are_never_spliced_into_the_moderation_sentence() -> None:
    from qpa.reports.briefing import agreement_words
    from qpa.reports.process import changed_sentence

    hidden = _agreement(agreed=None, changed=None, changed_percent=None)
    for text in (changed_sentence(hidden), " ".join(agreement_words({"agreement": hidden}))):
        assert "not shown" not in text and "the some" not in text
        assert "changed the overall grade of some of the cases" in text
        assert "too small to show" in text
    few = _agreement(agreed=3, changed=1, changed_measured=False, changed_percent=None)
    assert changed_sentence(few) == (
        "The overall grade was agreed for 3 cases: too few to say how often moderation changes it."
    )
    assert changed_sentence(_agreement(agreed=0, changed=0)) == ""


# --- PDF tables fit their numbers and words --------------------------------------------


def _briefing(personas: Personas, *, unsuppressed: bool) -> Any:
    from qpa.reports.briefing import BriefingHeading, briefing_content

    params = ReportParams.build(
        period_from=date(2009, 10, 1),
        period_to=date(2010, 2, 1),
        tool="quality-of-practice",
        reader=personas.director,
        unsuppressed=unsuppressed,
    )
    return briefing_content(build_report(params), BriefingHeading())


def _flat(flowables: list[Any]) -> list[Any]:
    """The story's flowables with those kept together taken out of their group."""
    out = []
    for flowable in flowables:
        inner = getattr(flowable, "_content", None)
        out.extend(_flat(inner) if isinstance(inner, list) else [flowable])
    return out


def _words_as_laid_out(cell: Any, width: float) -> list[str]:
    """The words of a cell's lines as ReportLab breaks them in a column this wide."""
    cell.wrap(width, 10_000)
    lines = cell.blPara.lines
    if cell.blPara.kind == 0:
        return [word for _, words in lines for word in words]
    return [word for line in lines for frag in line.words for word in frag.text.split()]


@pytest.mark.parametrize("unsuppressed", [True, False])
def test_pdf_tables_never_break_a_number_or_a_word(
    client: Client, personas: Personas, unsuppressed: bool
) -> None:
    from reportlab.platypus import Table as PdfTable

    from qpa.reports import briefing_pdf
    from qpa.reports.briefing import TableBlock

    content = _briefing(personas, unsuppressed=unsuppressed)
    blocks = [b for b in content.blocks if isinstance(b, TableBlock)]
    story = _flat(briefing_pdf.PdfBriefing(content).story())
    drawn = [f for f in story if isinstance(f, PdfTable)][1:]  # after the heading block
    assert len(drawn) == len(blocks) >= 8
    narrower = []
    for block, table in zip(blocks, drawn, strict=True):
        layout = briefing_pdf.table_layout(block)
        widths = list(table._colWidths)
        assert widths == layout.widths, block.title
        page = briefing_pdf.LANDSCAPE_TEXT_WIDTH if layout.landscape else briefing_pdf.TEXT_WIDTH
        assert sum(widths) <= page + 0.01, block.title
        assert not layout.landscape, block.title  # these all fit the portrait page
        if layout.font_size < briefing_pdf.TABLE_FONT:
            narrower.append(block.title)
        padding = 2 * briefing_pdf.CELL_PADDING
        for number, row in enumerate([block.header, *block.rows]):
            font = briefing_pdf.BOLD if number == 0 else briefing_pdf.FONT
            for column, text in enumerate(row):
                for word in text.split():
                    needed = stringWidth(word, font, layout.font_size) + padding
                    assert needed <= widths[column], (block.title, word, widths[column])
        # ReportLab lays out every cell with each of its words whole.
        for row in table._cellvalues:
            for width, cell in zip(widths, row, strict=True):
                words = _words_as_laid_out(cell, width - padding)
                assert words == cell.getPlainText().split(), (block.title, words)
    # The widest tables are set a size smaller rather than squeezed.
    assert "Domain ratings" in narrower or unsuppressed


def test_the_pdf_briefing_prints_every_table_word_whole(client: Client) -> None:
    # Suppressed: "not shown" fills the narrow rating columns of the domain table.
    query = QUERY.replace("&unsuppressed=1", "")
    response = client.get(f"/reports/export.pdf?{query}")
    assert response.status_code == 200
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    printed = {word for text in texts for word in text.split()}
    for word in ("shown", "Supervision/Management", "Engagement/professional", "applicable"):
        assert word in printed, word
    assert not {"s", "hown", "Rate", "Supervision/Manageme"} & printed


def test_each_pdf_chart_shares_its_page_with_its_table(client: Client) -> None:
    response = client.get(f"/reports/export.pdf?{QUERY}")
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    captions = [
        "Bar chart of overall ratings",
        "Stacked bar chart of each domain's ratings",
        "Stacked bar chart of cases audited by rating per month",
        "Bar chart comparing good practice",
        "Bar chart comparing poor practice",
        "Stacked bar chart of Child Protection Core Assessment ratings",
    ]
    for caption in captions:
        page = next(t for t in texts if caption in t)
        after = page[page.index(caption) :]
        # The table of its figures starts right after it, on the same page.
        assert re.search(r"\n\s*(Rating|Domain|Month)\s*\n", after), caption


def test_a_table_too_wide_for_the_page_is_set_smaller_then_landscape() -> None:
    from qpa.reports import briefing_pdf
    from qpa.reports.briefing import Briefing, Heading, Para, TableBlock

    def wide(columns: int) -> TableBlock:
        header = ["Domain", *[f"February {2000 + c} (%)" for c in range(columns)]]
        row = ["Supervision/Management Overview", *["1000.0"] * columns]
        return TableBlock("Wide", header, [row, row], [False, *[True] * columns])

    # A little too wide at 8.5 points: a smaller type, on the portrait page.
    slightly = briefing_pdf.table_layout(wide(7))
    assert not slightly.landscape
    assert briefing_pdf.TABLE_FONTS[-1] <= slightly.font_size < briefing_pdf.TABLE_FONT
    # Far too wide even at 7 points: a landscape page, words and numbers whole.
    far = briefing_pdf.table_layout(wide(11))
    assert far.landscape
    assert sum(far.widths) <= briefing_pdf.LANDSCAPE_TEXT_WIDTH + 0.01
    assert far.widths[1] >= stringWidth("February", briefing_pdf.BOLD, far.font_size) + 8

    paper = Briefing(
        marking="OFFICIAL-SENSITIVE",
        title="Wide",
        date="1 March 2010",
        heading_rows=[("Title", "Wide")],
        blocks=[
            Heading("Before", 2),
            Para("Text."),
            Heading("A wide table", 2),
            wide(11),
            Heading("After", 2),
            Para("Text."),
        ],
    )
    pages = PdfReader(io.BytesIO(briefing_pdf.PdfBriefing(paper).render())).pages
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in pages]
    assert [w > h for w, h in sizes] == [False, True, False]
    texts = [p.extract_text() for p in pages]
    assert "A wide table" in texts[1] and "Supervision/Management" in texts[1]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of 3" in text
        assert text.count("OFFICIAL-SENSITIVE") == 2
