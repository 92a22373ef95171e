"""An administrator uploads an Annex A workbook, watches it import, maps a team the file
names, imports again and sees the case in its area; axe on every page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from qpa.accounts.models import Role
from qpa.cases.models import Case
from qpa.organisation.models import Team
from tests.support.annex_a import LIST_6, LIST_8, cin, cla, write_workbook
from tests.support.browser import assert_accessible
from tests.support.factories import PASSWORD, UserFactory, area

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded", "import_worker")]


def test_upload_a_workbook_map_a_team_and_see_the_result(
    page: Page, live_server: Any, tmp_path: Path
) -> None:
    Team.objects.create(name="CIN Team North", service_area=area("children-in-need"))
    UserFactory(username="ada", role=Role.ADMINISTRATOR)
    workbook = write_workbook(
        tmp_path / "annex-a-november.xlsx",
        {
            "List 6": (LIST_6, [cin("J1", "CIN Team North"), cin("J2", "Short Breaks Team")]),
            "List 8": (LIST_8, [cla("J3", "CIN Team North")]),
        },
    )
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Imports").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Imports")
    assert_accessible(page)
    page.get_by_role("button", name="Import an Annex A workbook").click()
    assert_accessible(page)
    page.get_by_role("button", name="Upload and import").click()  # nothing chosen yet
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    assert_accessible(page)
    page.get_by_label("Upload the Annex A workbook").set_input_files(str(workbook))
    page.get_by_role("button", name="Upload and import").click()

    # The progress page reloads itself when the import has finished.
    expect(page.get_by_role("heading", name="Import complete")).to_be_visible(timeout=20_000)
    assert_accessible(page)
    expect(page.get_by_role("cell", name="Short Breaks Team", exact=True)).to_be_visible()
    page.get_by_role("link", name=re.compile("Map Short Breaks Team")).click()
    expect(page.get_by_label("Team name")).to_have_value("Short Breaks Team")
    assert_accessible(page)
    page.get_by_label("Service area").select_option(label="Children with Disabilities")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Short Breaks Team is now in")
    assert_accessible(page)

    page.get_by_role("link", name="Back to imports").click()
    page.get_by_role("button", name="Import an Annex A workbook").click()
    page.get_by_label("Upload the Annex A workbook").set_input_files(str(workbook))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("heading", name="Import complete")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("map to no service area")).to_have_count(0)
    row = page.get_by_role("row", name=re.compile("Children with Disabilities"))
    expect(row).to_be_visible()
    assert_accessible(page)
    assert Case.objects.get(child_id="J2").service_area == area("children-with-disabilities")
