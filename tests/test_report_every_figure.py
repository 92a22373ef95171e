"""Every figure of the report passes the one small-number rule (qpa.reports.disclosure),
in every channel: the summary, the comparison period, the teams side by side, the
re-audit outcomes, agreement between auditors, audit quality and the safeguarding count.
Counts from 1 to 4 are hidden from a reader who may not open every audit they count,
with secondary suppression; statistics of fewer than 5 pairs are never a figure. And the
safeguarding count is read from the aggregates, kept up to date on the same signal.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from qpa.accounts.models import Role, User
from qpa.actions.models import Action, ActionStatus
from qpa.assurance.models import Moderation, ModerationDraw, ReAudit, ReAuditDraw
from qpa.audits import services as audit_services
from qpa.audits.models import (
    Audit,
    AuditStatus,
    Captured,
    ChildSafe,
    DomainRating,
    VoiceAnswer,
)
from qpa.core.models import Event
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
from qpa.organisation.models import Team
from qpa.reports import disclosure
from qpa.reports.counting import counted_audits, figures_from_scratch, stored_figures
from qpa.reports.models import ReportCount
from qpa.reports.services import report_aggregates_rebuild, report_aggregates_refresh
from qpa.reports.summary import report_summary
from qpa.tools.models import AuditTool, QuestionAbout, VoiceQuestion
from tests.support.api import as_user
from tests.support.audits import completed, started, submit
from tests.support.data_migrations import data_migration
from tests.support.factories import (
    CaseFactory,
    TeamFactory,
    UserFactory,
    area,
    rating,
    submitted_audit,
)
from tests.support.people import Personas, signed_in
from tests.support.worlds import build_world

OCTOBER = date(2026, 10, 1)
SEPTEMBER = date(2026, 9, 1)
PARTS = ("comparison", "teams", "assurance")


# --- A constructed council ----------------------------------------------------------------


@dataclass
class World:
    personas: Personas
    cp_b: Team
    cycle: Cycle
    auditors: list[User]


def _audits(team: Team, labels: dict[str, int], day: date, **fields: Any) -> list[Audit]:
    made = []
    for label, count in labels.items():
        for _ in range(count):
            audit = submitted_audit(case=CaseFactory(team=team), overall=label, audit_date=day)
            if fields:
                Audit.objects.filter(pk=audit.pk).update(**fields)
            made.append(audit)
    return made


def _cycle(month: date) -> Cycle:
    tool = AuditTool.objects.get(slug="quality-of-practice")
    return Cycle.objects.create(
        kind=CycleKind.MONTHLY,
        month=month,
        tool=tool,
        tool_version=tool.current_version,
        plan=SamplingPlan.objects.create(name=f"Plan {month:%Y-%m}", method="fixed"),
        due_date=month + timedelta(days=25),
        status=CycleStatus.ALLOCATED,
        seed="5eed" * 16,
        drawn_at=timezone.now(),
    )


def _allocation(cycle: Cycle, case: Any, auditor: User, due: date, rank: int) -> Allocation:
    stratum, _ = Stratum.objects.get_or_create(
        cycle=cycle,
        service_area=case.service_area,
        defaults={
            "population": 50,
            "excluded": {},
            "frame_size": 50,
            "quota": 10,
            "drawn": 10,
        },
    )
    sampled = SampledCase.objects.create(
        cycle=cycle,
        case=case,
        stratum=stratum,
        how_chosen=HowChosen.DRAWN,
        rank=rank,
        frame_size=50,
        exclusions={},
    )
    return Allocation.objects.create(sampled_case=sampled, auditor=auditor, due_date=due)


def _second(first: Audit, auditor: User, overall: str, *, submitted: bool = True) -> Audit:
    """A moderator's or re-auditor's audit of the same case."""
    second = Audit.objects.create(
        case=first.case,
        tool_version=first.tool_version,
        auditor=auditor,
        status=AuditStatus.SUBMITTED if submitted else AuditStatus.DRAFT,
        service_area=first.service_area,
        team=first.team,
        audit_date=first.audit_date if submitted else None,
        overall_rating=rating(overall) if submitted else None,
    )
    if submitted:
        for domain in first.tool_version.domains.all():
            DomainRating.objects.create(audit=second, domain=domain, rating=rating(overall))
    return second


@pytest.fixture
def world(personas: Personas) -> World:
    """October 2026 (and September, to compare with): four teams of 2 to 9 audits, a few
    safeguarding concerns, three moderated cases (one grade agreed), two re-audits (one
    done), an overdue allocation, follow-up actions and the child's voice."""
    cp_a, cic = personas.cp_team, personas.cic_team
    cp_b = TeamFactory(name="CP Team B", service_area=area("child-protection"))
    leaving = TeamFactory(name="LC Team", service_area=area("leaving-care"))
    auditors = [UserFactory(username=f"aud{i}", role=Role.AUDITOR) for i in range(3)]
    first_cp_a = _audits(cp_a, {"Good": 6, "Adequate": 3}, date(2026, 10, 7))
    poor_cp_b = _audits(
        cp_b, {"Inadequate": 2}, date(2026, 10, 8), child_safe=ChildSafe.NO, auditor=auditors[2]
    )
    poor_cp_b += _audits(cp_b, {"Inadequate": 1, "Critical": 1}, date(2026, 10, 8))
    _audits(cp_b, {"Good": 4}, date(2026, 10, 9))
    _audits(cic, {"Good": 2, "Adequate": 2}, date(2026, 10, 10), child_safe=ChildSafe.YES)
    _audits(cic, {"Inadequate": 2}, date(2026, 10, 10), child_safe=ChildSafe.NOT_SURE)
    _audits(leaving, {"Good": 2}, date(2026, 10, 11))
    for audit in first_cp_a[:5]:
        Audit.objects.filter(pk=audit.pk).update(child_experience_captured=Captured.YES)
    Audit.objects.filter(pk=first_cp_a[5].pk).update(child_experience_captured=Captured.NO)
    _audits(cp_a, {"Good": 5, "Adequate": 2}, date(2026, 9, 14))
    _audits(cp_b, {"Good": 3, "Inadequate": 2}, date(2026, 9, 15))
    _audits(cic, {"Good": 4}, date(2026, 9, 16))

    cycle = _cycle(OCTOBER)
    draw = ModerationDraw.objects.create(
        cycle=cycle, share=0.2, seed="5eed" * 16, frame_size=9, drawn_at=timezone.now()
    )
    # Three CP Team A audits moderated: the moderator agrees on two grades, not the third,
    # whose agreed grade is the moderator's.
    for rank, (first, moderator_grade) in enumerate(
        zip(first_cp_a[:3], ["Good", "Good", "Adequate"], strict=True), start=1
    ):
        allocation = _allocation(cycle, first.case, auditors[0], date(2026, 10, 20), rank)
        Audit.objects.filter(pk=first.pk).update(allocation=allocation, auditor=auditors[0])
        Moderation.objects.create(
            draw=draw,
            allocation=allocation,
            moderator=auditors[1],
            moderation_audit=_second(first, auditors[1], moderator_grade),
            rank=rank,
        )
    changed = first_cp_a[2]
    Audit.objects.filter(pk=changed.pk).update(
        agreed_at=timezone.now(), agreed_overall_rating=rating("Adequate")
    )
    for row in DomainRating.objects.filter(audit=changed):
        DomainRating.objects.filter(pk=row.pk).update(agreed_rating=row.rating)
    # An allocation of October with no audit, overdue at the end of the month.
    _allocation(cycle, CaseFactory(team=cp_b), auditors[2], date(2026, 10, 15), 4)
    # Two re-audits of Q4: one done (improved), one not yet.
    reaudits = ReAuditDraw.objects.create(
        quarter="2026-Q4", seed="5eed" * 16, requested_count=2, drawn_at=timezone.now()
    )
    for rank, (original, done) in enumerate(
        zip(poor_cp_b[:2], [True, False], strict=True), start=1
    ):
        ReAudit.objects.create(
            draw=reaudits,
            original=original,
            reaudit=_second(original, auditors[1], "Good", submitted=done),
            auditor=auditors[1],
            rank=rank,
            due_date=date(2026, 10, 30),
        )
    # Follow-up actions on the inadequate audits: one completed, two open (one overdue).
    end = timezone.make_aware(datetime.combine(date(2026, 10, 12), time(9)))
    for number, audit in enumerate(poor_cp_b[:3]):
        action = Action.objects.create(
            audit=audit,
            description="Hold a strategy discussion.",
            owner=personas.head_of_cp,
            due_date=date(2026, 10, 20 + 5 * number),
            status=ActionStatus.COMPLETED if number == 0 else ActionStatus.OPEN,
            completed_at=end if number == 0 else None,
            evidence="Discussion held and recorded." if number == 0 else "",
        )
        Action.objects.filter(pk=action.pk).update(created_at=end)
    report_aggregates_rebuild()
    return World(personas, cp_b, cycle, auditors)


def _filters(world: World) -> Iterator[dict[str, str]]:
    """A handful of filters: the month, two months, the quarter; the service, an area, a
    team; the cycle."""
    for first, last in (("2026-10", "2026-10"), ("2026-09", "2026-10"), ("2026-10", "2026-12")):
        base = {"from": first, "to": last, "tool": "quality-of-practice"}
        yield base
        yield {**base, "service_area": "child-protection"}
        yield {**base, "team": world.cp_b.name}
    yield {"from": "2026-10", "to": "2026-10", "cycle": str(world.cycle.public_id)}


def _asked(query: dict[str, str]) -> dict[str, str]:
    """The whole report: the comparison with September, the teams and the process."""
    return {
        **query,
        "compare_from": "2026-09",
        "compare_to": "2026-09",
        "teams": "1",
        "assurance": "1",
    }


def _numbers(document: Any, path: str = "") -> Iterator[tuple[str, int]]:
    """Every whole number of a JSON document, with where it is."""
    if isinstance(document, bool):
        return
    if isinstance(document, int):
        yield path, document
    elif isinstance(document, dict):
        for key, value in document.items():
            if key != "threshold":  # the rule's own 5, not a count
                yield from _numbers(value, f"{path}.{key}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _numbers(value, f"{path}[{index}]")


def _small(document: Any) -> list[tuple[str, int]]:
    return [(path, n) for path, n in _numbers(document) if 0 < n < disclosure.THRESHOLD]


# --- Every figure, for a figures-only reader ------------------------------------------------


def test_no_count_from_1_to_4_reaches_a_figures_only_reader_anywhere(world: World) -> None:
    personas = world.personas
    performance = signed_in(personas.performance)
    director = signed_in(personas.director)
    small_in_full: dict[str, int] = {part: 0 for part in (*PARTS, "safeguarding_concerns")}
    for query in _filters(world):
        for asked in (_asked(query), {**_asked(query), "unsuppressed": "1"}):
            response = performance.get("/reports/summary.json", asked)
            assert response.status_code == 200, (asked, response.content[:300])
            document = response.json()
            assert set(PARTS) <= set(document), asked
            assert _small(document) == [], (asked, _small(document))
            assert document["assurance"]["suppression"]["applied"] is True
            assert document["teams"]["suppression"]["applied"] is True
        # The same document in full has small numbers in every part, so the walk above
        # found what suppression hid.
        full = director.get("/reports/summary.json", {**_asked(query), "unsuppressed": "1"}).json()
        assert full["suppression"]["applied"] is False, query
        for part in PARTS:
            small_in_full[part] += len(_small(full[part]))
        small_in_full["safeguarding_concerns"] += 0 < full["safeguarding_concerns"] < 5
    assert all(small_in_full.values()), small_in_full
    # The API gives the performance team the same.
    api = as_user(personas.performance).get(
        "/api/v1/reports/summary",
        {
            "from": "2026-10",
            "to": "2026-10",
            "compare_from": "2026-09",
            "compare_to": "2026-09",
            "teams": "true",
            "assurance": "true",
            "unsuppressed": "true",
        },
    )
    assert api.status_code == 200, api.content[:300]
    assert set(PARTS) <= set(api.json())
    assert _small(api.json()) == []


def test_the_command_suppresses_every_part_unless_asked(world: World) -> None:
    arguments = ["report", "--from", "2026-10", "--to", "2026-10", "--teams", "--assurance"]
    arguments += ["--compare-from", "2026-09", "--compare-to", "2026-09"]
    out = io.StringIO()
    call_command(*arguments, stdout=out)
    document = json.loads(out.getvalue())
    assert set(PARTS) <= set(document)
    assert _small(document) == []
    out = io.StringIO()
    call_command(*arguments, "--unsuppressed", stdout=out)
    full = json.loads(out.getvalue())
    assert full["assurance"]["reaudits"][0]["drawn"] == 2
    assert full["teams"]["teams"][0]["audits"] is not None
    # CSV carries every part too.
    out = io.StringIO()
    call_command(*arguments, "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    sections = {row["section"] for row in rows}
    assert {"comparison_rated", "teams_audits", "reaudit_drawn", "agreement_pairs"} <= sections
    counts = [row["count"] for row in rows if not row["section"].startswith("areas_of_")]
    assert not [c for c in counts if c.isdigit() and 0 < int(c) < 5]


# --- Re-audits, agreement and audit quality -----------------------------------------------


def test_statistics_of_fewer_than_5_pairs_are_never_a_figure(world: World) -> None:
    """Three moderated cases give 3 pairs of overall grades (too few to measure) and 30
    pairs of domain ratings (ten domains each: measured), for every reader, in full or not."""
    query = {"from": "2026-10", "to": "2026-10", "assurance": "1", "unsuppressed": "1"}
    full = signed_in(world.personas.director).get("/reports/summary.json", query).json()
    agreement = full["assurance"]["agreement"]
    assert full["assurance"]["suppression"]["applied"] is False
    assert (agreement["moderated"], agreement["agreed"], agreement["changed"]) == (3, 1, 1)
    grade = agreement["overall_grade"]
    assert (grade["pairs"], grade["same"], grade["measured"]) == (3, 2, False)
    assert grade["exact_percent"] is None and grade["quadratic_kappa"] is None
    assert agreement["changed_percent"] is None and agreement["changed_measured"] is False
    domains = agreement["all_domains"]
    assert (domains["pairs"], domains["measured"]) == (30, True)
    assert domains["exact_percent"] == 66.7 and domains["linear_kappa"] is not None
    page = signed_in(world.personas.director).get(
        "/reports/?from=2026-10&to=2026-10&tool=quality-of-practice&unsuppressed=1"
    )
    text = page.content.decode()
    assert disclosure.TOO_FEW_PAIRS in text
    rows = _table_rows(text, "Agreement between first auditors and moderators")
    assert rows["Overall grade"][:4] == [
        "3",
        "2",
        disclosure.TOO_FEW_PAIRS,
        disclosure.TOO_FEW_PAIRS,
    ]
    assert rows["Every domain"][:3] == ["30", "20", "66.7%"]


def _table_rows(page: str, caption: str) -> dict[str, list[str]]:
    """The rows of the table with this caption: first cell -> the other cells' text."""
    table = page.split(caption, 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def test_the_process_figures_are_suppressed_in_every_channel(world: World) -> None:
    client = signed_in(world.personas.performance)
    query = "from=2026-10&to=2026-10&tool=quality-of-practice&unsuppressed=1"
    page = client.get(f"/reports/?{query}").content.decode()
    reaudits = _table_rows(page, "Quarterly re-audits of inadequate and critical audits")
    assert reaudits["2026-Q4"][:2] == ["not shown", "not shown"]
    assert "They are shown in full only to a reader who may open every audit they count" in page
    quality = page.split('id="process-small-numbers"', 1)[1]
    assert "not shown of not shown open" in quality
    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{query}").content))
    assert "Overdue audits by auditor" not in book.sheetnames
    for sheet in ("Re-audit outcomes", "Agreement", "Agreement by cycle", "Audit quality"):
        numbers = [
            cell.value
            for row in book[sheet].iter_rows(min_row=2)
            for cell in row
            if isinstance(cell.value, int)
        ]
        assert not [n for n in numbers if 0 < n < 5], (sheet, numbers)
    document = Document(io.BytesIO(client.get(f"/reports/export.docx?{query}").content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2026-Q4: some cases drawn for re-audit" in text
    assert "too few pairs to measure" in text or "too few pairs" in text
    assert "2 cases drawn" not in text
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert not [c for c in cells if c.isdigit() and 0 < int(c) < 5]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/reports/export.csv?{query}").text)))
    drawn = [r["count"] for r in rows if r["section"] == "reaudit_drawn"]
    assert drawn == ["not shown"]
    pdf = client.get(f"/reports/export.pdf?{query}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_director_who_asks_sees_the_process_figures_in_full(world: World) -> None:
    client = signed_in(world.personas.director)
    query = "from=2026-10&to=2026-10&tool=quality-of-practice&unsuppressed=1"
    page = client.get(f"/reports/?{query}").content.decode()
    reaudits = _table_rows(page, "Quarterly re-audits of inadequate and critical audits")
    assert reaudits["2026-Q4"] == ["2", "1", "1", "0", "0", "1", "1 of 2"]
    assert "process-small-numbers" not in page
    full = client.get("/reports/summary.json?from=2026-10&to=2026-10&assurance=1&unsuppressed=1")
    quality = full.json()["assurance"]["quality"]
    # Four allocations and two re-audits due in October: the three moderated and one
    # re-audit done in time; one allocation and one re-audit overdue.
    assert (quality["due"], quality["on_time"]) == (6, 4)
    # A report names no person (decision 0060): no auditor is named, even in full.
    for auditor in world.auditors:
        assert str(auditor) not in full.content.decode()
    assert (quality["overdue_actions"], quality["open_actions"]) == (2, 2)
    assert (quality["voice_captured"], quality["voice_recorded"]) == (5, 6)
    # Without asking, the director too gets the suppressed copy.
    default = client.get("/reports/summary.json?from=2026-10&to=2026-10&assurance=1").json()
    assert default["assurance"]["reaudits"][0]["drawn"] is None
    assert default["assurance"]["suppression"]["unsuppressed_refused"] is False


def test_a_head_of_service_may_see_their_area_in_full_but_not_the_service_s_process(
    world: World,
) -> None:
    """The process figures count audits across the service: a Head of Service who may
    open every audit of their area gets its figures in full, the process's suppressed."""
    client = signed_in(world.personas.head_of_cp)
    document = client.get(
        "/reports/summary.json",
        {
            "from": "2026-10",
            "to": "2026-10",
            "service_area": "child-protection",
            "unsuppressed": "1",
            "assurance": "1",
        },
    ).json()
    assert document["suppression"]["applied"] is False
    assert document["safeguarding_concerns"] == 2
    assert document["assurance"]["suppression"] == {
        "applied": True,
        "threshold": 5,
        "too_few": False,
        "unsuppressed_refused": True,
    }
    assert _small(document["assurance"]) == []


# --- The comparison period and the teams, as the main document ------------------------------


def test_the_json_comparison_follows_the_main_document_s_rule(world: World) -> None:
    query = {
        "from": "2026-10",
        "to": "2026-10",
        "team": world.cp_b.name,
        "compare_from": "2026-09",
        "compare_to": "2026-09",
    }
    performance = signed_in(world.personas.performance)
    shown = performance.get("/reports/summary.json", {**query, "unsuppressed": "1"}).json()
    assert shown["suppression"]["unsuppressed_refused"] is True
    comparison = shown["comparison"]
    # September's 5 audits of CP Team B: 3 good, 2 inadequate; both hidden.
    assert comparison["audits_completed"] == 5
    assert comparison["overall"]["good_or_better"] is None
    assert comparison["overall"]["inadequate_or_worse"] is None
    assert comparison["overall"]["good_or_better_difference"] is None
    # A Head of Service who may open every CP audit sees both periods in full, as the
    # main document; the director only when asking.
    head = signed_in(world.personas.head_of_cp)
    full = head.get("/reports/summary.json", {**query, "unsuppressed": "1"}).json()
    assert full["suppression"]["applied"] is False
    assert full["comparison"]["overall"]["inadequate_or_worse"] == 2
    assert full["comparison"]["overall"]["inadequate_or_worse_difference"] == 10.0
    director = signed_in(world.personas.director)
    default = director.get("/reports/summary.json", query).json()
    assert default["comparison"]["overall"]["inadequate_or_worse"] is None


def test_the_teams_member_follows_the_teams_page(world: World) -> None:
    query = {"from": "2026-10", "to": "2026-10", "teams": "1", "unsuppressed": "1"}
    performance = signed_in(world.personas.performance).get("/reports/summary.json", query)
    teams = {row["team"]: row for row in performance.json()["teams"]["teams"]}
    assert teams["LC Team"]["audits"] is None and teams["LC Team"]["funnel"] is None
    # CP Team A's 9 audits are 6 good and none poor: its 3 adequate would follow from
    # its good, so that is hidden.
    assert teams["CP Team A"]["audits"] == 9 and teams["CP Team A"]["good_or_better"] is None
    assert teams["CP Team A"]["inadequate_or_worse"] == 0
    assert performance.json()["teams"]["suppression"]["unsuppressed_refused"] is True
    director = signed_in(world.personas.director).get("/reports/summary.json", query).json()
    full = {row["team"]: row for row in director["teams"]["teams"]}
    assert (full["LC Team"]["audits"], full["LC Team"]["good_or_better"]) == (2, 2)
    assert full["CP Team A"]["funnel"]["position"] == "within the limits"
    page = signed_in(world.personas.performance).get(
        "/reports/teams/?from=2026-10&to=2026-10&tool=quality-of-practice"
    )
    assert "LC Team" in page.content.decode()


# --- The safeguarding count, from the aggregates ----------------------------------------------


def test_the_safeguarding_count_is_read_with_the_ratings_never_from_the_audits(
    world: World,
) -> None:
    with CaptureQueriesContext(connection) as queries:
        summary = report_summary(period_from=OCTOBER, period_to=OCTOBER)
    assert summary["safeguarding_concerns"] == 4
    assert not [q for q in queries.captured_queries if "child_safe" in q["sql"]]
    team = report_summary(period_from=OCTOBER, period_to=OCTOBER, team=world.cp_b.name)
    assert team["safeguarding_concerns"] == 2
    cycle = report_summary(period_from=OCTOBER, period_to=OCTOBER, cycle=world.cycle)
    assert cycle["safeguarding_concerns"] == 0
    audits = counted_audits().select_related("tool_version", "allocation__sampled_case")
    assert stored_figures() == figures_from_scratch(audits)


def test_the_migration_counts_the_concerns_of_rows_already_counted(world: World) -> None:
    expected = stored_figures()
    assert expected["concerns"]
    ReportCount.objects.update(concerns=0)
    data_migration("reports", "0003_safeguarding_concerns_in_the_aggregates").count_concerns(
        apps, None
    )
    assert stored_figures() == expected


def test_the_child_s_voice_is_read_from_the_aggregates_too(world: World) -> None:
    """ "Evident in e of n audits" for the child's lived experience and the family's view
    comes from the overall rows as well: asked when any of the theme's questions is
    answered, evident when one is yes and none no or not recorded."""
    version = AuditTool.objects.get(slug="quality-of-practice").current_version
    child = [
        VoiceQuestion.objects.create(
            version=version,
            order=order,
            about=QuestionAbout.CHILD,
            text=f"Child question {order}",
            allows_not_applicable=True,
        )
        for order in (1, 2)
    ]
    family = VoiceQuestion.objects.create(
        version=version, order=3, about=QuestionAbout.FAMILY, text="Family question"
    )
    audits = list(
        Audit.objects.filter(
            team=world.personas.cp_team, audit_date=date(2026, 10, 7), moderation_of=None
        ).order_by("pk")[:6]
    )
    child_answers = [("yes", "yes")] * 4 + [("yes", "no"), ("not_applicable", "yes")]
    family_answers = ["yes", "yes", "yes", "not_recorded", "", ""]
    for audit, (first, second), view in zip(audits, child_answers, family_answers, strict=True):
        VoiceAnswer.objects.create(audit=audit, question=child[0], answer=first)
        VoiceAnswer.objects.create(audit=audit, question=child[1], answer=second)
        VoiceAnswer.objects.create(audit=audit, question=family, answer=view)
    report_aggregates_refresh(audit_ids=[a.pk for a in audits])
    with CaptureQueriesContext(connection) as queries:
        summary = report_summary(period_from=OCTOBER, period_to=OCTOBER)
    assert summary["child_and_family"] == {
        "child_lived_experience": {"evident": 5, "n": 6, "percent": 83.3},
        "family_view": {"evident": 3, "n": 4, "percent": 75.0},
    }
    assert not [q for q in queries.captured_queries if "voiceanswer" in q["sql"]]
    expected = figures_from_scratch(
        counted_audits().select_related("tool_version", "allocation__sampled_case")
    )
    assert stored_figures() == expected
    ReportCount.objects.update(child_asked=0, child_evident=0, family_asked=0, family_evident=0)
    data_migration("reports", "0004_voice_figures_in_the_aggregates").count_voice(apps, None)
    assert stored_figures() == expected


def test_a_concern_counts_on_submission_and_leaves_on_reopening(db: None) -> None:
    base = build_world()
    tool = "child-protection-core-assessment"
    audit = submit(completed(started(base), overall="Inadequate", child_safe=ChildSafe.NO))
    month = audit.audit_date
    assert month is not None

    def concerns() -> int | None:
        raised = report_summary(period_from=month, period_to=month, tool=tool)
        return raised["safeguarding_concerns"]

    assert concerns() == 1
    # A submitted audit's answer cannot change: a save is refused, the count stays.
    with pytest.raises(audit_services.AuditLocked):
        audit_services.audit_save_safety(
            acting_user=base.cal,
            audit=audit,
            version=audit.version,
            child_safe=ChildSafe.YES,
            child_safe_reason="Seen today.",
        )
    assert concerns() == 1
    reopened = audit_services.audit_reopen(
        acting_user=base.head, audit=audit, reason="The safety answer needs another look."
    )
    assert concerns() == 0
    answered = audit_services.audit_save_safety(
        acting_user=base.cal,
        audit=reopened,
        version=reopened.version,
        child_safe=ChildSafe.YES,
        child_safe_reason="Seen today with her mother; the plan holds.",
    )
    assert concerns() == 0
    submit(answered)
    assert concerns() == 0
    assert stored_figures() == figures_from_scratch(counted_audits())


# --- The command writes the briefing ------------------------------------------------------------


def test_the_command_writes_the_word_and_pdf_briefings_suppressed_by_default(
    world: World, tmp_path: Path
) -> None:
    team = ["--from", "2026-10", "--to", "2026-10", "--team", "CP Team A"]
    word = tmp_path / "briefing.docx"
    call_command("report", *team, "--format", "docx", "--output", str(word))
    text = "\n".join(p.text for p in Document(str(word)).paragraphs)
    assert "Some cases rated as adequate" in text
    assert "4 cases rated as adequate" not in text
    assert not Event.objects.filter(action="report.exported").exists()
    call_command("report", *team, "--format", "docx", "--output", str(word), "--unsuppressed")
    text = "\n".join(p.text for p in Document(str(word)).paragraphs)
    # 3 adequate and the moderated case whose agreed grade is adequate.
    assert "4 cases rated as adequate" in text
    assert "Safeguarding concerns raised: 0 of 9 audits" in text
    assert "2026-Q4: 2 cases drawn for re-audit" in text
    event = Event.objects.get(action="report.exported")
    assert event.data == {"format": "docx", "channel": "cli", "unsuppressed": True}
    pdf = tmp_path / "briefing.pdf"
    call_command("report", *team, "--format", "pdf", "--output", str(pdf), "--title", "October")
    assert pdf.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="give --output FILE"):
        call_command("report", *team, "--format", "pdf")
