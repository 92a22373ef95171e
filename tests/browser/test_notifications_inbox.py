"""The inbox in a real browser: keyboard and pointer, a phone, and axe on each state."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from qpa.accounts.models import User
from qpa.notifications.models import Notification
from qpa.notifications.services import notification_send
from tests.support.browser import assert_accessible
from tests.support.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


def _people() -> tuple[User, User]:
    hilda = UserFactory(username="hilda", first_name="Hilda", last_name="Head")
    other = UserFactory(username="oscar")
    notification_send(
        recipient=hilda,
        kind="audit_submitted",
        subject="Audit of case C000101 submitted",
        body="The audit rated the case good.",
    )
    notification_send(
        recipient=hilda,
        kind="audit_critical",
        subject="Critical audit of case C000102",
        body="A child may be at risk.\nAcknowledge today and plan the actions.",
        urgent=True,
    )
    notification_send(
        recipient=other, kind="audit_submitted", subject="Someone else's news", body=""
    )
    return hilda, other


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/notifications/")
    expect(page).to_have_url(re.compile(r"/sign-in/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))


def test_acknowledge_and_read_from_the_inbox_with_the_keyboard(
    page: Page, live_server: Any
) -> None:
    hilda, _ = _people()
    _sign_in(page, live_server.url, "hilda")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.get_by_role("link", name="Notifications (2 unread)")).to_be_visible()
    headings = page.get_by_role("heading", level=2)
    expect(headings).to_have_text(
        ["Critical audit of case C000102", "Audit of case C000101 submitted"]
    )
    expect(page.get_by_text("Urgent: acknowledge today")).to_be_visible()
    expect(page.get_by_text("Someone else's news")).to_have_count(0)
    assert_accessible(page)

    acknowledge = page.get_by_role("button", name="Acknowledge Critical audit of case C000102")
    acknowledge.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Acknowledged: Critical audit")
    expect(page.get_by_text("Urgent: acknowledged")).to_be_visible()
    expect(page.get_by_text("Acknowledged by Hilda Head")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications (1 unread)")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Mark as read Audit of case C000101 submitted").click()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(page.get_by_text("Unread", exact=True)).to_have_count(0)
    assert_accessible(page)

    critical = Notification.objects.get(urgent=True)
    assert critical.acknowledged_by == hilda
    assert not Notification.objects.filter(recipient=hilda, read_at=None).exists()


def test_the_inbox_fits_a_phone(page: Page, live_server: Any) -> None:
    _people()
    page.set_viewport_size({"width": 320, "height": 640})
    _sign_in(page, live_server.url, "hilda")
    expect(
        page.get_by_role("button", name="Acknowledge Critical audit of case C000102")
    ).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
