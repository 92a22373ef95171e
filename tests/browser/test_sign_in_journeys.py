"""Each role signs in, reaches a home page that works, and signs out; axe on every page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from qpa.demo.council import SIGN_INS, build_demo
from tests.support.browser import assert_accessible, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]

HOME_HEADINGS = {
    "auditor": "Audits in progress",
    "head.of.service": "Inadequate or critical audits in the last 90 days",
    "assistant.director": "Audits completed this month by service area",
    "deputy.director": "Audits completed this month by service area",
    "performance": "Audits completed this month by service area",
    "practitioner": "Audits of your cases",
    "admin": "Configuration",
}


@pytest.mark.parametrize("username", [s.username for s in SIGN_INS])
def test_each_demo_role_signs_in_reaches_home_and_signs_out(
    page: Page, live_server: Any, username: str
) -> None:
    build_demo()
    sign_in(page, live_server.url, username)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello,")
    expect(page.get_by_text(HOME_HEADINGS[username]).first).to_be_visible()
    expect(page.locator(".qpa-demo-banner")).to_have_count(0)  # tests run without demo mode
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/"))
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/"))


def test_a_wrong_password_shows_the_error_summary(page: Page, live_server: Any) -> None:
    build_demo()
    sign_in(page, live_server.url, "auditor", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    assert_accessible(page)


def test_administrator_edits_a_tool_in_use_and_gets_a_new_version(
    page: Page, live_server: Any
) -> None:
    build_demo()
    sign_in(page, live_server.url, "admin")
    page.get_by_role("link", name="Audit tools").first.click()
    assert_accessible(page)
    page.get_by_role("link", name="Quality of Practice", exact=True).click()
    assert_accessible(page)
    page.get_by_role("link", name="Change Key Decisions").click()
    expect(page.get_by_text("Saving creates a new version")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Prompts").fill("Were key decisions timely, recorded and authorised?")
    page.get_by_role("button", name="Save domain").click()
    expect(page.get_by_role("alert")).to_contain_text("The tool is now at version 2")
    assert_accessible(page)
    page.get_by_role("link", name="Rating scales").first.click()
    assert_accessible(page)
    page.get_by_role("link", name="Quality of practice (briefing)").click()
    assert_accessible(page)


def test_the_accessibility_check_catches_a_violation(page: Page) -> None:
    # Guards the harness itself: a page with an unlabelled image must fail.
    page.set_content(
        '<html lang="en"><head><title>x</title></head><body><img src="x.png"></body></html>'
    )
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page)


def test_home_page_works_on_a_phone(browser: Any, live_server: Any) -> None:
    build_demo()
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    try:
        sign_in(phone, live_server.url, "head.of.service")
        expect(phone.get_by_role("heading", level=1)).to_contain_text("Hello,")
        # The navigation folds behind a Menu button on a narrow screen.
        menu = phone.get_by_role("button", name="Menu")
        expect(menu).to_be_visible()
        menu.click()
        expect(phone.get_by_role("button", name="Sign out")).to_be_visible()
        assert_accessible(phone)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375 + 1, f"the page scrolls sideways ({width}px)"
    finally:
        context.close()
