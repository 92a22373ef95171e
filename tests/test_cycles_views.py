"""The cycle pages through HTTP: the question pages, draw, report, sample, allocation,
replacement, reallocation, hand-picking and "My allocations", and who is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from qpa.cycles import services
from qpa.cycles.models import (
    Allocation,
    ChangeKind,
    Cycle,
    CycleChange,
    CycleKind,
    CycleStatus,
    SamplingPlan,
)
from tests.support.people import signed_in
from tests.support.worlds import (
    SEED,
    World,
    build_world,
    monthly_cycle,
    own_team_auditor,
    sampled_ids,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def _answer(client: Client, step: str, data: dict[str, object]) -> str:
    response = client.post(f"/cycles/new/{step}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def test_a_monthly_cycle_is_created_through_the_question_pages(world: World) -> None:
    client = signed_in(world.lead)
    assert client.get("/cycles/new/")["Location"] == "/cycles/new/kind/"
    page = client.get("/cycles/new/kind/").content.decode()
    assert "What kind of cycle is this?" in page
    assert _answer(client, "kind", {"kind": "monthly"}) == "/cycles/new/month/"
    assert _answer(client, "month", {"month": "December 2026"}) == "/cycles/new/tool/"
    assert _answer(client, "tool", {"tool": "quality-of-practice"}) == "/cycles/new/plan/"
    assert _answer(client, "plan", {"plan": str(world.plan.public_id)}) == "/cycles/new/auditors/"
    assert _answer(client, "auditors", {"auditors": ["amy", "cal"]}) == "/cycles/new/capacity/"
    assert (
        _answer(client, "capacity", {"capacity_amy": "3", "capacity_cal": "4"})
        == "/cycles/new/due-date/"
    )
    assert _answer(client, "due-date", {"due_date": "31/01/2027"}) == "/cycles/new/check/"
    check = client.get("/cycles/new/check/").content.decode()
    for text in ("December 2026", "Quality of Practice", "Monthly", "31 January 2027"):
        assert text in check
    response = client.post("/cycles/new/check/")
    cycle = Cycle.objects.get()
    assert response["Location"] == cycle.get_absolute_url()
    assert cycle.kind == CycleKind.MONTHLY and cycle.month.isoformat() == "2026-12-01"
    assert dict(cycle.auditors.values_list("auditor__username", "capacity")) == {
        "amy": 3,
        "cal": 4,
    }
    assert cycle.created_by == world.lead
    # The answers are forgotten once the cycle exists.
    assert client.get("/cycles/new/check/")["Location"] == "/cycles/new/kind/"


def test_a_themed_cycle_asks_for_its_population(world: World) -> None:
    client = signed_in(world.head)
    client.get("/cycles/new/")
    assert _answer(client, "kind", {"kind": "themed"}) == "/cycles/new/theme/"
    assert _answer(client, "theme", {"theme": "CP core assessment"}) == "/cycles/new/tool/"
    assert _answer(client, "tool", {"tool": "quality-of-practice"}) == "/cycles/new/population/"
    empty = client.post("/cycles/new/population/", {})
    assert "Answer at least one question" in empty.content.decode()
    assert (
        _answer(
            client,
            "population",
            {"service_areas": ["child-protection"], "cp_plan_started_within_months": "3"},
        )
        == "/cycles/new/plan/"
    )
    _answer(client, "plan", {"plan": str(world.plan.public_id)})
    _answer(client, "auditors", {"auditors": ["bob"]})
    _answer(client, "capacity", {"capacity_bob": "5"})
    _answer(client, "due-date", {"due_date": "2027-02-01"})
    check = client.get("/cycles/new/check/").content.decode()
    assert "Child protection plan started: in the last 3 months" in check
    client.post("/cycles/new/check/")
    cycle = Cycle.objects.get()
    assert cycle.population_filter == {
        "service_areas": ["child-protection"],
        "cp_plan_started_within_months": 3,
    }


def test_the_month_is_asked_in_month_and_year_boxes(world: World) -> None:
    client = signed_in(world.lead)
    client.get("/cycles/new/")
    _answer(client, "kind", {"kind": "monthly"})
    page = client.get("/cycles/new/month/").content.decode()
    assert 'name="month-month"' in page and 'name="month-year"' in page
    for boxes, message in (
        ({"month-month": "12", "month-year": ""}, "The month of the cycle must include a year."),
        (
            {"month-month": "13", "month-year": "2026"},
            "The month of the cycle must be a real month.",
        ),
        ({"month-month": "12", "month-year": "26"}, "The year must include 4 numbers."),
        ({"month-month": "", "month-year": ""}, "Enter the month of the cycle."),
    ):
        answered = client.post("/cycles/new/month/", boxes).content.decode()
        assert message in answered, boxes
    assert _answer(client, "month", {"month-month": "Dec", "month-year": "2026"}) == (
        "/cycles/new/tool/"
    )
    again = client.get("/cycles/new/month/?change=1").content.decode()
    assert 'name="month-month" value="12"' in again and 'value="2026"' in again


def test_question_pages_answer_bad_input_with_a_message_and_keep_nothing(world: World) -> None:
    client = signed_in(world.lead)
    client.get("/cycles/new/")
    response = client.post("/cycles/new/kind/", {"kind": "weekly"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    _answer(client, "kind", {"kind": "monthly"})
    for bad in ("Smarch 2026", "13/2026", ""):
        page = client.post("/cycles/new/month/", {"month": bad}).content.decode()
        assert "govuk-error-summary" in page
    _answer(client, "month", {"month": "2026-12"})
    _answer(client, "tool", {"tool": "quality-of-practice"})
    _answer(client, "plan", {"plan": str(world.plan.public_id)})
    nobody = client.post("/cycles/new/auditors/", {"auditors": ["petra"]}).content.decode()
    assert "Select a valid choice" in nobody
    _answer(client, "auditors", {"auditors": ["amy"]})
    zero = client.post("/cycles/new/capacity/", {"capacity_amy": "0"}).content.decode()
    assert "must be able to take at least 1 case" in zero
    _answer(client, "capacity", {"capacity_amy": "2"})
    bad_date = client.post("/cycles/new/due-date/", {"due_date": "31/02/2027"}).content.decode()
    assert "The date the audits are due must be a real date." in bad_date
    assert not Cycle.objects.exists()


def test_skipping_ahead_goes_back_to_the_first_unanswered_question(world: World) -> None:
    client = signed_in(world.lead)
    client.get("/cycles/new/")
    assert client.get("/cycles/new/auditors/")["Location"] == "/cycles/new/kind/"
    assert client.get("/cycles/new/check/")["Location"] == "/cycles/new/kind/"
    assert client.get("/cycles/new/not-a-question/").status_code == 404


def test_changing_an_answer_returns_to_check_your_answers(world: World) -> None:
    client = signed_in(world.lead)
    client.get("/cycles/new/")
    for step, data in (
        ("kind", {"kind": "monthly"}),
        ("month", {"month": "2026-12"}),
        ("tool", {"tool": "quality-of-practice"}),
        ("plan", {"plan": str(world.plan.public_id)}),
        ("auditors", {"auditors": ["amy"]}),
        ("capacity", {"capacity_amy": "2"}),
        ("due-date", {"due_date": "2027-01-31"}),
    ):
        _answer(client, step, data)
    changed = client.post("/cycles/new/month/?change=1", {"month": "2027-03"})
    assert changed["Location"] == "/cycles/new/check/"
    # A new auditor needs a capacity, so the capacity question comes back first.
    more = client.post("/cycles/new/auditors/?change=1", {"auditors": ["amy", "bob"]})
    assert more["Location"] == "/cycles/new/capacity/?change=1"
    back = client.post("/cycles/new/capacity/?change=1", {"capacity_amy": "2", "capacity_bob": "1"})
    assert back["Location"] == "/cycles/new/check/"
    assert "March 2027" in client.get("/cycles/new/check/").content.decode()


def test_draw_report_sample_and_allocation_pages(world: World) -> None:
    cycle = monthly_cycle(world)
    client = signed_in(world.lead)
    detail = client.get(cycle.get_absolute_url()).content.decode()
    assert "Draw the sample" in detail
    assert client.get(f"/cycles/{cycle.public_id}/report/")["Location"] == cycle.get_absolute_url()
    assert (
        "Once drawn, the sample is frozen"
        in client.get(f"/cycles/{cycle.public_id}/draw/").content.decode()
    )
    drawn = client.post(f"/cycles/{cycle.public_id}/draw/")
    assert drawn["Location"] == f"/cycles/{cycle.public_id}/report/"
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.DRAWN
    report = client.get(drawn["Location"]).content.decode()
    assert cycle.seed in report and "hmac-sha256-v1" in report
    assert "Frame and sample by service area" in report and "Child Protection" in report
    # Drawing again changes nothing.
    again = client.post(f"/cycles/{cycle.public_id}/draw/")
    assert again["Location"].endswith("/report/")
    cycle.refresh_from_db()
    seed = cycle.seed

    sample = client.get(f"/cycles/{cycle.public_id}/sample/").content.decode()
    for child_id in sampled_ids(cycle):
        assert child_id in sample
    assert "Cases by auditor" in sample and "Not allocated" in sample

    allocated = client.post(f"/cycles/{cycle.public_id}/allocate/")
    assert allocated["Location"] == f"/cycles/{cycle.public_id}/sample/"
    assert Allocation.objects.count() == 5
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.ALLOCATED and cycle.seed == seed
    assert "Reallocate" in client.get(allocated["Location"]).content.decode()


def test_allocation_failure_is_shown_not_raised(world: World) -> None:
    cycle = monthly_cycle(world, auditors={world.amy: 1})
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    response = signed_in(world.lead).post(f"/cycles/{cycle.public_id}/allocate/")
    assert response.status_code == 200
    assert "cannot be allocated" in response.content.decode()
    assert not Allocation.objects.exists()


def test_replacing_a_case_asks_for_a_reason_then_confirmation(world: World) -> None:
    cycle = monthly_cycle(world)
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    services.allocation_create(acting_user=world.lead, cycle=cycle)
    sampled = cycle.sampled_cases.order_by("rank").first()
    assert sampled is not None
    url = f"/cycles/sample/{sampled.public_id}/replace/"
    client = signed_in(world.head)
    assert "Replace case" in client.get(url).content.decode()
    no_reason = client.post(url, {"reason": "  "}).content.decode()
    assert "Enter the reason for this change." in no_reason
    confirm = client.post(url, {"reason": "Case transferred out"}).content.decode()
    assert "Are you sure you want to replace" in confirm
    assert not CycleChange.objects.exists()
    done = client.post(url, {"reason": "Case transferred out", "confirm": "yes"})
    assert done["Location"] == f"/cycles/{cycle.public_id}/sample/"
    change = CycleChange.objects.get()
    assert change.kind == ChangeKind.REPLACEMENT and change.reason == "Case transferred out"
    report = client.get(f"/cycles/{cycle.public_id}/report/").content.decode()
    assert "Case transferred out" in report
    # The replaced case has no page of its own any more.
    assert client.get(url).status_code == 404


def test_reallocating_a_case(world: World) -> None:
    cycle = monthly_cycle(world)
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    services.allocation_create(acting_user=world.lead, cycle=cycle)
    allocation = Allocation.objects.select_related("sampled_case__case__team").first()
    assert allocation is not None
    team = allocation.sampled_case.case.team
    assert team is not None
    owner = own_team_auditor(world, team)
    url = f"/cycles/allocations/{allocation.public_id}/reallocate/"
    client = signed_in(world.lead)
    page = client.get(url).content.decode()
    offered = page.split("Who should audit this case instead?")[1]
    assert f'value="{owner.username}"' not in offered  # the case is of their own team
    target = next(
        p for p in (world.amy, world.bob, world.cal) if p not in (owner, allocation.auditor)
    )
    assert f'value="{target.username}"' in offered
    missing = client.post(url, {"auditor": target.username}).content.decode()
    assert "Enter the reason for this change." in missing
    done = client.post(url, {"auditor": target.username, "reason": "Long-term leave"})
    assert done.status_code == 302
    allocation.refresh_from_db()
    assert allocation.auditor == target
    refused = client.post(url, {"auditor": owner.username, "reason": "Try"})
    assert "Select a valid choice" in refused.content.decode()


def test_only_an_administrator_turns_hand_picking_on(world: World) -> None:
    cycle = monthly_cycle(world)
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    url = f"/cycles/{cycle.public_id}/hand-picking/"
    assert signed_in(world.lead).get(url).status_code == 403
    assert signed_in(world.lead).get(f"/cycles/{cycle.public_id}/hand-pick/").status_code == 404
    admin = signed_in(world.admin)
    response = admin.post(url, {"allowed": "yes", "reason": "Serious case review"})
    assert response["Location"] == cycle.get_absolute_url()
    outside = next(c for c in world.cases["CiC One"] if c.child_id not in sampled_ids(cycle))
    picked = signed_in(world.lead).post(
        f"/cycles/{cycle.public_id}/hand-pick/",
        {"child_id": outside.child_id, "reason": "Learning review"},
    )
    assert picked.status_code == 302
    unknown = signed_in(world.lead).post(
        f"/cycles/{cycle.public_id}/hand-pick/", {"child_id": "NOPE", "reason": "x"}
    )
    assert "No case with this ID" in unknown.content.decode()
    report = signed_in(world.lead).get(f"/cycles/{cycle.public_id}/report/").content.decode()
    assert "Learning review" in report and "1 case hand-picked" in report


def test_auditors_see_their_allocations_and_nobody_elses(world: World) -> None:
    cycle = monthly_cycle(world)
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    services.allocation_create(acting_user=world.lead, cycle=cycle)
    mine = set(
        Allocation.objects.filter(auditor=world.cal).values_list(
            "sampled_case__case__child_id", flat=True
        )
    )
    others = set(sampled_ids(cycle)) - mine
    assert mine and others
    page = signed_in(world.cal).get("/cycles/my-allocations/").content.decode()
    assert all(c in page for c in mine)
    assert not any(c in page for c in others)
    home = signed_in(world.cal).get("/").content.decode()
    assert "Allocations due" in home and all(c in home for c in mine)


@pytest.mark.parametrize("who", ["amy", "petra"], ids=["auditor", "practitioner"])
def test_people_who_do_not_run_cycles_are_refused(world: World, who: str) -> None:
    cycle = monthly_cycle(world)
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    services.allocation_create(acting_user=world.lead, cycle=cycle)
    sampled = cycle.sampled_cases.first()
    allocation = Allocation.objects.first()
    assert sampled is not None and allocation is not None
    client = signed_in(getattr(world, {"amy": "amy", "petra": "practitioner"}[who]))
    for url in (
        "/cycles/",
        "/cycles/new/",
        "/cycles/new/kind/",
        "/cycles/new/check/",
        "/cycles/plans/new/",
        f"/cycles/plans/{world.plan.public_id}/",
        f"/cycles/{cycle.public_id}/",
        f"/cycles/{cycle.public_id}/draw/",
        f"/cycles/{cycle.public_id}/report/",
        f"/cycles/{cycle.public_id}/sample/",
        f"/cycles/{cycle.public_id}/allocate/",
        f"/cycles/{cycle.public_id}/hand-picking/",
        f"/cycles/{cycle.public_id}/hand-pick/",
        f"/cycles/sample/{sampled.public_id}/replace/",
        f"/cycles/allocations/{allocation.public_id}/reallocate/",
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"reason": "x"}).status_code == 403, url
    expected = 200 if who == "amy" else 403
    assert client.get("/cycles/my-allocations/").status_code == expected


def test_every_cycle_manager_role_reaches_the_cycle_pages(world: World) -> None:
    from tests.support.factories import UserFactory

    cycle = monthly_cycle(world)
    for role in ("head_of_service", "assistant_director", "deputy_director", "performance"):
        person = UserFactory(role=role)
        client = signed_in(person)
        assert client.get("/cycles/").status_code == 200, role
        assert client.get(cycle.get_absolute_url()).status_code == 200, role


def test_unknown_cycles_answer_404(world: World) -> None:
    client = signed_in(world.lead)
    for url in (
        "/cycles/00000000-0000-4000-8000-000000000000/",
        "/cycles/00000000-0000-4000-8000-000000000000/draw/",
        "/cycles/sample/00000000-0000-4000-8000-000000000000/replace/",
        "/cycles/allocations/00000000-0000-4000-8000-000000000000/reallocate/",
        "/cycles/plans/00000000-0000-4000-8000-000000000000/",
    ):
        assert client.get(url).status_code == 404, url


def test_a_sampling_plan_is_created_and_shown(world: World) -> None:
    client = signed_in(world.lead)
    page = client.get("/cycles/plans/new/").content.decode()
    assert "Fixed plans: cases from Child Protection" in page
    missing = client.post("/cycles/plans/new/", {"name": "Prop", "method": "proportional"})
    assert "Enter how many cases to draw in total." in missing.content.decode()
    response = client.post(
        "/cycles/plans/new/",
        {
            "name": "Briefing",
            "method": "proportional",
            "total": "45",
            "minimum_per_area": "3",
            "exclude_audited_within_months": "12",
        },
    )
    plan = SamplingPlan.objects.get(name="Briefing")
    assert response["Location"] == plan.get_absolute_url()
    assert plan.total == 45 and plan.minimum_per_area == 3
    assert "45 cases" in client.get(plan.get_absolute_url()).content.decode()
    duplicate = client.post(
        "/cycles/plans/new/",
        {"name": "briefing", "method": "fixed", "exclude_audited_within_months": "12"},
    )
    assert "already exists" in duplicate.content.decode()


def test_the_cycle_list_shows_cycles_and_their_status(world: World) -> None:
    cycle = monthly_cycle(world, month=timezone.localdate().replace(day=1) + timedelta(days=40))
    page = signed_in(world.lead).get("/cycles/").content.decode()
    assert cycle.name in page and "Not drawn yet" in page and "Monthly" in page


def test_the_sample_page_records_who_saw_which_children(db: None) -> None:
    from qpa.core.models import Event

    world = build_world()
    cycle = monthly_cycle(world)
    services.sample_draw(acting_user=world.admin, cycle=cycle)
    drawn = Event.objects.get(action="cycle.drawn")
    assert set(drawn.child_ids.split()) == set(sampled_ids(cycle))

    # A director may open every case, so sees (and is recorded seeing) every child ID.
    signed_in(world.lead).get(f"/cycles/{cycle.public_id}/sample/")

    seen = Event.objects.filter(action="cycle.sample_viewed").get()
    assert seen.actor_username == world.lead.username
    assert set(seen.child_ids.split()) == set(sampled_ids(cycle))
