"""What people are told: one notice per auditor per cycle when cases are allocated, from
every allocation path, in the app and by email through a real SMTP server; a practitioner's
reply told to the auditor and the area's Head of Service; an acknowledged alert shown as
acknowledged, by whom and when, to everyone it went to. Never a word of a moderation to
the first auditor (qpa.audits.blind)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from qpa.assurance.models import Moderation, ModerationDraw
from qpa.audits import services as audit_services
from qpa.audits.models import Audit
from qpa.cycles import services
from qpa.cycles.models import Allocation, Cycle
from qpa.notifications.models import Notification
from tests.support.audits import completed, started, submit
from tests.support.mail import SmtpServer, free_port, message_text
from tests.support.people import signed_in
from tests.support.worlds import World, build_world, monthly_cycle

SITE = "https://qpa.council.example"


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "qpa@council.example"
    settings.QPA_SITE_URL = SITE
    server.start()
    yield server
    server.stop()


def _allocated(world: World) -> Cycle:
    cycle = monthly_cycle(world)
    services.sample_draw(acting_user=world.lead, cycle=cycle)
    services.allocation_create(acting_user=world.lead, cycle=cycle)
    cycle.refresh_from_db()
    return cycle


def _notices(kind: str = "cycles.allocated") -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).order_by("id"))


def _held(cycle: Cycle, auditor: Any) -> list[Allocation]:
    return list(
        Allocation.objects.filter(sampled_case__cycle=cycle, auditor=auditor, status="allocated")
        .select_related("sampled_case__case")
        .order_by("sampled_case__case__child_id")
    )


def test_each_auditor_gets_one_email_listing_their_cases_with_the_due_date(
    world: World, smtp: SmtpServer
) -> None:
    cycle = _allocated(world)
    due = f"{cycle.due_date.day} {cycle.due_date:%B %Y}"
    notices = _notices()
    auditors = {a.auditor for a in Allocation.objects.filter(sampled_case__cycle=cycle)}
    assert sorted(n.recipient.username for n in notices) == sorted(a.username for a in auditors)

    for notice in notices:
        held = _held(cycle, notice.recipient)
        count = len(held)
        assert notice.subject == (
            f"{count} case{'s' if count != 1 else ''} to audit in {cycle.name}, due on {due}"
        )
        assert [link["label"] for link in notice.links] == [
            a.sampled_case.case.child_id for a in held
        ]
        client = signed_in(notice.recipient)
        for link, allocation in zip(notice.links, held, strict=True):
            assert link["url"] == f"/cycles/allocations/{allocation.public_id}/start/"
            assert link["detail"].endswith(f"due {due}")
            assert client.get(link["url"]).status_code == 200
        inbox = client.get("/notifications/").content.decode()
        for allocation in held:
            url = f"/cycles/allocations/{allocation.public_id}/start/"
            assert (
                f'<a class="govuk-link" href="{url}">{allocation.sampled_case.case.child_id}</a>'
                in inbox
            )

    call_command("worker", "--once")
    messages = smtp.mailbox.messages
    assert sorted(m["To"] for m in messages) == sorted(a.email for a in auditors)
    for message in messages:
        notice = next(n for n in notices if n.recipient.email == message["To"])
        assert message["Subject"] == notice.subject
        text = message_text(message)
        for allocation in _held(cycle, notice.recipient):
            assert f"- {allocation.sampled_case.case.child_id}, " in text
            assert f"{SITE}/cycles/allocations/{allocation.public_id}/start/" in text


def test_no_auditor_is_told_twice_of_the_same_allocation(world: World) -> None:
    cycle = _allocated(world)
    before = len(_notices())
    allocations = list(Allocation.objects.filter(sampled_case__cycle=cycle))
    assert (
        services.allocation_notices_send(
            cycle=cycle, allocations=allocations, occasion="allocation"
        )
        == 0
    )
    with pytest.raises(ValidationError, match="already allocated"):
        services.allocation_create(acting_user=world.lead, cycle=cycle)
    assert len(_notices()) == before


def test_a_reallocation_tells_the_new_auditor_and_the_previous_one_without_the_reason(
    world: World,
) -> None:
    cycle = _allocated(world)
    allocation = next(
        a
        for a in Allocation.objects.filter(sampled_case__cycle=cycle).select_related(
            "sampled_case__case", "auditor"
        )
        if services.reallocation_candidates(a)
    )
    previous = allocation.auditor
    to = services.reallocation_candidates(allocation)[0]
    Notification.objects.all().delete()
    response = signed_in(world.lead).post(
        f"/cycles/allocations/{allocation.public_id}/reallocate/",
        {"auditor": to.username, "reason": "Off sick until March; moderation pending"},
    )
    assert response.status_code == 302

    (told,) = _notices()
    assert told.recipient == to
    assert told.subject.startswith("1 case to audit in")
    assert [link["label"] for link in told.links] == [allocation.sampled_case.case.child_id]
    (withdrawn,) = _notices("cycles.withdrawn")
    assert withdrawn.recipient == previous
    assert allocation.sampled_case.case.child_id in withdrawn.subject
    for notice in (told, withdrawn):
        assert "sick" not in notice.body and "moderat" not in notice.body.lower()


def test_a_replacement_tells_its_auditor_once(world: World) -> None:
    cycle = _allocated(world)
    target = Allocation.objects.filter(sampled_case__cycle=cycle).select_related(
        "sampled_case__case", "auditor"
    )[0]
    Notification.objects.all().delete()
    replacement = services.sample_replace(
        acting_user=world.lead, sampled_case=target.sampled_case, reason="Closed last week"
    )
    placed = Allocation.objects.get(sampled_case=replacement)
    notices = _notices()
    assert [n.recipient for n in notices] == [placed.auditor]
    assert [link["label"] for link in notices[0].links] == [replacement.case.child_id]
    if placed.auditor == target.auditor:
        assert f"Case {target.sampled_case.case} was replaced" in notices[0].body
        assert _notices("cycles.withdrawn") == []
    else:
        assert [n.recipient for n in _notices("cycles.withdrawn")] == [target.auditor]


def test_a_hand_picked_case_tells_its_auditor(world: World) -> None:
    cycle = _allocated(world)
    services.cycle_hand_picking_set(
        acting_user=world.admin, cycle=cycle, allowed=True, reason="A theme needs this case."
    )
    taken = set(cycle.sampled_cases.values_list("case__child_id", flat=True))
    case = next(c for c in world.cases["CP Two"] if c.child_id not in taken)
    Notification.objects.all().delete()
    picked = services.sample_hand_pick(
        acting_user=world.lead, cycle=cycle, child_id=case.child_id, reason="Asked by the AD"
    )
    (notice,) = _notices()
    assert notice.recipient == picked.allocation.auditor
    assert [link["label"] for link in notice.links] == [case.child_id]
    assert "Asked by the AD" not in notice.body


# --- Replies -----------------------------------------------------------------------------


def _reply(world: World, audit: Audit, text: str = "The plan was updated after the audit.") -> None:
    response = signed_in(world.practitioner).post(
        f"/audits/{audit.public_id}/reply/", {"text": text}
    )
    assert response.status_code == 302


def test_a_reply_tells_the_auditor_and_the_areas_head_of_service(world: World) -> None:
    audit = submit(completed(started(world)))
    Notification.objects.all().delete()
    _reply(world, audit)
    told = _notices("audits.replied")
    assert sorted(n.recipient.username for n in told) == ["cal", "harriet"]
    for notice in told:
        assert notice.url == audit.get_absolute_url()
        assert str(world.practitioner) in notice.subject and str(audit.case) in notice.subject
        assert "updated after the audit" not in notice.body  # the reply is read on the audit
        assert signed_in(notice.recipient).get(notice.url).status_code == 200


@override_settings(QPA_HEADS_OF_SERVICE_INDEPENDENT=False)
def test_a_reply_never_tells_the_moderator_of_an_open_moderation(world: World) -> None:
    audit = submit(completed(started(world)))
    now = timezone.now()
    draw = ModerationDraw.objects.create(
        cycle=audit.allocation.sampled_case.cycle,  # type: ignore[union-attr]
        share=0.1,
        seed="5eed" * 16,
        frame_size=1,
        drawn_at=now,
    )
    Moderation.objects.create(
        draw=draw,
        allocation=audit.allocation,
        moderator=world.head,
        moderation_audit=Audit.objects.create(
            case=audit.case, tool_version=audit.tool_version, auditor=world.head
        ),
        rank=1,
    )
    Notification.objects.all().delete()
    _reply(world, audit)
    told = _notices("audits.replied")
    assert [n.recipient for n in told] == [world.cal]
    assert "moderat" not in (told[0].subject + told[0].body).lower()


# --- Acknowledging an alert ---------------------------------------------------------------


def test_one_acknowledgement_answers_for_everyone_the_alert_went_to(world: World) -> None:
    t0 = timezone.now().replace(hour=9, minute=0)
    with time_machine.travel(t0, tick=False):
        audit = submit(completed(started(world), overall="Critical"))
        alerts = {n.recipient.username: n for n in _notices("audits.critical")}
        assert set(alerts) == {"amy", "harriet"}
        amy = signed_in(world.amy)
        assert "Urgent: acknowledge today" in amy.get("/notifications/").content.decode()

        response = signed_in(world.head).post(
            f"/notifications/{alerts['harriet'].public_id}/acknowledge/"
        )
        assert response.status_code == 302

        inbox = amy.get("/notifications/").content.decode()
        assert "Urgent: acknowledge today" not in inbox
        assert "Acknowledge<span" not in inbox
        when = timezone.localtime(t0)
        assert f"Acknowledged by {world.head} on" in inbox
        assert f"{when.day} {when:%B %Y}, {when:%H:%M}" in inbox
        assert "for everyone this alert went to" in inbox

    with time_machine.travel(t0 + timedelta(days=1), tick=False):
        assert audit_services.critical_alerts_escalate() == 0
    assert not Notification.objects.filter(url=audit.get_absolute_url(), kind__endswith="escalated")


def test_alerts_of_different_audits_are_acknowledged_apart(world: World) -> None:
    first = submit(completed(started(world), overall="Critical"))
    second = submit(completed(started(world), overall="Critical"))
    mine = Notification.objects.get(
        kind="audits.critical", audit_alert__audit=first, recipient=world.head
    )
    signed_in(world.head).post(f"/notifications/{mine.public_id}/acknowledge/")
    waiting = Notification.objects.filter(kind="audits.critical", audit_alert__audit=second)
    assert all(n.needs_acknowledgement for n in waiting)


def test_email_lists_the_links_only_with_the_sites_address(world: World, settings: Any) -> None:
    from qpa.notifications.delivery import email_for

    settings.QPA_SITE_URL = ""
    _allocated(world)
    notice = _notices()[0]
    body = email_for(notice).body
    assert re.search(r"^- \S+, [A-Za-z ]+, due ", body, re.MULTILINE)
    assert "/cycles/allocations/" not in body
