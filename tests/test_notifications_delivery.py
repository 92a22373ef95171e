"""The outbox worker: real email to an SMTP server on localhost, retries with backoff, and
no notification lost when a worker dies between claiming and sending."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from qpa.accounts.models import User
from qpa.notifications.delivery import (
    OutboxPolicy,
    outbox_claim,
    outbox_deliver_due,
    retry_delay,
)
from qpa.notifications.models import EmailStatus, Notification
from qpa.notifications.services import notification_send
from tests.support.factories import UserFactory
from tests.support.mail import SmtpServer, message_text

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _notify(
    recipient: User, subject: str = "Audit rated inadequate", **kwargs: Any
) -> Notification:
    notification = notification_send(
        recipient=recipient,
        kind="audit_inadequate",
        subject=subject,
        body=kwargs.pop("body", "An audit of case C000123 was rated inadequate."),
        **kwargs,
    )
    assert notification is not None
    return notification


@pytest.fixture
def hilda(db: None) -> User:
    return UserFactory(username="hilda", email="hilda@council.example")  # type: ignore[no-any-return]


@pytest.fixture
def manny(db: None) -> User:
    return UserFactory(username="manny", email="manny@council.example")  # type: ignore[no-any-return]


def test_the_worker_delivers_exact_messages_to_the_smtp_server(
    smtp_up: SmtpServer, hilda: User, manny: User, settings: Any
) -> None:
    settings.QPA_SITE_URL = "https://qpa.council.example/"
    routine = _notify(manny, subject="Audit submitted", body="Read the findings.", url="/a/1/")
    urgent = _notify(hilda, subject="Critical audit", body="A child may be at risk.", urgent=True)

    call_command("worker", "--once")

    envelopes = smtp_up.mailbox.envelopes
    assert [e.rcpt_tos for e in envelopes] == [["hilda@council.example"], ["manny@council.example"]]
    assert all(e.mail_from == "qpa@council.example" for e in envelopes)
    first, second = smtp_up.mailbox.messages
    assert first["Subject"] == "Critical audit"
    assert first["To"] == "hilda@council.example"
    assert first["Importance"] == "high"
    assert first["Message-ID"] == f"<{urgent.public_id}@council.example>"
    assert message_text(first) == (
        "A child may be at risk.\n\n"
        "This is urgent. Please acknowledge it in Quality of Practice Audit today.\n\n"
        "Sign in to Quality of Practice Audit and open Notifications to see it.\n"
    )
    assert second["Subject"] == "Audit submitted"
    assert second["Importance"] is None
    assert second["Message-ID"] == f"<{routine.public_id}@council.example>"
    assert message_text(second) == (
        "Read the findings.\n\nOpen it: https://qpa.council.example/a/1/\n"
    )
    for notification in (routine, urgent):
        notification.refresh_from_db()
        assert notification.email_status == EmailStatus.DELIVERED
        assert notification.delivered_at is not None
        assert notification.attempts == 1
        assert notification.claimed_until is None

    call_command("worker", "--once")
    assert len(smtp_up.mailbox.envelopes) == 2


def test_a_rolled_back_notification_is_never_emailed(smtp_up: SmtpServer, hilda: User) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(hilda)
        raise RuntimeError("the audit submission failed")
    assert outbox_deliver_due().handled == 0
    assert smtp_up.mailbox.envelopes == []


def test_retries_with_backoff_while_the_server_is_down_then_delivers_once(
    smtp: SmtpServer, hilda: User
) -> None:
    with time_machine.travel(T0):
        notification = _notify(hilda)
        report = outbox_deliver_due()
        assert (report.sent, report.retrying) == (0, 1)
        notification.refresh_from_db()
        assert notification.email_status == EmailStatus.PENDING
        assert notification.attempts == 1
        assert "ConnectionRefusedError" in notification.last_error
        assert T0 + timedelta(minutes=1) <= notification.next_attempt_at
        assert notification.next_attempt_at < T0 + timedelta(minutes=1, seconds=30)
        assert notification.claimed_until is None
        # Not due again yet: a second run leaves it alone.
        assert outbox_deliver_due().handled == 0

    with time_machine.travel(T0 + timedelta(minutes=2)):
        report = outbox_deliver_due()
        assert report.retrying == 1
        notification.refresh_from_db()
        assert notification.attempts == 2
        # The wait doubles after each failure.
        assert notification.next_attempt_at >= T0 + timedelta(minutes=4)

    smtp.start()
    with time_machine.travel(T0 + timedelta(minutes=5)):
        assert outbox_deliver_due().sent == 1
        assert outbox_deliver_due().handled == 0
    assert len(smtp.mailbox.envelopes) == 1
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.DELIVERED
    assert notification.attempts == 3


def test_the_worker_gives_up_after_the_configured_attempts_and_keeps_the_record(
    smtp: SmtpServer, hilda: User
) -> None:
    with time_machine.travel(T0):
        notification = _notify(hilda)
        call_command("worker", "--once", "--max-attempts", "2")
    with time_machine.travel(T0 + timedelta(minutes=2)):
        call_command("worker", "--once", "--max-attempts", "2")
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.FAILED
    assert notification.attempts == 2
    assert "ConnectionRefusedError" in notification.last_error
    smtp.start()
    with time_machine.travel(T0 + timedelta(days=1)):
        call_command("worker", "--once", "--max-attempts", "2")
    assert smtp.mailbox.envelopes == []
    # The person still has it in the application.
    assert Notification.objects.filter(recipient=hilda, read_at=None).count() == 1
    # Once the mail server is mended, an administrator sends the failed ones again.
    with time_machine.travel(T0 + timedelta(days=1)):
        call_command("worker", "--once", "--max-attempts", "2", "--retry-failed")
    assert [e.rcpt_tos for e in smtp.mailbox.envelopes] == [["hilda@council.example"]]
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.DELIVERED


def test_backoff_doubles_and_stops_growing_at_an_hour() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
    ]
    assert retry_delay(20) == timedelta(hours=1)


def test_a_worker_crash_after_claiming_loses_no_notification(
    smtp_up: SmtpServer, hilda: User
) -> None:
    policy = OutboxPolicy(lease=timedelta(minutes=5))
    with time_machine.travel(T0):
        notification = _notify(hilda)
        # A worker claims the notification and dies before sending: nothing records it.
        _token, claimed = outbox_claim(policy=policy)
        assert [n.pk for n in claimed] == [notification.pk]
    with time_machine.travel(T0 + timedelta(minutes=4)):
        # While the dead worker's lease lasts, nobody else sends it twice.
        assert outbox_deliver_due(policy=policy).handled == 0
        assert smtp_up.mailbox.envelopes == []
    with time_machine.travel(T0 + timedelta(minutes=5, seconds=1)):
        assert outbox_deliver_due(policy=policy).sent == 1
    assert [e.rcpt_tos for e in smtp_up.mailbox.envelopes] == [["hilda@council.example"]]
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.DELIVERED
    assert notification.attempts == 2


def test_a_crash_on_the_last_allowed_attempt_ends_visible_as_failed(
    smtp_up: SmtpServer, hilda: User
) -> None:
    policy = OutboxPolicy(max_attempts=1, lease=timedelta(minutes=5))
    with time_machine.travel(T0):
        notification = _notify(hilda)
        outbox_claim(policy=policy)
    with time_machine.travel(T0 + timedelta(minutes=6)):
        assert outbox_deliver_due(policy=policy).handled == 0
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.FAILED
    assert "stopped" in notification.last_error
    assert smtp_up.mailbox.envelopes == []


def test_claims_never_overlap(smtp_up: SmtpServer, hilda: User) -> None:
    for n in range(3):
        _notify(hilda, subject=f"Message {n}")
    policy = OutboxPolicy(batch_size=2)
    first_token, first = outbox_claim(policy=policy)
    second_token, second = outbox_claim(policy=policy)
    assert len(first) == 2 and len(second) == 1
    assert first_token != second_token
    assert {n.pk for n in first}.isdisjoint({n.pk for n in second})
    assert outbox_claim(policy=policy)[1] == []


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_at_the_same_time_share_the_work_without_overlap() -> None:
    recipient = UserFactory(email="hilda@council.example")
    for n in range(20):
        _notify(recipient, subject=f"Message {n}")
    policy = OutboxPolicy(batch_size=5)
    start = threading.Barrier(4)
    claims: list[list[int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            claims.append([n.pk for n in outbox_claim(policy=policy)[1]])
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    claimed = [pk for claim in claims for pk in claim]
    assert len(claimed) == len(set(claimed)) == 20
    assert Notification.objects.filter(attempts=1).count() == 20


def test_a_recipient_without_email_is_not_mailed(smtp_up: SmtpServer, hilda: User) -> None:
    nobody = UserFactory(email="")
    _notify(nobody)
    later_removed = _notify(hilda)
    User.objects.filter(pk=hilda.pk).update(email="")
    report = outbox_deliver_due()
    assert report.no_address == 1
    assert smtp_up.mailbox.envelopes == []
    later_removed.refresh_from_db()
    assert later_removed.email_status == EmailStatus.NO_ADDRESS
    assert Notification.objects.filter(read_at=None).count() == 2
