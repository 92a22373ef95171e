"""A cycle from start to finish in a real browser: an Assistant Director creates it through
the question pages, draws and allocates it; an auditor then sees the allocation. axe on
every page and state."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from qpa.cycles.models import Allocation
from tests.support.browser import assert_accessible, sign_in
from tests.support.factories import PASSWORD
from tests.support.worlds import build_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


def _continue(page: Page) -> None:
    page.get_by_role("button", name="Continue").click()
    assert_accessible(page)


def test_create_draw_allocate_and_the_auditor_sees_the_allocation(
    page: Page, live_server: Any
) -> None:
    world = build_world()
    base = live_server.url
    sign_in(page, base, "lena", PASSWORD)
    page.get_by_role("link", name="Audit cycles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit cycles")
    assert_accessible(page)

    page.get_by_role("button", name="Create an audit cycle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What kind of cycle is this?")
    assert_accessible(page)
    _continue(page)  # no answer: the error summary
    expect(page.get_by_role("alert")).to_contain_text("Choose a monthly or a themed audit.")
    expect(page).to_have_title(re.compile(r"^Error: "))
    page.get_by_label("Monthly audit").check()
    _continue(page)
    month = page.get_by_role("group", name="Which month is the cycle for?")
    month.get_by_label("Month").fill("12")
    _continue(page)  # no year: the error names it, and only its box is in error
    expect(page.get_by_role("alert")).to_contain_text("The month of the cycle must include a year.")
    expect(month.get_by_label("Year")).to_have_class(re.compile("govuk-input--error"))
    expect(month.get_by_label("Month")).to_have_value("12")
    assert_accessible(page)
    month.get_by_label("Year").fill("2026")
    _continue(page)
    page.get_by_label("Quality of Practice", exact=True).check()
    _continue(page)
    page.get_by_label("Monthly").check()
    _continue(page)
    for person in (world.amy, world.bob, world.cal):
        page.get_by_label(f"{person}, Auditor (Senior Team Manager)").check()
    _continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "How many cases can each auditor take?"
    )
    for person in (world.amy, world.bob, world.cal):
        page.get_by_label(f"{person}, Auditor (Senior Team Manager)").fill("3")
    _continue(page)
    when = page.get_by_role("group", name="When are the audits due?")
    when.get_by_label("Day").fill("31")
    when.get_by_label("Month").fill("1")
    when.get_by_label("Year").fill("2027")
    _continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before creating the cycle"
    )
    expect(page.get_by_text("December 2026")).to_be_visible()

    page.get_by_role("button", name="Create the cycle").click()
    expect(page.get_by_role("alert")).to_contain_text("Its sample can now be drawn")
    assert_accessible(page)

    page.get_by_role("button", name="Draw the sample").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draw the sample")
    assert_accessible(page)
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draw report")
    expect(page.get_by_role("table", name="Frame and sample by service area")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Sample and allocations").click()
    assert_accessible(page)
    page.get_by_role("button", name="Allocate the sample").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Allocate the sample")
    assert_accessible(page)
    page.get_by_role("button", name="Allocate the sample").click()
    expect(page.get_by_role("alert")).to_contain_text("5 cases allocated to auditors")
    expect(page.get_by_role("table", name="Cases by auditor")).to_be_visible()
    assert_accessible(page)

    # Replace one case: reason, then confirmation.
    page.get_by_role("link", name=re.compile(r"^Replace ")).first.click()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the reason for this change.")
    assert_accessible(page)
    page.get_by_label("Why must this change?").fill("The child has moved to another council")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Are you sure")
    assert_accessible(page)
    page.get_by_role("button", name="Replace the case").click()
    expect(page.get_by_role("table", name="Replaced cases")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()

    mine = list(
        Allocation.objects.filter(auditor=world.cal, status="allocated").values_list(
            "sampled_case__case__child_id", flat=True
        )
    )
    assert mine
    sign_in(page, base, "cal", PASSWORD)
    expect(page.get_by_role("table", name="Allocations due")).to_contain_text(mine[0])
    assert_accessible(page)
    page.get_by_role("link", name="My allocations").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My allocations")
    for child_id in mine:
        expect(page.get_by_role("table", name="Cases allocated to you")).to_contain_text(child_id)
    assert_accessible(page)
