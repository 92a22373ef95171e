"""When the database cannot be reached, people get a clear page, not a stack trace."""

from __future__ import annotations

import pytest
from django.db.utils import OperationalError
from django.test import Client

from qpa.home import views as core_views
from tests.support.people import Personas


def _refused(*args: object, **kwargs: object) -> None:
    raise OperationalError("connection to server at 127.0.0.1 port 5432 failed: refused")


def test_an_unreachable_database_answers_503_with_a_page_that_needs_no_database(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(personas.head_of_cp)
    monkeypatch.setattr(core_views, "audits_visible_to", _refused)
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    body = response.content.decode()
    assert "Sorry, the service is unavailable" in body
    assert "Everything you saved before this message is kept" in body
    assert "Traceback" not in body and "OperationalError" not in body


def test_autosave_gets_a_json_503_it_can_tell_the_person_about(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(personas.head_of_cp)
    monkeypatch.setattr(core_views, "audits_visible_to", _refused)
    response = client.get("/", HTTP_ACCEPT="application/json", HTTP_X_QPA_BACKGROUND="1")
    assert response.status_code == 503
    assert "cannot reach its database" in response.json()["error"]


def test_any_other_error_is_a_plain_500_page(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    client = Client(raise_request_exception=False)
    client.force_login(personas.head_of_cp)
    monkeypatch.setattr(core_views, "audits_visible_to", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()
