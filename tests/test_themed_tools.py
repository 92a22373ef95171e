"""Themed tools as the briefing ran them: "not applicable" only where a tool allows it,
an overall rating that a tool may make optional, past themed audits imported with or
without one and reported domain by domain, and a themed cycle drawn from a population
filter without a sampling plan, its population shown before the draw."""

from __future__ import annotations

import csv
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from qpa.audits import services as audit_services
from qpa.audits.imports import FIXED_COLUMNS, past_audits_import
from qpa.audits.models import Audit, AuditStatus
from qpa.cases.models import CaseStatus
from qpa.cycles import services as cycle_services
from qpa.cycles.models import Cycle, CycleKind, CycleStatus
from qpa.reports.summary import report_summary
from qpa.tools.models import AuditTool
from tests.support.audits import completed, domain_url, domains_of, fresh, started
from tests.support.factories import rating
from tests.support.people import Personas, signed_in
from tests.support.worlds import World, build_world

CP_CORE = "child-protection-core-assessment"
THEMED_DOMAINS = [
    "Strategy discussion",
    "Child protection core assessment",
    "Child protection conference",
]
# The briefing's January 2010 themed audit: 39 cases; good, adequate and inadequate in
# each domain; the rest of the 39 not applicable; no overall judgement.
BRIEFING_THEMED = {
    "Strategy discussion": (11, 16, 11),
    "Child protection core assessment": (15, 21, 2),
    "Child protection conference": (26, 7, 2),
}
BRIEFING_CASES = 39


def _tool(slug: str) -> AuditTool:
    return AuditTool.objects.get(slug=slug)


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def briefing_themed_rows() -> list[dict[str, str]]:
    """The 39 audits as a council's spreadsheet holds them: N/A where a domain did not
    apply, and the overall rating left blank."""
    columns = {}
    for name, (good, adequate, inadequate) in BRIEFING_THEMED.items():
        column = ["Good"] * good + ["Adequate"] * adequate + ["Inadequate"] * inadequate
        columns[name] = column + ["N/A"] * (BRIEFING_CASES - len(column))
    return [
        {
            "Child Unique ID": f"JAN{i:03d}",
            "Service area": "Child Protection",
            "Team": "",
            "Auditor": "A. Head of Service",
            "Audit date": "14/01/2010",
            "Tool": "Child Protection Core Assessment",
            "Overall rating": "",
            **{name: column[(i * 7) % BRIEFING_CASES] for name, column in columns.items()},
        }
        for i in range(BRIEFING_CASES)
    ]


# --- The seeded themed tool ----------------------------------------------------------


@pytest.mark.django_db
def test_the_seeded_themed_tool_allows_not_applicable_and_no_overall_rating() -> None:
    themed = _tool(CP_CORE).current_version
    assert themed.overall_rating_optional
    assert [(d.name, d.allows_not_applicable) for d in themed.domains.all()] == [
        (name, True) for name in THEMED_DOMAINS
    ]
    standard = _tool("quality-of-practice").current_version
    assert not standard.overall_rating_optional
    assert [d.allows_not_applicable for d in standard.domains.all()] == [
        True,
        *[False] * 8,
        True,
    ]


# --- Not applicable only where the tool allows it ------------------------------------


@pytest.fixture
def world(db: None) -> World:
    return build_world(per_team=1)


def test_not_applicable_is_offered_and_saved_only_where_the_domain_allows_it(
    world: World,
) -> None:
    themed = started(world)
    client = signed_in(world.cal)
    page = client.get(domain_url(themed, 2)).content.decode()
    assert 'value="not-applicable"' in page and ">Not applicable</label>" in page
    saved = client.post(
        domain_url(themed, 2),
        {"rating": "not-applicable", "evidence": "", "version": themed.version, "then": "draft"},
    )
    assert saved.status_code == 302
    answer = fresh(themed).domain_ratings.get()
    assert answer.not_applicable and answer.rating is None

    standard = started(world, tool_slug="quality-of-practice")
    page = client.get(domain_url(standard, 3)).content.decode()
    assert 'value="not-applicable"' not in page
    refused = client.post(
        domain_url(standard, 3),
        {"rating": "not-applicable", "evidence": "", "version": standard.version},
    )
    assert refused.status_code == 400
    # The service refuses it too, whatever sends it (the REST API, a crafted form).
    with pytest.raises(ValidationError, match="Key Decisions cannot be not applicable"):
        audit_services.audit_save_domain(
            acting_user=world.cal,
            audit=standard,
            domain=domains_of(standard)[2],
            version=standard.version,
            rating=None,
            not_applicable=True,
            evidence="",
            strengths="",
            improvements="",
        )
    assert not fresh(standard).domain_ratings.exists()


# --- An optional overall rating ------------------------------------------------------


def _overall_post(audit: Audit, **extra: str) -> dict[str, str]:
    return {
        "version": str(fresh(audit).version),
        "overall_rating": "",
        "overall_rationale": "",
        "child_experience_captured": "yes",
        "child_experience_text": "Seen alone at school.",
        "family_view_captured": "yes",
        "family_view_text": "Mother asked at the conference.",
        "then": "continue",
        **extra,
    }


def _submit(client: Client, audit: Audit) -> str:
    response = client.post(
        f"/audits/{audit.public_id}/check/",
        {"version": str(fresh(audit).version), "token": str(uuid.uuid4())},
    )
    return response.content.decode() if response.status_code != 302 else ""


def test_a_themed_audit_is_submitted_without_an_overall_rating(world: World) -> None:
    audit = completed(started(world), overall="Good")
    client = signed_in(world.cal)
    page = client.get(f"/audits/{audit.public_id}/overall/").content.decode()
    assert "Overall rating of the case (optional)" in page
    assert ">No overall rating</label>" in page
    assert 'value="none">' in page  # offered, not ticked for the auditor

    assert (
        client.post(
            f"/audits/{audit.public_id}/overall/", _overall_post(audit, overall_rating="none")
        ).status_code
        == 302
    )
    audit = fresh(audit)
    assert audit.overall_rating is None
    assert audit_services.overall_status(audit) == audit_services.TaskStatus.COMPLETED
    assert _submit(client, audit) == ""
    audit = fresh(audit)
    assert audit.status == AuditStatus.SUBMITTED and audit.overall_rating is None

    # It counts in its domains and the total, in no overall rating.
    month = timezone.localdate()
    summary = report_summary(period_from=month, period_to=month, tool=CP_CORE)
    assert summary["audits_completed"] == 1 and summary["no_overall_rating"] == 1
    assert [r["count"] for r in summary["overall"]] == [0, 0, 0, 0, 0]
    assert [d["rated"] for d in summary["domains"]] == [1, 1, 1]


def test_a_rating_given_on_a_themed_audit_still_needs_its_rationale(world: World) -> None:
    audit = completed(started(world), overall="Good")
    client = signed_in(world.cal)
    client.post(
        f"/audits/{audit.public_id}/overall/",
        _overall_post(audit, overall_rating=str(rating("Adequate").pk)),
    )
    audit = fresh(audit)
    assert audit.overall_rating == rating("Adequate")
    assert audit_services.overall_status(audit) == audit_services.TaskStatus.IN_PROGRESS
    page = _submit(client, audit)
    assert "the rationale of any overall rating" in page
    assert fresh(audit).status == AuditStatus.DRAFT


def test_a_standard_audit_cannot_be_submitted_without_an_overall_rating(world: World) -> None:
    audit = completed(started(world, tool_slug="quality-of-practice"), overall="Good")
    client = signed_in(world.cal)
    page = client.get(f"/audits/{audit.public_id}/overall/").content.decode()
    assert "No overall rating" not in page and "(optional)" not in page
    client.post(f"/audits/{audit.public_id}/overall/", _overall_post(audit))
    audit = fresh(audit)
    assert audit.overall_rating is None
    page = _submit(client, audit)
    assert "Complete the overall judgement: the rating, its rationale" in page
    assert fresh(audit).status == AuditStatus.DRAFT


def test_an_administrator_makes_the_overall_rating_optional_in_a_new_version(
    world: World,
) -> None:
    audit = started(world, tool_slug="quality-of-practice")  # a draft uses version 1
    client = signed_in(world.admin)
    page = client.get("/tools/quality-of-practice/edit/").content.decode()
    assert "Auditors may leave the overall rating blank" in page
    response = client.post(
        "/tools/quality-of-practice/edit/",
        {
            "name": "Quality of Practice",
            "description": "",
            "is_active": "on",
            "overall_rating_optional": "on",
        },
    )
    assert response.status_code == 302
    tool = _tool("quality-of-practice")
    new = tool.current_version
    assert new.number == 2 and new.overall_rating_optional
    assert new.change_note == "Overall rating made optional"
    assert new.domains.count() == 10
    # The draft stays on the version it started with: its overall rating is required.
    assert not fresh(audit).tool_version.overall_rating_optional
    page = client.get("/tools/quality-of-practice/").content.decode()
    assert "Optional: auditors may leave it blank" in page


# --- Past themed audits --------------------------------------------------------------


def test_the_briefings_themed_audit_imports_without_overall_and_reports_each_domain(
    personas: Personas, tmp_path: Path
) -> None:
    outcome = past_audits_import(
        acting_user=None, path=_write_csv(tmp_path / "themed.csv", briefing_themed_rows())
    )
    assert outcome.written, outcome.errors[:3]
    assert outcome.summary["audits_created"] == BRIEFING_CASES
    assert not Audit.objects.filter(overall_rating__isnull=False).exists()

    # An Assistant Director may open every audit of the service, so may read the
    # figures unsuppressed.
    summary = (
        signed_in(personas.director)
        .get(
            "/reports/summary.json?from=2010-01&to=2010-01&unsuppressed=1"
            "&tool=Child Protection Core Assessment"
        )
        .json()
    )
    assert summary["audits_completed"] == BRIEFING_CASES
    assert summary["no_overall_rating"] == BRIEFING_CASES
    assert summary["by_service_area"][0] == {"service_area": "Child Protection", "count": 39}
    assert [(r["rating"], r["count"], r["percent"]) for r in summary["overall"]] == [
        (label, 0, None) for label in ("Outstanding", "Good", "Adequate", "Inadequate", "Critical")
    ]
    per_domain = {
        d["domain"]: (
            tuple(r["count"] for r in d["ratings"]),
            d["rated"],
            d["not_applicable"],
        )
        for d in summary["domains"]
    }
    assert per_domain == {
        "Strategy discussion": ((0, 11, 16, 11, 0), 38, 1),
        "Child protection core assessment": ((0, 15, 21, 2, 0), 38, 1),
        "Child protection conference": ((0, 26, 7, 2, 0), 35, 4),
    }
    # Shares are of the cases rated in the domain: not applicable is not rated.
    conference = summary["domains"][2]
    assert conference["good_or_better_percent"] == 74.3  # 26 of 35
    assert conference["inadequate_or_worse_percent"] == 5.7  # 2 of 35


def test_past_themed_audits_import_with_an_overall_rating_too(
    personas: Personas, tmp_path: Path
) -> None:
    rows = briefing_themed_rows()[:6]
    for row, overall in zip(rows, ["Good", "Good", "Adequate", "", "", ""], strict=True):
        row["Overall rating"] = overall
    outcome = past_audits_import(acting_user=None, path=_write_csv(tmp_path / "t.csv", rows))
    assert outcome.written, outcome.errors[:3]
    summary = report_summary(
        period_from=timezone.datetime(2010, 1, 1).date(),
        period_to=timezone.datetime(2010, 1, 31).date(),
        tool=CP_CORE,
    )
    assert summary["audits_completed"] == 6 and summary["no_overall_rating"] == 3
    overall = {r["rating"]: (r["count"], r["percent"]) for r in summary["overall"]}
    # Shares of the audits that have an overall rating: 2 of 3 good.
    assert overall["Good"] == (2, 66.7) and overall["Adequate"] == (1, 33.3)


def test_a_standard_audit_without_an_overall_rating_is_refused_at_import(
    personas: Personas, tmp_path: Path
) -> None:
    domains = [d.name for d in _tool("quality-of-practice").current_version.domains.all()]
    row = {
        "Child Unique ID": "Q1",
        "Service area": "Child Protection",
        "Team": "",
        "Auditor": "Jo",
        "Audit date": "01/10/2025",
        "Tool": "Quality of Practice",
        "Overall rating": "",
        **dict.fromkeys(domains, "Good"),
    }
    bad_na = {**row, "Child Unique ID": "Q2", "Overall rating": "Good", "Key Decisions": "N/A"}
    outcome = past_audits_import(
        acting_user=None, path=_write_csv(tmp_path / "q.csv", [row, bad_na])
    )
    assert not outcome.written
    messages = {(e.column, e.message) for e in outcome.errors}
    assert (
        "Overall rating",
        "The overall rating is blank: Quality of Practice needs one of Outstanding, Good, "
        "Adequate, Inadequate, Critical.",
    ) in messages
    assert (
        "Key Decisions",
        "Key Decisions cannot be rated not applicable in Quality of Practice.",
    ) in messages
    assert not Audit.objects.exists()


@pytest.mark.django_db
def test_the_import_template_of_the_themed_tool_leaves_the_overall_rating_blank() -> None:
    from qpa.audits.imports import template_csv

    header, example = template_csv(_tool(CP_CORE)).splitlines()
    assert header.split(",") == [*FIXED_COLUMNS, *THEMED_DOMAINS]
    assert example.split(",")[FIXED_COLUMNS.index("Overall rating")] == ""


# --- A themed cycle from a population filter, without a plan -------------------------


def _cp_plans(world: World) -> None:
    """Child protection plans started one, two and five months ago; one case closed."""
    today = timezone.localdate()
    cases = sorted([*world.cases["CP One"], *world.cases["CP Two"]], key=lambda c: c.child_id)
    for case, months in zip(cases, [1, 2, 2, 1, 5, 2], strict=True):
        case.cp_plan_start_date = today - timedelta(days=30 * months)
        case.save()
    closed = cases[1]
    closed.status = CaseStatus.CLOSED
    closed.save()


def _answer(client: Client, step: str, data: dict[str, object]) -> str:
    response = client.post(f"/cycles/new/{step}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def cp_world(db: None) -> World:
    world = build_world(per_team=3)
    _cp_plans(world)
    return world


def test_a_themed_cycle_draws_from_its_population_with_no_plan_and_shows_its_size(
    cp_world: World,
) -> None:
    world = cp_world
    client = signed_in(world.lead)
    client.get("/cycles/new/")
    _answer(client, "kind", {"kind": "themed"})
    _answer(client, "theme", {"theme": "CP plans started in the last three months"})
    _answer(client, "tool", {"tool": CP_CORE})
    assert (
        _answer(client, "population", {"cp_plan_started_within_months": "3"}) == "/cycles/new/plan/"
    )
    plan_page = client.get("/cycles/new/plan/").content.decode()
    assert "No plan: draw from the theme’s population alone" in plan_page
    assert _answer(client, "plan", {"plan": "none"}) == "/cycles/new/size/"

    # Before anything is drawn: 5 cases have a plan started in the last three months,
    # 4 of them open.
    size_page = _text(client.get("/cycles/new/size/").content.decode())
    assert "How many cases should the draw take?" in size_page
    assert "5 cases meet the theme’s population today, 4 of them open." in size_page
    refused = client.post("/cycles/new/size/", {"size": "0"}).content.decode()
    assert "Enter at least 1 case" in refused
    assert _answer(client, "size", {"size": "3"}) == "/cycles/new/auditors/"
    _answer(client, "auditors", {"auditors": ["cal"]})
    _answer(client, "capacity", {"capacity_cal": "5"})
    _answer(client, "due-date", {"due_date": "31/01/2027"})

    check = _text(client.get("/cycles/new/check/").content.decode())
    assert "Cases in the population today 5, of which 4 open: Child Protection: 4" in check
    assert "Sampling plan No plan: the draw takes from the theme’s population alone" in check
    assert "Number of cases 3 cases of the population" in check
    assert client.post("/cycles/new/check/").status_code == 302

    cycle = Cycle.objects.get()
    assert cycle.kind == CycleKind.THEMED and cycle.plan is None and cycle.sample_size == 3
    assert cycle.population_filter == {"cp_plan_started_within_months": 3}
    detail = _text(client.get(cycle.get_absolute_url()).content.decode())
    assert "Cases in the population today 5, of which 4 open" in detail
    assert "No plan: 3 cases of the population" in detail

    draw_page = _text(client.get(f"/cycles/{cycle.public_id}/draw/").content.decode())
    assert "The population before the draw" in draw_page
    # Child Protection: 5 in the population, 1 closed, 4 in the frame, 3 to draw.
    assert "Child Protection 5 1 0 0 4 3" in draw_page
    assert "Total 5 1 0 0 4 3" in draw_page
    assert Cycle.objects.get().status == CycleStatus.DRAFT  # looking drew nothing

    assert client.post(f"/cycles/{cycle.public_id}/draw/").status_code == 302
    cycle = Cycle.objects.get()
    sampled = list(cycle.sampled_cases.select_related("case"))
    assert len(sampled) == 3
    for chosen in sampled:
        assert chosen.case.status == CaseStatus.OPEN
        assert chosen.case.cp_plan_start_date >= timezone.localdate() - timedelta(days=92)
    report = _text(client.get(f"/cycles/{cycle.public_id}/report/").content.decode())
    assert "Audited recently: no such rule in this cycle" in report


def test_without_a_number_the_draw_takes_every_eligible_case(cp_world: World) -> None:
    world = cp_world
    cycle = cycle_services.cycle_create(
        acting_user=world.lead,
        kind=CycleKind.THEMED,
        theme="Every new plan",
        tool=_tool(CP_CORE),
        plan=None,
        auditors={world.cal: 10},
        due_date=timezone.localdate() + timedelta(days=28),
        population_filter={"cp_plan_started_within_months": 3},
    )
    cycle = cycle_services.sample_draw(acting_user=world.lead, cycle=cycle)
    assert cycle.sampled_cases.count() == 4


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": CycleKind.MONTHLY, "month": timezone.datetime(2026, 12, 1).date()}, "plan"),
        ({"population_filter": {}}, "population_filter"),
        ({"sample_size": 0}, "sample_size"),
    ],
)
def test_a_cycle_without_a_plan_must_be_themed_with_a_population(
    cp_world: World, changes: dict[str, object], field: str
) -> None:
    world = cp_world
    arguments: dict[str, object] = {
        "acting_user": world.lead,
        "kind": CycleKind.THEMED,
        "theme": "New plans",
        "tool": _tool(CP_CORE),
        "plan": None,
        "auditors": {world.cal: 5},
        "due_date": timezone.localdate() + timedelta(days=28),
        "population_filter": {"cp_plan_started_within_months": 3},
        **changes,
    }
    with pytest.raises(ValidationError) as raised:
        cycle_services.cycle_create(**arguments)  # type: ignore[arg-type]
    assert field in raised.value.message_dict
    assert not Cycle.objects.exists()


def test_a_themed_cycle_without_a_plan_from_the_command_line(cp_world: World) -> None:
    call_command(
        "cycle",
        "create",
        "--theme",
        "New plans",
        "--tool",
        CP_CORE,
        "--auditor",
        "cal",
        "--filter",
        "cp_plan_started_within_months=3",
        "--size",
        "2",
    )
    cycle = Cycle.objects.get()
    assert cycle.plan is None and cycle.sample_size == 2
    with pytest.raises(CommandError, match="A monthly cycle needs --plan"):
        call_command("cycle", "create", "--month", "2026-12", "--tool", CP_CORE, "--auditor", "cal")
