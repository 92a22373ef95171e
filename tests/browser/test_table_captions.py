"""At 320 px a wide table scrolls in its own region, but its caption does not: the caption
wraps within the region's visible width and stays in view as the table scrolls, and it
is still the table's caption, so a screen reader names the table by it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from qpa.demo.council import DEMO_PASSWORD, build_demo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]

CAPTIONS = """() => [...document.querySelectorAll('.qpa-table-scroll')].map((box) => {
  const caption = box.querySelector('caption');
  const shown = box.getBoundingClientRect();
  const place = caption.getBoundingClientRect();
  return {
    caption: caption.textContent.trim(),
    scrolls: box.scrollWidth > box.clientWidth,
    inside: place.left >= shown.left - 1 && place.right <= shown.right + 1,
  };
})"""


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*/sign-in/)"))


@pytest.mark.parametrize(
    ("username", "path", "long_caption"),
    [
        ("head.of.service", "/", "Inadequate or critical audits in the last 90 days"),
        ("head.of.service", "/assurance/moderation/", "Agreement by first auditor"),
    ],
)
def test_a_wide_tables_caption_stays_whole_in_view_at_320_px(
    browser: Browser, live_server: Any, username: str, path: str, long_caption: str
) -> None:
    build_demo()
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.set_default_timeout(20_000)
    _sign_in(page, live_server.url, username)
    page.goto(live_server.url + path)

    before = page.evaluate(CAPTIONS)
    page.eval_on_selector_all(
        ".qpa-table-scroll", "boxes => boxes.forEach((b) => b.scrollLeft = b.scrollWidth)"
    )
    scrolled = page.evaluate(CAPTIONS)

    wide = [table for table in before if table["scrolls"]]
    assert long_caption in [table["caption"] for table in wide], before
    assert all(table["inside"] for table in before), before
    assert all(table["inside"] for table in scrolled), scrolled
    for table in wide:
        assert page.get_by_role("table", name=table["caption"], exact=True).count() >= 1
    context.close()
