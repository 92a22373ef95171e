"""What a new user tripped over, put right: a sampling plan that asks only its own
questions, no "Description: None", one visibly named Change link per answer, "1 case"
not "1 cases", dates without leading zeros, the performance home counting as the report
counts, and agreement between auditors said in words, never from one pair."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.template import Context, Template
from django.utils import timezone

from qpa.accounts.models import Role
from qpa.actions import services as action_services
from qpa.assurance import services as assurance_services
from qpa.assurance.agreement import agreement, agreement_sentence
from qpa.assurance.models import Moderation
from qpa.audits.models import Audit, AuditStatus
from qpa.cycles.models import SamplingPlan
from qpa.cycles.services import allocation_audit_start
from qpa.notifications.models import Notification
from qpa.tools.models import AuditTool
from tests.support.audits import completed, cp_case, started, submit
from tests.support.factories import UserFactory, allocate
from tests.support.people import signed_in
from tests.support.worlds import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world(per_team=2)


def _conditional(page: str, value: str) -> str:
    """The questions a radio option reveals (GOV.UK conditional radios)."""
    radio = re.search(rf'<input[^>]*value="{value}"[^>]*data-qpa-reveals="([^"]+)"', page)
    assert radio is not None, value
    start = page.rindex("<div", 0, page.index(f'id="{radio[1]}"'))
    ends = [page.find(mark, start) for mark in ('<div class="govuk-radios__item">', "</fieldset>")]
    return page[start : min(end for end in ends if end > 0)]


def test_the_sampling_plan_reveals_only_the_chosen_methods_questions(world: World) -> None:
    page = signed_in(world.lead).get("/cycles/plans/new/").content.decode()
    fixed, proportional = _conditional(page, "fixed"), _conditional(page, "proportional")
    assert 'name="quota_child-protection"' in fixed and 'name="total"' not in fixed
    assert 'name="total"' in proportional and 'name="minimum_per_area"' in proportional
    assert 'name="quota_child-protection"' not in proportional
    # Hidden until chosen when scripts run; shown, each labelled, without them.
    assert "govuk-radios__conditional--hidden" in fixed
    assert "Fixed plans: cases from Child Protection" in fixed
    assert "Proportional plans: how many cases in total?" in proportional


def test_the_sampling_plans_errors_say_what_to_do(world: World) -> None:
    client = signed_in(world.lead)
    empty = client.post("/cycles/plans/new/", {"exclude_audited_within_months": ""})
    body = empty.content.decode()
    assert "This field is required" not in body
    for message in (
        "Enter a name for the plan.",
        "Choose a fixed number for each area, or a total split in proportion.",
        "Enter how many months, or 0 to leave no case out.",
    ):
        assert message in body
    junk = client.post(
        "/cycles/plans/new/",
        {
            "name": "Junk",
            "method": "fixed",
            "quota_child-protection": "-2",
            "exclude_audited_within_months": "12",
        },
    ).content.decode()
    assert "Enter 0 or more cases from Child Protection." in junk
    # The proportional questions, hidden once "fixed" is chosen, neither count nor stop it.
    response = client.post(
        "/cycles/plans/new/",
        {
            "name": "Fixed",
            "method": "fixed",
            "quota_child-protection": "4",
            "total": "lots",
            "minimum_per_area": "-1",
            "exclude_audited_within_months": "12",
        },
    )
    plan = SamplingPlan.objects.get(name="Fixed")
    assert response["Location"] == plan.get_absolute_url()
    assert plan.total is None
    assert {q.service_area.slug: q.count for q in plan.quotas.all() if q.count} == {
        "child-protection": 4
    }


def test_a_tool_without_a_description_does_not_say_none(world: World) -> None:
    admin = signed_in(world.admin)
    tool = AuditTool.objects.get(slug="quality-of-practice")
    AuditTool.objects.filter(pk=tool.pk).update(description="")
    page = admin.get(f"/tools/{tool.slug}/").content.decode()
    assert "None" not in page
    assert '<dt class="govuk-summary-list__key">Description</dt>' not in page


def test_each_answer_on_check_your_answers_has_one_change_link_of_its_own(world: World) -> None:
    client = signed_in(world.lead)
    for step, data in (
        ("kind", {"kind": "monthly"}),
        ("month", {"month": "December 2026"}),
        ("tool", {"tool": "quality-of-practice"}),
        ("plan", {"plan": str(world.plan.public_id)}),
        ("auditors", {"auditors": ["amy", "cal"]}),
        ("capacity", {"capacity_amy": "1", "capacity_cal": "4"}),
        ("due-date", {"due_date-day": "31", "due_date-month": "1", "due_date-year": "2027"}),
    ):
        assert client.post(f"/cycles/new/{step}/", data).status_code == 302, step
    page = client.get("/cycles/new/check/").content.decode()
    rows = re.findall(r'<div class="govuk-summary-list__row">(.*?)</div>', page, re.S)
    names = []
    for row in rows:
        links = re.findall(r'>Change<span class="govuk-visually-hidden"> ([^<]+)</span></a>', row)
        assert len(links) <= 1, row
        names.extend(links)
    assert len(names) == len(set(names)) >= 7
    assert f"{world.amy}<br>{world.cal}" in page
    assert "1 case<" in page and "4 cases<" in page
    assert "31 January 2027" in page


def test_numbers_read_with_a_singular_for_one() -> None:
    template = Template('{% load wording %}{{ a|plural:"case" }}; {{ b|plural:"child,children" }}')
    assert template.render(Context({"a": 1, "b": 2})) == "1 case; 2 children"
    assert Template('{% load wording %}{{ n|plural:"case" }}').render(Context({"n": 2500})) == (
        "2,500 cases"
    )


def test_a_plan_of_one_case_says_one_case(world: World) -> None:
    client = signed_in(world.lead)
    client.post(
        "/cycles/plans/new/",
        {
            "name": "Tiny",
            "method": "proportional",
            "total": "1",
            "minimum_per_area": "1",
            "exclude_audited_within_months": "1",
        },
    )
    page = client.get(SamplingPlan.objects.get(name="Tiny").get_absolute_url()).content.decode()
    assert "1 cases" not in page and "1 months" not in page
    assert ">1 case</dd>" in page and ">1 month</dd>" in page


def test_dates_have_no_leading_zero_on_pages_and_in_emails(world: World) -> None:
    audit = submit(completed(started(world), overall="Inadequate"))
    due = date(2027, 3, 3)
    action_services.action_create(
        acting_user=world.head,
        audit=audit,
        description="See the child alone.",
        owner=world.amy,
        due_date=due,
    )
    told = Notification.objects.get(kind="actions.assigned")
    assert told.subject.endswith("due on 3 March 2027")
    page = signed_in(world.amy).get("/actions/").content.decode()
    assert "3 March 2027" in page and "03 March" not in page and "3 Mar 2027" not in page


def test_the_performance_home_counts_audits_as_the_report_does(world: World) -> None:
    """A case audited and then moderated is one audit in the report, and on the home page."""
    allocation = allocate(world, auditor=world.cal, case=cp_case(world))
    first = allocation_audit_start(acting_user=world.cal, allocation=allocation)
    assurance_services.moderation_draw(
        acting_user=world.lead, cycle=allocation.sampled_case.cycle, share_percent=10
    )
    moderation = Moderation.objects.get(allocation=allocation)
    submit(completed(first, overall="Inadequate"))
    submit(completed(moderation.moderation_audit, overall="Adequate"))
    analyst = UserFactory(role=Role.PERFORMANCE)
    page = signed_in(analyst).get("/").content.decode()
    row = re.search(r">Child Protection</th>\s*<td[^>]*>(\d+)</td>", page)
    assert row is not None
    assert row[1] == "1"


def _pairs(n: int, *, disagree: int = 0) -> list[tuple[int, int]]:
    pairs = [(1 + i % 4, 1 + i % 4) for i in range(n)]
    for i in range(disagree):
        first, _ = pairs[i]
        pairs[i] = (first, min(5, first + 1))
    return pairs


def test_agreement_is_said_in_words_and_from_how_many_pairs() -> None:
    assert agreement_sentence(agreement(_pairs(24, disagree=3), 5)).startswith(
        "Auditors agreed almost completely (weighted kappa 0."
    )
    assert agreement_sentence(agreement(_pairs(24, disagree=3), 5)).endswith("from 24 pairs)")
    assert agreement_sentence(agreement(_pairs(1), 5)) == (
        "Too few pairs to measure how far auditors agree (1 pair)"
    )
    assert "too few" not in agreement_sentence(agreement(_pairs(5, disagree=2), 5)).lower()


def test_a_managers_moderation_page_shows_no_kappa_from_one_pair_and_cites_no_paper(
    world: World,
) -> None:
    allocation = allocate(world, auditor=world.cal, case=cp_case(world))
    first = allocation_audit_start(acting_user=world.cal, allocation=allocation)
    assurance_services.moderation_draw(
        acting_user=world.lead, cycle=allocation.sampled_case.cycle, share_percent=10
    )
    moderation = Moderation.objects.get(allocation=allocation)
    submit(completed(first, overall="Inadequate"))
    submit(completed(moderation.moderation_audit, overall="Adequate"))
    page = signed_in(world.lead).get("/assurance/moderation/").content.decode()
    assert "Too few pairs to measure how far auditors and moderators agree (1 pair)." in page
    assert "1969" not in page and "Fleiss" not in page
    # No kappa figure from so few pairs, in the tables either.
    assert "not defined" not in page
    assert not re.search(r"\b[01]\.\d\d \(", page)


def test_a_submitted_audit_with_no_recorded_change_never_says_not_submitted(
    world: World,
) -> None:
    """Audits brought in from past spreadsheets (and the demo's) have no change records."""
    audit = completed(started(world))
    Audit.objects.filter(pk=audit.pk).update(
        status=AuditStatus.SUBMITTED, submitted_at=timezone.now()
    )
    audit.refresh_from_db()
    assert not audit.changes.exists()
    client = signed_in(world.cal)
    for page in (audit.get_absolute_url(), f"{audit.get_absolute_url()}print/"):
        body = client.get(page).content.decode()
        assert "Not submitted yet" not in body, page
        assert f"Submitted on {audit.submitted_at:%-d %B %Y}. No change to it is recorded." in (
            body
        ), page


def test_an_allocation_whose_audit_is_started_reads_in_progress(world: World) -> None:
    audit = started(world)
    body = signed_in(world.cal).get("/cycles/my-allocations/").content.decode()
    row = next(r for r in body.split("<tr") if audit.case.child_id in r)
    assert "In progress" in row and "Continue the audit" in row and "To do" not in row
