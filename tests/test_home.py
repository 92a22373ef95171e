"""Each role's home page shows what needs that person's attention, within their remit."""

from __future__ import annotations

from qpa.audits.selectors import audits_visible_to
from qpa.cases.models import Case
from qpa.cases.selectors import cases_visible_to
from tests.support.factories import CaseFactory, TeamFactory, area, submitted_audit
from tests.support.people import Personas, signed_in


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
