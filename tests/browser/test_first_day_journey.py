"""A council's first day, as the README's deployment section tells it: an empty database
(migrated, no demo), `qpa create-administrator`, signing in with the second factor
required as in production, setting up the authenticator app, then the checklist on the
home page step by step (the council's name, a team, a person, the first Annex A import,
a sampling plan) to the first cycle drawn. axe on every page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect
from pytest_django.fixtures import Settings

from qpa.accounts.models import Role, User
from qpa.cycles.models import Cycle
from qpa.notifications.models import Notification
from tests.support.annex_a import LIST_7, cp, write_workbook
from tests.support.browser import assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded", "import_worker"),
]

PASSWORD = "copper lantern orchard"  # chosen on the command line below


def _step(page: Page, title: str) -> None:
    """Back home, then the checklist's step `title`."""
    page.get_by_role("link", name="Home", exact=True).click()
    page.get_by_role("link", name=title).click()
    assert_accessible(page)


def _status(page: Page, title: str) -> str:
    item = page.locator(".govuk-task-list__item").filter(has_text=title)
    return item.locator(".govuk-task-list__status").inner_text().strip()


def _nia_chooses_her_password(browser: Browser, link: str) -> None:
    """The emailed link, opened in Nia's own browser: she chooses her password, signs in
    and is asked to set up her authenticator app."""
    context = browser.new_context(viewport={"width": 320, "height": 640})
    nia = context.new_page()
    nia.goto(link)
    expect(nia.get_by_role("heading", level=1)).to_have_text("Choose your password")
    assert_accessible(nia)
    nia.get_by_label("Password", exact=True).fill("river slate wicker")
    nia.get_by_label("Confirm your password").fill("river slate wicker")
    nia.get_by_role("button", name="Save your password").click()
    expect(nia.get_by_role("alert")).to_contain_text("Your password is saved")
    assert_accessible(nia)
    nia.get_by_label("Username").fill("nia.jones")
    nia.get_by_label("Password", exact=True).fill("river slate wicker")
    nia.get_by_role("button", name="Sign in").click()
    expect(nia.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    context.close()
    context = browser.new_context(viewport={"width": 320, "height": 640})
    again = context.new_page()
    again.goto(link)  # the link worked once
    expect(again.get_by_role("heading", level=1)).to_have_text("This link does not work")
    assert_accessible(again)
    context.close()


def test_from_an_empty_database_to_the_first_cycle(
    page: Page,
    browser: Browser,
    live_server: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    settings.QPA_MFA_REQUIRED = True  # as under the production settings
    assert not User.objects.exists()
    monkeypatch.setenv("QPA_ADMIN_PASSWORD", PASSWORD)
    call_command(
        "create-administrator",
        "--username=ada",
        "--name=Ada Lovelace",
        "--email=ada@northshire.example",
    )

    # Sign in, then set up the authenticator app before anything else.
    base = live_server.url
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/sign-in/"))
    assert_accessible(page)
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    assert_accessible(page)
    device = TOTPDevice.objects.get(user__username="ada", confirmed=False)
    page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your authenticator app is set up")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="I have saved my recovery codes").click()

    # The checklist: what QPA ships with is done, the rest to do.
    expect(page.get_by_role("heading", name="Setting up QPA")).to_be_visible()
    expect(page.get_by_text("2 of 8 steps done")).to_be_visible()
    assert _status(page, "Give the council’s name") == "To do"
    assert _status(page, "Check the service areas") == "Done"
    assert_accessible(page)

    # 1. The council's name.
    page.get_by_role("link", name="Give the council’s name").click()
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the council’s name")
    assert_accessible(page)
    page.get_by_label("What is the council’s name?").fill("Northshire County Council")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("banner")).to_contain_text("Northshire County Council")
    assert _status(page, "Give the council’s name") == "Done"
    assert_accessible(page)

    # 2. The service areas, as shipped.
    _step(page, "Check the service areas")
    expect(page.get_by_role("table", name="Service areas")).to_contain_text("Child Protection")

    # 3. A team.
    _step(page, "Add the teams")
    page.get_by_role("button", name="Add a team").click()
    assert_accessible(page)
    page.get_by_label("Team name").fill("Child Protection Team 1")
    page.get_by_label("Service area").select_option(label="Child Protection")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Child Protection Team 1 is now in")
    assert_accessible(page)

    # 4. A person: an auditor, who chooses their own password from an emailed link.
    _step(page, "Add the people")
    page.get_by_role("button", name="Add a person").click()
    assert_accessible(page)
    page.get_by_role("button", name="Add the person").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a username")
    assert_accessible(page)
    page.get_by_label("Username").fill("nia.jones")
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Jones")
    page.get_by_label("Work email address").fill("nia.jones@northshire.example")
    page.get_by_label("Auditor (Senior Team Manager)").check()
    page.get_by_role("button", name="Add the person").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "We have emailed them a link to choose their password"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Nia Jones")
    assert_accessible(page)
    link = Notification.objects.get(
        recipient__username="nia.jones", kind="account.set_password"
    ).url
    _nia_chooses_her_password(browser, f"{base}{link}")
    page.get_by_role("link", name="Back to people").click()
    expect(page.get_by_role("table", name="People")).to_contain_text("Nia Jones")
    assert_accessible(page)

    # 5. The first Annex A import.
    workbook = write_workbook(
        tmp_path / "annex-a.xlsx",
        {"List 7": (LIST_7, [cp(f"N{n:03d}", "Child Protection Team 1") for n in range(1, 9)])},
    )
    _step(page, "Import the open cases from Annex A")
    page.get_by_label("Upload the Annex A workbook").set_input_files(str(workbook))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("heading", name="Import complete")).to_be_visible(timeout=20_000)
    assert_accessible(page)

    # 6. A sampling plan.
    _step(page, "Make the first sampling plan")
    page.get_by_label("Name of the plan").fill("Monthly")
    page.get_by_label("Fixed", exact=False).first.check()
    page.get_by_label("Fixed plans: cases from Child Protection").fill("3")
    page.get_by_role("button", name=re.compile("Save|Create")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Monthly")
    assert_accessible(page)

    page.get_by_role("link", name="Home", exact=True).click()
    assert _status(page, "Import the open cases from Annex A") == "Done"
    assert _status(page, "Make the first sampling plan") == "Done"
    assert _status(page, "Create and draw the first cycle") == "To do"

    # 7. The first cycle, drawn.
    _step(page, "Create and draw the first cycle")
    page.get_by_role("button", name="Create an audit cycle").click()
    page.get_by_label("Monthly audit").check()
    page.get_by_role("button", name="Continue").click()
    month = page.get_by_role("group", name="Which month is the cycle for?")
    month.get_by_label("Month").fill("12")
    month.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Quality of Practice", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Monthly").check()
    page.get_by_role("button", name="Continue").click()
    assert_accessible(page)
    page.get_by_label("Nia Jones, Auditor (Senior Team Manager)").check()
    page.get_by_role("button", name="Continue").click()
    # One auditor: the question itself labels the one box.
    page.locator("input[name='capacity_nia.jones']").fill("3")
    page.get_by_role("button", name="Continue").click()
    when = page.get_by_role("group", name="When are the audits due?")
    when.get_by_label("Day").fill("31")
    when.get_by_label("Month").fill("1")
    when.get_by_label("Year").fill("2027")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before creating the cycle"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Create the cycle").click()
    page.get_by_role("button", name="Draw the sample").click()
    assert_accessible(page)
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draw report")
    assert_accessible(page)
    cycle = Cycle.objects.get()
    assert cycle.drawn_at is not None and cycle.sampled_cases.count() == 3

    # Every step done: the checklist folds away.
    page.get_by_role("link", name="Home", exact=True).click()
    expect(page.get_by_text("QPA is set up: every first-day step is done")).to_be_visible()
    expect(page.get_by_role("heading", name="Setting up QPA")).to_have_count(0)
    assert_accessible(page)
    assert User.objects.get(username="ada").role == Role.ADMINISTRATOR
