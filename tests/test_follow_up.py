"""Following up inadequate and critical audits: the queue for Heads of Service (their
areas) and directors (the whole service), actions in my areas, and the action owner
picker that starts at the case's team manager."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.actions.models import Action, ActionStatus
from qpa.assurance import services as assurance
from qpa.assurance.models import ReAudit
from qpa.audits.models import Audit, AuditAlert, AuditChange, ChangeKind, Severity
from qpa.core.models import Event
from qpa.notifications.services import notification_acknowledge, notification_send
from tests.support.factories import CaseFactory, UserFactory, rating, submitted_audit
from tests.support.people import signed_in
from tests.support.worlds import World, build_world

QUEUE = "/assurance/follow-up/"
AREA_ACTIONS = "/actions/areas/"


@pytest.fixture
def world(db: None) -> World:
    return build_world(per_team=3)


def _alert(audit: Audit, recipient: User, severity: Severity) -> AuditAlert:
    """The alert a submission sends (qpa.audits.services), made directly."""
    submission = AuditChange.objects.create(
        audit=audit, kind=ChangeKind.SUBMITTED, token=uuid.uuid4(), version=audit.version
    )
    notification = notification_send(
        recipient=recipient,
        kind=f"audits.{severity.value}",
        subject=f"{severity.label} audit of case {audit.case}",
        body="Read the findings and plan the follow-up actions.",
        url=audit.get_absolute_url(),
        urgent=severity == Severity.CRITICAL,
    )
    assert notification is not None
    return AuditAlert.objects.create(
        audit=audit, submission=submission, notification=notification, severity=severity
    )


def _action(audit: Audit, owner: User, *, due: date, done: bool = False) -> Action:
    return Action.objects.create(
        audit=audit,
        description="Hold a strategy discussion.",
        owner=owner,
        due_date=due,
        status=ActionStatus.COMPLETED if done else ActionStatus.OPEN,
        evidence="Held on the 3rd." if done else "",
        completed_at=timezone.now() if done else None,
    )


def _rows(html: str) -> list[str]:
    return re.findall(r'<th scope="row" class="govuk-table__header">(?:<a [^>]*>)?(\w+)', html)


def _queue(world: World) -> dict[str, Audit]:
    today = timezone.localdate()
    cp1, cp2, cic = world.cases["CP One"], world.cases["CP Two"], world.cases["CiC One"]
    made = {
        # Critical, acknowledged by harriet, no action yet.
        "critical": submitted_audit(
            case=cp1[0], auditor=world.cal, overall="Critical", audit_date=today - timedelta(days=5)
        ),
        # Inadequate, an action overdue.
        "overdue": submitted_audit(
            case=cp1[1],
            auditor=world.cal,
            overall="Inadequate",
            audit_date=today - timedelta(days=40),
        ),
        # Inadequate, every action done.
        "done": submitted_audit(
            case=cp2[0],
            auditor=world.amy,
            overall="Inadequate",
            audit_date=today - timedelta(days=90),
        ),
        # Good: not in the queue.
        "good": submitted_audit(case=cp2[1], auditor=world.amy, overall="Good"),
        # Inadequate in Children in Care: not in harriet's areas.
        "elsewhere": submitted_audit(
            case=cic[0],
            auditor=world.amy,
            overall="Inadequate",
            audit_date=today - timedelta(days=9),
        ),
    }
    alert = _alert(made["critical"], world.head, Severity.CRITICAL)
    notification_acknowledge(acting_user=world.head, notification=alert.notification)
    _alert(made["critical"], world.amy, Severity.CRITICAL)
    _action(made["overdue"], world.amy, due=today - timedelta(days=3))
    _action(made["overdue"], world.amy, due=today + timedelta(days=10))
    _action(made["done"], world.bob, due=today - timedelta(days=30), done=True)
    return made


def test_a_head_of_service_follows_up_the_inadequate_and_critical_audits_of_their_areas(
    world: World,
) -> None:
    made = _queue(world)
    page = signed_in(world.head).get(QUEUE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Inadequate and critical audits in my areas" in html
    assert _rows(html) == ["CPA00", "CPA01", "CPB00"]  # newest first
    assert made["good"].case.child_id not in html
    assert made["elsewhere"].case.child_id not in html
    # The alert: who acknowledged it, and when.
    assert f"Acknowledged by {world.head}, {timezone.localdate():%-d %B %Y}" in html
    # The actions: none yet, overdue (1 of 2), all done.
    assert "None yet" in html and "1 of 2" in html and "All done" in html
    assert f'href="/actions/audits/{made["critical"].public_id}/new/"' in html
    # Every audit and every child opens in one click.
    for key in ("critical", "overdue", "done"):
        assert f'href="{made[key].get_absolute_url()}"' in html
        assert f'href="/cases/{made[key].case.public_id}/"' in html
    # Two of the three need harriet now: no action yet, or an action overdue.
    assert "2 audits need you" in html


def test_directors_see_the_whole_service(world: World) -> None:
    made = _queue(world)
    html = signed_in(world.lead).get(QUEUE).content.decode()
    assert "Inadequate and critical audits</h1>" in html
    assert made["elsewhere"].case.child_id in _rows(html)
    deputy = UserFactory(role=Role.DEPUTY_DIRECTOR)
    assert len(_rows(signed_in(deputy).get(QUEUE).content.decode())) == 4


@pytest.mark.parametrize(
    "role", [Role.AUDITOR, Role.PRACTITIONER, Role.PERFORMANCE, Role.ADMINISTRATOR]
)
def test_only_heads_of_service_and_directors_have_the_queue(world: World, role: Role) -> None:
    client = signed_in(UserFactory(role=role))
    assert client.get(QUEUE).status_code == 403
    assert client.get(AREA_ACTIONS).status_code == 403


def test_the_queue_filters_no_action_yet_and_overdue(world: World) -> None:
    _queue(world)
    client = signed_in(world.head)
    assert _rows(client.get(QUEUE, {"show": "no-action"}).content.decode()) == ["CPA00"]
    assert _rows(client.get(QUEUE, {"show": "overdue"}).content.decode()) == ["CPA01"]
    lead = signed_in(world.lead)
    assert _rows(lead.get(QUEUE, {"area": "children-in-care"}).content.decode()) == ["CIC00"]


def test_the_reaudit_column_says_when_it_is_due_and_how_it_came_out(world: World) -> None:
    quarter = assurance.previous_quarter(timezone.localdate())
    first_day, _ = assurance.quarter_bounds(quarter)
    original = submitted_audit(
        case=world.cases["CP One"][2],
        auditor=world.cal,
        overall="Inadequate",
        audit_date=first_day + timedelta(days=3),
    )
    assurance.reaudit_draw(acting_user=world.lead, quarter=quarter, count=1)
    reaudit = ReAudit.objects.get(original=original)
    due = reaudit.due_date
    html = signed_in(world.head).get(QUEUE).content.decode()
    assert f"Due in {due.year}-Q{(due.month - 1) // 3 + 1}" in html
    assert f'href="{reaudit.get_absolute_url()}"' in html
    # Once re-audited: done, with its rating.
    second = reaudit.reaudit
    Audit.objects.filter(pk=second.pk).update(
        status="submitted", overall_rating=rating("Good"), submitted_at=timezone.now()
    )
    html = signed_in(world.head).get(QUEUE).content.decode()
    row = html.split(original.case.child_id, 1)[1].split("</tr>", 1)[0]
    assert "Done" in row and "Good" in row


def test_the_queue_costs_the_same_queries_for_four_rows_or_forty(
    world: World, django_assert_max_num_queries: object
) -> None:
    _queue(world)
    client = signed_in(world.head)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        return len(queries)

    few = count()
    for number in range(36):
        audit = submitted_audit(
            case=CaseFactory(child_id=f"BULK{number:02d}", team=world.cp2),
            auditor=world.cal,
            overall="Critical",
        )
        _alert(audit, world.head, Severity.CRITICAL)
        _action(audit, world.amy, due=timezone.localdate())
    assert count() == few
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        client.get(QUEUE)
    assert Event.objects.filter(action="follow_up.listed").exists()


def test_the_navigation_counts_the_audits_that_need_the_reader(world: World) -> None:
    _queue(world)
    html = signed_in(world.head).get("/").content.decode()
    assert re.search(
        r'href="/assurance/follow-up/"[^>]*>(<strong[^>]*>)?Follow-up \(2 to act on\)', html
    )
    auditor_home = signed_in(world.cal).get("/").content.decode()
    assert "/assurance/follow-up/" not in auditor_home


# --- Actions in my areas -----------------------------------------------------------------


def test_actions_in_my_areas_come_overdue_first_whoever_owns_them(world: World) -> None:
    made = _queue(world)
    today = timezone.localdate()
    elsewhere = _action(made["elsewhere"], world.cal, due=today - timedelta(days=8))
    html = signed_in(world.head).get(AREA_ACTIONS).content.decode()
    assert "Actions in my areas" in html
    overdue = Action.objects.get(audit=made["overdue"], due_date__lt=today)
    later = Action.objects.get(audit=made["overdue"], due_date__gt=today)
    assert html.index(overdue.get_absolute_url()) < html.index(later.get_absolute_url())
    assert elsewhere.get_absolute_url() not in html
    done = Action.objects.get(audit=made["done"])
    assert done.get_absolute_url() not in html  # completed ones are behind a filter
    completed = signed_in(world.head).get(AREA_ACTIONS, {"show": "completed"}).content.decode()
    assert done.get_absolute_url() in completed
    overdue_only = signed_in(world.head).get(AREA_ACTIONS, {"show": "overdue"}).content.decode()
    assert later.get_absolute_url() not in overdue_only
    director = signed_in(world.lead).get(AREA_ACTIONS).content.decode()
    assert "Actions across the service" in director
    # The longest overdue first, across the service.
    assert director.index(elsewhere.get_absolute_url()) < director.index(overdue.get_absolute_url())


# --- The owner picker --------------------------------------------------------------------


def test_the_owner_picker_starts_at_the_team_manager_and_groups_people_by_team(
    world: World,
) -> None:
    made = _queue(world)
    audit = made["overdue"]  # a case of CP One, whose manager is amy
    page = signed_in(world.head).get(f"/actions/audits/{audit.public_id}/new/")
    assert page.status_code == 200
    html = page.content.decode()
    select = html.split('name="owner"', 1)[1].split("</select>", 1)[0]
    groups = re.findall(r'<optgroup label="([^"]+)"', select)
    assert groups[:3] == [
        "CP One (Child Protection)",
        "CP Two (Child Protection)",
        "CiC One (Children in Care)",
    ]
    assert groups[-1] == "Not in a team"
    cp_one = select.split('<optgroup label="CP One (Child Protection)">', 1)[1].split(
        "</optgroup>"
    )[0]
    assert re.search(
        rf'<option value="{world.amy.pk}" selected>{world.amy}, team manager</option>', cp_one
    )
    assert f">{world.practitioner}, Practitioner<" in cp_one
    assert f"{world.amy}, who manages the case" in html
    assert "data-qpa-searchable" in select.split(">", 1)[0] or "data-qpa-searchable" in html
    assert "actions/owner-search.js" in html

    response = signed_in(world.head).post(
        f"/actions/audits/{audit.public_id}/new/",
        {
            "description": "Review the plan with the family.",
            "owner": str(world.practitioner.pk),
            "due_date": (timezone.localdate() + timedelta(days=14)).strftime("%d/%m/%Y"),
        },
    )
    assert response.status_code == 302
    assert Action.objects.filter(audit=audit, owner=world.practitioner).exists()


def test_an_owner_outside_the_list_is_refused(world: World) -> None:
    made = _queue(world)
    stranger = UserFactory(role=Role.PERFORMANCE)
    response = signed_in(world.head).post(
        f"/actions/audits/{made['overdue'].public_id}/new/",
        {
            "description": "Review the plan.",
            "owner": str(stranger.pk),
            "due_date": (timezone.localdate() + timedelta(days=14)).strftime("%d/%m/%Y"),
        },
    )
    assert response.status_code == 400
    assert "Choose who owns the action from the list." in response.content.decode()
