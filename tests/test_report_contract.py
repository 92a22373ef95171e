"""The JSON contract of docs/reports.md, checked field by field against the briefing's
own figures (../shared/source): 181 audits, October to December 2009 and February 2010,
imported as past audits, with the January themed child protection audit beside them."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from qpa.tools.models import AuditTool
from tests.support.briefing import (
    AREAS,
    DOMAINS,
    SCALE,
    THEMED,
    THEMED_CASES,
    briefing_rows,
    load_briefing,
)
from tests.support.people import Personas, signed_in


def _pct(count: int, total: int) -> float:
    return float(f"{count * 100 / total + 1e-9:.1f}")


# A director may open every audit counted, so may ask for the figures in full.
QUERY = "from=2009-10&to=2010-02&unsuppressed=1"


@pytest.fixture
def briefing(personas: Personas, tmp_path: Path) -> Client:
    load_briefing(tmp_path)
    return signed_in(personas.director)


def test_the_summary_reproduces_the_briefing_field_by_field(briefing: Client) -> None:
    summary = briefing.get(f"/reports/summary.json?{QUERY}").json()

    assert summary["period"] == {"from": "2009-10-01", "to": "2010-02-28"}
    assert summary["tool"] == "Quality of Practice"
    assert summary["audits_completed"] == 181
    assert summary["by_service_area"] == [
        {"service_area": name, "count": count} for name, count in AREAS
    ]
    assert [(r["rating"], r["count"], r["percent"]) for r in summary["overall"]] == [
        ("Outstanding", 1, 0.6),
        ("Good", 63, 34.8),
        ("Adequate", 78, 43.1),
        ("Inadequate", 35, 19.3),
        ("Critical", 4, 2.2),
    ]
    assert [d["domain"] for d in summary["domains"]] == list(DOMAINS)
    for domain in summary["domains"]:
        o, g, a, ia, c, na = DOMAINS[domain["domain"]]
        rated = o + g + a + ia + c
        assert domain["rated"] == rated
        assert domain["not_applicable"] == na
        assert [(r["rating"], r["count"], r["percent"]) for r in domain["ratings"]] == [
            (label, n, _pct(n, rated)) for label, n in zip(SCALE, (o, g, a, ia, c), strict=True)
        ]
        assert domain["good_or_better_percent"] == _pct(o + g, rated)
        assert domain["inadequate_or_worse_percent"] == _pct(ia + c, rated)
    supervision = next(d for d in summary["domains"] if d["domain"].startswith("Supervision"))
    assert supervision["good_or_better_percent"] == 71.8  # 130 of 181
    transfer = next(d for d in summary["domains"] if d["domain"].startswith("Case Transfer"))
    assert (transfer["rated"], transfer["good_or_better_percent"]) == (100, 57.0)

    # The briefing's own conclusions.
    assert summary["areas_of_good_practice"] == [
        "Supervision/Management Overview",
        "Key Assessment Episodes",
        "Case Transfer and Closure",
    ]
    assert summary["areas_of_poor_practice"] == [
        "Key Decisions",
        "Child/Young Person focused practice",
        "Referral and Response",
    ]

    rows = briefing_rows()
    assert [m["month"] for m in summary["by_month"]] == [
        "2009-10",
        "2009-11",
        "2009-12",
        "2010-01",
        "2010-02",
    ]
    for month in summary["by_month"]:
        mine = [
            r for r in rows if f"{r['Audit date'][6:]}-{r['Audit date'][3:5]}" == month["month"]
        ]
        assert month["audits"] == len(mine)
        assert [(r["rating"], r["count"]) for r in month["ratings"]] == [
            (label, sum(1 for r in mine if r["Overall rating"] == label)) for label in SCALE
        ]
    january = summary["by_month"][3]
    assert january["audits"] == 0  # the themed audit is not the Quality of Practice tool
    assert all(r["percent"] is None for r in january["ratings"])
    assert summary["not_comparable"] == 0
    assert summary["suppression"] == {
        "applied": False,
        "threshold": 5,
        "too_few": False,
        "unsuppressed_refused": False,
    }
    assert [k["code"] for k in summary["ratings_key"]] == ["O", "G", "A", "IA", "C"]


def test_the_themed_tool_reports_its_own_domains(briefing: Client) -> None:
    themed = briefing.get(
        "/reports/summary.json?from=2010-01&to=2010-01&tool=Child Protection Core Assessment"
        "&unsuppressed=1"
    ).json()
    assert themed["audits_completed"] == THEMED_CASES
    assert themed["by_service_area"][0] == {"service_area": "Child Protection", "count": 39}
    counts = {d["domain"]: tuple(r["count"] for r in d["ratings"][1:4]) for d in themed["domains"]}
    assert counts == {name: (g, a, ia) for name, (ia, a, g) in THEMED.items()}
    assert [d["rated"] for d in themed["domains"]] == [38, 38, 35]


def test_the_command_and_the_web_give_the_same_document(briefing: Client) -> None:
    out = io.StringIO()
    call_command(
        "report",
        "--from",
        "2009-10",
        "--to",
        "2010-02",
        "--unsuppressed",
        "--format",
        "json",
        stdout=out,
    )
    assert json.loads(out.getvalue()) == briefing.get(f"/reports/summary.json?{QUERY}").json()
    out = io.StringIO()
    call_command(
        "report",
        "--from",
        "2009-10",
        "--to",
        "2010-02",
        "--tool",
        "Quality of Practice",
        "--service-area",
        "Leaving Care",
        "--unsuppressed",
        stdout=out,
    )
    web = briefing.get(f"/reports/summary.json?{QUERY}&service_area=Leaving Care").json()
    assert json.loads(out.getvalue()) == web
    assert web["audits_completed"] == 15
    assert web["by_service_area"] == [{"service_area": "Leaving Care", "count": 15}]


def test_csv_from_the_command_holds_the_same_figures(briefing: Client) -> None:
    out = io.StringIO()
    call_command("report", "--from", "2009-10", "--to", "2010-02", "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {
        "section": "audits_completed",
        "item": "",
        "rating": "",
        "count": "181",
        "percent": "",
    } in rows
    good = next(r for r in rows if r["section"] == "overall" and r["rating"] == "Good")
    assert (good["count"], good["percent"]) == ("63", "34.8")
    assert [r["item"] for r in rows if r["section"] == "areas_of_good_practice"] == [
        "Supervision/Management Overview",
        "Key Assessment Episodes",
        "Case Transfer and Closure",
    ]


def test_ties_go_to_more_cases_rated_then_to_the_tool_order(personas: Personas) -> None:
    from tests.support.factories import CaseFactory, submitted_audit

    ratings: list[dict[str, Any]] = [
        {
            "Strategy discussion": "Good",
            "Child protection core assessment": "Good",
            "Child protection conference": "Good",
        },
        {
            "Strategy discussion": "Good",
            "Child protection core assessment": "Adequate",
            "Child protection conference": "Good",
        },
        {
            "Strategy discussion": "Adequate",
            "Child protection core assessment": None,
            "Child protection conference": "Adequate",
        },
        {
            "Strategy discussion": "Adequate",
            "Child protection core assessment": None,
            "Child protection conference": "Adequate",
        },
    ]
    audits = [
        submitted_audit(
            case=CaseFactory(team=personas.cp_team),
            tool_slug="child-protection-core-assessment",
            overall="Good",
            domains=domains,
            audit_date=date(2026, 3, 3),
        )
        for domains in ratings
    ]
    from qpa.reports.services import report_aggregates_refresh

    report_aggregates_refresh(audit_ids=[a.pk for a in audits])
    summary = (
        signed_in(personas.director)
        .get(
            "/reports/summary.json?from=2026-03&to=2026-03&tool=child-protection-core-assessment"
            "&unsuppressed=1"
        )
        .json()
    )
    # All three at 50% good: strategy (4 rated) and conference (4 rated) before core
    # assessment (2 rated); strategy before conference by the tool's order.
    assert summary["areas_of_good_practice"] == [
        "Strategy discussion",
        "Child protection conference",
        "Child protection core assessment",
    ]
    # Nothing inadequate: no area of poor practice.
    assert summary["areas_of_poor_practice"] == []


def test_bad_parameters_are_a_400_with_reasons(briefing: Client) -> None:
    response = briefing.get("/reports/summary.json?from=2009-13&to=2010-02")
    assert response.status_code == 400
    response = briefing.get(f"/reports/summary.json?{QUERY}&tool=Nonsense&team=Nobody")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"tool", "team"}
    assert briefing.get("/reports/summary.json?from=2010-02&to=2009-10").status_code == 400


def test_ratings_of_another_scale_are_mapped_through_the_crosswalk(
    briefing: Client, personas: Personas
) -> None:
    from qpa.reports.services import report_aggregates_refresh
    from tests.support.factories import CaseFactory, rating, submitted_audit

    audit = submitted_audit(
        case=CaseFactory(team=personas.cp_team), overall="Good", audit_date=date(2009, 10, 5)
    )
    audit.overall_rating = rating("Requires improvement to be good", "ilacs")
    audit.save()
    report_aggregates_refresh(audit_ids=[audit.pk])
    summary = briefing.get(f"/reports/summary.json?{QUERY}").json()
    assert summary["audits_completed"] == 182
    assert next(r for r in summary["overall"] if r["rating"] == "Adequate")["count"] == 79
    assert AuditTool.objects.get(slug="quality-of-practice").scale.slug == "quality-of-practice"
