"""The audit in a real browser: done with the keyboard alone, text that survives closing
the page mid-sentence, two browsers saving the same audit, and follow-up actions; axe
on every state."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect

from qpa.actions.models import Action, ActionStatus
from qpa.audits import services
from qpa.audits.models import Audit, AuditStatus, DomainRating
from tests.support.audits import completed, cp_case, started, submit
from tests.support.browser import assert_accessible, sign_in
from tests.support.factories import PASSWORD, allocate
from tests.support.worlds import build_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


def tab_to(page: Page, target: Locator, *, limit: int = 80) -> None:
    """Press Tab until the target has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


def _is_autosave(response: Any) -> bool:
    return response.request.method == "POST" and "/domains/" in response.url


def test_an_audit_is_completed_with_the_keyboard_alone(page: Page, live_server: Any) -> None:
    world = build_world(per_team=1)
    allocation = allocate(world, auditor=world.cal, case=cp_case(world))
    child = allocation.sampled_case.case.child_id
    domains = list(allocation.sampled_case.cycle.tool_version.domains.order_by("order"))

    page.goto(f"{live_server.url}/")
    tab_to(page, page.get_by_label("Username"))
    page.keyboard.type("cal")
    tab_to(page, page.get_by_label("Password", exact=True))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello,")

    tab_to(page, page.get_by_role("button", name=f"Start the audit of {child}"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Audit of case {child}")
    assert_accessible(page)

    for number, domain in enumerate(domains, start=1):
        tab_to(page, page.get_by_role("link", name=domain.name))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(domain.name)
        if number == 1:
            assert_accessible(page)
        # Tab enters a radio group at its first choice; Space chooses it.
        tab_to(page, page.get_by_label("Outstanding", exact=True))
        page.keyboard.press("Space")
        tab_to(page, page.get_by_label("Evidence and findings"))
        page.keyboard.type(f"Keyboard evidence {number}: the child was seen alone.")
        tab_to(page, page.get_by_role("button", name="Save and continue"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Audit of case {child}")
        expect(page.locator(f"#task-{number}-status")).to_have_text("Completed")

    tab_to(page, page.get_by_role("link", name="Overall judgement"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overall judgement")
    tab_to(page, page.get_by_label("Outstanding", exact=True))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("Why this rating"))
    page.keyboard.type("Consistent, child-focused practice.")
    for question in (
        "Was the child’s lived experience captured?",
        "Was the family’s view captured?",
    ):
        tab_to(page, page.get_by_role("group", name=question).get_by_label("Yes"))
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        page.keyboard.type("Recorded in the child's own words.")
    tab_to(page, page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")
    expect(page.locator("#task-0-status")).to_have_text("Completed")

    tab_to(page, page.get_by_role("link", name="Is the child safe now?"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Is the child safe now?")
    tab_to(page, page.get_by_label("Yes", exact=True))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("Why do you think so?"))
    page.keyboard.type("Seen alone last week; the plan is working.")
    tab_to(page, page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")
    expect(page.locator("#task-safety-status")).to_have_text("Completed")

    tab_to(page, page.get_by_role("link", name="Check your answers and submit"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before submitting the audit"
    )
    expect(page.get_by_text("Keyboard evidence 3: the child was seen alone.")).to_be_visible()
    assert_accessible(page)
    tab_to(page, page.get_by_role("button", name="Submit the audit"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Audit submitted. It is now locked.")
    expect(page.get_by_text("Submitted", exact=True)).to_be_visible()
    assert_accessible(page)

    audit = Audit.objects.get(allocation=allocation)
    assert audit.status == AuditStatus.SUBMITTED
    assert audit.family_view_text == "Recorded in the child's own words."
    assert audit.overall_rating is not None and audit.overall_rating.label == "Outstanding"


def test_text_survives_closing_the_page_mid_sentence(page: Page, live_server: Any) -> None:
    world = build_world(per_team=1)
    audit = started(world)
    url = f"{live_server.url}/audits/{audit.public_id}/domains/1/"
    sign_in(page, live_server.url, "cal", PASSWORD)
    page.goto(url)

    # Typing, then a pause: the autosave fires by itself.
    evidence = page.get_by_label("Evidence and findings")
    evidence.click()
    with page.expect_response(_is_autosave) as saved:
        page.keyboard.type("The child told the worker she was frightened of")
    assert saved.value.status == 200
    assert saved.value.request.headers.get("x-qpa-background") == "1"
    expect(page.locator("#autosave-status")).to_contain_text("Saved at")

    # Typing, then leaving the field: it saves at once.
    page.get_by_label("Strengths").click()
    page.keyboard.type("Seen alone on every visit")
    with page.expect_response(_is_autosave) as left:
        page.keyboard.press("Tab")
    assert left.value.json()["status"] == "saved"

    page.close()
    reopened = page.context.new_page()
    reopened.goto(url)
    expect(reopened.get_by_label("Evidence and findings")).to_have_value(
        "The child told the worker she was frightened of"
    )
    expect(reopened.get_by_label("Strengths")).to_have_value("Seen alone on every visit")
    expect(reopened.locator("#autosave-status")).to_contain_text("Last saved at")

    # An incomplete audit cannot be submitted: the error state.
    reopened.goto(f"{live_server.url}/audits/{audit.public_id}/check/")
    reopened.get_by_role("button", name="Submit the audit").click()
    expect(reopened.get_by_role("alert")).to_contain_text("There is a problem")
    expect(reopened).to_have_title(re.compile(r"^Error: "))
    assert_accessible(reopened)


def _first_save_answered_late(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The server commits the first save of a domain, then holds its answer back two
    seconds; the event is set once that save is committed (the server holds version + 1
    from then on, while the page still shows the version before)."""
    saved_first = threading.Event()
    save = services.audit_save_domain

    def slow_answer(**kwargs: Any) -> Audit:
        saved = save(**kwargs)
        if not saved_first.is_set():
            saved_first.set()
            time.sleep(2)
        return saved

    monkeypatch.setattr(services, "audit_save_domain", slow_answer)
    return saved_first


def test_words_typed_while_a_save_is_on_its_way_survive_closing_the_page(
    page: Page, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race autosave.js's last save on pagehide is written for: the page is closed
    after a save has reached the server but before its answer is back. Here the server
    holds that answer back for two seconds, every time."""
    world = build_world(per_team=1)
    audit = started(world)
    url = f"{live_server.url}/audits/{audit.public_id}/domains/1/"
    saved_first = _first_save_answered_late(monkeypatch)
    sign_in(page, live_server.url, "cal", PASSWORD)
    page.goto(url)
    page.get_by_label("Evidence and findings").click()
    page.keyboard.type("Seen alone on 3 March")
    assert saved_first.wait(10)  # the pause after typing sent the first save
    page.keyboard.type(", and again on 10 March.")
    page.close(run_before_unload=True)

    deadline = time.monotonic() + 10
    evidence = ""
    while time.monotonic() < deadline:
        answer = DomainRating.objects.filter(audit=audit).first()
        evidence = answer.evidence if answer else ""
        if evidence.endswith("10 March."):
            break
        time.sleep(0.1)
    assert evidence == "Seen alone on 3 March, and again on 10 March."
    assert Audit.objects.get(pk=audit.pk).version == audit.version + 2


def test_a_double_click_on_save_while_an_autosave_is_on_its_way_saves_once(
    page: Page, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first press waits for the autosave's answer; the second must not go ahead
    with the version on the page, which the autosave has already replaced: the auditor
    would be told they had conflicted with themselves."""
    world = build_world(per_team=1)
    audit = started(world)
    url = f"{live_server.url}/audits/{audit.public_id}/domains/1/"
    saved_first = _first_save_answered_late(monkeypatch)
    sign_in(page, live_server.url, "cal", PASSWORD)
    page.goto(url)
    page.get_by_label("Evidence and findings").click()
    page.keyboard.type("Seen alone on 3 March.")
    assert saved_first.wait(10)
    page.get_by_role("button", name="Save and continue").dblclick()
    page.wait_for_url(lambda address: not address.endswith("/domains/1/"), timeout=10_000)
    expect(page.get_by_text("Your changes were not saved")).to_have_count(0)
    answer = DomainRating.objects.filter(audit=audit).first()
    assert answer is not None and answer.evidence == "Seen alone on 3 March."
    assert Audit.objects.get(pk=audit.pk).version == audit.version + 2


def test_two_browsers_saving_the_same_audit_see_the_conflict(
    browser: Browser, live_server: Any
) -> None:
    world = build_world(per_team=1)
    audit = started(world)
    url = f"{live_server.url}/audits/{audit.public_id}/domains/1/"
    first = browser.new_context().new_page()
    second = browser.new_context().new_page()
    try:
        for page in (first, second):
            sign_in(page, live_server.url, "cal", PASSWORD)
            page.goto(url)

        first.get_by_label("Evidence and findings").fill("Written in the first browser.")
        first.get_by_role("button", name="Save as draft").click()
        expect(first.get_by_role("alert")).to_contain_text("Your draft was saved")

        # The second browser still holds the old version: its autosave is refused...
        second.get_by_label("Evidence and findings").click()
        with second.expect_response(_is_autosave) as refused:
            second.keyboard.type("Written in the second browser.")
        assert refused.value.status == 409
        expect(second.locator("#autosave-status")).to_contain_text("Not saved")
        # ...and its save button shows both versions side by side.
        second.get_by_role("button", name="Save as draft").click()
        expect(second.get_by_role("heading", level=1)).to_contain_text(
            "Compare your text with the saved version"
        )
        table = second.get_by_role("table", name="Your text and the saved version")
        expect(table).to_contain_text("Written in the first browser.")
        expect(table).to_contain_text("Written in the second browser.")
        assert_accessible(second)
        assert DomainRating.objects.get(audit=audit).evidence == "Written in the first browser."
    finally:
        first.context.close()
        second.context.close()


def test_a_head_of_service_plans_actions_and_the_owner_completes_one(
    browser: Browser, live_server: Any
) -> None:
    world = build_world(per_team=1)
    audit = submit(completed(started(world), overall="Critical"))
    head = browser.new_context().new_page()
    owner = browser.new_context().new_page()
    try:
        sign_in(head, live_server.url, "harriet", PASSWORD)
        head.goto(f"{live_server.url}{audit.get_absolute_url()}")
        expect(head.get_by_text("Rated critical")).to_be_visible()
        assert_accessible(head)
        head.get_by_role("link", name="Add an action").click()
        assert_accessible(head)
        head.get_by_role("button", name="Add the action").click()
        expect(head.get_by_role("alert")).to_contain_text("Enter what needs to be done.")
        assert_accessible(head)
        head.get_by_label("What needs to be done").fill("See the child alone this week.")
        head.get_by_label("Owner").select_option(label=f"{world.amy}, team manager")
        due = timezone.localdate() + timedelta(days=7)
        when = head.get_by_role("group", name="Due date")
        when.get_by_label("Day").fill(str(due.day))
        when.get_by_label("Month").fill(str(due.month))
        when.get_by_label("Year").fill(str(due.year))
        head.get_by_role("button", name="Add the action").click()
        expect(head.get_by_role("alert")).to_contain_text("Action added")
        expect(head.get_by_role("table", name="Follow-up actions")).to_contain_text(
            "See the child alone this week."
        )

        sign_in(owner, live_server.url, "amy", PASSWORD)
        owner.get_by_role("link", name="My actions").click()
        expect(owner.get_by_role("heading", level=1)).to_have_text("My actions")
        assert_accessible(owner)
        owner.get_by_role("link", name="See the child alone this week.").click()
        assert_accessible(owner)
        owner.get_by_role("link", name="Complete the action").click()
        owner.get_by_label("Evidence of completion").fill("Seen alone on 2 December.")
        owner.get_by_role("button", name="Complete the action").click()
        expect(owner.get_by_role("alert")).to_contain_text("Action completed.")
        assert_accessible(owner)
        assert Action.objects.get().status == ActionStatus.COMPLETED
    finally:
        head.context.close()
        owner.context.close()
