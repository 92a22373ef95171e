"""The import pages: upload, progress, result, mapping teams and columns, who may use them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qpa.accounts.models import Role
from qpa.cases.models import Case, CaseListMapping, ImportRun, PopulationRule
from qpa.organisation.models import Team
from tests.support.annex_a import LIST_6, LIST_7, cin, cp, write_workbook
from tests.support.factories import UserFactory, area
from tests.support.people import signed_in

pytestmark = pytest.mark.usefixtures("seeded", "import_worker")


def _wait_for(run: ImportRun, seconds: float = 20) -> ImportRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.is_finished:
            return run
        time.sleep(0.05)
    raise AssertionError(f"the import did not finish: {run.status}")


def _upload(client: Client, url: str, path: Path, **extra: str) -> ImportRun:
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = client.post(url, {"file": upload, **extra})
    assert response.status_code == 302, response.content.decode()[:2000]
    run = ImportRun.objects.latest("created_at")
    assert response["Location"] in (
        run.get_absolute_url(),
        f"/cases/imports/{run.public_id}/mapping/",
    )
    return run


def test_annex_a_upload_runs_in_the_background_and_shows_the_result(tmp_path: Path) -> None:
    Team.objects.create(name="CIN Team North", service_area=area("children-in-need"))
    admin = UserFactory(role=Role.ADMINISTRATOR)
    client = signed_in(admin)
    path = write_workbook(
        tmp_path / "annex-a.xlsx",
        {
            "List 6": (LIST_6, [cin("W1", "CIN Team North"), cin("W2", "Brand New Team")]),
            "List 7": (LIST_7, [cp("W3", "CIN Team North")]),
        },
    )
    run = _wait_for(_upload(client, "/cases/imports/annex-a/", path))

    assert run.status == "completed"
    assert run.created_by == admin
    body = client.get(run.get_absolute_url()).content.decode()
    assert "Import complete" in body
    assert "3 created" in body
    assert "Brand New Team" in body and "map to no service area" in body
    status = client.get(f"/cases/imports/{run.public_id}/status.json").json()
    assert status["finished"] is True and status["percent"] == 100

    # Mapping the team from the result page, then importing again, places the case.
    add = client.get(f"/cases/teams/new/?name=Brand+New+Team&next={run.get_absolute_url()}")
    assert 'value="Brand New Team"' in add.content.decode()
    response = client.post(
        f"/cases/teams/new/?next={run.get_absolute_url()}",
        {"name": "Brand New Team", "service_area": area("children-with-disabilities").pk},
    )
    assert response["Location"] == run.get_absolute_url()
    _wait_for(_upload(client, "/cases/imports/annex-a/", path))
    assert Case.objects.get(child_id="W2").service_area == area("children-with-disabilities")


def test_a_rejected_upload_lists_problems_and_offers_them_as_csv(tmp_path: Path) -> None:
    client = signed_in(UserFactory(role=Role.PERFORMANCE))
    path = write_workbook(
        tmp_path / "bad.xlsx", {"List 6": (LIST_6, [cin("B1", "T", start="32/13/2026")])}
    )
    run = _wait_for(_upload(client, "/cases/imports/annex-a/", path))
    assert run.status == "rejected" and Case.objects.count() == 0
    body = client.get(run.get_absolute_url()).content.decode()
    assert "1 problem found" in body and "CIN Start Date" in body
    csv_response = client.get(f"/cases/imports/{run.public_id}/problems.csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert b"List 6,2,CIN Start Date," in csv_response.content


def test_the_upload_form_refuses_the_wrong_kind_of_file(tmp_path: Path) -> None:
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    response = client.post(
        "/cases/imports/annex-a/", {"file": SimpleUploadedFile("cases.pdf", b"%PDF-1.4")}
    )
    assert response.status_code == 200
    assert "The selected file must be .xlsx" in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_a_case_list_is_mapped_on_screen_and_the_mapping_saved(tmp_path: Path) -> None:
    Team.objects.create(name="Team X", service_area=area("child-protection"))
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    path = tmp_path / "liquidlogic.csv"
    path.write_text("Ref,Team Name,Key Worker\nL1,Team X,Pat\nL2,Team X,Sam\n")
    run = _upload(client, "/cases/imports/case-list/", path, close_missing="on")
    page = client.get(f"/cases/imports/{run.public_id}/mapping/").content.decode()
    assert "Match the file" in page and "Key Worker" in page
    response = client.post(
        f"/cases/imports/{run.public_id}/mapping/",
        {
            "col_child_id": "Ref",
            "col_team": "Team Name",
            "col_worker": "Key Worker",
            "save_as": "Liquidlogic weekly",
        },
    )
    assert response.status_code == 302
    run = _wait_for(run)
    assert run.status == "completed", run.message
    assert set(Case.objects.values_list("child_id", flat=True)) == {"L1", "L2"}
    assert CaseListMapping.objects.get(name="Liquidlogic weekly").columns == {
        "child_id": "Ref",
        "team": "Team Name",
        "worker": "Key Worker",
    }


def test_population_rules_can_be_reordered(db: None) -> None:
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    rules = {r.source: r for r in PopulationRule.objects.all()}
    data = {}
    order = ["child_protection", "looked_after", "leaving_care", "child_in_need"]
    for number, source in enumerate(order, start=1):
        data[f"precedence_{source}"] = str(number)
        data[f"area_{source}"] = str(rules[source].service_area_id)
    assert client.post("/cases/population-rules/", data).status_code == 302
    assert list(PopulationRule.objects.values_list("source", flat=True)) == order

    data["precedence_looked_after"] = "1"  # two sources at 1
    response = client.post("/cases/population-rules/", data)
    assert "Give each source a different precedence" in response.content.decode()


@pytest.mark.parametrize(
    "role", [Role.AUDITOR, Role.HEAD_OF_SERVICE, Role.PRACTITIONER, Role.ASSISTANT_DIRECTOR]
)
def test_only_administrators_and_performance_reach_the_imports(db: None, role: Role) -> None:
    client = signed_in(UserFactory(role=role))
    for url in (
        "/cases/imports/",
        "/cases/imports/annex-a/",
        "/cases/teams/",
        "/audits/imports/past-audits/",
        "/cases/population-rules/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post("/cases/teams/new/", {"name": "X", "service_area": "1"}).status_code == 403
    assert not Team.objects.filter(name="X").exists()


def test_the_past_audits_template_downloads(db: None) -> None:
    response = signed_in(UserFactory(role=Role.PERFORMANCE)).get(
        "/audits/imports/past-audits/template.csv"
    )
    header = response.content.decode().splitlines()[0]
    assert header.startswith(
        "Child Unique ID,Service area,Team,Auditor,Audit date,Tool,Overall rating"
    )
    assert header.endswith("Case Transfer and Closure")
