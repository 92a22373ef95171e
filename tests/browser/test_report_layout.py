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


CHARTS = """() => [...document.querySelectorAll('main img[src^="/reports/chart/"]')].map(img => {
  const region = img.closest('[role="region"]');
  // The next region holding a table, with nothing but the ratings key between.
  let next = region && region.nextElementSibling;
  while (next && next.tagName === 'P') next = next.nextElementSibling;
  return {
    alt: img.alt,
    width: img.getBoundingClientRect().width,
    loaded: img.complete && img.naturalWidth > 0,
    region: region ? {
      label: region.getAttribute('aria-label'),
      tabindex: region.getAttribute('tabindex'),
      room: region.clientWidth,
      scrolls: region.scrollWidth > region.clientWidth,
    } : null,
    table: Boolean(next && next.matches('.qpa-table-scroll') && next.querySelector('table')),
  };
})"""


def test_charts_keep_their_text_size_at_320_and_scroll_in_their_own_region(
    browser: Browser, live_server: Any, tmp_path: Path
) -> None:
    load_briefing(tmp_path)
    UserFactory(username="reader", role=Role.PERFORMANCE)
    context = browser.new_context(viewport={"width": 320, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/reports/?from=2009-10&to=2010-02&tool=quality-of-practice")
    page.wait_for_load_state("networkidle")
    charts = page.evaluate(CHARTS)
    assert len(charts) == 6
    labels = set()
    for chart in charts:
        assert chart["loaded"], chart["alt"]
        # Drawn at the width its text was sized for, not shrunk to the phone's 290 px...
        assert chart["width"] >= 560, chart
        # ...inside a keyboard-scrollable region of its own, named, with its table after it.
        region = chart["region"]
        assert region is not None and region["tabindex"] == "0", chart
        assert region["room"] < 320 and region["scrolls"], chart
        assert region["label"] and region["label"] not in labels, chart
        labels.add(region["label"])
        assert chart["table"], chart
    # The page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()
