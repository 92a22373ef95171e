"""The case beside the audit and "Is the child safe now?" in a real browser: the auditor
opens the case panel (bank holidays counted in its flags), answers "Not sure", and the
Head of Service finds the urgent alert in their inbox and acknowledges it; on a desk
and on a phone, axe on every state."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from qpa.audits.models import AuditAlert, Severity
from qpa.notifications.models import Notification
from tests.support.audits import started
from tests.support.browser import assert_accessible, sign_in
from tests.support.factories import PASSWORD
from tests.support.worlds import build_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


def _case_with_facts(case: Any) -> None:
    case.date_of_birth = date(2016, 5, 1)
    case.gender = "b) Female"
    case.has_disability = False
    case.attributes = {
        "list_5": {"s47_start_date": "2025-12-17", "icpc_date": "2026-01-14"},
        "list_7": {"cp_plan_start_date": "2026-01-14", "previous_cp_plans": 1},
    }
    case.save()


def test_an_auditor_answers_not_sure_and_the_head_of_service_is_alerted(
    browser: Browser, live_server: Any
) -> None:
    world = build_world(per_team=1)
    audit = started(world)
    _case_with_facts(audit.case)
    child = audit.case.child_id

    auditor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(auditor, live_server.url, "cal", PASSWORD)
    auditor.goto(f"{live_server.url}/audits/{audit.public_id}/domains/1/")
    expect(auditor.get_by_role("heading", level=1)).to_have_text("Strategy discussion")

    # The panel, opened: the child's age (no date of birth) and the flags of this domain.
    panel = auditor.locator("#case-facts")
    auditor.get_by_text("The case: what QPA holds about the child").click()
    expect(panel).to_have_attribute("open", "")
    today = timezone.localdate()
    age = today.year - 2016 - ((today.month, today.day) < (5, 1))
    expect(panel.get_by_text(f"{age} years", exact=True)).to_be_visible()
    expect(panel.get_by_text("Female", exact=True)).to_be_visible()
    expect(
        panel.get_by_text(
            "Initial conference more than 15 working days after the strategy discussion."
        )
    ).to_be_visible()
    # Christmas, Boxing Day and New Year's Day are not working days: 17 of them.
    expect(panel.get_by_text("conference 14 January 2026: 17 working days.")).to_be_visible()
    expect(
        panel.get_by_text("The facts inform; the judgement stays the auditor’s.")
    ).to_be_visible()
    assert "1 May 2016" not in auditor.content()
    assert_accessible(auditor)

    # "Is the child safe now?" — not sure.
    auditor.get_by_role("link", name="Back to the task list").click()
    auditor.get_by_role("link", name="Is the child safe now?").click()
    expect(auditor.get_by_role("heading", level=1)).to_have_text("Is the child safe now?")
    assert_accessible(auditor)
    auditor.get_by_label("Not sure", exact=True).check()
    auditor.get_by_label("Why do you think so?").fill(
        "No visit recorded since the conference; the plan's actions are not followed up."
    )
    auditor.get_by_role("button", name="Save and continue").click()
    expect(auditor.get_by_role("heading", level=1)).to_have_text(f"Audit of case {child}")
    banner = auditor.get_by_role("region", name="Safeguarding concern")
    expect(banner).to_contain_text("The auditor answered “Not sure” to “Is the child safe now?”.")
    expect(banner).to_contain_text(f"Urgent alert to {world.head}")
    expect(banner).to_contain_text("not acknowledged yet")
    expect(auditor.locator("#task-safety-status")).to_have_text("Completed")
    assert_accessible(auditor)

    # The Head of Service finds it in their inbox, opens the audit and acknowledges.
    head = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(head, live_server.url, "harriet", PASSWORD)
    head.goto(f"{live_server.url}/notifications/")
    subject = f"Safeguarding concern from the audit of case {child}: act today"
    expect(head.get_by_role("heading", level=2, name=subject)).to_be_visible()
    expect(head.get_by_text("Urgent: acknowledge today")).to_be_visible()
    assert_accessible(head)
    head.get_by_role("button", name=f"Acknowledge {subject}").click()
    expect(head.get_by_role("alert")).to_contain_text("Acknowledged")
    assert_accessible(head)
    head.goto(f"{live_server.url}/audits/{audit.public_id}/")
    expect(head.get_by_role("region", name="Safeguarding concern")).to_contain_text(
        re.compile(rf"Urgent alert to {world.head} on .*: acknowledged by .* on ")
    )
    expect(
        head.get_by_text(
            "No visit recorded since the conference; the plan's actions are not followed up."
        )
    ).to_be_visible()
    assert_accessible(head)

    alerts = AuditAlert.objects.filter(audit=audit, severity=Severity.SAFEGUARDING)
    assert {a.notification.recipient.username for a in alerts} == {"amy", "harriet"}
    alert = Notification.objects.get(recipient=world.head, kind="audits.safeguarding")
    assert alert.acknowledged_at is not None


def test_on_a_phone_the_panel_stacks_above_the_form(page: Page, live_server: Any) -> None:
    world = build_world(per_team=1)
    audit = started(world)
    _case_with_facts(audit.case)
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, live_server.url, "cal", PASSWORD)
    for path in ("domains/1/", "safety/", "overall/", "tasks/", "check/"):
        page.goto(f"{live_server.url}/audits/{audit.public_id}/{path}")
        page.get_by_text("The case: what QPA holds about the child").click()
        panel = page.locator("#case-facts").bounding_box()
        form = page.locator("main form, main .govuk-task-list").first.bounding_box()
        assert panel is not None and form is not None
        assert panel["y"] + panel["height"] <= form["y"], path
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        assert_accessible(page)
