"""Cycle progress: allocated, not started, in progress, submitted and overdue, per service
area and per auditor, counted in the database; the cycle's status that follows from them;
the progress on managers' home pages; and the sample's downloads, with no child ID for a
reader who may not open the case."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.core.models import Event
from qpa.cycles import services
from qpa.cycles.models import Allocation, Cycle
from qpa.cycles.selectors import ProgressStatus, cycle_progress, cycles_progress
from qpa.organisation.models import Team
from tests.support.audits import completed, submit
from tests.support.factories import UserFactory
from tests.support.people import signed_in
from tests.support.worlds import World, build_world, monthly_cycle

NOT_STARTED, IN_PROGRESS, SUBMITTED = "not_started", "in_progress", "submitted"


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def _allocated(world: World, **kwargs: Any) -> Cycle:
    cycle = monthly_cycle(world, **kwargs)
    services.sample_draw(acting_user=world.lead, cycle=cycle)
    services.allocation_create(acting_user=world.lead, cycle=cycle)
    cycle.refresh_from_db()
    return cycle


def _allocations(cycle: Cycle) -> list[Allocation]:
    return list(
        Allocation.objects.filter(sampled_case__cycle=cycle)
        .select_related("auditor", "sampled_case__case", "sampled_case__stratum__service_area")
        .order_by("sampled_case__case__child_id")
    )


def _start(allocation: Allocation) -> Any:
    return services.allocation_audit_start(acting_user=allocation.auditor, allocation=allocation)


def _make_progress(cycle: Cycle) -> dict[int, tuple[str, bool]]:
    """Put the cycle's five cases in every state; returns {allocation: (state, overdue)}
    as a person watching would note it."""
    a0, a1, a2, a3, a4 = _allocations(cycle)
    yesterday = timezone.localdate() - timedelta(days=1)
    _start(a0)
    submit(completed(_start(a1)))
    Allocation.objects.filter(pk__in=[a2.pk, a3.pk]).update(due_date=yesterday)
    _start(a3)
    return {
        a0.pk: (IN_PROGRESS, False),
        a1.pk: (SUBMITTED, False),
        a2.pk: (NOT_STARTED, True),
        a3.pk: (IN_PROGRESS, True),
        a4.pk: (NOT_STARTED, False),
    }


def _expected(cycle: Cycle, states: dict[int, tuple[str, bool]], key: Any) -> dict[str, Counter]:
    rows: dict[str, Counter] = {}
    for allocation in _allocations(cycle):
        state, overdue = states[allocation.pk]
        counts = rows.setdefault(key(allocation), Counter())
        counts["allocated"] += 1
        counts[state] += 1
        counts["overdue"] += overdue
    return rows


def _as_counter(progress: Any) -> Counter:
    return Counter(
        {
            name: getattr(progress, name)
            for name in ("allocated", NOT_STARTED, IN_PROGRESS, SUBMITTED, "overdue")
            if getattr(progress, name)
        }
    )


def test_progress_is_counted_per_area_and_per_auditor_in_one_query(
    world: World, django_assert_num_queries: Any
) -> None:
    cycle = _allocated(world)
    states = _make_progress(cycle)

    with django_assert_num_queries(1):
        progress = cycle_progress(cycle)

    by_area = _expected(cycle, states, lambda a: a.sampled_case.stratum.service_area.name)
    by_auditor = _expected(cycle, states, lambda a: str(a.auditor))
    assert {row.name: _as_counter(row.progress) for row in progress.by_area} == by_area
    assert {row.name: _as_counter(row.progress) for row in progress.by_auditor} == by_auditor
    assert _as_counter(progress.total) == Counter(
        allocated=5, not_started=2, in_progress=2, submitted=1, overdue=2
    )
    assert [row.name for row in progress.by_area] == ["Child Protection", "Children in Care"]
    assert progress.status == ProgressStatus.OVERDUE


def test_a_replaced_case_no_longer_counts_and_its_replacement_does(world: World) -> None:
    cycle = _allocated(world)
    before = cycle_progress(cycle).total.allocated
    target = _allocations(cycle)[0].sampled_case
    services.sample_replace(acting_user=world.lead, sampled_case=target, reason="Wrong area")
    assert cycle_progress(cycle).total.allocated == before == 5


def test_the_cycle_status_follows_its_allocations(world: World) -> None:
    draft = monthly_cycle(world)
    assert cycles_progress([draft])[draft.pk].status == ProgressStatus.NOT_DRAWN
    services.sample_draw(acting_user=world.lead, cycle=draft)
    draft.refresh_from_db()
    assert cycles_progress([draft])[draft.pk].status == ProgressStatus.DRAWN
    services.allocation_create(acting_user=world.lead, cycle=draft)
    draft.refresh_from_db()
    assert cycle_progress(draft).status == ProgressStatus.IN_PROGRESS

    # The day after the due date, nothing submitted: overdue, without anything stored.
    with time_machine.travel(draft.due_date + timedelta(days=1)):
        assert cycle_progress(draft).status == ProgressStatus.OVERDUE
        page = signed_in(world.lead).get(draft.get_absolute_url()).content.decode()
        assert "Overdue" in page

    for allocation in _allocations(draft):
        submit(completed(_start(allocation)))
    assert cycle_progress(draft).status == ProgressStatus.COMPLETE
    listing = signed_in(world.lead).get("/cycles/").content.decode()
    assert "Complete" in listing


def test_the_cycle_list_costs_the_same_queries_for_one_cycle_or_three(world: World) -> None:
    _allocated(world)
    client = signed_in(world.lead)
    client.get("/cycles/")  # warm the session and caches

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/cycles/").status_code == 200
        return len(captured)

    one = queries()
    for month in (11, 10):
        _allocated(world, month=timezone.localdate().replace(year=2026, month=month, day=1))
    assert queries() == one


def test_the_home_page_query_count_does_not_grow_with_cycles(world: World) -> None:
    _allocated(world)
    client = signed_in(world.lead)
    client.get("/")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    one = queries()
    _allocated(world, month=timezone.localdate().replace(year=2026, month=11, day=1))
    assert queries() == one


def test_the_cycle_page_shows_progress_by_area_and_by_auditor(world: World) -> None:
    cycle = _allocated(world)
    _make_progress(cycle)
    page = signed_in(world.head).get(cycle.get_absolute_url()).content.decode()
    assert "Progress by service area" in page and "Progress by auditor" in page
    assert "1 of 5 audits submitted, 2 in progress, 2 not started; 2 overdue" in page
    assert str(world.amy) in page and "Children in Care" in page


def test_managers_and_directors_see_progress_on_their_home_page(world: World) -> None:
    cycle = _allocated(world)
    _make_progress(cycle)
    pam = UserFactory(username="pam", role=Role.PERFORMANCE)
    for person in (world.lead, world.head, world.admin, pam):
        home = signed_in(person).get("/").content.decode()
        assert "Audit cycles in progress" in home, person
        assert cycle.name in home and cycle.get_absolute_url() in home
    assert "Audit cycles in progress" not in signed_in(world.amy).get("/").content.decode()
    assert "Audit cycles in progress" not in signed_in(world.practitioner).get("/").content.decode()


def test_figures_only_readers_see_counts_and_never_a_child_id(world: World) -> None:
    cycle = _allocated(world)
    _make_progress(cycle)
    child_ids = [a.sampled_case.case.child_id for a in _allocations(cycle)]
    pam = signed_in(UserFactory(username="pam", role=Role.PERFORMANCE))
    pages = [
        pam.get("/").content.decode(),
        pam.get(cycle.get_absolute_url()).content.decode(),
        pam.get(f"/cycles/{cycle.public_id}/sample/").content.decode(),
        pam.get(f"/cycles/{cycle.public_id}/sample.csv").content.decode(),
    ]
    assert "Progress by auditor" in pages[1]
    for text in pages:
        assert not [c for c in child_ids if c in text]
    rows = list(csv.reader(io.StringIO(pages[3])))
    assert rows[0] == [
        "By",
        "Name",
        "Allocated",
        "Not started",
        "In progress",
        "Submitted",
        "Overdue",
    ]
    assert rows[-1] == ["Whole cycle", "All", "5", "2", "2", "1", "2"]
    workbook = openpyxl.load_workbook(
        io.BytesIO(pam.get(f"/cycles/{cycle.public_id}/sample.xlsx").content)
    )
    assert "Sample" not in workbook.sheetnames
    cells = [str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row]
    assert not [c for c in child_ids if c in cells]


def test_a_head_of_service_downloads_the_cases_of_their_areas_only(world: World) -> None:
    cycle = _allocated(world)
    states = _make_progress(cycle)
    allocations = _allocations(cycle)
    # A team name someone typed as a formula stays text.
    Team.objects.filter(pk=world.cp1.pk).update(name="=HYPERLINK(1)")
    client = signed_in(world.head)

    response = client.get(f"/cycles/{cycle.public_id}/sample.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    listed = {row[0]: row for row in rows[1:]}
    mine = {
        a.sampled_case.case.child_id
        for a in allocations
        if a.sampled_case.case.team_id != world.cic.pk
    }
    assert set(listed) == mine  # harriet holds Child Protection, not Children in Care
    for allocation in allocations:
        row = listed.get(allocation.sampled_case.case.child_id)
        if row is None:
            continue
        state, overdue = states[allocation.pk]
        assert row[6] == str(allocation.auditor)
        assert (
            row[8]
            == {NOT_STARTED: "Not started", IN_PROGRESS: "In progress", SUBMITTED: "Submitted"}[
                state
            ]
        )
        assert row[9] == ("Yes" if overdue else "No")
        if allocation.sampled_case.case.team_id == world.cp1.pk:
            assert row[2] == "'=HYPERLINK(1)"
    exported = Event.objects.filter(action="cycle.sample_exported").latest("seq")
    assert sorted(exported.child_ids.split()) == sorted(mine)

    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/cycles/{cycle.public_id}/sample.xlsx").content)
    )
    assert book.sheetnames == ["Cycle", "Sample", "By service area", "By auditor"]
    sample = list(book["Sample"].iter_rows(values_only=True))
    assert {r[0] for r in sample[1:]} == mine
    assert all(cell.data_type != "f" for row in book["Sample"].iter_rows() for cell in row)
    facts = dict(book["Cycle"].iter_rows(values_only=True))
    assert facts["Cases not listed"].startswith("2:")


def test_the_sample_page_shows_each_cases_progress(world: World) -> None:
    cycle = _allocated(world)
    _make_progress(cycle)
    page = signed_in(world.lead).get(f"/cycles/{cycle.public_id}/sample/").content.decode()
    assert page.count(">Overdue</strong>") == 2
    assert "In progress" in page and "Submitted" in page and "Not started" in page
    assert "Download as CSV" in page and "Download as Excel" in page


def test_an_auditor_may_not_download_a_sample(world: World) -> None:
    cycle = _allocated(world)
    amy: User = world.amy
    assert signed_in(amy).get(f"/cycles/{cycle.public_id}/sample.csv").status_code == 403
