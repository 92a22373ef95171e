"""The quarterly re-audit draw from its page: a preview that changes nothing, a
confirmation that draws exactly what was previewed, a limit on how many re-audits one
person takes with due dates spread over the quarter, service areas by name, and the
directors' summary sent from the page, again with newer figures."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from qpa.accounts.models import Role, User
from qpa.assurance import services
from qpa.assurance.models import ReAudit, ReAuditDraw, ReAuditSummarySend
from qpa.audits.models import Audit
from qpa.notifications.models import Notification
from tests.support.audits import completed, submit
from tests.support.factories import UserFactory, area, submitted_audit
from tests.support.people import signed_in
from tests.support.worlds import World, build_world

# Early in the fourth quarter of 2026: the third has ended and can be drawn.
NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
QUARTER = "2026-Q3"
CHECK = "/assurance/reaudits/draw/check/"
LIST = "/assurance/reaudits/"


@pytest.fixture
def world(db: None) -> Iterator[World]:
    with time_machine.travel(NOW, tick=False):
        world = build_world(per_team=4)
        # Every case of the three teams was rated inadequate in the quarter, by cal.
        for team in ("CP One", "CP Two", "CiC One"):
            for case in world.cases[team]:
                submitted_audit(
                    case=case, auditor=world.cal, overall="Inadequate", audit_date=date(2026, 8, 3)
                )
        yield world


@pytest.fixture
def holly(world: World) -> User:
    """A Head of Service of Children in Care: she may re-audit Child Protection cases."""
    return UserFactory(  # type: ignore[no-any-return]
        username="holly", role=Role.HEAD_OF_SERVICE, areas=[area("children-in-care")]
    )


def _written() -> dict[str, int]:
    return {
        "draws": ReAuditDraw.objects.count(),
        "reaudits": ReAudit.objects.count(),
        "audits": Audit.objects.count(),
        "notifications": Notification.objects.count(),
    }


def _prepare(client: Client, **answers: Any) -> Any:
    data = {"quarter": QUARTER, "share_percent": "100", "capacity": "4", **answers}
    return client.post(LIST, {k: v for k, v in data.items() if v is not None})


def _fingerprint(page: str) -> str:
    return page.split('name="fingerprint" value="', 1)[1].split('"', 1)[0]


def test_the_preview_changes_nothing_until_it_is_confirmed(world: World, holly: User) -> None:
    client = signed_in(world.lead)
    before = _written()
    response = _prepare(client)
    assert (response.status_code, response["Location"]) == (302, CHECK)
    page = client.get(CHECK).content.decode()
    assert _written() == before

    # Service areas by name, with their pool and how many are drawn; never a code.
    assert "Check the re-audit draw of 2026-Q3" in page
    assert "Child Protection" in page and "Children in Care" in page
    assert "child-protection" not in page and "children-in-care:" not in page
    plan = services.reaudit_draw_plan(
        quarter=QUARTER,
        share=1.0,
        capacity=4,
        seed=client.session["assurance:reaudit-draw"]["seed"],
    )
    for row in plan.by_reauditor:
        assert str(row.person) in page
        for day in row.due_dates:
            assert f"{day.day} {day:%B %Y}" in page

    response = client.post(CHECK, {"fingerprint": _fingerprint(page)})
    assert response.status_code == 302
    assert response["Location"] == f"/assurance/reaudits/quarters/{QUARTER}/"
    draw = ReAuditDraw.objects.get()
    drawn = Counter(r.auditor for r in draw.reaudits.all())
    assert drawn == Counter({row.person: row.count for row in plan.by_reauditor})
    assert sorted((r.auditor.pk, r.due_date) for r in draw.reaudits.all()) == sorted(
        (p.auditor.pk, p.due_date) for p in plan.placed
    )
    assert draw.capacity == 4
    # Each re-auditor is told once; the session's answers are gone.
    assert Notification.objects.filter(kind="assurance.reaudit_allocated").count() == 12
    assert client.get(CHECK)["Location"] == LIST


def test_nobody_gets_more_than_the_capacity_and_due_dates_spread_over_the_quarter(
    world: World, holly: User
) -> None:
    draw = services.reaudit_draw(
        acting_user=world.lead, quarter=QUARTER, share=1.0, capacity=4, today=NOW.date()
    )
    per_person: dict[User, list[date]] = {}
    for reaudit in draw.reaudits.select_related("auditor"):
        per_person.setdefault(reaudit.auditor, []).append(reaudit.due_date)
    assert max(len(days) for days in per_person.values()) <= 4
    # Heads of Service of other areas first: holly and harriet are full before auditors.
    assert len(per_person[holly]) == 4 and len(per_person[world.head]) == 4
    assert world.cal not in per_person  # cal audited every case
    last = date(2026, 12, 31)  # the end of the quarter after the one drawn
    for days in per_person.values():
        days.sort()
        assert len(set(days)) == len(days)  # never two on one day
        assert days[-1] == last
        gaps = [(b - a).days for a, b in zip([NOW.date(), *days], days, strict=False)]
        assert max(gaps) - min(gaps) <= 1  # evenly spread


def test_too_little_capacity_is_shown_before_and_refused_at_the_confirmation(
    world: World, holly: User
) -> None:
    client = signed_in(world.lead)
    _prepare(client, capacity="2")
    page = client.get(CHECK).content.decode()
    # Two heads and two independent auditors, two each: 8 of the 12 cases.
    assert "4 of the 12 cases drawn cannot be given to anyone" in page
    assert "Draw the re-audit sample</button>" not in page
    plan = services.reaudit_draw_plan(
        quarter=QUARTER,
        share=1.0,
        capacity=2,
        seed=client.session["assurance:reaudit-draw"]["seed"],
    )
    before = _written()
    response = client.post(CHECK, {"fingerprint": plan.fingerprint})
    assert response.status_code == 400
    assert "Raise the number each person can take" in response.content.decode()
    assert _written() == before


def test_a_pool_that_changed_since_the_preview_draws_nothing(world: World, holly: User) -> None:
    client = signed_in(world.lead)
    _prepare(client)
    fingerprint = _fingerprint(client.get(CHECK).content.decode())
    # Another inadequate audit of the quarter arrives before the button is pressed.
    submitted_audit(
        case=world.cases["CP Two"][0].__class__.objects.create(
            child_id="CPB99", team=world.cp2, service_area=world.cp2.service_area
        ),
        auditor=world.cal,
        overall="Inadequate",
        audit_date=date(2026, 9, 1),
    )
    before = _written()
    response = client.post(CHECK, {"fingerprint": fingerprint})
    assert response.status_code == 400
    assert "changed since the preview" in response.content.decode()
    assert _written() == before
    # The page now previews the new pool; confirming it draws.
    page = response.content.decode()
    assert client.post(CHECK, {"fingerprint": _fingerprint(page)}).status_code == 302
    assert ReAudit.objects.count() == 13


def test_the_answers_can_be_changed_from_the_check_page(world: World, holly: User) -> None:
    client = signed_in(world.lead)
    _prepare(client, capacity="3")
    page = client.get(CHECK).content.decode()
    # One distinct "Change" link per answer, each to its own field.
    for field in ("quarter", "share_percent", "capacity"):
        assert f'?change=1#id_{field}">Change<span class="govuk-visually-hidden">' in page
    form = client.get(LIST + "?change=1").content.decode()
    assert 'name="capacity" value="3"' in form


def test_only_those_who_draw_may_preview_or_send(world: World, holly: User) -> None:
    services.reaudit_draw(acting_user=world.lead, quarter=QUARTER, share=0.5, today=NOW.date())
    for person in (world.amy, UserFactory(username="pam", role=Role.PERFORMANCE)):
        client = signed_in(person)
        assert client.get(CHECK).status_code == 403
        assert client.get(f"/assurance/reaudits/quarters/{QUARTER}/").status_code == 403
        response = client.post(f"/assurance/reaudits/quarters/{QUARTER}/", {"token": uuid.uuid4()})
        assert response.status_code == 403
    assert ReAuditSummarySend.objects.count() == 0


def test_the_draws_table_names_service_areas(world: World, holly: User) -> None:
    services.reaudit_draw(acting_user=world.lead, quarter=QUARTER, share=0.5, today=NOW.date())
    page = signed_in(world.lead).get(LIST).content.decode()
    assert "Child Protection: 4 of 8" in page and "Children in Care: 2 of 4" in page
    assert "child-protection:" not in page


# --- The directors' summary ------------------------------------------------------------


def _send(client: Client) -> Any:
    page = client.get(f"/assurance/reaudits/quarters/{QUARTER}/").content.decode()
    token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
    return token, client.post(f"/assurance/reaudits/quarters/{QUARTER}/", {"token": token})


def _summaries() -> list[Notification]:
    return list(Notification.objects.filter(kind="assurance.reaudit_summary").order_by("id"))


def test_the_summary_is_sent_from_the_page_and_again_with_newer_figures(
    world: World, holly: User
) -> None:
    deputy = UserFactory(username="dee", role=Role.DEPUTY_DIRECTOR)
    draw = services.reaudit_draw(
        acting_user=world.lead, quarter=QUARTER, count=2, capacity=4, today=NOW.date()
    )
    first, second = draw.reaudits.order_by("rank", "pk")
    submit(completed(first.reaudit, overall="Good"))
    client = signed_in(world.head)

    token, response = _send(client)
    assert response.status_code == 302
    sent = _summaries()
    assert sorted(n.recipient.username for n in sent) == ["dee", "lena"]
    for notice in sent:
        assert notice.subject == f"Re-audit summary for {QUARTER}: 1 of 2 done"
        assert "1 drawn" not in notice.body and "2 drawn, 1 completed" in notice.body
        assert "Child Protection" in notice.body or "Children in Care" in notice.body
        assert notice.url == f"/assurance/reaudits/quarters/{QUARTER}/"
        labels = {link["label"]: link for link in notice.links}
        assert set(labels) == {first.original.case.child_id, second.original.case.child_id}
        assert "improved" in labels[first.original.case.child_id]["detail"]
        assert "not done yet" in labels[second.original.case.child_id]["detail"]
        reader = signed_in(notice.recipient)
        for link in notice.links:
            assert reader.get(link["url"]).status_code == 200

    # The same form twice (a double click) sends once.
    client.post(f"/assurance/reaudits/quarters/{QUARTER}/", {"token": token})
    assert len(_summaries()) == 2
    # Pressed again later: sent again, with the figures of the moment.
    _send(client)
    assert len(_summaries()) == 4

    # The last re-audit comes in: the directors get the final figures by themselves.
    submit(completed(second.reaudit, overall="Inadequate"))
    final = _summaries()[4:]
    assert [n.subject for n in final] == [f"Re-audit summary for {QUARTER}: 2 of 2 done"] * 2
    # The command sends no second copy of the same figures.
    call_command("reaudit", "summary", "--quarter", QUARTER)
    assert len(_summaries()) == 6

    page = client.get(f"/assurance/reaudits/quarters/{QUARTER}/").content.decode()
    assert "Every re-audit of 2026-Q3 is done" in page
    assert page.count("Sent from the page by") == 2
    assert "Sent when the last re-audit was submitted" in page
    assert "It goes to 2 directors" in page and deputy.is_active


def test_the_command_still_sends_and_says_when_there_is_nothing_new(
    world: World, holly: User, capsys: Any
) -> None:
    services.reaudit_draw(acting_user=world.lead, quarter=QUARTER, count=1, today=NOW.date())
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        call_command("reaudit", "summary", "--quarter", QUARTER)
        call_command("reaudit", "summary", "--quarter", QUARTER)
    out = capsys.readouterr().out
    assert "Sent the 2026-Q3 re-audit summary to 1 directors." in out
    assert "went already with these figures" in out
    assert len(_summaries()) == 1
