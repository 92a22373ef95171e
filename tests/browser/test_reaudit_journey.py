"""The quarterly re-audit in a real browser: an audit rated inadequate last quarter is
drawn for re-audit by a Head of Service, re-audited by an independent auditor, compared
domain by domain, and the directors are told; axe on every page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from qpa.accounts.models import Role
from qpa.actions.models import Action
from qpa.assurance import services
from qpa.assurance.models import Moderation, ReAudit
from qpa.audits.models import Audit, AuditStatus
from qpa.cycles.services import allocation_audit_start
from qpa.notifications.models import Notification
from tests.support.audits import completed, cp_case, submit
from tests.support.browser import assert_accessible, sign_in
from tests.support.factories import (
    CP_CORE,
    PASSWORD,
    UserFactory,
    allocate,
    rating,
    submitted_audit,
)
from tests.support.worlds import build_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


def test_an_inadequate_audit_is_reaudited_next_quarter_and_the_directors_are_told(
    browser: Browser, live_server: Any
) -> None:
    world = build_world(per_team=1)
    deputy = UserFactory(username="dee", role=Role.DEPUTY_DIRECTOR)
    last_quarter = services.previous_quarter(timezone.localdate())
    first_day, _ = services.quarter_bounds(last_quarter)
    case = cp_case(world)
    original = submitted_audit(
        case=case,
        auditor=world.cal,
        overall="Inadequate",
        tool_slug=CP_CORE,
        audit_date=first_day + timedelta(days=10),
    )
    Action.objects.create(
        audit=original,
        description="Hold a strategy discussion within a week.",
        owner=world.amy,
        due_date=first_day + timedelta(days=20),
    )
    domains = list(original.tool_version.domains.order_by("order"))

    head = browser.new_context().new_page()
    auditor = browser.new_context().new_page()
    director = browser.new_context().new_page()
    try:
        # A Head of Service draws last quarter's re-audit sample from the Assurance page.
        sign_in(head, live_server.url, "harriet", PASSWORD)
        head.get_by_role("link", name="Assurance").click()
        expect(head.get_by_role("heading", level=1)).to_have_text("Assurance")
        assert_accessible(head)
        head.get_by_role("link", name="Quarterly re-audit").click()
        assert_accessible(head)
        expect(head.get_by_label("Quarter")).to_have_value(last_quarter)
        expect(head.get_by_label("The most re-audits one person can take")).to_have_value("4")
        head.get_by_label("Share of each service area").fill("")
        head.get_by_role("button", name="Continue").click()
        expect(head.get_by_role("alert")).to_contain_text("Enter a share or a number of cases.")
        assert_accessible(head)
        head.get_by_label("Share of each service area").fill("100")
        head.get_by_role("button", name="Continue").click()
        # The preview: areas by name, who gets how many and when; nothing drawn yet.
        expect(head.get_by_role("heading", level=1)).to_contain_text("Check the re-audit draw")
        expect(head.get_by_role("table", name="Cases drawn by service area")).to_contain_text(
            "Child Protection"
        )
        expect(head.get_by_role("table", name="Who re-audits them")).to_contain_text(str(world.bob))
        assert_accessible(head)
        assert not ReAudit.objects.exists()
        head.get_by_role("button", name="Draw the re-audit sample").click()
        expect(head.get_by_role("alert")).to_contain_text(f"Re-audit sample of {last_quarter}")
        expect(head.get_by_role("table", name="Each re-audit and its comparison")).to_contain_text(
            case.child_id
        )
        assert_accessible(head)
        # The summary can go to the directors now, before anything is done.
        head.get_by_role("button", name="Send the summary now").click()
        expect(head.get_by_role("alert")).to_contain_text("is sent to 2 directors")
        expect(head.get_by_role("table", name="Summaries sent")).to_contain_text("0 of 1 done")
        assert_accessible(head)
        reaudit = ReAudit.objects.get()
        # harriet holds the area, cal audited it, amy manages its team.
        assert reaudit.auditor == world.bob

        # bob re-audits it with the same tool, from his Assurance page.
        sign_in(auditor, live_server.url, "bob", PASSWORD)
        auditor.get_by_role("link", name="Assurance").click()
        auditor.get_by_role("link", name=f"Re-audit case {case.child_id}").click()
        expect(auditor.get_by_role("heading", level=1)).to_have_text(
            f"Audit of case {case.child_id}"
        )
        assert_accessible(auditor)
        for domain in domains:
            auditor.get_by_role("link", name=domain.name).click()
            auditor.get_by_label("Good", exact=True).check()
            auditor.get_by_label("Evidence and findings").fill(
                f"{domain.name}: strategy discussion held, plan followed."
            )
            auditor.get_by_role("button", name="Save and continue").click()
        auditor.get_by_role("link", name="Overall judgement").click()
        auditor.get_by_label("Good", exact=True).check()
        auditor.get_by_label("Why this rating").fill("The actions were taken and stuck.")
        for question in (
            "Was the child’s lived experience captured?",
            "Was the family’s view captured?",
        ):
            auditor.get_by_role("group", name=question).get_by_label("Yes").check()
        auditor.get_by_role("button", name="Save and continue").click()
        auditor.get_by_role("link", name="Is the child safe now?").click()
        auditor.get_by_label("Yes", exact=True).check()
        auditor.get_by_label("Why do you think so?").fill("Seen last week; the plan holds.")
        auditor.get_by_role("button", name="Save and continue").click()
        auditor.get_by_role("link", name="Check your answers and submit").click()
        assert_accessible(auditor)
        auditor.get_by_role("button", name="Submit the audit").click()
        expect(auditor.get_by_text("Submitted", exact=True)).to_be_visible()
        assert_accessible(auditor)
        assert Audit.objects.get(pk=reaudit.reaudit_id).status == AuditStatus.SUBMITTED

        # The comparison, domain by domain, and the actions agreed on the original.
        auditor.get_by_role("link", name="Compare it with the original audit").click()
        table = auditor.get_by_role("table", name="Comparison with the original audit")
        for domain in domains:
            expect(table.get_by_role("row", name=domain.name)).to_contain_text("Improved")
        expect(table.get_by_role("row", name="Overall")).to_contain_text("Improved")
        expect(auditor.get_by_text("0 of 1 action agreed")).to_be_visible()
        assert_accessible(auditor)

        # Both directors are told; the Assistant Director reads it and opens the page.
        told = Notification.objects.filter(kind="assurance.reaudit_completed")
        assert {n.recipient for n in told} == {world.lead, deputy}
        sign_in(director, live_server.url, "lena", PASSWORD)
        director.goto(f"{live_server.url}/notifications/")
        link = director.get_by_role(
            "link", name=f"Re-audit of case {case.child_id} completed: improved"
        )
        expect(link).to_be_visible()
        assert_accessible(director)
        link.click()
        expect(director.get_by_role("heading", level=1)).to_have_text(
            f"Re-audit of case {case.child_id}"
        )
        assert_accessible(director)
        # The last re-audit of the quarter is in: the summary went again, by itself, with
        # a link to the comparison under the child ID.
        director.goto(f"{live_server.url}/notifications/")
        summary = director.locator("li", has_text=f"Re-audit summary for {last_quarter}: 1 of 1")
        summary.get_by_role("link", name=case.child_id, exact=True).click()
        expect(director.get_by_role("heading", level=1)).to_have_text(
            f"Re-audit of case {case.child_id}"
        )
    finally:
        head.context.close()
        auditor.context.close()
        director.context.close()


def test_the_moderation_pages_are_accessible_in_every_state(
    browser: Browser, live_server: Any
) -> None:
    world = build_world(per_team=1)
    allocation = allocate(world, auditor=world.cal, case=cp_case(world))
    first = allocation_audit_start(acting_user=world.cal, allocation=allocation)
    services.moderation_draw(acting_user=world.lead, cycle=allocation.sampled_case.cycle)
    moderation = Moderation.objects.get()
    page = browser.new_context().new_page()
    manager = browser.new_context().new_page()
    try:
        sign_in(page, live_server.url, "bob", PASSWORD)
        page.goto(f"{live_server.url}{moderation.get_absolute_url()}")
        expect(page.get_by_text("once both are submitted")).to_be_visible()
        assert_accessible(page)

        submit(completed(first, overall="Inadequate"))
        submit(completed(moderation.moderation_audit, overall="Adequate"))
        page.reload()
        rows = services.moderation_pairs(Moderation.objects.get())
        page.get_by_role("button", name="Record the agreed ratings").click()
        expect(page.get_by_role("alert")).to_contain_text("There is a problem")
        assert_accessible(page)
        for row in rows:
            page.get_by_role("group", name=f"Agreed rating: {row.name}").get_by_label(
                "Adequate", exact=True
            ).check()
            page.get_by_label(f"Reason: {row.name}").fill("Agreed at the moderation meeting.")
        page.get_by_role("button", name="Record the agreed ratings").click()
        expect(page.get_by_role("alert")).to_contain_text("Agreed ratings recorded")
        expect(page.get_by_role("table", name="Ratings and agreed ratings")).to_be_visible()
        assert_accessible(page)
        assert Audit.objects.get(pk=first.pk).agreed_overall_rating == rating("Adequate")

        sign_in(manager, live_server.url, "lena", PASSWORD)
        manager.goto(f"{live_server.url}/assurance/moderation/")
        expect(manager.get_by_role("table", name="Agreement by domain")).to_be_visible()
        assert_accessible(manager)
        manager.goto(f"{live_server.url}/assurance/")
        expect(manager.get_by_text("Audits completed by their due date")).to_be_visible()
        assert_accessible(manager)
    finally:
        page.context.close()
        manager.context.close()
