"""What the browser journeys share: axe on the page as it stands, and signing in."""

from __future__ import annotations

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from qpa.demo.council import DEMO_PASSWORD

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

_axe = Axe()


def assert_accessible(page: Page) -> None:
    """Zero axe-core violations at WCAG 2.2 A and AA on the page as it stands."""
    results: Any = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def sign_in(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/sign-in/"))
    assert_accessible(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
