"""Reflow (WCAG 2.2, 1.4.10): at 320 CSS px no page a demo sign-in can reach scrolls
sideways. Only data tables scroll, each inside its own `qpa-table-scroll` region, and
every button stays within reach. Each role walks its navigation and the links on every
page, breadth first, one page of each kind; axe checks every page the walks find (a page
two roles reach at the same address is checked once)."""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import Resolver404, resolve
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from qpa.demo.council import DEMO_PASSWORD, SIGN_INS, build_demo
from tests.support.browser import WCAG_TAGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]

WIDTH = 320
PAGES_PER_ROLE = 60
# Pages of one kind look alike (every audit's page, every case's, a list sorted or
# filtered): one of each suffices, so the walk reaches every kind within its bound.
PAGES_PER_KIND = 1
# Files, printouts and the way out are not pages to read at a phone's width.
SKIPPED = re.compile(
    r"\.(csv|xlsx|docx|pdf|json|zip|txt)$|/(exports?|downloads?|print|sign-out)(/|$)"
    r"|[?&](format|download)=|^/(static|media|api/v1)/"
)

MEASURE = """() => {
  const width = window.innerWidth;
  const inRegion = (el) => el.closest('.qpa-table-scroll') !== null;
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return false;
    const style = getComputedStyle(el);
    // Visually hidden text is clipped to nothing: it cannot widen what a reader sees.
    return style.visibility !== 'hidden' && style.clip === 'auto' && style.clipPath === 'none';
  };
  const name = (el) => {
    const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
    const classes = [...el.classList].join('.');
    return `<${el.tagName.toLowerCase()}${classes ? '.' + classes : ''}> "${text}"`;
  };
  const overflowing = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (inRegion(el) || !shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.right > width + 1) {
      // Name the innermost culprits only, not every ancestor they widen.
      const wide = (c) => shown(c) && c.getBoundingClientRect().right > width + 1;
      if (![...el.children].some(wide)) {
        overflowing.push(`${name(el)} reaches ${Math.round(box.right)} px`);
      }
    }
  }
  const buttons = [...document.querySelectorAll('button, .govuk-button, input[type=submit]')]
    .filter((el) => shown(el) && !inRegion(el))
    .filter((el) => {
      const box = el.getBoundingClientRect();
      return box.right > width + 1 || box.left < 0;
    })
    .map(name);
  const tables = [...document.querySelectorAll('main table')].filter((t) => !inRegion(t)).map(name);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    width,
    overflowing: overflowing.slice(0, 6),
    buttons,
    tables,
  };
}"""


_axe = Axe()


def _axe_report(page: Page) -> str | None:
    """axe-core's WCAG 2.2 A and AA violations on the page, or None. Only violations
    are gathered, which halves axe's time on a long list."""
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results: Any = _axe.run(page, options=options)
    return str(results.generate_report()) if results.violations_count else None


@dataclass
class Walk:
    username: str
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _kind(path: str) -> str:
    """The view a path resolves to: its pages are of one kind."""
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return path


def _links(page: Page, base: str) -> list[str]:
    hrefs: list[Any] = page.eval_on_selector_all(
        "a[href]:not([download])", "links => links.map((a) => a.href)"
    )
    found = []
    for href in hrefs:
        if not isinstance(href, str) or not href.startswith(base + "/"):
            continue  # another site, mailto: and the like
        path = href[len(base) :].split("#", 1)[0]
        if path and not SKIPPED.search(path):
            found.append(path)
    return found


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*/sign-in/)"))


def walk(browser: Browser, base: str, username: str, checked: set[str]) -> Walk:
    """Visits what `username` can reach from home at 320 px, checking each page; axe
    checks the pages not in `checked` (those another role's walk checked already)."""
    result = Walk(username)
    context = browser.new_context(viewport={"width": WIDTH, "height": 640})
    page = context.new_page()
    page.set_default_timeout(20_000)
    _sign_in(page, base, username)
    queue: deque[str] = deque(["/"])
    seen: set[str] = {"/"}
    kinds: Counter[str] = Counter()
    while queue and len(result.visited) < PAGES_PER_ROLE:
        path = queue.popleft()
        kind = _kind(path)
        if kinds[kind] >= PAGES_PER_KIND:
            continue
        kinds[kind] += 1
        try:
            response = page.goto(base + path)
        except PlaywrightError:
            continue  # a download that gave no sign of being one
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        result.visited.append(path)
        where = f"{username} {path}"
        if response.status >= 400:
            result.problems.append(f"{where}: a link leads to an error page ({response.status})")
            continue
        measured: dict[str, Any] = page.evaluate(MEASURE)
        if measured["scrollWidth"] > measured["width"]:
            result.problems.append(
                f"{where}: scrolls sideways ({measured['scrollWidth']} px wide): "
                + "; ".join(measured["overflowing"])
            )
        if measured["buttons"]:
            result.problems.append(f"{where}: buttons out of reach: {measured['buttons']}")
        if measured["tables"]:
            result.problems.append(f"{where}: tables outside a scroll region: {measured['tables']}")
        if path not in checked:
            checked.add(path)
            report = _axe_report(page)
            if report:
                result.problems.append(f"{where}: axe: {report}")
        for link in _links(page, base):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    context.close()
    return result


def test_no_page_a_demo_role_reaches_scrolls_sideways_at_320_px(
    browser: Browser, live_server: Any
) -> None:
    build_demo()
    problems: list[str] = []
    checked: set[str] = set()
    for sign_in in SIGN_INS:
        result = walk(browser, live_server.url, sign_in.username, checked)
        # Every role reaches well beyond its home page, so the walk proves something.
        assert len(result.visited) >= 5, (sign_in.username, result.visited)
        problems.extend(result.problems)
    assert not problems, "\n".join(problems)
