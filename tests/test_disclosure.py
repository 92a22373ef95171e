"""Small numbers do not name a child (issue 13): report figures are suppressed for every
reader who may not open each audit they count, in every channel and under every filter,
and no child ID reaches a role that may not open the case (cycle pages, API).

The checks that a hidden figure cannot be worked out are written here, independently of
qpa.reports.disclosure: peeling the published sums, and linear algebra over fractions."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from qpa.accounts.models import Role, User
from qpa.actions.models import Action
from qpa.audits.models import Audit
from qpa.audits.selectors import audits_visible_to
from qpa.core.models import Event
from qpa.cycles import services as cycle_services
from qpa.cycles.models import (
    Allocation,
    Cycle,
    CycleKind,
    CycleStatus,
    HowChosen,
    SampledCase,
    SamplingPlan,
    Stratum,
)
from qpa.demo.council import build_demo
from qpa.organisation.models import ServiceArea, Team
from qpa.reports import disclosure
from qpa.reports.counting import counted_audits
from qpa.reports.disclosure import suppress_table
from qpa.reports.report import ReportParams, action_counts, build_report
from qpa.reports.services import report_aggregates_rebuild, report_aggregates_refresh
from qpa.reports.summary import report_summary
from qpa.tools.models import AuditTool
from tests.support.api import as_user
from tests.support.factories import CaseFactory, UserFactory, submitted_audit
from tests.support.people import Personas, signed_in
from tests.support.worlds import SEED, build_world, monthly_cycle, sampled_ids

API = "/api/v1"
OCTOBER = "from=2026-10&to=2026-10"
COUNTS = {
    "count",
    "audits",
    "audits_completed",
    "not_comparable",
    "rated",
    "not_applicable",
    "good_or_better",
    "inadequate_or_worse",
}


# --- Independent checks ----------------------------------------------------------------


Cell = tuple[Any, ...]


def _cells(doc: dict[str, Any]) -> dict[Cell, int | None]:
    """Every count of a summary document by its place."""
    completed, concerns = doc["audits_completed"], doc["safeguarding_concerns"]
    cells: dict[Cell, int | None] = {
        ("completed",): completed,
        ("not_comparable",): doc["not_comparable"],
        ("no_overall",): doc["no_overall_rating"],
        ("concerns",): concerns,
        # Never published, but "n of N audits" gives it when both are shown.
        ("safe_now",): None if completed is None or concerns is None else completed - concerns,
    }
    for i, row in enumerate(doc["overall"]):
        cells[("overall", i)] = row["count"]
    for j, row in enumerate(doc["by_service_area"]):
        cells[("area", j)] = row["count"]
    for m, month in enumerate(doc["by_month"]):
        cells[("month", m)] = month["audits"]
        for i, row in enumerate(month["ratings"]):
            cells[("month", m, i)] = row["count"]
    for d, domain in enumerate(doc["domains"]):
        for field in ("rated", "not_applicable", "good_or_better", "inadequate_or_worse"):
            cells[("domain", d, field)] = domain[field]
        for i, row in enumerate(domain["ratings"]):
            cells[("domain", d, i)] = row["count"]
    return cells


def _relations(doc: dict[str, Any]) -> list[tuple[Cell, list[Cell]]]:
    """The sums a reader sees between the counts: (total, parts)."""
    ratings = range(len(doc["overall"]))
    months = range(len(doc["by_month"]))
    key = doc["ratings_key"]
    rest = [("not_comparable",), ("no_overall",)]
    out: list[tuple[Cell, list[Cell]]] = [
        (("completed",), [*(("overall", i) for i in ratings), *rest]),
        (("completed",), [("area", j) for j in range(len(doc["by_service_area"]))]),
        (("completed",), [*(("month", m) for m in months), *rest]),
        (("completed",), [("concerns",), ("safe_now",)]),
    ]
    out += [(("month", m), [("month", m, i) for i in ratings]) for m in months]
    out += [(("overall", i), [("month", m, i) for m in months]) for i in ratings]
    for d in range(len(doc["domains"])):
        out.append((("domain", d, "rated"), [("domain", d, i) for i in ratings]))
        good = [("domain", d, i) for i, k in enumerate(key) if k["good_or_better"]]
        poor = [("domain", d, i) for i, k in enumerate(key) if k["inadequate_or_worse"]]
        out.append((("domain", d, "good_or_better"), good))
        out.append((("domain", d, "inadequate_or_worse"), poor))
        out.append((("completed",), [("domain", d, "rated"), ("domain", d, "not_applicable")]))
    return out


def disclosed(shown: dict[str, Any], full: dict[str, Any]) -> list[str]:
    """What `shown` (as a reader got it) gives away of `full` (the same figures in full):
    a count from 1 to 4, a percentage beside a hidden count, or a hidden count that the
    published sums give back (by peeling sums with one unknown, or because every hidden
    cell of a sum could only be 1)."""
    problems: list[str] = []
    seen, truth = _cells(shown), _cells(full)
    problems += [f"{k} = {v}" for k, v in seen.items() if v is not None and 0 < v < 5]
    for row in _rating_rows(shown):
        if row["count"] is None and row["percent"] is not None:
            problems.append(f"a percentage beside a hidden count: {row}")
    if shown["no_overall_rating"] is None and any(r["percent"] for r in shown["overall"]):
        problems.append("overall percentages give away the audits with no overall rating")
    seen[("safe_now",)] = None  # never published: worked out only through the sums
    if shown["audits_completed"] is None:
        return problems
    relations = [(t, p) for t, p in _relations(full) if truth[t] == sum(truth[c] for c in p)]
    known = {k: v for k, v in seen.items() if v is not None}
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            unknown = [c for c in (total, *parts) if c not in known]
            if not unknown:
                continue
            if total in known:
                residual = known[total] - sum(known[c] for c in parts if c in known)
            else:
                residual = None
            if len(unknown) == 1:
                cell = unknown[0]
                value = truth[cell]
                if cell != ("safe_now",) or (value is not None and 0 < value < 5):
                    problems.append(f"{cell} = {value} follows from {total}")
                known[cell] = value
                changed = True
            elif residual is not None and total in known and residual == len(unknown):
                problems.append(f"{unknown} can only each be 1 ({total})")
                known.update({c: 1 for c in unknown})
                changed = True
    return problems


def _rating_rows(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from doc["overall"]
    for month in doc["by_month"]:
        yield from month["ratings"]
    for domain in doc["domains"]:
        yield from domain["ratings"]


def _rank(rows: list[list[Fraction]]) -> int:
    rows = [list(r) for r in rows]
    rank = 0
    width = len(rows[0]) if rows else 0
    for column in range(width):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][column] != 0:
                factor = rows[r][column] / rows[rank][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def determined_by_algebra(hidden: list[Cell], relations: list[tuple[Cell, list[Cell]]]) -> list:
    """Hidden cells whose value the published sums fix: e_x lies in the span of the sums'
    rows over the hidden cells exactly when adding it does not raise the rank."""
    index = {c: i for i, c in enumerate(hidden)}
    rows = []
    for total, parts in relations:
        row = [Fraction(0)] * len(hidden)
        for cell, sign in ((total, 1), *((p, -1) for p in parts)):
            if cell in index:
                row[index[cell]] += sign
        if any(row):
            rows.append(row)
    base = _rank(rows) if rows else 0
    found = []
    for cell, i in index.items():
        unit = [Fraction(int(j == i)) for j in range(len(hidden))]
        if _rank([*rows, unit]) == base:
            found.append(cell)
    return found


# --- The rule on tables (what a teams table calls) -------------------------------------


def test_a_lone_small_count_takes_the_next_smallest_of_its_row_with_it() -> None:
    cells, rows, _, _ = suppress_table([[0, 10, 3, 12]], row_totals=[25])
    assert cells == [[0, None, None, 12]] and rows == [25]


def test_counts_that_could_only_each_be_1_are_protected_by_one_more() -> None:
    cells, rows, _, _ = suppress_table([[1, 1, 10, 20]], row_totals=[32])
    assert cells[0][:2] == [None, None]
    assert cells[0].count(None) == 3 and rows == [32]


def test_two_dimensions_are_suppressed_to_a_fixed_point() -> None:
    grid = [[20, 3, 9], [15, 12, 30], [8, 11, 2]]
    cells, rows, columns, total = suppress_table(
        grid,
        row_totals=[sum(r) for r in grid],
        column_totals=[sum(c) for c in zip(*grid, strict=True)],
        grand_total=sum(map(sum, grid)),
    )
    assert cells[0][1] is None and cells[2][2] is None
    for line in [*cells, *zip(*cells, strict=True)]:
        assert list(line).count(None) != 1
    assert rows is not None and columns is not None and total == 110


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda width: st.lists(
            st.lists(st.integers(0, 12), min_size=width, max_size=width), min_size=1, max_size=4
        )
    ),
    st.booleans(),
)
def test_no_hidden_count_of_any_table_can_be_worked_out(grid: list[list[int]], grand: bool) -> None:
    row_totals = [sum(r) for r in grid]
    column_totals = [sum(c) for c in zip(*grid, strict=True)]
    cells, rows, columns, total = suppress_table(
        grid,
        row_totals=row_totals,
        column_totals=column_totals,
        grand_total=sum(row_totals) if grand else None,
    )
    assert rows is not None and columns is not None
    shown: dict[Cell, int | None] = {}
    truth: dict[Cell, int] = {}
    for r, row in enumerate(grid):
        for c, n in enumerate(row):
            shown[("cell", r, c)], truth[("cell", r, c)] = cells[r][c], n
        shown[("row", r)], truth[("row", r)] = rows[r], row_totals[r]
    for c, n in enumerate(column_totals):
        shown[("column", c)], truth[("column", c)] = columns[c], n
    relations: list[tuple[Cell, list[Cell]]] = [
        (("row", r), [("cell", r, c) for c in range(len(grid[0]))]) for r in range(len(grid))
    ] + [(("column", c), [("cell", r, c) for r in range(len(grid))]) for c in range(len(grid[0]))]
    if grand:
        shown[("all",)], truth[("all",)] = total, sum(row_totals)
        relations.append((("all",), [("row", r) for r in range(len(grid))]))
    assert not [k for k, v in shown.items() if v is not None and 0 < v < 5]
    hidden = [k for k, v in shown.items() if v is None]
    assert not determined_by_algebra(hidden, relations)
    for t, parts in relations:
        inside = [c for c in (t, *parts) if c in hidden]
        if inside and t not in hidden:
            residual = truth[t] - sum(truth[c] for c in parts if c not in hidden)
            assert residual > len(inside), (t, inside)


# --- The report, channel by channel (a constructed council) ----------------------------


@dataclass
class Council:
    personas: Personas
    head_of_cp: User
    director: User
    performance: User
    admin: User


@pytest.fixture
def council(personas: Personas) -> Council:
    """October 2026: nine audits of CP Team A (6 good, 3 adequate: the 3 alone in its
    row), and two of CiC Team A (too few to show)."""
    audits = [
        submitted_audit(
            case=CaseFactory(team=personas.cp_team), overall=label, audit_date=date(2026, 10, 7)
        )
        for label in ["Good"] * 6 + ["Adequate"] * 3
    ] + [
        submitted_audit(
            case=CaseFactory(team=personas.cic_team), overall="Good", audit_date=date(2026, 10, 9)
        )
        for _ in range(2)
    ]
    report_aggregates_refresh(audit_ids=[a.pk for a in audits])
    return Council(
        personas, personas.head_of_cp, personas.director, personas.performance, personas.admin
    )


def _overall(doc: dict[str, Any]) -> dict[str, int | None]:
    return {r["rating"]: r["count"] for r in doc["overall"]}


def test_figures_are_suppressed_for_the_performance_team_by_default(council: Council) -> None:
    team = f"{OCTOBER}&team=CP Team A"
    doc = signed_in(council.performance).get(f"/reports/summary.json?{team}").json()
    assert doc["audits_completed"] == 9
    # 3 adequate is hidden, and 6 good with it: otherwise 9 - 6 would give it away.
    assert _overall(doc) == {
        "Outstanding": 0,
        "Good": None,
        "Adequate": None,
        "Inadequate": 0,
        "Critical": 0,
    }
    assert all(r["percent"] is None for r in doc["overall"] if r["count"] is None)
    assert doc["suppression"] == {
        "applied": True,
        "threshold": 5,
        "too_few": False,
        "unsuppressed_refused": False,
    }
    full = report_summary(
        period_from=date(2026, 10, 1), period_to=date(2026, 10, 1), team="CP Team A"
    )
    assert disclosed(doc, full) == []
    assert disclosed(full, full)  # the check finds what the old figures gave away


def test_only_a_reader_who_may_open_every_counted_audit_may_switch_suppression_off(
    council: Council,
) -> None:
    team = f"{OCTOBER}&team=CP Team A&unsuppressed=1"
    for reader in (council.performance, council.admin):
        doc = signed_in(reader).get(f"/reports/summary.json?{team}").json()
        assert _overall(doc)["Adequate"] is None, reader
        assert doc["suppression"]["unsuppressed_refused"] is True
    # The Head of Child Protection may open every audit of a CP team...
    own = signed_in(council.head_of_cp).get(f"/reports/summary.json?{team}").json()
    assert _overall(own)["Adequate"] == 3 and own["suppression"]["applied"] is False
    # ... but not the Children in Care audits the whole service's figures count.
    every = signed_in(council.head_of_cp).get(f"/reports/summary.json?{OCTOBER}&unsuppressed=1")
    assert every.json()["suppression"]["unsuppressed_refused"] is True
    # A director may open every audit; without asking, they too get the suppressed copy.
    director = signed_in(council.director)
    default = director.get(f"/reports/summary.json?{OCTOBER}&team=CP Team A").json()
    assert _overall(default)["Adequate"] is None and _overall(default)["Good"] is None
    full = director.get(f"/reports/summary.json?{OCTOBER}&unsuppressed=1").json()
    assert _overall(full)["Adequate"] == 3 and full["audits_completed"] == 11


def test_the_api_suppresses_and_refuses_alike(council: Council) -> None:
    period = {"from": "2026-10", "to": "2026-10", "team": "CP Team A", "unsuppressed": "true"}
    performance = as_user(council.performance).get(f"{API}/reports/summary", period).json()
    assert _overall(performance)["Adequate"] is None
    assert performance["suppression"]["unsuppressed_refused"] is True
    director = as_user(council.director).get(f"{API}/reports/summary", period).json()
    assert _overall(director)["Adequate"] == 3
    del period["unsuppressed"]
    default = as_user(council.director).get(f"{API}/reports/summary", period).json()
    assert _overall(default)["Adequate"] is None


def test_a_filter_leaving_fewer_than_five_audits_shows_no_figures(council: Council) -> None:
    client = signed_in(council.performance)
    doc = client.get(f"/reports/summary.json?{OCTOBER}&team=CiC Team A").json()
    assert doc["suppression"]["too_few"] is True
    assert doc["audits_completed"] is None
    cells = _cells(doc)
    assert set(cells.values()) == {None}
    assert doc["areas_of_good_practice"] == [] and doc["areas_of_poor_practice"] == []
    team = council.personas.cic_team.public_id
    page = client.get(f"/reports/?{OCTOBER}&tool=quality-of-practice&team={team}")
    text = page.content.decode()
    assert "Fewer than 5 audits match these filters, so no figures are shown" in text
    assert "2 cases audited" not in text


def test_the_page_and_every_export_carry_the_suppressed_figures(council: Council) -> None:
    client = signed_in(council.performance)
    query = f"{OCTOBER}&tool=quality-of-practice&team={council.personas.cp_team.public_id}"
    page = client.get(f"/reports/?{query}&unsuppressed=on").content.decode()
    assert "only a reader who may open every audit this report counts" in page
    assert "not shown" in page
    assert "3 cases rated as adequate" not in page and "6 cases rated as good" not in page
    rows = list(csv.DictReader(io.StringIO(client.get(f"/reports/export.csv?{query}").text)))
    counts = [r["count"] for r in rows if r["count"]]
    assert "not shown" in counts
    assert not [c for c in counts if c.isdigit() and 0 < int(c) < 5]
    overall = {r["rating"]: r["count"] for r in rows if r["section"] == "overall"}
    assert overall["Good"] == overall["Adequate"] == "not shown"
    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{query}").content))
    numbers = [
        cell.value
        for sheet in book.worksheets
        if sheet.title != "Report"
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, int)
    ]
    assert 3 not in numbers and 6 not in numbers
    document = Document(io.BytesIO(client.get(f"/reports/export.docx?{query}").content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Some cases rated as adequate" in text
    assert "3 cases rated as adequate" not in text


def test_the_command_is_suppressed_unless_the_flag_says_otherwise(council: Council) -> None:
    out = io.StringIO()
    call_command(
        "report", "--from", "2026-10", "--to", "2026-10", "--team", "CP Team A", stdout=out
    )
    assert _overall(json.loads(out.getvalue()))["Adequate"] is None
    assert not Event.objects.filter(action="report.exported").exists()
    out = io.StringIO()
    call_command(
        "report",
        "--from",
        "2026-10",
        "--to",
        "2026-10",
        "--team",
        "CP Team A",
        "--unsuppressed",
        stdout=out,
    )
    assert _overall(json.loads(out.getvalue()))["Adequate"] == 3
    event = Event.objects.get(action="report.exported")
    assert event.data == {"format": "json", "channel": "cli", "unsuppressed": True}


# --- No child ID to a role that may not open the case ----------------------------------


def test_the_sample_page_lists_only_cases_the_reader_may_open(db: None) -> None:
    world = build_world()
    cycle = monthly_cycle(world)
    cycle_services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    cycle_services.allocation_create(acting_user=world.lead, cycle=cycle)
    drawn = set(sampled_ids(cycle))
    cp = {c for c in drawn if c.startswith("CP")}
    url = f"/cycles/{cycle.public_id}/sample/"
    performance = UserFactory(role=Role.PERFORMANCE)
    for reader in (performance, world.admin):
        page = signed_in(reader).get(url).content.decode()
        assert not [c for c in drawn if c in page], reader
        assert "Cases by service area" in page and "Cases by auditor" in page
        assert f"{len(drawn)} cases of this sample are not listed" in page
    head = signed_in(world.head).get(url).content.decode()
    assert all(c in head for c in cp) and not [c for c in drawn - cp if c in head]
    lead = signed_in(world.lead).get(url).content.decode()
    assert all(c in lead for c in drawn)
    case = SampledCase.objects.get(cycle=cycle, case__child_id=sorted(cp)[0]).case
    assert f'href="/cases/{case.public_id}/"' in lead
    # Replacing or reallocating a case is for those who may open it.
    outside = SampledCase.objects.filter(cycle=cycle).exclude(case__child_id__in=cp).first()
    assert outside is not None
    client = signed_in(world.head)
    assert client.get(f"/cycles/sample/{outside.public_id}/replace/").status_code == 404
    allocation = Allocation.objects.get(sampled_case=outside)
    assert client.get(f"/cycles/allocations/{allocation.public_id}/reallocate/").status_code == 404


def test_the_draw_report_names_no_child_and_shows_no_reason_to_others(db: None) -> None:
    world = build_world()
    cycle = monthly_cycle(world)
    cycle_services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    sampled = SampledCase.objects.filter(cycle=cycle, case__child_id__startswith="CP").first()
    assert sampled is not None
    replacement = cycle_services.sample_replace(
        acting_user=world.head, sampled_case=sampled, reason="Moved to Leeds with her aunt"
    )
    url = f"/cycles/{cycle.public_id}/report/"
    page = signed_in(UserFactory(role=Role.PERFORMANCE)).get(url).content.decode()
    assert sampled.case.child_id not in page and replacement.case.child_id not in page
    assert "Moved to Leeds" not in page
    assert "A case of Child Protection replaced by another drawn at random" in page
    lead = signed_in(world.lead).get(url).content.decode()
    assert sampled.case.child_id in lead and "Moved to Leeds" in lead


def test_the_allocations_api_gives_no_child_id_outside_the_remit(db: None) -> None:
    world = build_world()
    cycle = monthly_cycle(world)
    cycle_services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    cycle_services.allocation_create(acting_user=world.lead, cycle=cycle)
    performance = as_user(UserFactory(role=Role.PERFORMANCE))
    listed = performance.get(f"{API}/allocations").json()
    assert listed["count"] == 0 and listed["results"] == []
    one = Allocation.objects.first()
    assert one is not None
    assert performance.get(f"{API}/allocations/{one.public_id}").status_code == 404
    head = as_user(world.head).get(f"{API}/allocations", {"page_size": 100}).json()
    assert {r["child_id"][:2] for r in head["results"]} == {"CP"}
    lead = as_user(world.lead).get(f"{API}/allocations", {"page_size": 100}).json()
    assert lead["count"] == Allocation.objects.count() == 5


# --- Every filter of the demo council --------------------------------------------------


def _demo_cycle(month: date) -> Cycle:
    """A cycle for `month` holding the month's audits of two areas, as if drawn."""
    tool = AuditTool.objects.get(slug="quality-of-practice")
    plan = SamplingPlan.objects.create(name="Demo plan", method="fixed")
    cycle = Cycle.objects.create(
        kind=CycleKind.MONTHLY,
        month=month,
        tool=tool,
        tool_version=tool.current_version,
        plan=plan,
        due_date=month + timedelta(days=40),
        status=CycleStatus.ALLOCATED,
        seed="5eed" * 16,
        drawn_at=timezone.now(),
    )
    audits = counted_audits().filter(
        tool_version__tool=tool,
        audit_date__gte=month,
        audit_date__lt=month + timedelta(days=31),
        service_area__slug__in=["child-protection", "leaving-care"],
    )
    strata: dict[int, Stratum] = {}
    for rank, audit in enumerate(audits.select_related("case"), start=1):
        area_id = audit.service_area_id
        assert area_id is not None
        stratum = strata.get(area_id) or Stratum.objects.create(
            cycle=cycle,
            service_area_id=area_id,
            population=50,
            excluded={},
            frame_size=50,
            quota=10,
            drawn=10,
        )
        strata[area_id] = stratum
        sampled = SampledCase.objects.create(
            cycle=cycle,
            case=audit.case,
            stratum=stratum,
            how_chosen=HowChosen.DRAWN,
            rank=rank,
            frame_size=50,
            exclusions={},
        )
        audit.allocation = Allocation.objects.create(
            sampled_case=sampled, auditor=audit.auditor, due_date=cycle.due_date
        )
        audit.save(update_fields=["allocation"])
    return cycle


def _filters(months: list[date]) -> Iterator[dict[str, str]]:
    """Every period, place, cycle and tool: each month, each quarter and the year; the
    service, each area and each team (and each team with its area, over the year); no
    cycle, or each cycle over its month and over the year."""
    year = (months[0], months[-1])
    periods = [(m, m) for m in months]
    periods += [(months[i], months[min(i + 2, len(months) - 1)]) for i in range(0, 12, 3)]
    periods.append(year)
    places: list[dict[str, str]] = [{}]
    places += [{"service_area": a.slug} for a in ServiceArea.objects.all()]
    places += [{"team": t.name} for t in Team.objects.all()]
    pairs = [
        {"team": t.name, "service_area": t.service_area.slug}
        for t in Team.objects.select_related("service_area")
    ]
    cycles = [
        (str(c.public_id), [(c.month, c.month), year]) for c in Cycle.objects.all() if c.month
    ]
    for tool in AuditTool.objects.values_list("slug", flat=True):
        asked = [(periods, place, None) for place in places] + [([year], p, None) for p in pairs]
        asked += [(spans, place, cycle) for cycle, spans in cycles for place in places]
        for spans, place, cycle in asked:
            for first, last in spans:
                query = {"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}", "tool": tool, **place}
                yield {**query, "cycle": cycle} if cycle else query


@pytest.mark.django_db
def test_no_small_number_reaches_a_figures_only_role_under_any_filter() -> None:
    build_demo(today=date(2026, 11, 26))
    dates = (
        Audit.objects.filter(audit_date__isnull=False)  # drafts have none
        .order_by("audit_date")
        .values_list("audit_date", flat=True)
    )
    first, last = dates.first(), dates.last()
    assert first is not None and last is not None
    months = [first.replace(day=1)]
    while months[-1] < last.replace(day=1):
        months.append((months[-1] + timedelta(days=32)).replace(day=1))
    if not Cycle.objects.filter(month=date(2026, 10, 1)).exists():  # the demo may draw it
        _demo_cycle(date(2026, 10, 1))
    report_aggregates_rebuild()
    performance = User.objects.get(username="performance")
    admin = User.objects.get(username="admin")
    head = User.objects.get(username="head.of.service")  # Child Protection, First Response
    clients = {u.username: Client() for u in (performance, admin, head)}
    for user in (performance, admin, head):
        clients[user.username].force_login(user)
    small_in_full = 0
    checked = 0
    for query in _filters(months):
        full = clients["performance"].get("/reports/summary.json", query)
        assert full.status_code == 200, (query, full.content[:300])
        shown = full.json()
        raw = report_summary(
            period_from=date.fromisoformat(query["from"] + "-01"),
            period_to=date.fromisoformat(query["to"] + "-01"),
            tool=query["tool"],
            service_area=query.get("service_area"),
            team=query.get("team"),
            cycle=query.get("cycle"),
        )
        small_in_full += sum(1 for v in _cells(raw).values() if v is not None and 0 < v < 5)
        assert disclosed(shown, raw) == [], query
        for username in ("admin", "head.of.service"):
            asked = clients[username].get("/reports/summary.json", {**query, "unsuppressed": "1"})
            doc = asked.json()
            if doc["suppression"]["applied"]:
                assert disclosed(doc, raw) == [], (username, query)
            else:
                # Shown in full only to a reader who may open every audit counted (an
                # administrator only when nothing is counted).
                reader = User.objects.get(username=username)
                assert username == "head.of.service" or raw["audits_completed"] == 0, query
                counted = counted_audits().filter(
                    audit_date__gte=raw["period"]["from"], audit_date__lte=raw["period"]["to"]
                )
                if query.get("service_area"):
                    counted = counted.filter(service_area__slug=query["service_area"])
                if query.get("team"):
                    counted = counted.filter(team__name=query["team"])
                if query.get("cycle"):
                    counted = counted.filter(
                        allocation__sampled_case__cycle__public_id=query["cycle"]
                    )
                visible = audits_visible_to(user=reader)
                assert (
                    not counted.filter(tool_version__tool__slug=query["tool"])
                    .exclude(pk__in=visible.values("pk"))
                    .exists()
                ), query
        checked += 1
    assert checked > 700
    # The demo council gives away many small numbers when figures are shown in full.
    assert small_in_full > 150
    assert Audit.objects.filter(allocation__isnull=False).exists()


@pytest.mark.django_db
def test_a_hidden_area_count_reads_as_words_in_the_key_messages() -> None:
    from types import SimpleNamespace

    from qpa.reports.report import ActionFigures, draft_key_messages

    summary = {
        "suppression": {"too_few": False},
        "audits_completed": 40,
        "by_service_area": [
            {"service_area": "Child Protection", "count": None},
            {"service_area": "Children in Care", "count": 36},
            {"service_area": "Early Help", "count": 0},
        ],
        "overall": [],
        "domains": [],
    }
    params: Any = SimpleNamespace(scope="the service", label="November 2026")
    lines = draft_key_messages(
        params, summary, [], ActionFigures(12, 3, 5, date(2026, 11, 30))
    ).splitlines()
    assert "- Child Protection: some cases (the number is not shown)" in lines
    assert "- 36 Children in Care" in lines
    assert not any("Early Help" in line or line.startswith("- Some") for line in lines)


# --- The report's overdue actions beside the service's (disclosure.overdue_beside_quality) -


def _quality(open_actions: int, overdue: int, hidden: tuple[str, ...] = ()) -> tuple[Any, Any]:
    full = {"open_actions": open_actions, "overdue_actions": overdue}
    return full, {key: None if key in hidden else value for key, value in full.items()}


def test_the_report_hides_its_overdue_count_where_the_service_s_is_hidden() -> None:
    # 12 open, 10 overdue: the 2 not yet due are protected by hiding the 10. With the
    # only tool and no filter, the report's 10 are the same 10.
    full, shown = _quality(12, 10, hidden=("overdue_actions",))
    beside = disclosure.overdue_beside_quality
    assert beside(10, full, shown, report_in_full=False, process_in_full=False) is None
    assert shown == {"open_actions": 12, "overdue_actions": None}


def test_the_report_hides_its_overdue_count_when_the_rest_of_the_service_s_is_small() -> None:
    full, shown = _quality(30, 20)  # the report's 17 and 3 elsewhere
    beside = disclosure.overdue_beside_quality
    assert beside(17, full, shown, report_in_full=False, process_in_full=False) is None
    assert beside(15, full, shown, report_in_full=False, process_in_full=False) == 15
    assert beside(20, full, shown, report_in_full=False, process_in_full=False) == 20
    assert beside(3, full, shown, report_in_full=False, process_in_full=False) is None
    assert shown == {"open_actions": 30, "overdue_actions": 20}


def test_a_reader_with_the_report_in_full_has_the_service_s_figures_hidden_instead() -> None:
    beside = disclosure.overdue_beside_quality
    full, shown = _quality(30, 20)
    assert beside(17, full, shown, report_in_full=True, process_in_full=False) == 17
    assert shown == {"open_actions": 30, "overdue_actions": None}  # 20 - 17 would be shown
    # The report's count is the service's, and 2 are not yet due: 12 - 10 would give them.
    full, shown = _quality(12, 10, hidden=("overdue_actions",))
    assert beside(10, full, shown, report_in_full=True, process_in_full=False) == 10
    assert shown == {"open_actions": None, "overdue_actions": None}
    full, shown = _quality(30, 20)
    assert beside(10, full, shown, report_in_full=True, process_in_full=False) == 10
    assert shown == {"open_actions": 30, "overdue_actions": 20}
    # A reader who may see the audit process in full may open every audit with an action.
    full, shown = _quality(12, 10)
    assert beside(10, full, shown, report_in_full=True, process_in_full=True) == 10
    assert shown == {"open_actions": 12, "overdue_actions": 10}


def test_the_report_page_and_its_json_hide_the_overdue_count_the_service_s_would_give(
    personas: Personas,
) -> None:
    """Ten actions overdue at the end of October and two not yet due, all on audits of
    the one tool: the service's 10 overdue are hidden so that 12 - 10 cannot give the 2,
    and the report's own count of the same 10 is hidden with them, on the page, in its
    files and in the JSON the page's figures come from."""
    audits = [
        submitted_audit(
            case=CaseFactory(team=personas.cp_team),
            overall="Inadequate",
            audit_date=date(2026, 10, 7),
        )
        for _ in range(12)
    ]
    created = timezone.make_aware(datetime.combine(date(2026, 10, 8), time(9)))
    for number, audit in enumerate(audits):
        action = Action.objects.create(
            audit=audit,
            description="Hold a strategy discussion.",
            owner=personas.head_of_cp,
            due_date=date(2026, 10, 20) if number < 10 else date(2026, 11, 20),
        )
        Action.objects.filter(pk=action.pk).update(created_at=created)
    report_aggregates_refresh(audit_ids=[a.pk for a in audits])
    params = ReportParams.build(
        period_from=date(2026, 10, 1), period_to=date(2026, 10, 31), tool="quality-of-practice"
    )
    assert action_counts(params).overdue == 10
    report = build_report(params)
    assert report.extra["quality"]["open_actions"] == 12
    assert report.extra["quality"]["overdue_actions"] is None
    assert report.actions.overdue is None
    client = signed_in(personas.performance)
    doc = client.get(f"/reports/summary.json?{OCTOBER}&assurance=1").json()
    assert doc["assurance"]["quality"]["open_actions"] == 12
    assert doc["assurance"]["quality"]["overdue_actions"] is None
    page = client.get(f"/reports/?{OCTOBER}&tool=quality-of-practice").content.decode()
    row = re.search(r"Overdue on 31 October 2026</dt><dd[^>]*>([^<]*)</dd>", page)
    assert row is not None and row.group(1).strip() == disclosure.HIDDEN
    assert "10 actions overdue" not in page and "some actions overdue" in page
