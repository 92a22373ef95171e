"""A Head of Service follows up an inadequate audit in a real browser: from the home page
to a three-month-old audit in two clicks, with no notification to lead the way; an action
given to the team manager the picker chose; the case's page and history; the audit list's
search; the print view; and the queue on a phone. Axe on every page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from qpa.actions.models import Action
from qpa.notifications.models import Notification
from tests.support.browser import assert_accessible, sign_in
from tests.support.factories import PASSWORD, submitted_audit
from tests.support.worlds import build_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


def test_a_head_of_service_reaches_an_old_inadequate_audit_in_two_clicks_and_follows_it_up(
    browser: Browser, live_server: Any
) -> None:
    world = build_world(per_team=2)
    case = world.cases["CP One"][0]
    case.practitioner = world.practitioner
    case.save()
    old = submitted_audit(
        case=case,
        auditor=world.cal,
        overall="Inadequate",
        audit_date=timezone.localdate() - timedelta(days=95),
    )
    # A good audit of the same area, which the queue leaves out.
    submitted_audit(case=world.cases["CP Two"][0], auditor=world.amy, overall="Good")
    assert not Notification.objects.exists()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "harriet", PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Hello,")
        assert_accessible(page)

        # Click 1: the follow-up queue, counted in the navigation.
        page.get_by_role("link", name="Follow-up (1 to act on)").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Inadequate and critical audits in my areas"
        )
        table = page.get_by_role("table", name="Inadequate and critical audits")
        expect(table).to_contain_text(case.child_id)
        expect(table).to_contain_text("None yet")
        expect(table).not_to_contain_text(world.cases["CP Two"][0].child_id)
        assert_accessible(page)

        # Click 2: the audit itself.
        table.get_by_role("link", name=re.compile(f"audit of {case.child_id}")).click()
        expect(page).to_have_url(re.compile(f"/audits/{old.public_id}/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Audit of case {case.child_id}")
        expect(page.get_by_text(str(world.amy)).first).to_be_visible()  # the team manager
        expect(page.get_by_text(str(world.practitioner)).first).to_be_visible()  # the worker
        assert_accessible(page)

        # An action: the picker starts at the case's team manager and can be searched.
        page.get_by_role("link", name="Add an action").click()
        owner = page.get_by_label("Owner")
        expect(owner).to_have_value(str(world.amy.pk))
        assert_accessible(page)
        page.get_by_label("Search for a person by name").fill(world.practitioner.first_name)
        expect(owner).to_have_value(str(world.practitioner.pk))
        page.get_by_label("What needs to be done").fill("Visit the child and record their words.")
        due = timezone.localdate() + timedelta(days=14)
        when = page.get_by_role("group", name="Due date")
        when.get_by_label("Day").fill(str(due.day))
        when.get_by_label("Month").fill(str(due.month))
        when.get_by_label("Year").fill(str(due.year))
        page.get_by_role("button", name="Add the action").click()
        expect(page.get_by_role("alert")).to_contain_text("Action added")
        assert Action.objects.get(audit=old).owner == world.practitioner

        # The queue now shows the action open, and "no action yet" leaves the audit out.
        page.get_by_role("link", name="Follow-up").first.click()
        expect(page.get_by_role("table", name="Inadequate and critical audits")).to_contain_text(
            "Open"
        )
        page.get_by_label("No action yet").check()
        page.get_by_role("button", name="Apply filters").click()
        expect(page.get_by_role("table", name="Inadequate and critical audits")).to_contain_text(
            "No audit matches these filters."
        )
        assert_accessible(page)

        # The child's case page, with its history.
        page.get_by_role("link", name="Cases").click()
        assert_accessible(page)
        page.get_by_role("link", name=case.child_id).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(case.child_id)
        expect(page.get_by_text("Visit the child and record their words.")).to_be_visible()
        assert_accessible(page)

        # The audit list: search by child ID, then print the audit.
        page.get_by_role("link", name="Audits", exact=True).click()
        page.get_by_label("Child ID").fill(case.child_id)
        page.get_by_role("button", name="Apply filters").click()
        expect(page.get_by_text("1 audit", exact=False).first).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name=re.compile(f"audit of {case.child_id}")).click()
        page.get_by_role("link", name="Print this audit").click()
        expect(page.get_by_role("button", name="Print this audit")).to_be_visible()
        assert_accessible(page)
        page.emulate_media(media="print")
        expect(page.locator(".govuk-service-navigation")).to_be_hidden()
        expect(page.get_by_role("button", name="Print this audit")).to_be_hidden()
        expect(page.get_by_text("Evidence and findings").first).to_be_visible()
        page.emulate_media(media="screen")

        # On a phone the queue's table scrolls in its own region, never the page.
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(f"{live_server.url}/assurance/follow-up/")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert_accessible(page)
    finally:
        context.close()
