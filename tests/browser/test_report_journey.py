"""The performance team builds a report, edits a key message and downloads every
export; axe finds nothing on any state of the page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from qpa.accounts.models import Role
from tests.support.briefing import load_briefing
from tests.support.browser import assert_accessible
from tests.support.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]


def test_build_a_report_edit_a_key_message_and_download_each_export(
    page: Page, live_server: Any, tmp_path: Path
) -> None:
    load_briefing(tmp_path)
    UserFactory(username="percy", role=Role.PERFORMANCE)
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill("percy")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Reports").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    assert_accessible(page)

    page.get_by_text("Change the period or filters").click()
    page.get_by_label("From (month)").fill("2009-10")
    page.get_by_label("To (month)").fill("2010-02")
    page.get_by_label("Show 95% confidence intervals (Wilson)").check()
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_text("181 cases audited across Children and Families.")).to_be_visible()
    assert "from=2009-10" in page.url and "to=2010-02" in page.url  # bookmarkable
    overall = page.get_by_role("img", name=re.compile("Bar chart of overall ratings"))
    overall.scroll_into_view_if_needed()
    expect(overall).to_be_visible()
    # Every chart loads (an SVG the CSP blocked would have no size).
    images = page.locator("img[src^='/reports/chart/']")
    for i in range(images.count()):
        expect(images.nth(i)).to_have_js_property("complete", True, timeout=30_000)
    widths = page.eval_on_selector_all(
        "img[src^='/reports/chart/']", "els => els.map(e => e.complete && e.naturalWidth)"
    )
    assert all(w and w > 100 for w in widths), widths
    assert page.locator("img[src^='/reports/chart/']").count() == 6
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Edit the key messages")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the key messages")
    assert_accessible(page)
    box = page.get_by_label("Key messages")
    box.fill(box.input_value() + "\nAudits of leaving care cases rose this quarter.")
    page.get_by_role("button", name="Save the key messages").click()
    expect(page.get_by_role("alert")).to_contain_text("The key messages are saved")
    expect(page.get_by_text("Audits of leaving care cases rose this quarter.")).to_be_visible()
    assert_accessible(page)

    downloads = {}
    for name in ("Excel workbook (.xlsx)", "Figures as CSV", "Figures as JSON"):
        with page.expect_download() as info:
            page.get_by_role("link", name=name).click()
        downloads[name] = tmp_path / info.value.suggested_filename
        info.value.save_as(downloads[name])
    page.get_by_text("Word briefing (.docx)").click()
    page.get_by_label("Lead officer").fill("M. Wheeler")
    assert_accessible(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the Word briefing").click()
    downloads["docx"] = tmp_path / info.value.suggested_filename
    info.value.save_as(downloads["docx"])
    assert downloads["docx"].suffix == ".docx"

    book = load_workbook(downloads["Excel workbook (.xlsx)"])
    assert any("leaving care cases rose" in str(c.value) for c in book["Report"]["A"])
    assert "audits_completed,,,181," in downloads["Figures as CSV"].read_text()
    assert '"audits_completed": 181' in downloads["Figures as JSON"].read_text()
    document = Document(str(downloads["docx"]))
    assert document.tables[0].rows[2].cells[1].text == "M. Wheeler"
    assert any("leaving care cases rose" in p.text for p in document.paragraphs)
