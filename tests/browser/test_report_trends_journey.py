"""A performance officer compares the briefing's two periods, follows each domain over
twelve months and sets the teams side by side; axe finds nothing on any of the pages."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from qpa.accounts.models import Role
from qpa.reports.services import report_aggregates_refresh
from tests.support.briefing import load_briefing
from tests.support.browser import assert_accessible
from tests.support.factories import (
    PASSWORD,
    CaseFactory,
    TeamFactory,
    UserFactory,
    area,
    submitted_audit,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]


def _team_audits() -> None:
    """Two First Response teams audited in February 2010: one all good, one none."""
    audits = []
    for name, overall in (("Duty Team", "Good"), ("Assessment Team", "Inadequate")):
        team = TeamFactory(name=name, service_area=area("first-response"))
        for _ in range(12):
            case = CaseFactory(team=team)
            audits.append(submitted_audit(case=case, overall=overall, audit_date=date(2010, 2, 3)))
    report_aggregates_refresh(audit_ids=[a.pk for a in audits])


def _charts_load(page: Page, prefix: str) -> None:
    images = page.locator(f"img[src^='{prefix}']")
    assert images.count() >= 1
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
        expect(images.nth(i)).to_have_js_property("complete", True, timeout=30_000)
    widths = page.eval_on_selector_all(
        f"img[src^='{prefix}']", "els => els.map(e => e.complete && e.naturalWidth)"
    )
    assert all(w and w > 100 for w in widths), widths


def test_compare_two_periods_follow_trends_and_set_teams_side_by_side(
    page: Page, live_server: Any, tmp_path: Path
) -> None:
    load_briefing(tmp_path)
    _team_audits()
    UserFactory(username="percy", role=Role.PERFORMANCE)
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill("percy")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/reports/?from=2010-02&to=2010-02&tool=quality-of-practice")

    page.get_by_role("link", name="Compare two periods").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare two periods")
    assert_accessible(page)
    for legend, month, year in (
        ("Period A: first month", "10", "2009"),
        ("Period A: last month", "12", "2009"),
        ("Period B: first month", "2", "2010"),
        ("Period B: last month", "2", "2010"),
    ):
        group = page.get_by_role("group", name=legend)
        group.get_by_label("Month").fill(month)
        group.get_by_label("Year").fill(year)
    page.get_by_role("button", name="Compare the periods").click()
    expect(
        page.get_by_role("heading", name="October to December 2009 against February 2010")
    ).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Share rated good or better"))).to_be_visible()
    assert "b_from_month=2" in page.url  # bookmarkable
    assert_accessible(page)

    page.get_by_role("group", name="Period B: last month").get_by_label("Month").fill("")
    page.get_by_role("button", name="Compare the periods").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Enter the month of the last month of period B"
    )
    assert_accessible(page)
    page.get_by_role("link", name="Enter the month of the last month of period B").click()
    expect(
        page.get_by_role("group", name="Period B: last month").get_by_label("Month")
    ).to_be_focused()

    page.get_by_role("link", name="Trends over twelve months").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trends over twelve months")
    expect(
        page.get_by_role("img", name=re.compile("Line chart of the share of cases audited"))
    ).to_be_attached()
    _charts_load(page, "/reports/trends/chart.svg")
    assert_accessible(page)

    page.get_by_role("link", name="Teams side by side").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Teams side by side")
    beyond = page.locator("p", has_text="Beyond the limits:")
    expect(beyond).to_contain_text("Duty Team (above the")
    expect(beyond).to_contain_text("Assessment Team (below the")
    _charts_load(page, "/reports/teams/funnel.svg")
    assert_accessible(page)
