"""The case list and a case's page: what QPA holds about the child and the case's history,
through each reader's remit; and child IDs that link to the case page for those who may
open it, everywhere they are shown."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qpa.accounts.models import Role
from qpa.actions.models import Action, ActionStatus
from qpa.assurance import services as assurance
from qpa.assurance.models import ReAudit
from qpa.audits.models import AuditReply
from qpa.cases.models import Case, CaseStatus
from qpa.core.models import Event
from tests.support.factories import CaseFactory, UserFactory, submitted_audit
from tests.support.people import signed_in
from tests.support.worlds import World, build_world

LIST = "/cases/"


@pytest.fixture
def world(db: None) -> World:
    return build_world(per_team=3)


def _page(case: Case) -> str:
    return f"/cases/{case.public_id}/"


def _child_ids(html: str) -> list[str]:
    return re.findall(r'<th scope="row" class="govuk-table__header">(?:<a [^>]*>)?(\w+)', html)


# --- The case list ---------------------------------------------------------------------


def test_each_reader_lists_the_cases_of_their_remit(world: World) -> None:
    petra_case = world.cases["CP Two"][1]
    petra_case.practitioner = world.practitioner
    petra_case.save()
    head = _child_ids(signed_in(world.head).get(LIST).content.decode())
    assert head == ["CPA00", "CPA01", "CPA02", "CPB00", "CPB01", "CPB02"]
    cal = _child_ids(signed_in(world.cal).get(LIST).content.decode())
    assert cal == ["CIC00", "CIC01", "CIC02"]  # the cases of cal's team
    assert _child_ids(signed_in(world.practitioner).get(LIST).content.decode()) == ["CPB01"]
    assert len(_child_ids(signed_in(world.lead).get(LIST).content.decode())) == 9


@pytest.mark.parametrize("role", [Role.PERFORMANCE, Role.ADMINISTRATOR])
def test_figures_roles_may_not_open_cases(world: World, role: Role) -> None:
    client = signed_in(UserFactory(role=role))
    assert client.get(LIST).status_code == 403
    assert client.get(_page(world.cases["CP One"][0])).status_code == 403


def test_search_and_filters_narrow_the_case_list(world: World) -> None:
    client = signed_in(world.lead)
    closed = world.cases["CiC One"][2]
    closed.status = CaseStatus.CLOSED
    closed.worker_name = "Wendy Walker"
    closed.save()

    def found(**query: str) -> list[str]:
        return _child_ids(client.get(LIST, query).content.decode())

    assert found(q="b0") == ["CPB00", "CPB01", "CPB02"]
    assert found(area="children-in-care") == ["CIC00", "CIC01", "CIC02"]
    assert found(team=str(world.cp1.public_id)) == ["CPA00", "CPA01", "CPA02"]
    assert found(status="closed") == ["CIC02"]
    assert found(worker="walker") == ["CIC02"]
    assert found(status="open", area="children-in-care") == ["CIC00", "CIC01"]


def test_the_case_list_costs_the_same_queries_for_three_cases_or_thirty(
    world: World, django_assert_max_num_queries: object
) -> None:
    client = signed_in(world.head)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    few = count()
    for number in range(24):
        CaseFactory(child_id=f"MORE{number:02d}", team=world.cp2, worker_name="A Worker")
    assert count() == few
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        client.get(LIST)


def test_listing_cases_is_recorded(world: World) -> None:
    signed_in(world.head).get(LIST, {"q": "CPA"})
    event = Event.objects.filter(action="cases.listed").get()
    assert event.data["count"] == 3
    assert " CPA01 " in event.child_ids


# --- A case's page -----------------------------------------------------------------------


def test_the_case_page_says_what_qpa_holds_without_the_date_of_birth(world: World) -> None:
    case = world.cases["CP One"][0]
    born = timezone.localdate().replace(year=timezone.localdate().year - 9) - timedelta(days=3)
    case.date_of_birth = born
    case.practitioner = world.practitioner
    case.cp_plan_start_date = date(2026, 2, 3)
    case.attributes = {
        "list_7": {
            "cp_plan_start_date": "2026-02-03",
            "latest_review_conference_date": "2026-08-14",
            "last_statutory_visit_date": "2026-09-01",
        }
    }
    case.save()
    page = signed_in(world.head).get(_page(case))
    assert page.status_code == 200
    html = page.content.decode()
    assert "9 years" in html
    assert born.isoformat() not in html and born.strftime("%B %Y") not in html.split("Key dates")[0]
    assert "Child protection plan since 3 February 2026" in html
    assert "List 7: Child Protection" in html
    assert "CP One" in html
    assert str(world.amy) in html  # the team's manager
    assert str(world.practitioner) in html  # the allocated worker
    assert "14 August 2026" in html


def test_a_case_out_of_remit_answers_404(world: World) -> None:
    assert signed_in(world.head).get(_page(world.cases["CiC One"][0])).status_code == 404
    other = world.cases["CP Two"][0]
    assert signed_in(world.practitioner).get(_page(other)).status_code == 404


def _history(world: World) -> tuple[Case, dict[str, object]]:
    """A CP case audited twice: a good audit in June, an inadequate one last quarter with
    a reply, an action and a re-audit drawn."""
    case = world.cases["CP One"][0]
    case.practitioner = world.practitioner
    case.save()
    quarter = assurance.previous_quarter(timezone.localdate())
    first_day, _ = assurance.quarter_bounds(quarter)
    older = submitted_audit(case=case, auditor=world.cal, overall="Good", audit_date=first_day)
    inadequate = submitted_audit(
        case=case,
        auditor=world.cal,
        overall="Inadequate",
        audit_date=first_day + timedelta(days=20),
    )
    for audit, day in ((older, first_day), (inadequate, first_day + timedelta(days=20))):
        audit.submitted_at = timezone.make_aware(
            timezone.datetime(day.year, day.month, day.day, 12)
        )
        audit.save()
    reply = AuditReply.objects.create(
        audit=inadequate, author=world.practitioner, text="The visits were recorded late."
    )
    action = Action.objects.create(
        audit=inadequate,
        description="Hold a strategy discussion.",
        owner=world.amy,
        due_date=timezone.localdate() - timedelta(days=2),
        status=ActionStatus.OPEN,
    )
    assurance.reaudit_draw(acting_user=world.lead, quarter=quarter, count=1)
    reaudit = ReAudit.objects.get()
    return case, {
        "older": older,
        "inadequate": inadequate,
        "reply": reply,
        "action": action,
        "reaudit": reaudit,
    }


def test_the_history_shows_every_audit_reply_action_and_reaudit_newest_first(
    world: World,
) -> None:
    case, made = _history(world)
    html = signed_in(world.head).get(_page(case)).content.decode()
    history = html.split(">History<", 1)[1]
    positions = {
        name: history.index(f'href="{url}"')
        for name, url in (
            ("reaudit", made["reaudit"].get_absolute_url()),  # type: ignore[attr-defined]
            ("action", made["action"].get_absolute_url()),  # type: ignore[attr-defined]
            ("reply", made["inadequate"].get_absolute_url() + "#reply"),  # type: ignore[attr-defined]
            ("older", made["older"].get_absolute_url()),  # type: ignore[attr-defined]
        )
    }
    # The re-audit and the action were made today; the reply today too; the older audit
    # last quarter: it comes last.
    assert positions["older"] == max(positions.values())
    assert "Inadequate" in history and "Good" in history
    assert "Overdue" in history
    assert "The visits were recorded late." in history
    assert f"drawn for {made['reaudit'].draw.quarter}" in history  # type: ignore[attr-defined]
    event = Event.objects.filter(action="case.viewed").get()
    assert " CPA00 " in event.child_ids or event.child_id == "CPA00"


def test_a_practitioner_sees_the_history_of_their_case_but_no_reaudit_page_link(
    world: World,
) -> None:
    case, made = _history(world)
    html = signed_in(world.practitioner).get(_page(case)).content.decode()
    history = html.split(">History<", 1)[1]
    assert made["inadequate"].get_absolute_url() in history  # type: ignore[attr-defined]
    assert made["reaudit"].get_absolute_url() not in history  # type: ignore[attr-defined]


# --- Child IDs everywhere ------------------------------------------------------------------


def test_a_child_id_links_to_the_case_only_for_those_who_may_open_it(world: World) -> None:
    """A practitioner who owns an action on another worker's case may open the action,
    but not the case: the child ID is shown on the action, never linked."""
    case, made = _history(world)
    action = made["action"]
    other = UserFactory(username="olly", role=Role.PRACTITIONER)
    Action.objects.filter(pk=action.pk).update(owner=other)  # type: ignore[attr-defined]
    mine = signed_in(other).get("/actions/").content.decode()
    assert case.child_id in mine
    assert _page(case) not in mine
    heads = signed_in(world.head).get("/actions/areas/").content.decode()
    assert f'href="{_page(case)}"' in heads


def test_every_audit_and_child_on_each_home_page_opens_in_one_click(world: World) -> None:
    case = world.cases["CP One"][0]
    case.practitioner = world.practitioner
    case.save()
    recent = timezone.localdate() - timedelta(days=10)
    audit = submitted_audit(case=case, auditor=world.cal, overall="Inadequate", audit_date=recent)
    audit_link = f'href="{audit.get_absolute_url()}"'
    case_link = f'href="{_page(case)}"'
    for reader in (world.cal, world.head, world.lead, world.practitioner):
        home = signed_in(reader).get("/").content.decode()
        assert audit_link in home, reader.username
        assert case_link in home, reader.username
    # The Head of Service's home leads to the whole queue and the actions of their areas.
    head = signed_in(world.head).get("/").content.decode()
    assert 'href="/assurance/follow-up/"' in head and 'href="/actions/areas/"' in head
    # Figures-only roles see no child at all.
    for role in (Role.PERFORMANCE, Role.ADMINISTRATOR):
        home = signed_in(UserFactory(role=role)).get("/").content.decode()
        assert case.child_id not in home
