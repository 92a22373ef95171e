"""The exports open in the programs people use and hold the report's tables and charts;
small-number suppression reaches every one of them."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.test import Client
from docx import Document
from openpyxl import load_workbook

from tests.support.briefing import load_briefing
from tests.support.people import Personas, signed_in

SUPPRESSED = "from=2009-10&to=2010-02&tool=quality-of-practice"  # the default
# A director may open every audit counted, so may ask for the figures in full.
QUERY = f"{SUPPRESSED}&unsuppressed=1"


@pytest.fixture
def client(personas: Personas, tmp_path: Path) -> Client:
    load_briefing(tmp_path)
    return signed_in(personas.director)


def _table_texts(document: Document) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]


def test_the_word_briefing_is_laid_out_like_the_source(client: Client) -> None:
    response = client.get(
        f"/reports/export.docx?{QUERY}&briefing_for=Safeguarding Committee&lead_officer=M. Wheeler"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.docx"')
    document = Document(io.BytesIO(response.content))
    tables = _table_texts(document)
    heading = tables[0]
    assert heading[0] == ["Briefing for:", "Safeguarding Committee"]
    assert heading[1] == ["Title:", "Quality of Practice Audit - update"]
    assert heading[2] == ["Lead Officer:", "M. Wheeler"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "181 cases audited across Children and Families" in text
    assert "63 cases rated as good (34.8%)" in text
    assert (
        "Areas of good practice: Supervision/Management Overview, Key Assessment Episodes"
        " and Case Transfer and Closure." in text
    )
    # January's themed audit falls in the period, as in the briefing.
    assert (
        "Themed audit, Child Protection Core Assessment: 39 cases looked at across 3 domains."
        in text
    )
    assert (
        "In the Strategy discussion domain, 11 cases rated as inadequate, 16 cases rated as"
        " adequate and 11 cases rated as good." in text
    )
    for section in ("Cases audited", "Overall ratings", "Domain ratings", "Key"):
        assert section in [p.text for p in document.paragraphs]
    assert "IA – INADEQUATE – needs immediate manager action" in text
    by_area = next(t for t in tables if t[0] == ["Service area", "Cases audited"])
    assert by_area[1:] == [
        ["Child Protection", "34"],
        ["First Response", "39"],
        ["Children in Need and Safeguarding", "40"],
        ["Children in Care", "31"],
        ["Leaving Care", "15"],
        ["Children with Disabilities", "22"],
        ["Total", "181"],
    ]
    overall = next(t for t in tables if t[0][0] == "Rating")
    assert overall[2] == ["Good", "63", "34.8"]
    # Charts are pictures: overall, domains, per month, the theme, two comparisons.
    images = [r for r in document.part.rels.values() if "image" in r.reltype]
    assert len(images) == 6


def test_the_word_briefing_includes_themed_results_in_their_period(client: Client) -> None:
    response = client.get("/reports/export.docx?from=2009-10&to=2009-12&tool=quality-of-practice")
    document = Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in document.paragraphs]
    assert not any(text.startswith("Themed audit:") for text in paragraphs)
    assert "No themed audit was completed in this period." in paragraphs
    assert len([r for r in document.part.rels.values() if "image" in r.reltype]) == 5
    response = client.get("/reports/export.docx?from=2010-01&to=2010-01&tool=quality-of-practice")
    document = Document(io.BytesIO(response.content))
    assert (
        "Themed audit: Child Protection Core Assessment – 39 cases looked at across 3 domains"
        in [p.text for p in document.paragraphs]
    )
    themed = next(t for t in _table_texts(document) if t[1][0] == "Strategy discussion")
    assert themed[1][:2] == ["Strategy discussion", "38"]
    images = [r for r in document.part.rels.values() if "image" in r.reltype]
    assert len(images) == 6


def test_the_workbook_has_a_sheet_per_table_and_native_charts(client: Client) -> None:
    response = client.get(f"/reports/export.xlsx?{QUERY}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:5] == [
        "Report",
        "Cases audited",
        "Overall ratings",
        "Domain ratings",
        "By month",
    ]
    overall = book["Overall ratings"]
    assert [c.value for c in overall[5]] == ["Good", 63, 34.8]
    domains = book["Domain ratings"]
    assert domains["A4"].value == "Referral and Response"
    assert domains["B4"].value == 161
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    # overall, per month, domains, the two comparisons, January's theme
    assert len(charts) == 6
    assert any(name.startswith("Themed – Child Protection") for name in book.sheetnames)
    assert "Children and Families" in [c.value for c in book["Report"]["B"]]


def test_csv_and_json_downloads(client: Client) -> None:
    response = client.get(f"/reports/export.csv?{QUERY}")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert next(r for r in rows if r["section"] == "audits_completed")["count"] == "181"
    response = client.get(f"/reports/summary.json?{QUERY}&download=1")
    assert response["Content-Disposition"] == 'attachment; filename="qpa-report.json"'
    assert response.json()["audits_completed"] == 181


def test_suppression_reaches_the_page_and_every_export(client: Client) -> None:
    suppressed = SUPPRESSED
    summary = client.get(f"/reports/summary.json?{suppressed}").json()
    outstanding = summary["overall"][0]
    assert (outstanding["rating"], outstanding["count"], outstanding["percent"]) == (
        "Outstanding",
        None,
        None,
    )
    critical = summary["overall"][4]
    assert critical["count"] is None
    assert summary["overall"][1]["count"] == 63
    assert summary["suppression"]["applied"] is True

    page = client.get(f"/reports/?{suppressed}").content.decode()
    assert "not shown" in page
    assert "1 case rated as outstanding" not in page

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/reports/export.csv?{suppressed}").content.decode())
        )
    )
    assert (
        next(r for r in rows if r["rating"] == "Outstanding" and r["section"] == "overall")["count"]
        == "not shown"
    )

    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{suppressed}").content))
    assert [c.value for c in book["Overall ratings"][4]] == [
        "Outstanding",
        "not shown",
        "not shown",
    ]

    document = Document(io.BytesIO(client.get(f"/reports/export.docx?{suppressed}").content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Some cases rated as outstanding" in text
    assert "1 case rated as outstanding" not in text
    overall = next(t for t in _table_texts(document) if t[0][0] == "Rating")
    assert overall[1] == ["Outstanding", "not shown", "not shown"]


def test_intervals_are_wilson_intervals(client: Client) -> None:
    summary = client.get(f"/reports/summary.json?{QUERY}&intervals=1").json()
    good = summary["overall"][1]
    # 63 of 181: Wilson 95% interval 28.2% to 42.0% (computed by hand from the formula).
    assert good["ci95"] == [28.2, 42.0]
    assert "ci95" not in client.get(f"/reports/summary.json?{QUERY}").json()["overall"][1]
