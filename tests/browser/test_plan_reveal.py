"""The sampling plan shows the questions of the method chosen, and only those."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from qpa.accounts.models import Role
from tests.support.browser import assert_accessible
from tests.support.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]


def test_choosing_a_method_reveals_its_questions_only(page: Page, live_server: Any) -> None:
    UserFactory(username="lena", role=Role.ASSISTANT_DIRECTOR)
    page.goto(f"{live_server.url}/sign-in/?next=/cycles/plans/new/")
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    total = page.get_by_label("Proportional plans: how many cases in total?")
    quota = page.get_by_label("Fixed plans: cases from Child Protection")
    expect(total).to_be_hidden()
    expect(quota).to_be_hidden()
    assert_accessible(page)
    page.get_by_label("A total, split in proportion to each area's open cases").check()
    expect(total).to_be_visible()
    expect(quota).to_be_hidden()
    assert_accessible(page)
    page.get_by_label("A fixed number of cases for each service area").check()
    expect(quota).to_be_visible()
    expect(total).to_be_hidden()
    # A refused form keeps the chosen method's questions in view.
    page.get_by_role("button", name="Save the plan").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a name for the plan.")
    expect(page.get_by_label("Fixed plans: cases from Child Protection")).to_be_visible()
    assert_accessible(page)
