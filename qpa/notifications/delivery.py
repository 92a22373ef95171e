"""The outbox worker's work: claim due notifications, email them, record the outcome.

Delivery is at-least-once. A claim is a lease committed before anything is sent, so a
worker that dies between claiming and recording the outcome leaves a row whose lease
simply runs out; the next run claims it again and sends it. The price is that a worker
dying after the SMTP server accepted a message but before `delivered_at` was written
sends it twice; every email carries a stable Message-ID so mail systems can drop the
repeat. The opposite choice (mark sent, then send) would lose messages, which is worse
for a safeguarding alert.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from qpa.notifications.models import EmailStatus, Notification

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_BATCH_SIZE = 50
FIRST_RETRY_DELAY = timedelta(minutes=1)
LONGEST_RETRY_DELAY = timedelta(hours=1)
# Well inside the lease, so a hung SMTP server cannot outlive the claim.
DEFAULT_SMTP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class OutboxPolicy:
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    lease: timedelta = DEFAULT_LEASE
    batch_size: int = DEFAULT_BATCH_SIZE


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    gave_up: int = 0
    no_address: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.gave_up + self.no_address

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.gave_up += other.gave_up
        self.no_address += other.no_address
        self.errors.extend(other.errors)

    def __str__(self) -> str:
        return (
            f"Sent {self.sent}, retrying {self.retrying}, gave up {self.gave_up}, "
            f"no email address {self.no_address}."
        )


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 1, 2, 4, 8 … minutes after each failed attempt, at most an hour."""
    delay: timedelta = FIRST_RETRY_DELAY * (2 ** max(attempts - 1, 0))
    return min(delay, LONGEST_RETRY_DELAY)


def _due(now: datetime) -> Q:
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    return Q(email_status=EmailStatus.PENDING, next_attempt_at__lte=now) & unclaimed


def outbox_claim(*, policy: OutboxPolicy) -> tuple[uuid.UUID, list[Notification]]:
    """Claim up to a batch of due notifications under one lease token and commit.

    PostgreSQL: FOR UPDATE SKIP LOCKED lets several workers claim side by side without
    waiting on or taking each other's rows. SQLite has no row locks, but our connections
    begin transactions IMMEDIATE, which takes the write lock up front: claims run one
    after another and each sees the previous one's leases.
    """
    token = uuid.uuid4()
    with transaction.atomic():
        now = timezone.now()
        # Rows whose worker died on their last allowed attempt stop here, still visible.
        Notification.objects.filter(
            _due(now), attempts__gte=policy.max_attempts, claimed_until__isnull=False
        ).update(
            email_status=EmailStatus.FAILED,
            claimed_until=None,
            claim_token=None,
            last_error="The worker stopped during the last allowed attempt.",
            updated_at=now,
        )
        due = Notification.objects.filter(_due(now)).order_by("-urgent", "next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[: policy.batch_size])
        Notification.objects.filter(id__in=ids).update(
            claimed_until=now + policy.lease,
            claim_token=token,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    claimed = Notification.objects.filter(id__in=ids, claim_token=token).select_related("recipient")
    return token, list(claimed.order_by("-urgent", "next_attempt_at", "id"))


def _message_id(notification: Notification) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "qpa.localhost"
    return f"<{notification.public_id}@{domain}>"


def _link_line(link: dict[str, str], site: str) -> str:
    """One listed item of an email: its label, its detail, and its address when the
    service's address is known."""
    text = f"- {link.get('label', '')}"
    if link.get("detail"):
        text += f", {link['detail']}"
    if site and link.get("url"):
        text += f": {site}{link['url']}"
    return text


def email_for(notification: Notification) -> EmailMessage:
    """The email a notification becomes. The Message-ID is the same on every attempt."""
    lines = [notification.body.strip()] if notification.body.strip() else []
    site = str(getattr(settings, "QPA_SITE_URL", "")).rstrip("/")
    listed = [_link_line(link, site) for link in notification.links or []]
    if listed:
        lines.append("\n".join(listed))
    if notification.urgent:
        lines.append("This is urgent. Please acknowledge it in Quality of Practice Audit today.")
    if notification.url and site:
        lines.append(f"Open it: {site}{notification.url}")
    else:
        lines.append("Sign in to Quality of Practice Audit and open Notifications to see it.")
    headers = {"Message-ID": _message_id(notification)}
    if notification.urgent:
        headers["Importance"] = "high"
        headers["X-Priority"] = "1"
    return EmailMessage(
        subject=notification.subject,
        body="\n\n".join(lines) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers=headers,
    )


def _send(message: EmailMessage) -> None:
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_SMTP_TIMEOUT_SECONDS
    with get_connection(fail_silently=False, timeout=timeout) as mail:
        mail.send_messages([message])


def outbox_deliver(
    *, token: uuid.UUID, notification: Notification, policy: OutboxPolicy
) -> DeliveryReport:
    """Send one claimed notification and record what happened. Outcomes are written only
    while our lease token still holds the row, so a slow worker cannot undo a newer one."""
    report = DeliveryReport()
    mine = Notification.objects.filter(pk=notification.pk, claim_token=token)
    released = {"claimed_until": None, "claim_token": None}
    if not notification.recipient.email:
        mine.update(email_status=EmailStatus.NO_ADDRESS, updated_at=timezone.now(), **released)
        report.no_address += 1
        return report
    try:
        _send(email_for(notification))
    except Exception as error:  # any failure to send is retried, never fatal
        now = timezone.now()
        detail = f"{type(error).__name__}: {error}"[:2000]
        report.errors.append(detail)
        if notification.attempts >= policy.max_attempts:
            mine.update(
                email_status=EmailStatus.FAILED, last_error=detail, updated_at=now, **released
            )
            report.gave_up += 1
            logger.error("Gave up emailing notification %s: %s", notification.public_id, detail)
        else:
            mine.update(
                next_attempt_at=now + retry_delay(notification.attempts),
                last_error=detail,
                updated_at=now,
                **released,
            )
            report.retrying += 1
            logger.warning("Will retry notification %s: %s", notification.public_id, detail)
        return report
    now = timezone.now()
    # Sent is sent: record it even if our lease ran out meanwhile, to spare a second copy.
    Notification.objects.filter(pk=notification.pk, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.DELIVERED, delivered_at=now, updated_at=now, **released
    )
    report.sent += 1
    return report


@transaction.atomic
def outbox_retry_failed() -> int:
    """Give every email that gave up a fresh set of attempts, due now; returns how many."""
    now = timezone.now()
    return Notification.objects.filter(email_status=EmailStatus.FAILED).update(
        email_status=EmailStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        claimed_until=None,
        claim_token=None,
        updated_at=now,
    )


def outbox_deliver_due(*, policy: OutboxPolicy | None = None) -> DeliveryReport:
    """Deliver everything due now, batch after batch, and say what happened."""
    policy = policy or OutboxPolicy()
    report = DeliveryReport()
    while True:
        token, batch = outbox_claim(policy=policy)
        if not batch:
            return report
        for notification in batch:
            report.add(outbox_deliver(token=token, notification=notification, policy=policy))
        if len(batch) < policy.batch_size:
            return report
