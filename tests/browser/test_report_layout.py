"""The report page at a laptop's width and a phone's: every table fits its column at
1,280 px; at 320 px the page reflows and only data tables scroll, each in its own region;
axe finds nothing at either width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from qpa.accounts.models import Role
from tests.support.briefing import load_briefing
from tests.support.browser import assert_accessible
from tests.support.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]

MEASURE = """() => ({
  page: document.documentElement.scrollWidth,
  tables: [...document.querySelectorAll('main table')].map(t => ({
    caption: t.caption ? t.caption.textContent.trim() : '',
    width: t.scrollWidth,
    room: t.closest('.qpa-table-scroll') ? t.closest('.qpa-table-scroll').clientWidth : -1,
  })),
})"""


@pytest.mark.parametrize("role", [Role.PERFORMANCE, Role.HEAD_OF_SERVICE])
def test_every_table_fits_at_1280_and_the_page_reflows_at_320(
    browser: Browser, live_server: Any, tmp_path: Path, role: Role
) -> None:
    load_briefing(tmp_path)
    UserFactory(username="reader", role=role)
    for width in (1280, 320):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{live_server.url}/sign-in/")
        page.get_by_label("Username").fill("reader")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/reports/?from=2009-10&to=2010-02&tool=quality-of-practice")
        measured = page.evaluate(MEASURE)
        tables = measured["tables"]
        assert len(tables) >= 8
        # Every table sits in a scrolling region of its own.
        assert all(t["room"] > 0 for t in tables), tables
        if width == 1280:
            too_wide = [t for t in tables if t["width"] > t["room"] + 1]
            assert not too_wide, too_wide
        # The page itself never scrolls sideways.
        assert measured["page"] <= width, measured["page"]
        assert_accessible(page)
        context.close()
