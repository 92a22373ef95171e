"""Comparisons the reader chooses, trends over twelve months, teams side by side with a
funnel plot, and the key messages' rules for naming areas (docs/reports.md)."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from qpa.audits.models import Audit
from qpa.organisation.models import Team
from qpa.reports import disclosure
from qpa.reports.comparison import compare_periods
from qpa.reports.funnel import control_limit, limits_for
from qpa.reports.key_areas import key_areas
from qpa.reports.report import ReportParams
from qpa.reports.services import report_aggregates_refresh
from qpa.reports.summary import report_summary
from qpa.reports.teams import team_audits, team_table
from tests.support.briefing import briefing_rows, load_briefing
from tests.support.factories import CaseFactory, TeamFactory, area, submitted_audit
from tests.support.people import Personas, signed_in

GOOD = {"Outstanding", "Good"}
POOR = {"Inadequate", "Critical"}
PERIOD_A = [date(2009, 10, 1), date(2009, 11, 1), date(2009, 12, 1)]
PERIOD_B = [date(2010, 2, 1)]
COMPARE = (
    "/reports/compare/?from=2010-02&to=2010-02&tool=quality-of-practice"
    "&a_from_month=10&a_from_year=2009&a_to_month=12&a_to_year=2009"
    "&b_from_month=2&b_from_year=2010&b_to_month=2&b_to_year=2010"
)


# --- The oracle: the briefing's rows, counted here one by one --------------------------


def _pct(count: int, total: int) -> Decimal:
    return (Decimal(count) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _counted(months: list[date]) -> dict[str, tuple[int, int, int]]:
    """domain -> (rated, good or better, inadequate or worse) in those months."""
    counts: dict[str, tuple[int, int, int]] = {}
    for row in briefing_rows():
        _, month, year = (int(x) for x in row["Audit date"].split("/"))
        if date(year, month, 1) not in months:
            continue
        for name, value in row.items():
            if name in ("Child Unique ID", "Service area", "Team", "Auditor", "Audit date"):
                continue
            if name in ("Tool", "Overall rating") or value == "N/A":
                continue
            rated, good, poor = counts.get(name, (0, 0, 0))
            counts[name] = (rated + 1, good + (value in GOOD), poor + (value in POOR))
    return counts


def _cell(count: int, total: int) -> str:
    """What a comparison cell says, small numbers hidden (1 to 4)."""
    if 0 < count < 5 or 0 < total < 5:
        return "not shown"
    return f"{_pct(count, total)}% ({count} of {total})"


def _points(a: tuple[int, int], b: tuple[int, int]) -> str:
    if any(0 < n < 5 for n in (*a, *b)):
        return "not shown"
    change = _pct(*b) - _pct(*a)
    if change == 0:
        return "no change"
    return f"{'+' if change > 0 else '−'}{abs(change)} points"


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _rows(page: str, caption: str) -> dict[str, str]:
    """The rows of the table with this caption: row header -> the row's other cells."""
    return {name: " ".join(cells) for name, cells in _cells(page, caption).items()}


def _cells(page: str, caption: str) -> dict[str, list[str]]:
    """The rows of the table with this caption: row header -> the texts of its cells."""
    start = page.index(caption)
    table = page[start : page.index("</table>", start)]
    rows = {}
    for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", table, re.S):
        header = re.search(r"<th scope=\"row\"[^>]*>(.*?)</th>", row, re.S)
        if header is not None:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            rows[_text(header.group(1))] = [_text(cell) for cell in cells]
    return rows


@pytest.fixture
def briefing(personas: Personas, tmp_path: Path) -> Personas:
    load_briefing(tmp_path)
    return personas


# --- Comparisons the reader chooses -----------------------------------------------------


def test_october_to_december_against_february_domain_by_domain(briefing: Personas) -> None:
    """The briefing's own comparison: each domain's share in each period with n, and the
    difference, all counted from the briefing's rows. Performance sees figures only: a
    number from 1 to 4 is never shown, and every figure shown is exact."""
    page = signed_in(briefing.performance).get(COMPARE).content.decode()
    assert "October to December 2009 against February 2010" in page
    assert "Numbers from 1 to 4 are not shown" in page
    a, b = _counted(PERIOD_A), _counted(PERIOD_B)
    shown = 0
    for caption, which in (
        ("Share rated good or better: period A", 1),
        ("Share rated inadequate or worse: period A", 2),
    ):
        rows = _cells(page, caption)
        assert set(a) <= set(rows)
        for name in a:
            (ra, *counts_a), (rb, *counts_b) = a[name], b[name]
            ca, cb = counts_a[which - 1], counts_b[which - 1]
            cell_a, cell_b, change = rows[name]
            for cell, count, total in ((cell_a, ca, ra), (cell_b, cb, rb)):
                if _cell(count, total) == "not shown":
                    assert cell == "not shown", (name, cell)
                else:
                    assert cell in (_cell(count, total), "not shown"), (name, cell)
                    shown += cell != "not shown"
            if "not shown" not in (cell_a, cell_b):
                assert change == _points((ca, ra), (cb, rb)), name
            else:
                assert change == "not shown", name
    assert shown >= 20  # most of the 40 figures; some small ones hidden
    assert any("not shown" in cells for cells in _cells(page, "Share rated inadequate").values())


def test_the_comparison_in_full_matches_the_briefing(briefing: Personas) -> None:
    """For a reader who may see every figure: every domain, both periods, exactly."""
    report = ReportParams.build(
        period_from=date(2010, 2, 1), period_to=date(2010, 2, 1), tool="quality-of-practice"
    )
    first = dataclasses.replace(report, period_from=date(2009, 10, 1))
    first = dataclasses.replace(first, period_to=date(2009, 12, 31))
    comparison = compare_periods(first, report, hidden=False)
    a, b = _counted(PERIOD_A), _counted(PERIOD_B)
    rows = {row.name: row for row in comparison.rows}
    assert rows["Overall rating"].good[0].total == comparison.audits[0] == 136
    for name in a:
        (ra, ga, pa), (rb, gb, pb) = a[name], b[name]
        row = rows[name]
        assert (row.good[0].count, row.good[0].total, row.good[1].count, row.good[1].total) == (
            ga,
            ra,
            gb,
            rb,
        )
        assert (row.poor[0].count, row.poor[1].count) == (pa, pb)
        assert row.good[0].percent == float(_pct(ga, ra))
        assert row.good_difference == float(_pct(gb, rb) - _pct(ga, ra)), name
        assert row.poor_difference == float(_pct(pb, rb) - _pct(pa, ra)), name


def test_the_comparison_starts_from_the_period_before_and_refuses_a_wrong_period(
    briefing: Personas,
) -> None:
    client = signed_in(briefing.director)
    page = client.get(
        "/reports/compare/?from=2010-02&to=2010-02&tool=quality-of-practice"
    ).content.decode()
    assert "January 2010 against February 2010" in page  # A: the month before
    assert 'name="a_from_month" value="1"' in page

    wrong = COMPARE.replace("a_to_month=12", "a_to_month=").replace(
        "b_to_year=2010", "b_to_year=2009"
    )
    response = client.get(wrong)
    assert response.status_code == 200
    text = response.content.decode()
    assert "There is a problem" in text
    assert 'href="#id_a_to_month">Enter the month of the last month of period A.' in text
    assert "Period B must end in or after the month it starts." in text
    assert "against" not in text.split("There is a problem")[1].split("<form")[0]


def test_the_json_contract_gains_a_comparison_and_keeps_its_fields(
    briefing: Personas,
) -> None:
    client = signed_in(briefing.performance)
    base = "/reports/summary.json?from=2010-02&to=2010-02&suppress=1"
    plain = client.get(base).json()
    assert "comparison" not in plain
    compared = client.get(f"{base}&compare_from=2009-10&compare_to=2009-12").json()
    assert {k: v for k, v in compared.items() if k != "comparison"} == plain
    member = compared["comparison"]
    assert member["period"] == {"from": "2009-10-01", "to": "2009-12-31"}
    a, b = _counted(PERIOD_A), _counted(PERIOD_B)
    by_name = {d["domain"]: d for d in member["domains"]}
    this = {d["domain"]: d for d in compared["domains"]}
    differences = 0
    for name, (rated, good, _) in a.items():
        entry = by_name[name]
        for count, key in ((rated, "rated"), (good, "good_or_better")):
            assert entry[key] in ((None,) if 0 < count < 5 else (count, None)), (name, key)
        if entry["good_or_better_percent"] is not None:
            assert entry["good_or_better_percent"] == float(_pct(good, rated))
        if None in (entry["good_or_better_percent"], this[name]["good_or_better_percent"]):
            assert entry["good_or_better_difference"] is None
        else:
            expected = _pct(b[name][1], b[name][0]) - _pct(good, rated)
            assert entry["good_or_better_difference"] == float(expected), name
            differences += 1
    assert differences >= 5
    assert member["audits_completed"] == sum(
        1 for r in briefing_rows() if r["Audit date"][3:5] in ("10", "11", "12")
    )

    bad = client.get(f"{base}&compare_from=2009-13&compare_to=2009-12")
    assert bad.status_code == 400
    assert "compare_from" in bad.json()["errors"]
    backwards = client.get(f"{base}&compare_from=2009-12&compare_to=2009-10")
    assert backwards.status_code == 400
    assert "compare_to" in backwards.json()["errors"]


# --- Trends ------------------------------------------------------------------------------


def test_each_domain_month_by_month_over_twelve_months(briefing: Personas) -> None:
    client = signed_in(briefing.director)
    page = client.get(
        "/reports/trends/?from=2010-02&to=2010-02&tool=quality-of-practice"
    ).content.decode()
    assert "March 2009 to February 2010" in page
    counts = _counted([date(2009, 11, 1)])
    rows = _cells(page, "Risk Assessment, month by month")
    assert len(rows) == 12 and next(iter(rows)) == "March 2009"
    rated, good, poor = counts["Risk Assessment"]
    assert rows["November 2009"][0] == str(rated)
    for cell, count in zip(rows["November 2009"][1:], (good, poor), strict=True):
        assert cell in (_cell(count, rated), "not shown")
    assert rows["January 2010"] == ["0", "none rated", "none rated"]
    # Every series has its chart, an SVG with alternative text, before its table.
    charts = re.findall(r'<img src="(/reports/trends/chart\.svg\?[^"]+)" alt="([^"]+)"', page)
    assert len(charts) == 1 + len(counts)
    assert "month by month, March 2009 to February 2010" in charts[1][1]
    for url, _ in charts[:2]:
        response = client.get(html.unescape(url))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert b"style=" not in response.content
    assert (
        client.get(
            "/reports/trends/chart.svg?from=2010-02&to=2010-02&tool=quality-of-practice&series=99"
        ).status_code
        == 404
    )


# --- Teams side by side and the funnel plot -------------------------------------------


def _audits(team: Team, good: int, poor: int, adequate: int = 0) -> list[Audit]:
    made = []
    for overall, count in (("Good", good), ("Inadequate", poor), ("Adequate", adequate)):
        for _ in range(count):
            case = CaseFactory(team=team)
            made.append(submitted_audit(case=case, overall=overall, audit_date=date(2026, 5, 4)))
    return made


@pytest.fixture
def teams(personas: Personas) -> dict[str, Team]:
    """Three teams of 20 audits in First Response: all good, half good, none good; the
    service's share is one half. Two small teams in Leaving Care."""
    first = area("first-response")
    made = {
        "All Good": TeamFactory(name="All Good", service_area=first),
        "Half Good": TeamFactory(name="Half Good", service_area=first),
        "None Good": TeamFactory(name="None Good", service_area=first),
        "Small One": TeamFactory(name="Small One", service_area=area("leaving-care")),
        "Small Two": TeamFactory(name="Small Two", service_area=area("leaving-care")),
    }
    audits = (
        _audits(made["All Good"], 20, 0)
        + _audits(made["Half Good"], 10, 10)
        + _audits(made["None Good"], 0, 20)
    )
    report_aggregates_refresh(audit_ids=[a.pk for a in audits])
    return made


def test_funnel_limits_on_a_case_worked_by_hand() -> None:
    """Binomial(10, 0.5): P(R <= 1) = 11/1024, P(R <= 2) = 56/1024, so the 2.5% point is
    r = 2 and alpha = (56/1024 - 0.025) / (45/1024) = 30.4/45; the limit is
    (2 - alpha)/10. Likewise P(R <= 7) = 968/1024, P(R <= 8) = 1013/1024 give the 97.5%
    limit (8 - 14.6/45)/10."""
    assert control_limit(10, 0.5, 0.025) == pytest.approx((2 - 30.4 / 45) / 10, abs=1e-12)
    assert control_limit(10, 0.5, 0.975) == pytest.approx((8 - 14.6 / 45) / 10, abs=1e-12)
    # 0.1%: P(R <= 0) = 1/1024 < 0.001 <= P(R <= 1) = 11/1024, so r = 1 and
    # alpha = (11 - 1.024) / 10.
    assert control_limit(10, 0.5, 0.001) == pytest.approx((1 - 9.976 / 10) / 10, abs=1e-12)
    # With one audit the interpolated lower limit falls below 0: it stops there.
    assert control_limit(1, 0.5, 0.025) == 0.0
    # Large n: the exact limits approach the normal approximation.
    n, theta = 10_000, 0.3
    spread = 1.959964 * (theta * (1 - theta) / n) ** 0.5
    limits = limits_for(n, theta)
    assert limits.lower_95 == pytest.approx(theta - spread, abs=2e-4)
    assert limits.upper_95 == pytest.approx(theta + spread, abs=2e-4)
    assert limits.lower_998 < limits.lower_95 < theta < limits.upper_95 < limits.upper_998


def test_the_funnel_names_the_teams_beyond_the_limits(
    teams: dict[str, Team], personas: Personas
) -> None:
    page = (
        signed_in(personas.director)
        .get(
            "/reports/teams/?from=2026-05&to=2026-05&tool=quality-of-practice&service_area=first-response"
        )
        .content.decode()
    )
    assert (
        "Beyond the limits:</strong> All Good (above the 99.8% limit);"
        " None Good (below the 99.8% limit)." in page
    )
    rows = _rows(page, "Each team against the control limits")
    assert rows["Half Good"].endswith("within the limits")
    limits = limits_for(20, 0.5)
    assert f"{limits.lower_95 * 100:.1f}% to {limits.upper_95 * 100:.1f}%" in rows["Half Good"]
    side = _rows(page, "Teams side by side, May 2026")
    assert side["All Good"] == "First Response 20 100.0% (20 of 20) 0.0% (0 of 20)"
    assert side["Half Good"] == "First Response 20 50.0% (10 of 20) 50.0% (10 of 20)"
    assert side["First Response"].startswith(
        "every team, and audits with no team 60 50.0% (30 of 60)"
    )
    assert (
        signed_in(personas.director).get(
            "/reports/teams/funnel.svg?from=2026-05&to=2026-05&tool=quality-of-practice&service_area=first-response"
        )["Content-Type"]
        == "image/svg+xml"
    )


def test_team_cells_are_suppressed_for_readers_who_see_figures_only(
    teams: dict[str, Team], personas: Personas
) -> None:
    """Performance may open no audit: a team of 3 audits is hidden, and so is the next
    smallest team, whose count with the service's total would tell it. The service's one
    audit rated neither good nor poor (Small Two's adequate) would follow from its 71
    audits, 37 good and 33 poor, so its share inadequate or worse is hidden too."""
    audits = _audits(teams["Small One"], 2, 1) + _audits(teams["Small Two"], 5, 2, adequate=1)
    report_aggregates_refresh(audit_ids=[a.pk for a in audits])
    page = signed_in(personas.performance).get(
        "/reports/teams/?from=2026-05&to=2026-05&tool=quality-of-practice"
    )
    text = page.content.decode()
    side = _rows(text, "Teams side by side, May 2026")
    assert side["Small One"] == "Leaving Care not shown not shown not shown"
    assert side["Small Two"] == "Leaving Care not shown not shown not shown"
    assert side["All Good"] == "First Response 20 100.0% (20 of 20) 0.0% (0 of 20)"
    assert side["Half Good"] == "First Response 20 50.0% (10 of 20) 50.0% (10 of 20)"
    assert side["Children and Families"] == (
        "every team, and audits with no team 71 52.1% (37 of 71) not shown"
    )
    assert "Numbers from 1 to 4 are not shown" in text
    assert "2 teams with audits are not on the plot" in text
    # The same table in full, for a reader who may open every audit it counts.
    params = ReportParams.build(
        period_from=date(2026, 5, 1), period_to=date(2026, 5, 1), tool="quality-of-practice"
    )
    full = {row.team: row for row in team_table(params, hidden=False).rows}
    assert (full["Small One"].audits, full["Small One"].good, full["Small One"].poor) == (3, 2, 1)
    assert full["Small Two"].audits == 8


def test_who_sees_small_numbers(teams: dict[str, Team], personas: Personas) -> None:
    """The one rule every page asks (`disclosure.in_full`): hidden unless the reader asked
    for figures in full and may open every audit they count."""
    params = ReportParams.build(
        period_from=date(2026, 5, 1), period_to=date(2026, 5, 1), tool="quality-of-practice"
    )
    counted = team_audits(params)
    assert counted.count() == 60
    assert disclosure.in_full(personas.director, counted, asked=True)
    assert not disclosure.in_full(personas.director, counted, asked=False)
    for reader in (personas.performance, personas.admin, personas.head_of_cp):
        assert not disclosure.in_full(reader, counted, asked=True)
    assert disclosure.in_full(disclosure.THE_SERVER, counted, asked=True)


# --- Key messages -------------------------------------------------------------------------


def _domain(name: str, rated: int | None, good: int | None, poor: int | None) -> dict[str, Any]:
    return {"domain": name, "rated": rated, "good_or_better": good, "inadequate_or_worse": poor}


def test_key_areas_never_name_a_domain_both_good_and_poor_nor_on_few_ratings() -> None:
    two_audits = {
        "domains": [_domain("Risk Assessment", 2, 1, 1), _domain("Key Decisions", 2, 2, 0)]
    }
    areas = key_areas(two_audits, least=10)
    assert (areas.good, areas.poor, areas.too_few) == ([], [], True)
    assert areas.too_few_message == (
        "Too few audits to pick out areas of good or poor practice: no domain had 10 or more"
        " cases rated."
    )
    mixed = {
        "domains": [
            _domain("Even", 12, 6, 6),  # as good as poor: neither
            _domain("Mostly good", 12, 7, 5),
            _domain("Mostly poor", 12, 2, 9),
            _domain("Too few", 9, 9, 0),
            _domain("Hidden", 40, None, 30),
            _domain("Better", 20, 19, 1),
            _domain("Also good", 30, 20, 0),
            _domain("Good too", 10, 6, 0),
        ]
    }
    areas = key_areas(mixed, least=10)
    assert areas.good == ["Better", "Also good", "Good too"]
    assert areas.poor == ["Mostly poor"]
    assert not set(areas.good) & set(areas.poor)
    assert not areas.too_few
    nothing = key_areas({"domains": [_domain("Empty", 0, 0, 0)]}, least=10)
    assert not nothing.too_few  # nothing rated at all: nothing to say


def test_key_messages_follow_the_setting(briefing: Personas, settings: Any) -> None:
    full = report_summary(period_from=date(2009, 10, 1), period_to=date(2010, 2, 1), suppress=False)
    areas = key_areas(full)
    assert areas.good == [
        "Supervision/Management Overview",
        "Key Assessment Episodes",
        "Case Transfer and Closure",
    ]
    assert areas.poor == [
        "Key Decisions",
        "Child/Young Person focused practice",
        "Referral and Response",
    ]
    client = signed_in(briefing.director)
    address = "/reports/?from=2009-10&to=2010-02&tool=quality-of-practice"
    text = client.get(address).content.decode()
    assert "Areas of good practice: " in text and "Too few audits" not in text
    settings.QPA_KEY_MESSAGE_MIN_RATED = 200
    text = client.get(address).content.decode()
    message = (
        "Too few audits to pick out areas of good or poor practice: no domain had 200 or more"
        " cases rated."
    )
    # In the key messages, and beside the domain table.
    assert text.count(message) == 2
    assert "Areas of good practice: " not in text
