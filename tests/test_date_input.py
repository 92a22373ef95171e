"""Dates are asked as GOV.UK asks them: a day, a month and a year box under one legend,
with errors that say what to do and mark only the boxes to correct."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from qpa.actions.models import Action
from qpa.audits.models import Audit
from tests.support.audits import completed, started, submit
from tests.support.people import Personas, signed_in
from tests.support.worlds import World


@pytest.fixture
def inadequate(world: World) -> Audit:
    return submit(completed(started(world), overall="Inadequate"))


def _post(world: World, audit: Audit, **parts: str) -> tuple[int, str]:
    data = {"description": "See the child alone.", "owner": str(world.amy.pk)}
    data.update({f"due_date-{part}": value for part, value in parts.items()})
    response = signed_in(world.head).post(f"/actions/audits/{audit.public_id}/new/", data)
    return response.status_code, response.content.decode()


def _box(body: str, name: str) -> str:
    box = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
    assert box is not None, name
    return box[0]


def test_the_due_date_is_asked_as_a_day_a_month_and_a_year(world: World, inadequate: Audit) -> None:
    body = signed_in(world.head).get(f"/actions/audits/{inadequate.public_id}/new/")
    page = body.content.decode()
    assert '<fieldset class="govuk-fieldset" role="group"' in page
    assert (
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Due date</legend>' in page
    )
    for part, label in (("day", "Day"), ("month", "Month"), ("year", "Year")):
        box = _box(page, f"due_date-{part}")
        assert 'inputmode="numeric"' in box
        box_id = re.search(r'id="([^"]+)"', box)
        assert box_id is not None
        assert (
            f'<label class="govuk-label govuk-date-input__label" for="{box_id[1]}">{label}</label>'
            in page
        )
    assert 'type="date"' not in page


def test_a_due_date_given_as_day_month_and_year_is_kept(world: World, inadequate: Audit) -> None:
    due = timezone.localdate() + timedelta(days=20)
    status, _ = _post(
        world, inadequate, day=str(due.day), month=f"{due.month:02}", year=str(due.year)
    )
    assert status == 302
    assert Action.objects.get().due_date == due


def test_a_month_may_be_written_as_its_name(world: World, inadequate: Audit) -> None:
    due = timezone.localdate() + timedelta(days=40)
    month = due.strftime("%B")
    status, _ = _post(world, inadequate, day=str(due.day), month=month[:3], year=str(due.year))
    assert status == 302
    assert Action.objects.get().due_date == due


@pytest.mark.parametrize(
    ("parts", "message", "in_error"),
    [
        ({}, "Enter the due date.", []),
        ({"day": "3", "year": "2027"}, "The due date must include a month.", ["month"]),
        ({"year": "2027"}, "The due date must include a day and month.", ["day", "month"]),
        (
            {"day": "31", "month": "2", "year": "2027"},
            "The due date must be a real date.",
            ["day", "month", "year"],
        ),
        (
            {"day": "3", "month": "13", "year": "2027"},
            "The due date must be a real date.",
            ["day", "month", "year"],
        ),
        ({"day": "3", "month": "12", "year": "27"}, "The year must include 4 numbers.", ["year"]),
    ],
)
def test_a_wrong_due_date_says_what_to_do_and_marks_the_boxes_to_correct(
    world: World, inadequate: Audit, parts: dict[str, str], message: str, in_error: list[str]
) -> None:
    status, body = _post(world, inadequate, **parts)
    assert status == 400
    assert message in body
    assert "This field is required" not in body
    marked = [
        part
        for part in ("day", "month", "year")
        if "govuk-input--error" in _box(body, f"due_date-{part}")
    ]
    assert marked == in_error
    # The error summary links to the first box to correct; the fieldset names the error.
    link = re.search(rf'<a href="#([^"]+)">{re.escape(message)}</a>', body)
    assert link is not None
    first = in_error[0] if in_error else "day"
    assert f'id="{link[1]}"' in _box(body, f"due_date-{first}")
    assert 'aria-describedby="id_due_date_helptext id_due_date_error"' in body
    assert not Action.objects.exists()


def test_the_event_log_searches_by_dates_given_in_boxes_or_in_a_link(personas: Personas) -> None:
    client = signed_in(personas.admin)
    today = timezone.now().date()
    boxes = client.get(
        "/events/",
        {"date_from-day": today.day, "date_from-month": today.month, "date_from-year": today.year},
    ).content.decode()
    assert "There is a problem" not in boxes
    assert f'name="date_from-year" value="{today.year}"' in boxes
    link = client.get("/events/", {"date_from": today.isoformat()}).content.decode()
    assert "There is a problem" not in link
    assert f'name="date_from-day" value="{today.day}"' in link
    wrong = client.get("/events/", {"date_to-day": "30", "date_to-month": "2"}).content.decode()
    assert "The date to search to must include a year." in wrong
