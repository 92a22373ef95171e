"""The aggregates reports read equal a from-scratch count of the audits, whatever
happened to the audits before: submissions (in a cycle or not), imports, reopens,
changed dates and purges."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qpa.audits.imports import past_audits_import
from qpa.audits.models import Audit, AuditStatus, DomainRating
from qpa.cases.models import Case
from qpa.cycles.models import (
    Allocation,
    Cycle,
    CycleKind,
    CycleStatus,
    HowChosen,
    QuotaMethod,
    SampledCase,
    SamplingPlan,
    Stratum,
)
from qpa.reports.counting import counted_audits, counts_from_scratch, stored_counts
from qpa.reports.models import CountedAudit, ReportCount
from qpa.reports.services import report_aggregates_rebuild, report_aggregates_refresh
from qpa.tools.models import AuditTool
from tests.support.factories import CaseFactory, TeamFactory, area, submitted_audit
from tests.support.people import Personas

LABELS = ["Outstanding", "Good", "Adequate", "Inadequate", "Critical"]
MONTHS = [date(2026, 1, 15), date(2026, 1, 31), date(2026, 2, 1), date(2026, 3, 10)]
QOP_DOMAINS = [
    "Referral and Response",
    "Risk Assessment",
    "Key Decisions",
    "Case Transfer and Closure",
]


def _from_scratch() -> Any:
    audits = (
        counted_audits()
        .select_related("tool_version", "allocation__sampled_case")
        .prefetch_related("domain_ratings__domain")
    )
    return counts_from_scratch(audits)


def _allocation(case: Case, plan: SamplingPlan, auditor: Any) -> Allocation:
    tool = AuditTool.objects.get(slug="quality-of-practice")
    cycle = Cycle.objects.create(
        kind=CycleKind.THEMED,
        theme=f"Theme for {case.child_id}",
        tool=tool,
        tool_version=tool.current_version,
        plan=plan,
        due_date=date(2026, 4, 1),
        status=CycleStatus.ALLOCATED,
        seed="5eed" * 16,
        drawn_at=timezone.now(),
    )
    stratum = Stratum.objects.create(
        cycle=cycle,
        service_area=case.service_area or area("child-protection"),
        population=1,
        excluded={},
        frame_size=1,
        quota=1,
        drawn=1,
    )
    sampled = SampledCase.objects.create(
        cycle=cycle,
        case=case,
        stratum=stratum,
        how_chosen=HowChosen.DRAWN,
        rank=1,
        frame_size=1,
        exclusions={},
    )
    return Allocation.objects.create(sampled_case=sampled, auditor=auditor, due_date=cycle.due_date)


submit = st.tuples(
    st.just("submit"),
    st.integers(0, 3),  # case
    st.integers(0, 3),  # month
    st.sampled_from(LABELS),
    st.lists(st.sampled_from([*LABELS, None]), min_size=4, max_size=4),
    st.booleans(),  # in a cycle
)
change = st.tuples(
    st.sampled_from(["reopen", "redate", "delete", "resubmit"]),
    st.integers(0, 20),  # which audit
    st.integers(0, 3),  # new month
)
imported = st.tuples(
    st.just("import"),
    st.integers(0, 3),
    st.integers(0, 3),
    st.sampled_from(LABELS),
)
operations = st.lists(st.one_of(submit, change, imported), min_size=1, max_size=8)


def test_aggregates_equal_a_count_from_scratch_after_any_sequence(
    personas: Personas, tmp_path: Path
) -> None:
    no_team_case = CaseFactory(team=None, service_area=None)
    cases = [
        CaseFactory(team=personas.cp_team),
        CaseFactory(team=personas.cic_team),
        CaseFactory(team=TeamFactory(service_area=area("leaving-care"))),
        no_team_case,
    ]
    plan = SamplingPlan.objects.create(name="Plan", method=QuotaMethod.FIXED)
    imports = iter(range(10**6))

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(ops=operations)
    def run(ops: list[tuple[Any, ...]]) -> None:
        savepoint = transaction.savepoint()
        try:
            for op in ops:
                _apply(op, cases, plan, personas, tmp_path, next(imports))
            assert stored_counts() == _from_scratch()
            assert set(CountedAudit.objects.values_list("audit_id", flat=True)) == set(
                counted_audits().values_list("id", flat=True)
            )
        finally:
            transaction.savepoint_rollback(savepoint)

    run()


def _apply(
    op: tuple[Any, ...],
    cases: list[Case],
    plan: SamplingPlan,
    personas: Personas,
    tmp_path: Path,
    serial: int,
) -> None:
    kind = op[0]
    if kind == "submit":
        _, case_index, month, overall, domains, in_cycle = op
        case = cases[case_index]
        audit = submitted_audit(
            case=case,
            overall=overall,
            domains=dict(zip(QOP_DOMAINS, domains, strict=True)),
            audit_date=MONTHS[month],
        )
        if in_cycle:
            audit.allocation = _allocation(case, plan, personas.auditor)
            audit.save()
        report_aggregates_refresh(audit_ids=[audit.pk])
    elif kind == "import":
        _, case_index, month, overall = op
        path = tmp_path / f"import-{serial}.csv"
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(
                [
                    "Child Unique ID",
                    "Service area",
                    "Team",
                    "Auditor",
                    "Audit date",
                    "Tool",
                    "Overall rating",
                    "Key Decisions",
                ]
            )
            writer.writerow(
                [
                    cases[case_index].child_id,
                    "",
                    "",
                    "Someone",
                    MONTHS[month].isoformat(),
                    "Quality of Practice",
                    overall,
                    "Good",
                ]
            )
        past_audits_import(acting_user=None, path=path)  # refreshes the aggregates itself
    else:
        _, which, month = op
        audits = list(Audit.objects.order_by("pk"))
        if not audits:
            return
        audit = audits[which % len(audits)]
        if kind == "reopen":
            audit.status = AuditStatus.DRAFT
        elif kind == "resubmit":
            audit.status = AuditStatus.SUBMITTED
        elif kind == "redate":
            audit.audit_date = MONTHS[month] + timedelta(days=40)
        audit_id = audit.pk
        if kind == "delete":
            DomainRating.objects.filter(audit=audit).delete()
            allocation = audit.allocation
            audit.delete()
            if allocation is not None:
                allocation.delete()
        else:
            audit.save()
        report_aggregates_refresh(audit_ids=[audit_id])


def test_rebuild_counts_everything_again(personas: Personas) -> None:
    case = CaseFactory(team=personas.cp_team)
    audits = [
        submitted_audit(case=case, overall=label, audit_date=MONTHS[i % 4])
        for i, label in enumerate(LABELS)
    ]
    assert ReportCount.objects.count() == 0  # nobody refreshed yet
    assert report_aggregates_rebuild() == 3  # January, February, March
    assert stored_counts() == _from_scratch()
    assert CountedAudit.objects.count() == len(audits)


@pytest.mark.parametrize("audits", [3])
def test_a_summary_reads_only_aggregates(personas: Personas, audits: int) -> None:
    """The report's time must not grow with history: it never reads the audits."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qpa.reports.summary import report_summary

    case = CaseFactory(team=personas.cp_team)
    made = [submitted_audit(case=case, audit_date=MONTHS[0]) for _ in range(audits)]
    report_aggregates_refresh(audit_ids=[a.pk for a in made])
    with CaptureQueriesContext(connection) as queries:
        summary = report_summary(period_from=MONTHS[0], period_to=MONTHS[3])
    assert summary["audits_completed"] == audits
    assert not [q for q in queries.captured_queries if "audits_audit" in q["sql"]]
    assert not [q for q in queries.captured_queries if "audits_domainrating" in q["sql"]]
