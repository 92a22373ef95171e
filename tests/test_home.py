"""Each role's home page shows what needs that person's attention, within their remit."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.accounts.permissions import Permission, user_can
from qpa.actions import services as action_services
from qpa.actions.models import Action
from qpa.audits import services as audit_services
from qpa.audits.models import Audit
from qpa.audits.selectors import audits_awaiting_reply, audits_visible_to
from qpa.cases.models import Case
from qpa.cases.selectors import cases_visible_to
from qpa.core.models import Event
from tests.support.audits import started
from tests.support.factories import (
    CaseFactory,
    TeamFactory,
    UserFactory,
    area,
    submitted_audit,
)
from tests.support.people import Personas, signed_in
from tests.support.worlds import World


def test_head_of_service_sees_inadequate_audits_in_their_area_only(personas: Personas) -> None:
    cp_case = CaseFactory(child_id="CP-INADEQUATE", team=personas.cp_team)
    cic_case = CaseFactory(child_id="CIC-INADEQUATE", team=personas.cic_team)
    good_case = CaseFactory(child_id="CP-GOOD", team=personas.cp_team)
    submitted_audit(case=cp_case, overall="Inadequate", audit_date=_recent())
    submitted_audit(case=cic_case, overall="Critical", audit_date=_recent())
    submitted_audit(case=good_case, overall="Good", audit_date=_recent())

    body = signed_in(personas.head_of_cp).get("/").content.decode()

    assert "CP-INADEQUATE" in body
    assert "CIC-INADEQUATE" not in body  # another Head of Service's area
    assert "CP-GOOD" not in body  # needs no action


def test_assistant_director_sees_every_area_and_the_monthly_figures(personas: Personas) -> None:
    cic_case = CaseFactory(child_id="CIC-CRITICAL", team=personas.cic_team)
    submitted_audit(case=cic_case, overall="Critical", audit_date=_recent())
    body = signed_in(personas.director).get("/").content.decode()
    assert "CIC-CRITICAL" in body
    assert "Audits completed this month by service area" in body


def test_performance_sees_figures_but_no_child_ids(personas: Personas) -> None:
    case = CaseFactory(child_id="SECRET-CHILD", team=personas.cp_team)
    submitted_audit(case=case, overall="Inadequate", audit_date=_recent())
    body = signed_in(personas.performance).get("/").content.decode()
    assert "Audits completed this month by service area" in body
    assert "SECRET-CHILD" not in body


def test_practitioner_sees_submitted_audits_of_their_own_cases(personas: Personas) -> None:
    mine = CaseFactory(
        child_id="MY-CASE", team=personas.cp_team, practitioner=personas.practitioner
    )
    other = CaseFactory(child_id="NOT-MINE", team=personas.cp_team)
    submitted_audit(case=mine, overall="Adequate")
    submitted_audit(case=other, overall="Adequate")
    body = signed_in(personas.practitioner).get("/").content.decode()
    assert "MY-CASE" in body
    assert "NOT-MINE" not in body


def test_administrator_home_links_to_configuration(personas: Personas) -> None:
    body = signed_in(personas.admin).get("/").content.decode()
    assert 'href="/tools/"' in body
    assert 'href="/tools/scales/"' in body


def test_remit_selectors_per_role(personas: Personas) -> None:
    other_team = TeamFactory(name="Leaving Care A", service_area=area("leaving-care"))
    in_cp = CaseFactory(team=personas.cp_team, practitioner=personas.practitioner)
    in_cic = CaseFactory(team=personas.cic_team)
    in_lc = CaseFactory(team=other_team)
    audited_by_alice = CaseFactory(team=other_team)
    submitted_audit(case=audited_by_alice, auditor=personas.auditor)

    def visible(user: object) -> set[Case]:
        return set(cases_visible_to(user=user))

    assert visible(personas.director) == {in_cp, in_cic, in_lc, audited_by_alice}
    assert visible(personas.head_of_cp) == {in_cp}
    assert visible(personas.auditor) == {in_cic, audited_by_alice}
    assert visible(personas.practitioner) == {in_cp}
    assert visible(personas.performance) == set()
    assert visible(personas.admin) == set()
    assert visible(personas.outsider) == set()
    assert audits_visible_to(user=personas.auditor).count() == 1
    personas.director.is_active = False
    assert visible(personas.director) == set()


def _recent():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.localdate()


def test_a_head_of_service_sees_a_case_allocated_to_them_outside_their_areas(
    personas: Personas,
) -> None:
    from datetime import date

    from qpa.cycles.models import Allocation, Cycle, SampledCase, SamplingPlan, Stratum
    from qpa.tools.models import AuditTool

    outside = CaseFactory(
        child_id="LC-ALLOCATED", team=TeamFactory(service_area=area("leaving-care"))
    )
    assert outside not in cases_visible_to(user=personas.head_of_cp)
    cycle = Cycle.objects.create(
        kind="monthly",
        month=date(2026, 11, 1),
        tool=AuditTool.objects.get(slug="quality-of-practice"),
        plan=SamplingPlan.objects.create(name="Monthly", method="fixed"),
        due_date=date(2026, 12, 15),
    )
    stratum = Stratum.objects.create(
        cycle=cycle,
        service_area=area("leaving-care"),
        population=1,
        frame_size=1,
        quota=1,
        drawn=1,
    )
    sampled = SampledCase.objects.create(
        cycle=cycle, case=outside, stratum=stratum, how_chosen="drawn", rank=1, frame_size=1
    )
    Allocation.objects.create(
        sampled_case=sampled, auditor=personas.head_of_cp, due_date=date(2026, 12, 15)
    )
    assert outside in cases_visible_to(user=personas.head_of_cp)


def test_a_cut_list_of_inadequate_audits_says_how_many_and_links_to_them_all(
    personas: Personas,
) -> None:
    for n in range(23):
        case = CaseFactory(child_id=f"CP-BAD-{n:02d}", team=personas.cp_team)
        submitted_audit(case=case, overall="Inadequate", audit_date=_recent())

    page = signed_in(personas.director).get("/").content.decode()

    assert "Showing the latest 20 of 23." in page
    assert 'href="/assurance/follow-up/">See all 23 in the follow-up list</a>' in page
    # The follow-up list holds every one of them.
    queue = signed_in(personas.director).get("/assurance/follow-up/").content.decode()
    assert all(f"CP-BAD-{n:02d}" in queue for n in range(23))


def test_a_list_that_fits_says_nothing_of_more(personas: Personas) -> None:
    case = CaseFactory(child_id="CP-ONE-BAD", team=personas.cp_team)
    submitted_audit(case=case, overall="Critical", audit_date=_recent())
    page = signed_in(personas.director).get("/").content.decode()
    assert "CP-ONE-BAD" in page
    assert "Showing the latest" not in page


def test_the_monthly_report_is_linked_for_those_who_may_read_it(personas: Personas) -> None:
    for person in (personas.director, personas.head_of_cp, personas.performance):
        assert 'href="/reports/">Read the monthly report</a>' in (
            signed_in(person).get("/").content.decode()
        ), person.role
    for person in (personas.auditor, personas.practitioner):
        assert "Read the monthly report" not in signed_in(person).get("/").content.decode()


# --- The practitioner's home: what waits for them, above their audits ----------------


def _section(page: str, heading: str) -> str:
    """The page from `heading` up to the next section's heading or table caption."""
    start = page.index(f">{heading}<")
    ends = [
        found
        for marker in ('class="govuk-heading-m"', "govuk-table__caption--m")
        if (found := page.find(marker, start + len(heading))) != -1
    ]
    return page[start : min(ends, default=len(page))]


def _inadequate_case_of(world: World, child_id: str, practitioner: User | None = None) -> Audit:
    case = CaseFactory(
        child_id=child_id, team=world.cp1, practitioner=practitioner or world.practitioner
    )
    return submitted_audit(case=case, overall="Inadequate", audit_date=_recent())


def _action(world: World, audit: Audit, owner: User, description: str, due: date) -> Action:
    return action_services.action_create(
        acting_user=world.head, audit=audit, description=description, owner=owner, due_date=due
    )


def test_the_practitioners_home_lists_their_open_actions_soonest_due_first(world: World) -> None:
    petra = world.practitioner
    audit = _inadequate_case_of(world, "PETRA-CASE")
    today = timezone.localdate()
    later = _action(world, audit, petra, "Update the chronology.", today + timedelta(days=20))
    overdue = _action(world, audit, petra, "Book the core group.", today - timedelta(days=2))
    done = _action(world, audit, petra, "Send the plan to the family.", today)
    action_services.action_complete(
        acting_user=petra, action=done, evidence="Plan posted on 2 December; copy on file."
    )
    # Someone else's action on the same audit: petra may open it, but it is not hers.
    colleague = UserFactory(role=Role.PRACTITIONER, teams=[world.cp1])
    _action(world, audit, colleague, "Visit the child at school.", today + timedelta(days=1))

    page = signed_in(petra).get("/").content.decode()

    mine = _section(page, "Your open actions")
    assert page.index("Your open actions") < page.index("Audits of your cases")
    assert mine.index("Book the core group.") < mine.index("Update the chronology.")
    assert f'href="{overdue.get_absolute_url()}"' in mine
    assert f'href="{later.get_absolute_url()}"' in mine
    assert "PETRA-CASE" in mine
    assert (today - timedelta(days=2)).strftime("%B") in mine
    assert mine.count("Overdue") == 1
    assert "Send the plan to the family." not in mine  # completed
    assert "Visit the child at school." not in mine  # a colleague's
    assert "Showing" not in mine


def test_a_practitioner_with_no_open_actions_is_told_so(world: World) -> None:
    page = signed_in(world.practitioner).get("/").content.decode()
    assert "You have no open actions." in page
    assert "No audit is waiting for your reply." in page


def test_a_cut_list_of_open_actions_says_how_many_and_links_to_my_actions(
    world: World,
) -> None:
    audit = _inadequate_case_of(world, "PETRA-MANY")
    today = timezone.localdate()
    for n in range(7):
        _action(world, audit, world.practitioner, f"Step {n} of the plan.", today + timedelta(n))

    mine = _section(signed_in(world.practitioner).get("/").content.decode(), "Your open actions")

    assert [f"Step {n} of the plan." in mine for n in range(7)] == [True] * 5 + [False] * 2
    assert "Showing 5 of 7, the soonest due." in mine
    assert 'href="/actions/">All 7 of your open actions</a>' in mine


def test_the_practitioners_home_lists_the_audits_waiting_for_their_reply(world: World) -> None:
    petra = world.practitioner
    waiting = _inadequate_case_of(world, "PETRA-WAITING")
    replied = _inadequate_case_of(world, "PETRA-REPLIED")
    audit_services.audit_reply(acting_user=petra, audit=replied, text="I disagree: see the plan.")
    _inadequate_case_of(world, "NOT-PETRAS", practitioner=UserFactory(role=Role.PRACTITIONER))

    page = signed_in(petra).get("/").content.decode()

    waiting_list = _section(page, "Audits waiting for your reply")
    assert page.index("Audits waiting for your reply") < page.index("Audits of your cases")
    assert f'href="{waiting.get_absolute_url()}#reply"' in waiting_list
    assert "PETRA-WAITING" in waiting_list
    assert "PETRA-REPLIED" not in waiting_list
    assert "NOT-PETRAS" not in page
    # Both are still among the audits of their cases.
    assert "PETRA-REPLIED" in _section(page, "Audits of your cases")


def test_the_waiting_list_agrees_with_can_reply(world: World) -> None:
    """The home page's one query says what `can_reply` says audit by audit."""
    petra = world.practitioner
    audits = [_inadequate_case_of(world, f"PETRA-{n}") for n in range(3)]
    audit_services.audit_reply(acting_user=petra, audit=audits[0], text="Noted, thank you.")
    _inadequate_case_of(world, "OTHERS", practitioner=UserFactory(role=Role.PRACTITIONER))
    started(world)  # a draft of petra's case

    def by_can_reply(person: User) -> set[int]:
        return {
            audit.pk
            for audit in audits_visible_to(user=person)
            if audit_services.can_reply(person, audit)
        }

    def on_the_home_page(person: User) -> set[int]:
        if not user_can(person, Permission.REPLY_TO_AUDITS):
            return set()
        visible = audits_visible_to(user=person)
        return set(audits_awaiting_reply(visible, user=person).values_list("pk", flat=True))

    assert on_the_home_page(petra) == by_can_reply(petra) == {audits[1].pk, audits[2].pk}
    for person in (world.head, world.amy, world.lead):
        assert on_the_home_page(person) == by_can_reply(person) == set(), person


def test_the_practitioners_home_costs_the_same_however_many_audits_wait(
    world: World,
) -> None:
    """The waiting list is one query, not one an audit: with more audits than any list
    shows, more of them cost the page nothing."""
    client = signed_in(world.practitioner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    for n in range(22):
        _inadequate_case_of(world, f"PETRA-{n:02d}")
    some = queries()
    for n in range(22, 30):
        _inadequate_case_of(world, f"PETRA-{n:02d}")
    assert "Showing the latest 5 of 30." in client.get("/").content.decode()
    assert queries() == some


def test_the_practitioners_home_records_the_actions_and_audits_it_shows(world: World) -> None:
    audit = _inadequate_case_of(world, "PETRA-LOGGED")
    action = _action(world, audit, world.practitioner, "Update the plan.", timezone.localdate())
    signed_in(world.practitioner).get("/")
    entry = Event.objects.filter(action="audits.listed", actor_username="petra").latest("seq")
    assert f"actions.action:{action.public_id}" in entry.data["objects"]
    assert f"audits.audit:{audit.public_id}" in entry.data["objects"]
    assert "PETRA-LOGGED" in entry.child_ids
