"""What QPA says of an uploaded file names the file the person chose, never the copy it
reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qpa.accounts.models import Role
from qpa.cases.imports import import_runs_work, upload_write
from qpa.cases.models import ImportRun, ImportStatus
from tests.support.factories import UserFactory
from tests.support.people import signed_in

pytestmark = pytest.mark.django_db

TEXT = b"Child Unique ID,Gender\nC1,Male\n"


@pytest.fixture
def client() -> Client:
    return signed_in(UserFactory(role=Role.ADMINISTRATOR))


def _refused(client: Client, url: str, name: str) -> ImportRun:
    response = client.post(url, {"file": SimpleUploadedFile(name, TEXT)})
    assert response.status_code == 302
    import_runs_work()
    run = ImportRun.objects.latest("created_at")
    if run.status == ImportStatus.AWAITING_MAPPING:  # a case list is read for its columns
        client.get(f"/cases/imports/{run.public_id}/mapping/")
        run.refresh_from_db()
    assert run.status == ImportStatus.REJECTED
    return run


@pytest.mark.parametrize(
    "url", ["/cases/imports/annex-a/", "/cases/imports/case-list/", "/audits/imports/past-audits/"]
)
def test_a_text_file_named_xlsx_is_refused_by_its_own_name(client: Client, url: str) -> None:
    run = _refused(client, url, "notreally.xlsx")

    assert run.message.startswith("notreally.xlsx is a text (CSV) file"), run.message
    assert "upload.xlsx" not in run.message
    assert (
        "notreally.xlsx is a text (CSV) file" in client.get(run.get_absolute_url()).content.decode()
    )


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("Annex A March.XLSX", "Annex A March.XLSX"),
        ("\u00e9" * 200 + ".xlsx", "upload.xlsx"),  # more bytes than a file name may hold
        ("..", "upload.bin"),
        ("", "upload.bin"),
        ("nul\x00.csv", "upload.csv"),
    ],
)
def test_an_upload_is_read_under_its_own_name_where_the_file_system_allows(
    tmp_path: Path, name: str, written: str
) -> None:
    path = upload_write(tmp_path, file_name=name, content=TEXT)

    assert path.parent == tmp_path and path.name == written
    assert path.read_bytes() == TEXT


@pytest.mark.parametrize(
    "url", ["/cases/imports/annex-a/", "/cases/imports/case-list/", "/audits/imports/past-audits/"]
)
def test_a_text_file_named_xlsx_is_told_what_each_import_takes(client: Client, url: str) -> None:
    message = _refused(client, url, "notreally.xlsx").message

    assert "Save it in Excel as an Excel Workbook (.xlsx)" in message
    assert "A case list or past audits may instead be imported as CSV" in message
    assert "an Annex A return must be the workbook" in message


@pytest.mark.parametrize("url", ["/cases/imports/case-list/", "/audits/imports/past-audits/"])
def test_the_advice_holds_a_case_list_or_past_audits_named_csv_is_read(
    client: Client, url: str
) -> None:
    response = client.post(url, {"file": SimpleUploadedFile("really.csv", TEXT)})
    assert response.status_code == 302
    import_runs_work()
    run = ImportRun.objects.latest("created_at")
    if run.status == ImportStatus.AWAITING_MAPPING:
        page = client.get(f"/cases/imports/{run.public_id}/mapping/").content.decode()
        run.refresh_from_db()
        assert "Child Unique ID" in page  # its columns were read

    assert run.status != ImportStatus.REJECTED or "text (CSV)" not in run.message, run.message


def test_annex_a_takes_no_csv_named_so(client: Client) -> None:
    response = client.post(
        "/cases/imports/annex-a/", {"file": SimpleUploadedFile("really.csv", TEXT)}
    )

    assert response.status_code == 200
    assert "The selected file must be .xlsx" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/cases/imports/annex-a/", "Choose the Annex A workbook (.xlsx) to upload."),
        ("/cases/imports/case-list/", "Choose the case list (.csv or .xlsx) to upload."),
        ("/audits/imports/past-audits/", "Choose the file of past audits (.csv or .xlsx)"),
    ],
)
def test_an_upload_without_a_file_says_which_file_to_choose(
    client: Client, url: str, message: str
) -> None:
    # As a browser sends the form with no file chosen: its token, and no file.
    response = client.post(url, {"csrfmiddlewaretoken": "token"})
    body = response.content.decode()
    assert response.status_code in (200, 400), response.status_code
    assert message in body and "This field is required" not in body


def test_a_refused_import_links_back_to_its_form(client: Client) -> None:
    for url, name, again in (
        ("/cases/imports/annex-a/", "notreally.xlsx", "/cases/imports/annex-a/"),
        ("/audits/imports/past-audits/", "notreally.xlsx", "/audits/imports/past-audits/"),
    ):
        run = _refused(client, url, name)
        page = client.get(run.get_absolute_url()).content.decode()
        assert f'<a class="govuk-link" href="{again}">' in page, url
