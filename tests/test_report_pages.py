"""Who sees reports, the filters, editing key messages, and benchmarking files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from qpa.accounts.models import Role
from qpa.core.models import Event
from qpa.reports.models import BenchmarkFile, KeyMessages
from qpa.reports.services import report_aggregates_refresh
from tests.support.briefing import load_briefing
from tests.support.factories import CaseFactory, UserFactory, submitted_audit
from tests.support.people import Personas, signed_in

QUERY = "from=2009-10&to=2010-02&tool=quality-of-practice"
URLS = [
    f"/reports/?{QUERY}",
    f"/reports/summary.json?{QUERY}",
    f"/reports/chart/overall.svg?{QUERY}",
    f"/reports/export.csv?{QUERY}",
]


@pytest.fixture
def loaded(personas: Personas, tmp_path: Path) -> Personas:
    load_briefing(tmp_path)
    return personas


@pytest.mark.parametrize("role", ["auditor", "practitioner", "outsider"])
def test_auditors_and_practitioners_are_refused(personas: Personas, role: str) -> None:
    client = signed_in(getattr(personas, role))
    for url in [*URLS, "/reports/benchmarks/", f"/reports/key-messages/?{QUERY}"]:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", ["performance", "director", "admin", "head_of_cp"])
def test_performance_directors_administrators_and_heads_of_service_see_figures(
    personas: Personas, role: str
) -> None:
    client = signed_in(getattr(personas, role))
    for url in URLS:
        assert client.get(url).status_code == 200, url


def test_deputy_director_sees_reports_and_the_navigation_names_them(personas: Personas) -> None:
    deputy = UserFactory(role=Role.DEPUTY_DIRECTOR)
    page = signed_in(deputy).get("/").content.decode()
    assert 'href="/reports/"' in page
    assert 'href="/reports/"' not in signed_in(personas.auditor).get("/").content.decode()


def test_a_head_of_service_sees_every_area_not_only_their_own(loaded: Personas) -> None:
    """Figures are not case detail: docs/decisions/0060-report-figures-for-every-reader.md"""
    summary = signed_in(loaded.head_of_cp).get(f"/reports/summary.json?{QUERY}").json()
    assert summary["audits_completed"] == 181
    assert len(summary["by_service_area"]) == 6


def test_the_page_shows_every_section_with_a_table_after_each_chart(loaded: Personas) -> None:
    page = signed_in(loaded.director).get(f"/reports/?{QUERY}&intervals=1").content.decode()
    for heading in (
        "Cases audited by service area",
        "Overall ratings",
        "Domain ratings",
        "Cases audited by rating per month",
        "Comparisons across periods",
        "Themed audits",
        "Actions",
        "Key messages",
    ):
        assert heading in page, heading
    assert "181 cases audited across Children and Families" in page
    assert '34.8% <span class="govuk-body-s">(63 of 181)</span>' in page
    assert "95% CI 28.2% to 42.0%" in page
    # Every chart is an image with alternative text, followed by its table.
    charts = page.split('<img src="/reports/chart/')[1:]
    assert len(charts) == 6
    for chunk in charts:
        assert 'alt="' in chunk.split(">")[0]
        # The chart's own table comes next: no other section in between.
        assert "<h3" not in chunk[: chunk.index("<table")]
    assert ' style="' not in page


def test_charts_are_svg_without_style_attributes(loaded: Personas) -> None:
    client = signed_in(loaded.performance)
    for name in (
        "overall",
        "by-month",
        "domains",
        "good-comparison",
        "poor-comparison",
        "themed-1",
    ):
        response = client.get(f"/reports/chart/{name}.svg?{QUERY}")
        assert response.status_code == 200, name
        assert response["Content-Type"] == "image/svg+xml"
        body = response.content.decode()
        assert body.lstrip().startswith("<?xml")
        assert " style=" not in body and "<style" not in body
    assert client.get(f"/reports/chart/nothing.svg?{QUERY}").status_code == 404


def test_filters_narrow_the_figures(loaded: Personas) -> None:
    client = signed_in(loaded.performance)
    lc = client.get(f"/reports/?{QUERY}&service_area=leaving-care").content.decode()
    assert "15 cases audited across Leaving Care" in lc
    case = CaseFactory(team=loaded.cp_team)
    audit = submitted_audit(case=case, overall="Inadequate", audit_date=date(2009, 11, 2))
    report_aggregates_refresh(audit_ids=[audit.pk])
    team = client.get(f"/reports/?{QUERY}&team={loaded.cp_team.public_id}").content.decode()
    # One audit: the Performance team, who may not open it, is told too few match.
    assert "Fewer than 5 cases audited across CP Team A" in team
    assert "1 case audited across CP Team A" not in team
    bad = client.get(f"/reports/?{QUERY}&service_area=leaving-care&team={loaded.cp_team.public_id}")
    assert "CP Team A is not a team of Leaving Care." in bad.content.decode()
    error = client.get("/reports/?from=2009-14&to=2010-02&tool=quality-of-practice")
    assert error.status_code == 200
    assert "There is a problem" in error.content.decode()
    assert "is not a month like 2026-10" in error.content.decode()


def test_performance_edits_the_key_messages_and_exports_use_them(loaded: Personas) -> None:
    client = signed_in(loaded.performance)
    form = client.get(f"/reports/key-messages/?{QUERY}").content.decode()
    assert "181 cases audited across Children and Families" in form  # the draft
    response = client.post(
        f"/reports/key-messages/?{QUERY}",
        {"text": "181 cases audited in the period\n- 34 children subject to a CP plan"},
    )
    assert response.status_code == 302
    saved = KeyMessages.objects.get()
    assert saved.edited_by == loaded.performance
    page = client.get(f"/reports/?{QUERY}").content.decode()
    assert "181 cases audited in the period" in page
    assert f"Edited by {loaded.performance}" in page
    csv_free = client.get(f"/reports/export.xlsx?{QUERY}")
    assert csv_free.status_code == 200
    assert Event.objects.filter(action="report.key_messages_saved").count() == 1
    # A blank edit is refused and changes nothing.
    refused = client.post(f"/reports/key-messages/?{QUERY}", {"text": "   "})
    assert refused.status_code == 200
    assert "There is a problem" in refused.content.decode()
    assert KeyMessages.objects.get().text.startswith("181 cases audited in the period")


def test_directors_read_key_messages_but_cannot_edit_them(loaded: Personas) -> None:
    client = signed_in(loaded.director)
    assert "Edit the key messages" not in client.get(f"/reports/?{QUERY}").content.decode()
    assert client.post(f"/reports/key-messages/?{QUERY}", {"text": "x"}).status_code == 403


def test_benchmarking_file_round_trip(loaded: Personas) -> None:
    client = signed_in(loaded.performance)
    response = client.get(f"/reports/benchmark.json?{QUERY}&council=Haringey")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["format"] == "qpa-benchmark"
    assert document["council"] == "Haringey"
    assert document["audits_completed"] == 181
    outstanding = document["overall"][0]
    assert (outstanding["count"], outstanding["percent"]) == (None, None)  # suppressed
    assert "by_service_area" not in document and "filters" not in document

    # Another council's file: the same shape, other figures.
    theirs = dict(document, council="Northbridge")
    theirs["overall"] = [dict(r, percent=20.0) for r in document["overall"]]
    upload = _file(json.dumps(theirs).encode(), "northbridge.json")
    response = client.post("/reports/benchmarks/", {"file": upload})
    assert response.status_code == 302
    stored = BenchmarkFile.objects.get()
    assert stored.council == "Northbridge"
    page = client.get(f"/reports/?{QUERY}").content.decode()
    assert "Other councils" in page
    assert "Northbridge" in page
    assert "20.0%" in page
    # The same file twice is refused.
    again = client.post(
        "/reports/benchmarks/", {"file": _file(json.dumps(theirs).encode(), "x.json")}
    )
    assert "already been imported" in again.content.decode()
    client.post(f"/reports/benchmarks/{stored.public_id}/delete/")
    assert not BenchmarkFile.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json", "it is not JSON"),
        (b'{"format": "other"}', "format&quot; is not &quot;qpa-benchmark&quot;"),
        (
            json.dumps(
                {
                    "format": "qpa-benchmark",
                    "version": 1,
                    "council": "X",
                    "tool": "Quality of Practice",
                    "period": {"from": "2026-01-01", "to": "2026-03-31"},
                    "suppression_threshold": 5,
                    "audits_completed": 40,
                    "overall": [{"rating": "Good", "count": 3, "percent": 7.5}],
                    "domains": [],
                }
            ).encode(),
            "should have been suppressed",
        ),
    ],
)
def test_a_bad_benchmarking_file_is_refused_with_a_reason(
    personas: Personas, content: bytes, message: str
) -> None:
    response = signed_in(personas.performance).post(
        "/reports/benchmarks/", {"file": _file(content, "bad.json")}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BenchmarkFile.objects.exists()


def _file(content: bytes, name: str):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/json")


def test_the_per_month_table_names_its_months_in_words(loaded: Personas) -> None:
    page = signed_in(loaded.director).get(f"/reports/?{QUERY}").content.decode()
    table = page.split("Cases audited by rating per month: the figures of the chart above")[1]
    table = table.split("</table>")[0]
    assert '<th scope="row" class="govuk-table__header">October 2009</th>' in table
    assert '<th scope="row" class="govuk-table__header">February 2010</th>' in table
    assert "2009-10" not in table
