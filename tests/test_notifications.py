"""Notifications in the application: the outbox write, dedupe, and the inbox."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client

from qpa.accounts.models import User
from qpa.notifications import services
from qpa.notifications.models import EmailStatus, Notification
from qpa.notifications.services import (
    notification_acknowledge,
    notification_mark_read,
    notification_send,
)
from tests.support.factories import UserFactory
from tests.support.people import Personas, signed_in


def _send(recipient: User, subject: str = "Audit submitted", **kwargs: object) -> Notification:
    notification = notification_send(
        recipient=recipient,
        kind=str(kwargs.pop("kind", "audit_submitted")),
        subject=subject,
        body=str(kwargs.pop("body", "Read the findings.")),
        **kwargs,  # type: ignore[arg-type]
    )
    assert notification is not None
    return notification


# The outbox write


def test_a_notification_is_written_pending_for_email(personas: Personas) -> None:
    notification = _send(personas.head_of_cp, url="/audits/x/", urgent=True)
    stored = Notification.objects.get(pk=notification.pk)
    assert stored.recipient == personas.head_of_cp
    assert stored.email_status == EmailStatus.PENDING
    assert stored.urgent and stored.read_at is None and stored.acknowledged_at is None
    assert stored.attempts == 0 and stored.delivered_at is None


def test_a_rolled_back_event_leaves_no_notification(personas: Personas) -> None:
    class EventFailed(Exception):
        pass

    with pytest.raises(EventFailed), transaction.atomic():
        _send(personas.head_of_cp)
        assert Notification.objects.count() == 1
        raise EventFailed
    assert Notification.objects.count() == 0


def test_a_committed_event_keeps_its_notification(personas: Personas) -> None:
    with transaction.atomic():
        _send(personas.head_of_cp)
    assert Notification.objects.count() == 1


def test_the_same_dedupe_key_notifies_once(personas: Personas) -> None:
    first = notification_send(
        recipient=personas.head_of_cp, kind="k", subject="One", body="", dedupe_key="audit:1"
    )
    second = notification_send(
        recipient=personas.head_of_cp, kind="k", subject="Two", body="", dedupe_key="audit:1"
    )
    other = notification_send(
        recipient=personas.head_of_cp, kind="k", subject="Three", body="", dedupe_key="audit:2"
    )
    assert first is not None and other is not None
    assert second is None
    assert sorted(Notification.objects.values_list("subject", flat=True)) == ["One", "Three"]


def test_notifications_without_a_dedupe_key_are_never_merged(personas: Personas) -> None:
    _send(personas.head_of_cp)
    _send(personas.head_of_cp)
    assert Notification.objects.count() == 2


def test_losing_a_dedupe_race_returns_none_and_keeps_the_callers_transaction(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    _send(personas.head_of_cp, dedupe_key="audit:race")
    checks = iter([False])  # the first look misses the row another transaction just wrote
    real = services._already_sent
    monkeypatch.setattr(services, "_already_sent", lambda key: next(checks, None) or real(key))
    with transaction.atomic():
        lost = notification_send(
            recipient=personas.head_of_cp,
            kind="k",
            subject="Late",
            body="",
            dedupe_key="audit:race",
        )
        assert lost is None
        # The unique constraint refused the insert; the caller's transaction still works.
        _send(personas.auditor, subject="After the race")
    assert list(Notification.objects.order_by("id").values_list("subject", flat=True)) == [
        "Audit submitted",
        "After the race",
    ]


def test_a_recipient_without_email_still_gets_the_in_app_notification(db: None) -> None:
    person = UserFactory(email="")
    notification = _send(person)
    assert notification.email_status == EmailStatus.NO_ADDRESS
    assert Notification.objects.filter(recipient=person).count() == 1


def test_line_breaks_cannot_reach_the_email_subject(personas: Personas) -> None:
    notification = _send(personas.head_of_cp, subject="Critical\r\nBcc: someone@example.org")
    assert notification.subject == "Critical Bcc: someone@example.org"


def test_a_notification_needs_a_subject(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        _send(personas.head_of_cp, subject="  \n ")
    assert not Notification.objects.exists()


# Reading and acknowledging


def test_mark_read_records_the_first_reading_only(personas: Personas) -> None:
    notification = _send(personas.head_of_cp)
    notification_mark_read(acting_user=personas.head_of_cp, notification=notification)
    first = notification.read_at
    assert first is not None
    notification_mark_read(acting_user=personas.head_of_cp, notification=notification)
    assert notification.read_at == first


def test_acknowledging_records_who_and_when_and_marks_read(personas: Personas) -> None:
    notification = _send(personas.head_of_cp, urgent=True)
    notification_acknowledge(acting_user=personas.head_of_cp, notification=notification)
    assert notification.acknowledged_by == personas.head_of_cp
    assert notification.acknowledged_at is not None
    assert notification.read_at is not None
    assert not notification.needs_acknowledgement


def test_only_the_recipient_can_read_or_acknowledge(personas: Personas) -> None:
    notification = _send(personas.head_of_cp, urgent=True)
    with pytest.raises(PermissionDenied):
        notification_mark_read(acting_user=personas.auditor, notification=notification)
    with pytest.raises(PermissionDenied):
        notification_acknowledge(acting_user=personas.auditor, notification=notification)
    notification.refresh_from_db()
    assert notification.read_at is None and notification.acknowledged_at is None


def test_only_urgent_notifications_are_acknowledged(personas: Personas) -> None:
    notification = _send(personas.head_of_cp, urgent=False)
    with pytest.raises(ValidationError):
        notification_acknowledge(acting_user=personas.head_of_cp, notification=notification)


# The inbox


def _inbox(client: Client) -> str:
    response = client.get("/notifications/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_inbox_shows_only_the_persons_own_notifications(personas: Personas) -> None:
    _send(personas.head_of_cp, subject="For Hilda")
    _send(personas.auditor, subject="For Alice")
    body = _inbox(signed_in(personas.head_of_cp))
    assert "For Hilda" in body
    assert "For Alice" not in body


def test_the_inbox_puts_urgent_ones_first_then_newest(personas: Personas) -> None:
    _send(personas.head_of_cp, subject="Oldest")
    _send(personas.head_of_cp, subject="Critical audit", urgent=True)
    _send(personas.head_of_cp, subject="Newest")
    body = _inbox(signed_in(personas.head_of_cp))
    assert body.index("Critical audit") < body.index("Newest") < body.index("Oldest")
    assert "Urgent: acknowledge today" in body
    assert body.count(">Unread</strong>") == 3
    assert "You have 3 unread notifications." in body


def test_the_navigation_counts_unread_notifications_for_everyone(personas: Personas) -> None:
    _send(personas.practitioner)
    _send(personas.practitioner)
    assert "Notifications (2 unread)" in signed_in(personas.practitioner).get("/").content.decode()
    home = signed_in(personas.admin).get("/").content.decode()
    assert 'href="/notifications/"' in home
    assert "unread)" not in home


def test_mark_as_read_from_the_inbox(personas: Personas) -> None:
    notification = _send(personas.head_of_cp, subject="Read me")
    client = signed_in(personas.head_of_cp)
    assert "Mark as read" in _inbox(client)
    response = client.post(f"/notifications/{notification.public_id}/read/", {"page": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    body = _inbox(client)
    assert ">Unread</strong>" not in body
    assert "Marked as read: Read me" in body
    assert "Notifications (" not in body


def test_acknowledge_from_the_inbox_records_the_person(personas: Personas) -> None:
    notification = _send(personas.head_of_cp, subject="Critical audit", urgent=True)
    client = signed_in(personas.head_of_cp)
    response = client.post(f"/notifications/{notification.public_id}/acknowledge/")
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.acknowledged_by == personas.head_of_cp
    body = _inbox(client)
    assert "Urgent: acknowledged" in body
    assert f"Acknowledged by {personas.head_of_cp}" in body
    assert "Acknowledge<span" not in body


def test_another_persons_notification_answers_404_and_stays_unchanged(
    personas: Personas,
) -> None:
    notification = _send(personas.head_of_cp, urgent=True)
    client = signed_in(personas.auditor)
    for action in ("read", "acknowledge"):
        response = client.post(f"/notifications/{notification.public_id}/{action}/")
        assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None and notification.acknowledged_at is None


def test_acknowledging_a_routine_notification_answers_404(personas: Personas) -> None:
    notification = _send(personas.head_of_cp, urgent=False)
    response = signed_in(personas.head_of_cp).post(
        f"/notifications/{notification.public_id}/acknowledge/"
    )
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.acknowledged_at is None


def test_changes_need_a_post_with_a_csrf_token(personas: Personas) -> None:
    notification = _send(personas.head_of_cp, urgent=True)
    client = signed_in(personas.head_of_cp)
    assert client.get(f"/notifications/{notification.public_id}/read/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas.head_of_cp)
    assert strict.post(f"/notifications/{notification.public_id}/acknowledge/").status_code == 403
    notification.refresh_from_db()
    assert notification.read_at is None and notification.acknowledged_at is None


def test_mark_all_as_read_touches_only_the_persons_own(personas: Personas) -> None:
    _send(personas.head_of_cp)
    _send(personas.head_of_cp)
    theirs = _send(personas.auditor)
    response = signed_in(personas.head_of_cp).post("/notifications/read-all/", follow=True)
    assert "Marked 2 notifications as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=personas.head_of_cp, read_at=None).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_pages_long_lists_and_buttons_return_to_the_page(personas: Personas) -> None:
    for n in range(30):
        _send(personas.head_of_cp, subject=f"Message {n:02d}")
    client = signed_in(personas.head_of_cp)
    first = _inbox(client)
    assert "Message 29" in first and "Message 04" not in first
    assert "Page 1 of 2" in first
    second = client.get("/notifications/?page=2").content.decode()
    assert "Message 04" in second and "Message 29" not in second
    oldest = Notification.objects.get(subject="Message 00")
    response = client.post(f"/notifications/{oldest.public_id}/read/", {"page": "2"})
    assert response["Location"] == "/notifications/?page=2"


def test_an_empty_inbox_says_so(personas: Personas) -> None:
    assert "You have no notifications." in _inbox(signed_in(personas.outsider))


def test_urgent_unacknowledged_lists_what_escalation_must_chase(personas: Personas) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from qpa.notifications.selectors import urgent_unacknowledged

    waiting = _send(personas.head_of_cp, subject="Waiting", urgent=True)
    done = _send(personas.head_of_cp, subject="Done", urgent=True)
    _send(personas.head_of_cp, subject="Routine")
    notification_acknowledge(acting_user=personas.head_of_cp, notification=done)
    later = timezone.now() + timedelta(seconds=1)
    assert list(urgent_unacknowledged(created_before=later)) == [waiting]
    assert list(urgent_unacknowledged(created_before=waiting.created_at)) == []
