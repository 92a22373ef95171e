"""The quarterly re-audit: the pool, the reproducible draw, the choice of re-auditor,
the comparison page, the directors' notifications and the command."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.actions.models import Action, ActionStatus
from qpa.assurance import services
from qpa.assurance.figures import quality_figures
from qpa.assurance.models import ReAudit, ReAuditDraw
from qpa.audits.models import Audit, AuditStatus, DomainRating
from qpa.cases.models import Case
from qpa.cycles.models import Allocation
from qpa.cycles.sampling import rank_key
from qpa.cycles.services import allocation_audit_start
from qpa.notifications.models import Notification
from tests.support.audits import completed, submit
from tests.support.factories import UserFactory, allocate, area, rating, submitted_audit
from tests.support.people import signed_in
from tests.support.worlds import World, build_world


def _last_quarter() -> tuple[str, date]:
    quarter = services.previous_quarter(timezone.localdate())
    first, _ = services.quarter_bounds(quarter)
    return quarter, first + timedelta(days=20)


@pytest.fixture
def world(db: None) -> World:
    return build_world(per_team=4)


def _inadequate(world: World, case: Case, *, when: date, overall: str = "Inadequate") -> Audit:
    return submitted_audit(case=case, auditor=world.cal, overall=overall, audit_date=when)


def _redo(reaudit: ReAudit, overall: str) -> Audit:
    return submit(completed(reaudit.reaudit, overall=overall))


def test_quarters_are_parsed_and_bounded() -> None:
    assert services.quarter_bounds("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert services.quarter_bounds("2027-Q1") == (date(2027, 1, 1), date(2027, 3, 31))
    assert services.previous_quarter(date(2027, 1, 5)) == "2026-Q4"
    with pytest.raises(ValidationError):
        services.quarter_bounds("2026-Q5")


def test_the_draw_is_reproducible_from_its_seed(world: World) -> None:
    quarter, when = _last_quarter()
    cases = world.cases["CP One"] + world.cases["CP Two"] + world.cases["CiC One"]
    for case in cases:
        _inadequate(world, case, when=when)
    good = world.cases["CP One"][0]
    Audit.objects.filter(case=good).update(overall_rating=rating("Good"))
    DomainRating.objects.filter(audit__case=good).update(rating=rating("Good"))
    UserFactory(username="holly", role=Role.HEAD_OF_SERVICE, areas=[area("children-in-care")])

    draw = services.reaudit_draw(acting_user=world.lead, quarter=quarter, share=0.5)

    frames: dict[str, list[str]] = {}
    for case in cases:
        if case != good:
            frames.setdefault(case.service_area.slug, []).append(case.child_id)
    assert {s: row["frame"] for s, row in draw.strata.items()} == {
        "child-protection": 7,
        "children-in-care": 4,
    }
    quotas = {s: row["quota"] for s, row in draw.strata.items()}
    assert quotas == {"child-protection": 4, "children-in-care": 2}
    expected = services.reaudit_choose(draw.seed, frames, quotas)
    drawn = {
        s: [
            r.original.case.child_id
            for r in draw.reaudits.order_by("rank")
            if r.original.case.service_area.slug == s
        ]
        for s in frames
    }
    assert drawn == expected
    # By hand: the first k of each area by HMAC-SHA256(seed, "<area>:<child id>").
    for stratum, ids in frames.items():
        by_hand = sorted(ids, key=lambda c: rank_key(draw.seed, stratum, c))[: quotas[stratum]]
        assert drawn[stratum] == by_hand
    assert good.child_id not in {c for ids in drawn.values() for c in ids}
    with pytest.raises(ValidationError, match="has been drawn"):
        services.reaudit_draw(acting_user=world.lead, quarter=quarter, count=1)


def test_the_reauditor_is_a_head_of_service_of_another_area_never_the_original_auditor(
    world: World,
) -> None:
    quarter, when = _last_quarter()
    holly = UserFactory(
        username="holly", role=Role.HEAD_OF_SERVICE, areas=[area("children-in-care")]
    )
    for case in world.cases["CP One"]:
        _inadequate(world, case, when=when)
    draw = services.reaudit_draw(acting_user=world.lead, quarter=quarter, count=4)

    reaudits = list(draw.reaudits.select_related("original", "reaudit"))
    assert len(reaudits) == 4
    for reaudit in reaudits:
        assert reaudit.auditor == holly
        assert reaudit.auditor != reaudit.original.auditor
        assert reaudit.reaudit.auditor == holly
        assert reaudit.reaudit.tool_version == reaudit.original.tool_version
        assert reaudit.reaudit.case == reaudit.original.case
        assert reaudit.reaudit.status == AuditStatus.DRAFT


def test_without_a_head_of_service_an_independent_auditor_takes_it(world: World) -> None:
    quarter, when = _last_quarter()
    _inadequate(world, world.cases["CP One"][0], when=when)
    draw = services.reaudit_draw(acting_user=world.lead, quarter=quarter, count=1)
    # harriet holds the area, cal audited it, amy manages its team: bob it is.
    assert draw.reaudits.get().auditor == world.bob


def test_when_only_the_original_auditor_is_free_nothing_is_drawn(world: World) -> None:
    quarter, when = _last_quarter()
    _inadequate(world, world.cases["CP One"][0], when=when)
    User.objects.filter(pk=world.bob.pk).update(is_active=False)
    with pytest.raises(ValidationError, match="Nobody independent"):
        services.reaudit_draw(acting_user=world.lead, quarter=quarter, count=1)
    assert not ReAuditDraw.objects.exists() and not ReAudit.objects.exists()


def test_a_quarter_is_drawn_only_once_it_has_ended(world: World) -> None:
    this_quarter = services.quarter_of(timezone.localdate())
    _, last = services.quarter_bounds(this_quarter)
    with pytest.raises(ValidationError, match="draw its re-audits then"):
        services.reaudit_draw(
            acting_user=world.lead, quarter=this_quarter, count=1, today=last - timedelta(1)
        )


def _one_reaudit(world: World) -> ReAudit:
    quarter, when = _last_quarter()
    original = _inadequate(world, world.cases["CP One"][0], when=when)
    original.domain_ratings.filter(domain__order=2).update(rating=rating("Critical"))
    services.reaudit_draw(acting_user=world.lead, quarter=quarter, count=1)
    return ReAudit.objects.get()


def test_directors_are_told_of_every_completed_reaudit(world: World) -> None:
    deputy = UserFactory(username="dee", role=Role.DEPUTY_DIRECTOR)
    reaudit = _one_reaudit(world)
    assert not Notification.objects.filter(kind="assurance.reaudit_completed").exists()

    _redo(reaudit, "Good")

    told = Notification.objects.filter(kind="assurance.reaudit_completed")
    assert {n.recipient for n in told} == {world.lead, deputy}
    assert all("improved" in n.subject for n in told)
    assert all(n.url == reaudit.get_absolute_url() for n in told)


def test_the_comparison_page_shows_each_domain_and_the_actions(world: World) -> None:
    reaudit = _one_reaudit(world)
    Action.objects.create(
        audit=reaudit.original,
        description="Update the safety plan",
        owner=world.amy,
        due_date=timezone.localdate(),
        status=ActionStatus.COMPLETED,
        evidence="Plan updated",
        completed_at=timezone.now(),
    )
    Action.objects.create(
        audit=reaudit.original,
        description="Visit the child alone",
        owner=world.amy,
        due_date=timezone.localdate() + timedelta(days=3),
    )
    second = submit(completed(reaudit.reaudit, overall="Inadequate", domains={1: "Good"}))
    rows = services.reaudit_comparison(ReAudit.objects.get(pk=reaudit.pk))
    outcomes = {row.name: row.outcome for row in rows}
    assert outcomes["Overall"] == services.UNCHANGED
    first_domain = reaudit.original.tool_version.domains.order_by("order")[0].name
    second_domain = reaudit.original.tool_version.domains.order_by("order")[1].name
    assert outcomes[first_domain] == services.IMPROVED
    assert outcomes[second_domain] == services.IMPROVED  # critical to inadequate

    page = signed_in(world.lead).get(reaudit.get_absolute_url())
    body = page.content.decode()
    assert page.status_code == 200
    assert "Comparison with the original audit" in body
    assert "Improved" in body and "Unchanged" in body
    assert "1 of 2 actions agreed on the original audit completed" in body
    assert signed_in(world.bob).get(reaudit.get_absolute_url()).status_code == 200
    # Outside remit: a practitioner of another team, an auditor with no link to it.
    outsider = UserFactory(username="otto", role=Role.AUDITOR)
    assert signed_in(outsider).get(reaudit.get_absolute_url()).status_code == 404
    assert signed_in(world.practitioner).get(reaudit.get_absolute_url()).status_code == 403
    assert second.status == AuditStatus.SUBMITTED


def test_a_case_stays_in_the_pool_until_a_reaudit_rates_it_at_or_above_the_line(
    world: World,
) -> None:
    reaudit = _one_reaudit(world)
    case = reaudit.original.case
    end = services.quarter_bounds(services.quarter_of(timezone.localdate()))[1]
    pool = {e.case for e in services.reaudit_pool(until=end)}
    assert case in pool  # pending
    assert [e.pending for e in services.reaudit_pool(until=end)] == [True]

    second = _redo(reaudit, "Inadequate")
    entry = next(e for e in services.reaudit_pool(until=end) if e.case == case)
    assert not entry.pending and entry.original == second  # still in; compared next time

    # A second re-audit, by someone new to the case, rating it adequate (the line) takes
    # it out.
    ivy = UserFactory(username="ivy", role=Role.AUDITOR)
    later = services.reaudit_draw(
        acting_user=world.lead, quarter=services.quarter_of(end), count=1, today=end
    ).reaudits.get()
    assert later.original == second and later.auditor == ivy
    _redo(later, "Adequate")
    assert case not in {e.case for e in services.reaudit_pool(until=end)}


@override_settings(QPA_REAUDIT_CLEAR_RANK=2)
def test_the_clear_line_is_configurable(world: World) -> None:
    reaudit = _one_reaudit(world)
    _redo(reaudit, "Adequate")
    end = services.quarter_bounds(services.quarter_of(timezone.localdate()))[1]
    assert reaudit.original.case in {e.case for e in services.reaudit_pool(until=end)}


def test_the_page_button_draws_for_managers_only(world: World) -> None:
    quarter, when = _last_quarter()
    _inadequate(world, world.cases["CP One"][0], when=when)
    assert (
        signed_in(world.bob).post("/assurance/reaudits/", {"quarter": quarter}).status_code == 404
    )
    assert (
        signed_in(world.lead).post("/assurance/reaudits/", {"quarter": quarter}).status_code == 400
    )
    head = signed_in(world.head)
    page = head.get("/assurance/reaudits/").content.decode()
    assert "Draw a quarter’s re-audit sample" in page
    response = head.post(
        "/assurance/reaudits/", {"quarter": quarter, "share_percent": "100", "capacity": "4"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/assurance/reaudits/draw/check/"
    check = head.get("/assurance/reaudits/draw/check/").content.decode()
    assert "Draw the re-audit sample" in check
    fingerprint = check.split('name="fingerprint" value="', 1)[1].split('"', 1)[0]
    response = head.post("/assurance/reaudits/draw/check/", {"fingerprint": fingerprint})
    assert response.status_code == 302
    listing = head.get("/assurance/reaudits/").content.decode()
    assert world.cases["CP One"][0].child_id in listing
    assert ReAuditDraw.objects.get().seed in listing


def test_the_commands_draw_and_send_the_summary_once(world: World) -> None:
    quarter, when = _last_quarter()
    _inadequate(world, world.cases["CP One"][0], when=when)
    call_command("reaudit", "draw", "--quarter", quarter, "--count", "1")
    assert ReAudit.objects.count() == 1
    with pytest.raises(CommandError, match="has been drawn"):
        call_command("reaudit", "draw", "--quarter", quarter, "--share", "0.5")
    _redo(ReAudit.objects.get(), "Good")

    call_command("reaudit", "summary", "--quarter", quarter)
    call_command("reaudit", "summary", "--quarter", quarter)
    summaries = Notification.objects.filter(kind="assurance.reaudit_summary")
    assert [n.recipient for n in summaries] == [world.lead]
    assert "1 drawn, 1 completed" in summaries[0].body
    assert "1 improved" in summaries[0].body
    with pytest.raises(CommandError, match="No re-audit sample"):
        call_command("reaudit", "summary", "--quarter", "2020-Q1")


def test_audit_quality_figures(world: World) -> None:
    today = timezone.localdate()
    late = allocate(world, auditor=world.cal, case=world.cases["CP One"][0])
    Allocation.objects.filter(pk=late.pk).update(due_date=today - timedelta(days=1))
    allocate(world, auditor=world.bob, case=world.cases["CP One"][1])  # not due yet
    done = allocate(world, auditor=world.cal, case=world.cases["CP One"][2])
    audit = submit(completed(allocation_audit_start(acting_user=world.cal, allocation=done)))
    Action.objects.create(
        audit=audit, description="Late", owner=world.amy, due_date=today - timedelta(days=2)
    )
    Action.objects.create(
        audit=audit, description="In time", owner=world.amy, due_date=today + timedelta(days=2)
    )
    submitted_audit(case=world.cases["CP Two"][0], auditor=world.bob)  # voice not recorded
    no_voice = submitted_audit(case=world.cases["CP Two"][1], auditor=world.bob)
    Audit.objects.filter(pk=no_voice.pk).update(child_experience_captured="no")

    figures = quality_figures(today=today)

    assert (figures.due, figures.on_time) == (2, 1)
    assert [(r.auditor, r.overdue) for r in figures.overdue_by_auditor] == [(str(world.cal), 1)]
    assert (figures.overdue_actions, figures.open_actions) == (1, 2)
    assert (figures.voice_captured, figures.voice_recorded) == (1, 2)  # "partly" and "no"
    page = signed_in(world.lead).get("/assurance/").content.decode()
    assert "Audit quality across the service" in page
    assert "50% (1 of 2 audits due so far" in page
    assert "1 of 2 open actions" in page
    assert str(world.cal) in page
    assert "Audit quality" not in signed_in(world.cal).get("/assurance/").content.decode()


def test_the_api_reads_a_reaudit_and_its_comparison_within_remit(world: World) -> None:
    from django.core.cache import cache

    from tests.support.api import as_user

    cache.clear()
    reaudit = _one_reaudit(world)
    original = reaudit.original
    _redo(reaudit, "Good")
    reader = as_user(world.lead)
    listed = reader.get("/api/v1/reaudits").json()
    assert [r["id"] for r in listed["results"]] == [str(reaudit.public_id)]
    detail = reader.get(f"/api/v1/reaudits/{reaudit.public_id}").json()
    assert detail["original_audit"] == str(original.public_id)
    assert detail["comparison"][-1]["domain"] == "Overall"
    assert detail["comparison"][-1]["outcome"] == "Improved"  # Inadequate, then Good
    assert {row["outcome"] for row in detail["comparison"]} <= {
        "Improved",
        "Unchanged",
        "Declined",
        "Not comparable",
    }
    outsider = as_user(world.practitioner)
    assert outsider.get(f"/api/v1/reaudits/{reaudit.public_id}").status_code == 404


def test_a_reaudit_past_its_due_date_reads_overdue(world: World) -> None:
    quarter, when = _last_quarter()
    case = world.cases["CP One"][0]
    _inadequate(world, case, when=when)
    call_command("reaudit", "draw", "--quarter", quarter, "--count", "1")
    reaudit = ReAudit.objects.get()
    head = signed_in(world.head)

    def status() -> str:
        page = head.get("/assurance/reaudits/").content.decode()
        row = next(r for r in page.split("<tr") if case.child_id in r).split("</tr>")[0]
        tag = re.search(r'<strong class="govuk-tag[^"]*">([^<]+)</strong>', row)
        return tag.group(1) if tag else ""

    assert status() == "To do"
    ReAudit.objects.filter(pk=reaudit.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    assert status() == "Overdue"


def test_a_manager_is_told_how_many_drawn_re_audits_are_not_listed(world: World) -> None:
    """harriet heads Child Protection: the Children in Care re-audit is in the draw's
    counts but not hers to open, and the list says so rather than look short."""
    quarter, when = _last_quarter()
    harriet = world.head
    cp, cic = world.cases["CP One"][0], world.cases["CiC One"][0]
    _inadequate(world, cp, when=when)
    submitted_audit(case=cic, auditor=world.amy, overall="Inadequate", audit_date=when)
    call_command("reaudit", "draw", "--quarter", quarter, "--count", "2")
    assert ReAudit.objects.count() == 2
    # Whoever the draw chose, bob re-audits the Children in Care case.
    elsewhere = ReAudit.objects.get(original__case=cic)
    ReAudit.objects.filter(pk=elsewhere.pk).update(auditor=world.bob)
    Audit.objects.filter(pk=elsewhere.reaudit_id).update(auditor=world.bob)
    page = signed_in(harriet).get("/assurance/reaudits/").content.decode()
    assert cp.child_id in page and cic.child_id not in page
    assert "1 re-audit drawn is not listed because you may not open it" in page
    assert '<h2 class="govuk-heading-m">Re-audits' not in page
    assert page.count("Re-audits</caption>") == 1
