"""The audit list: search by child ID, filters, sort, pages and the CSV download, all
through the reader's remit; and the print view of one audit."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qpa.accounts.models import Role
from qpa.audits.models import Audit, AuditReply, AuditStatus
from qpa.core.models import Event
from tests.support.audits import completed, cp_case, started, submit
from tests.support.factories import CaseFactory, UserFactory, allocate, submitted_audit
from tests.support.people import signed_in
from tests.support.worlds import World, build_world

LIST = "/audits/"
CSV = "/audits/audits.csv"


@pytest.fixture
def world(db: None) -> World:
    world = build_world(per_team=3)
    # Three CP audits by amy and bob, one Children in Care audit by cal.
    cp1, cp2, cic = world.cases["CP One"], world.cases["CP Two"], world.cases["CiC One"]
    submitted_audit(
        case=cp1[0], auditor=world.bob, overall="Inadequate", audit_date=date(2026, 9, 3)
    )
    submitted_audit(case=cp1[1], auditor=world.bob, overall="Good", audit_date=date(2026, 10, 7))
    submitted_audit(
        case=cp2[0], auditor=world.amy, overall="Adequate", audit_date=date(2026, 11, 2)
    )
    submitted_audit(
        case=cic[0], auditor=world.amy, overall="Critical", audit_date=date(2026, 11, 9)
    )
    return world


def _child_ids(html: str) -> list[str]:
    """The child IDs in the table's rows, in order."""
    return re.findall(r'<th scope="row" class="govuk-table__header">(?:<a [^>]*>)?(\w+)', html)


def test_a_head_of_service_lists_the_audits_of_their_areas_only(world: World) -> None:
    page = signed_in(world.head).get(LIST)
    assert page.status_code == 200
    assert sorted(_child_ids(page.content.decode())) == ["CPA00", "CPA01", "CPB00"]


def test_a_director_lists_every_audit_newest_first(world: World) -> None:
    page = signed_in(world.lead).get(LIST)
    assert _child_ids(page.content.decode()) == ["CIC00", "CPB00", "CPA01", "CPA00"]


def test_a_practitioner_lists_only_submitted_audits_of_their_own_cases(world: World) -> None:
    case = world.cases["CP One"][2]
    case.practitioner = world.practitioner
    case.save()
    submitted_audit(case=case, auditor=world.bob, overall="Good")
    # cal starts an audit of CPA00, which petra works too: a draft is not hers to read.
    draft = started(world)
    page = signed_in(world.practitioner).get(LIST).content.decode()
    assert _child_ids(page) == ["CPA02", "CPA00"]
    assert str(draft.public_id) not in page


def test_an_auditor_reads_another_auditors_audit_of_their_team_once_submitted(
    world: World,
) -> None:
    """amy manages CP One; cal's draft of a CP One case is not hers to read until cal
    submits it. harriet, Head of Service for the area, oversees it as a draft."""
    draft = started(world)
    page = f"/audits/{draft.public_id}/"
    amy, harriet = signed_in(world.amy), signed_in(world.head)
    assert amy.get(page).status_code == 404
    assert str(draft.public_id) not in amy.get(LIST, {"status": "draft"}).content.decode()
    assert harriet.get(page).status_code == 200
    # A safeguarding concern raised in the draft alerts amy, and the alert leads to it.
    concern = {
        "version": str(Audit.objects.get(pk=draft.pk).version),
        "child_safe": "not_sure",
        "child_safe_reason": "No visit recorded for eight weeks.",
        "then": "continue",
    }
    assert signed_in(world.cal).post(f"{page}safety/", concern).status_code == 302
    assert amy.get(page).status_code == 200


def test_an_auditor_reads_a_submitted_audit_of_their_team(world: World) -> None:
    audit = submit(completed(started(world)))
    assert signed_in(world.amy).get(f"/audits/{audit.public_id}/").status_code == 200


@pytest.mark.parametrize("role", [Role.PERFORMANCE, Role.ADMINISTRATOR])
def test_figures_roles_may_not_open_the_list_or_its_download(world: World, role: Role) -> None:
    reader = UserFactory(role=role)
    client = signed_in(reader)
    assert client.get(LIST).status_code == 403
    assert client.get(CSV).status_code == 403


def test_search_finds_audits_by_part_of_the_child_id(world: World) -> None:
    page = signed_in(world.lead).get(LIST, {"q": "cpa"})
    assert sorted(_child_ids(page.content.decode())) == ["CPA00", "CPA01"]
    assert "Child ID: cpa" in page.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"area": "children-in-care"}, ["CIC00"]),
        ({"auditor": "bob"}, ["CPA01", "CPA00"]),
        ({"rating": "Inadequate"}, ["CPA00"]),
        ({"status": "submitted", "period_from": "2026-10", "period_to": "2026-11"}, None),
        ({"period_from": "2026-11"}, ["CIC00", "CPB00"]),
        ({"period_to": "2026-09"}, ["CPA00"]),
        ({"tool": "quality-of-practice"}, ["CIC00", "CPB00", "CPA01", "CPA00"]),
    ],
)
def test_filters_narrow_the_list(
    world: World, query: dict[str, str], expected: list[str] | None
) -> None:
    page = signed_in(world.lead).get(LIST, query)
    assert page.status_code == 200
    if expected is None:
        expected = ["CIC00", "CPB00", "CPA01"]
    assert _child_ids(page.content.decode()) == expected


def test_team_and_cycle_filters(world: World) -> None:
    page = signed_in(world.lead).get(LIST, {"team": str(world.cp2.public_id)})
    assert _child_ids(page.content.decode()) == ["CPB00"]
    case = world.cases["CP Two"][1]
    allocation = allocate(world, auditor=world.cal, case=case, tool_slug="quality-of-practice")
    audit = submitted_audit(case=case, auditor=world.cal)
    Audit.objects.filter(pk=audit.pk).update(allocation=allocation)
    cycle = allocation.sampled_case.cycle
    page = signed_in(world.lead).get(LIST, {"cycle": str(cycle.public_id)})
    assert _child_ids(page.content.decode()) == [audit.case.child_id]
    assert cycle.name in page.content.decode()


def test_drafts_are_found_by_status(world: World) -> None:
    draft = started(world)
    page = signed_in(world.cal).get(LIST, {"status": "draft"})
    html = page.content.decode()
    assert _child_ids(html) == [draft.case.child_id]
    # The auditor's own draft opens at its task list.
    assert f"/audits/{draft.public_id}/tasks/" in html


def test_a_period_that_ends_before_it_starts_is_refused_with_a_message(world: World) -> None:
    page = signed_in(world.lead).get(LIST, {"period_from": "2026-11", "period_to": "2026-09"})
    assert page.status_code == 400
    assert "Choose a month the same as or after" in page.content.decode()


def test_columns_sort_both_ways_and_say_so(world: World) -> None:
    client = signed_in(world.lead)
    page = client.get(LIST, {"sort": "child"}).content.decode()
    assert _child_ids(page) == ["CIC00", "CPA00", "CPA01", "CPB00"]
    assert re.search(r'aria-sort="ascending"><a [^>]*href="\?sort=-child"', page)
    page = client.get(LIST, {"sort": "-child"}).content.decode()
    assert _child_ids(page) == ["CPB00", "CPA01", "CPA00", "CIC00"]
    page = client.get(LIST, {"sort": "date"}).content.decode()
    assert _child_ids(page) == ["CPA00", "CPA01", "CPB00", "CIC00"]
    # An unknown sort falls back to newest first.
    assert _child_ids(client.get(LIST, {"sort": "evil"}).content.decode())[0] == "CIC00"


def test_every_row_links_to_its_audit_and_its_case(world: World) -> None:
    page = signed_in(world.head).get(LIST).content.decode()
    for audit in Audit.objects.filter(case__team__service_area__slug="child-protection"):
        assert f'href="/audits/{audit.public_id}/"' in page
        assert f'href="/cases/{audit.case.public_id}/"' in page


def test_pages_of_fifty_keep_the_filters(world: World) -> None:
    team = world.cp1
    for number in range(52):
        submitted_audit(
            case=CaseFactory(child_id=f"BULK{number:03d}", team=team),
            auditor=world.bob,
            audit_date=date(2026, 8, 1),
        )
    client = signed_in(world.lead)
    first = client.get(LIST, {"q": "bulk", "sort": "child"}).content.decode()
    assert len(_child_ids(first)) == 50
    assert "52</strong> audits, page 1 of 2" in first
    assert 'href="?q=bulk&amp;sort=child&amp;page=2"' in first
    second = client.get(LIST, {"q": "bulk", "sort": "child", "page": "2"}).content.decode()
    assert _child_ids(second) == ["BULK050", "BULK051"]


def _queries_for(client: object, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)  # type: ignore[attr-defined]
        assert response.status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_five_rows_or_forty(
    world: World, django_assert_max_num_queries: object
) -> None:
    client = signed_in(world.head)
    few = _queries_for(client, LIST)
    for number in range(36):
        submitted_audit(
            case=CaseFactory(child_id=f"MORE{number:03d}", team=world.cp2), auditor=world.amy
        )
    many = _queries_for(client, LIST)
    assert many == few
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        client.get(LIST)


def test_the_csv_holds_the_filtered_list_with_links_and_no_live_formulas(world: World) -> None:
    case = CaseFactory(child_id="=HYPERLINK(1)", team=world.cp1)
    submitted_audit(case=case, auditor=world.bob, overall="Inadequate", audit_date=date(2026, 9, 9))
    response = signed_in(world.head).get(CSV, {"rating": "Inadequate"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Child ID", "Tool", "Tool version"]
    by_child = {row[0]: row for row in rows[1:]}
    assert set(by_child) == {"CPA00", "'=HYPERLINK(1)"}
    row = by_child["CPA00"]
    assert row[6] == str(world.bob)
    assert row[10] == "Inadequate"
    audit = Audit.objects.get(case__child_id="CPA00")
    assert row[-1].endswith(f"/audits/{audit.public_id}/")
    event = Event.objects.filter(action="audits.exported").get()
    assert " CPA00 " in event.child_ids


def test_the_csv_never_holds_an_audit_outside_the_remit(world: World) -> None:
    response = signed_in(world.head).get(CSV)
    text = response.content.decode()
    assert "CPA00" in text and "CIC00" not in text


def test_listing_is_recorded_in_the_event_log(world: World) -> None:
    signed_in(world.head).get(LIST)
    event = Event.objects.filter(action="audits.listed", actor_username="harriet").get()
    assert event.data["count"] == 3
    assert " CPB00 " in event.child_ids


# --- Print ---------------------------------------------------------------------------


def _with_findings(audit: Audit) -> Audit:
    for answer in audit.domain_ratings.select_related("domain"):
        answer.evidence = f"Evidence for {answer.domain.name}."
        answer.save()
    audit.overall_rationale = "The plan is followed but the child's voice is thin."
    audit.submitted_at = timezone.now()
    audit.save()
    return audit


def test_the_print_view_holds_the_whole_audit_and_no_buttons(world: World) -> None:
    audit = _with_findings(
        submitted_audit(case=cp_case(world), auditor=world.cal, overall="Inadequate")
    )
    AuditReply.objects.create(audit=audit, author=world.practitioner, text="I disagree.")
    detail = signed_in(world.head).get(audit.get_absolute_url()).content.decode()
    assert f'href="/audits/{audit.public_id}/print/"' in detail
    page = signed_in(world.head).get(f"/audits/{audit.public_id}/print/")
    assert page.status_code == 200
    html = page.content.decode()
    assert audit.case.child_id in html
    for domain in audit.tool_version.domains.all():
        assert domain.name in html
        assert f"Evidence for {domain.name}." in html
    assert "The plan is followed but the child&#x27;s voice is thin." in html
    assert "I disagree." in html
    assert str(world.cal) in html  # the auditor
    assert "Submitted on" in html
    main = html.split('id="main-content"', 1)[1].split("</main>", 1)[0]
    assert "<form" not in main
    assert 'media="print"' in html
    assert Event.objects.filter(action="audit.printed", child_id=audit.case.child_id).exists()


def test_the_print_view_is_refused_outside_the_remit(world: World) -> None:
    audit = Audit.objects.get(case__child_id="CIC00")
    assert signed_in(world.head).get(f"/audits/{audit.public_id}/print/").status_code == 404


def test_a_draft_prints_as_a_draft(world: World) -> None:
    audit = started(world)
    page = signed_in(world.cal).get(f"/audits/{audit.public_id}/print/")
    assert page.status_code == 200
    assert "Draft: not submitted" in page.content.decode()
    assert audit.status == AuditStatus.DRAFT


def test_re_audits_and_moderation_audits_are_marked_in_the_list(db: None) -> None:
    from qpa.assurance.models import Moderation, ReAudit
    from qpa.audits.second_looks import with_second_look
    from tests.support.worlds import build_remit_world

    remit = build_remit_world()
    reaudits = set(ReAudit.objects.values_list("reaudit_id", flat=True))
    moderation = Moderation.objects.get()
    marks = dict(with_second_look(Audit.objects.all()).values_list("pk", "second_look"))
    assert {pk for pk, mark in marks.items() if mark == "Re-audit"} == reaudits
    assert {pk for pk, mark in marks.items() if mark == "Moderation audit"} == {
        moderation.moderation_audit_id
    }
    # The audits they look again at are audits like any other.
    assert marks[remit.inadequate.pk] == marks[remit.elsewhere.pk] == ""
    bob = signed_in(remit.base.bob)
    page = bob.get(LIST, {"status": "draft"}).content.decode()
    assert '<strong class="govuk-tag govuk-tag--light-blue">Re-audit</strong>' in page
