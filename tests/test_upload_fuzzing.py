"""Every upload form, fuzzed with files shaped like what it takes: generated JSON (deep,
huge, wrong-typed), CSV (quotes, NULs, formulas, odd encodings) and XLSX (random cells,
cut short). Whatever the file: no 500, and an import it starts ends completed or
rejected with a reason, never failed (QPA's own error). tests/test_form_fuzzing.py
fuzzes every form's fields; this file fuzzes what the files hold."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import xlsxwriter
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qpa.accounts.models import Role, User
from qpa.cases.imports import import_run_execute
from qpa.cases.models import ImportRun, ImportStatus
from tests.support.annex_a import LIST_6, LIST_7
from tests.support.factories import UserFactory
from tests.support.forms import form_classes
from tests.support.people import signed_in

# --- Files shaped like each kind ---------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)
BENCHMARK = {
    "format": "qpa-benchmark",
    "version": 1,
    "council": "Haringey",
    "tool": "Quality of Practice",
    "scale": ["Good"],
    "period": {"from": "2026-10-01", "to": "2026-10-31"},
    "suppression_threshold": 5,
    "audits_completed": 40,
    "overall": [{"rating": "Good", "count": 40, "percent": 100.0}],
    "domains": [
        {
            "domain": "Risk",
            "rated": 40,
            "good_or_better_percent": 50.0,
            "inadequate_or_worse_percent": 5.0,
        }
    ],
}


def _nested(depth: int, opener: str) -> bytes:
    closer = {"[": "]", "{": "}"}[opener]
    inner = '"a":' if opener == "{" else ""
    return ((opener + inner) * depth + "1" + closer * depth).encode()


JSON_FILES = st.one_of(
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.builds(
        lambda key, value: json.dumps({**BENCHMARK, key: value}).encode(),
        st.sampled_from(sorted(BENCHMARK)),
        JSON_VALUES,
    ),
    st.builds(
        lambda key, value: json.dumps(
            {**BENCHMARK, "overall": [{**BENCHMARK["overall"][0], key: value}]}
        ).encode(),
        st.sampled_from(["rating", "count", "percent"]),
        JSON_VALUES,
    ),
    st.builds(
        _nested,
        st.sampled_from([9, 1_000, 20_000, 100_000]) | st.integers(1, 60_000),
        st.sampled_from(["[", "{"]),
    ),
    st.integers(1, 6000).map(lambda digits: b'{"version": ' + b"7" * digits + b"}"),
    st.binary(max_size=300),
)

CELLS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "=1+1",
            "+SUM(A1)",
            "-2",
            "@x",
            "\t=1",
            '"',
            '""',
            ",",
            "\n",
            "\x00",
            "C1",
            "open",
            "closed",
        ]
    ),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)).map(
        lambda d: d.strftime("%d/%m/%Y")
    ),
    st.integers(-(10**12), 10**12).map(str),
)
HEADERS = st.lists(
    st.sampled_from(["Child ID", "Team", "Status", "Child Unique ID", "Auditor", "Tool"])
    | st.text(max_size=20),
    min_size=0,
    max_size=6,
)


def _csv(headers: list[str], rows: list[list[str]], encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


CSV_FILES = st.one_of(
    st.builds(
        _csv,
        HEADERS,
        st.lists(st.lists(CELLS, max_size=7), max_size=8),
        st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]),
    ),
    st.binary(max_size=400),
)


def _xlsx(sheets: dict[str, list[list[Any]]], cut: int | None) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    book.close()
    data = out.getvalue()
    return data if cut is None else data[: cut % max(1, len(data))]


XLSX_CELLS = st.one_of(
    CELLS,
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
)
SHEET_NAMES = st.sampled_from(["List 6", "List 7", "List 8", "List 9", "Sheet1", "Cases"])
XLSX_FILES = st.builds(
    _xlsx,
    st.dictionaries(
        SHEET_NAMES,
        st.one_of(
            st.lists(st.lists(XLSX_CELLS, max_size=8), max_size=6),
            st.lists(st.lists(XLSX_CELLS, max_size=20), max_size=4).map(
                lambda rows: [LIST_6, *rows]
            ),
            st.lists(st.lists(XLSX_CELLS, max_size=20), max_size=4).map(
                lambda rows: [LIST_7, *rows]
            ),
        ),
        min_size=1,
        max_size=3,
    ),
    st.none() | st.integers(0, 10_000),
)

# --- Which file each upload form takes, and where -----------------------------------------


@dataclass(frozen=True)
class Upload:
    url: str
    # field -> the kinds of file it takes: (suffix, contents)
    files: dict[str, list[tuple[str, st.SearchStrategy[bytes]]]]


UPLOADS = {
    "qpa.cases.forms.AnnexAUploadForm": Upload(
        "/cases/imports/annex-a/",
        {"file": [(".xlsx", XLSX_FILES)], "team_map": [(".csv", CSV_FILES)]},
    ),
    "qpa.cases.forms.CaseListUploadForm": Upload(
        "/cases/imports/case-list/", {"file": [(".csv", CSV_FILES), (".xlsx", XLSX_FILES)]}
    ),
    "qpa.cases.forms.PastAuditsUploadForm": Upload(
        "/audits/imports/past-audits/",
        {"file": [(".csv", CSV_FILES), (".xlsx", XLSX_FILES)]},
    ),
    "qpa.reports.forms.BenchmarkUploadForm": Upload(
        "/reports/benchmarks/", {"file": [(".json", JSON_FILES)]}
    ),
}


def test_every_upload_form_is_fuzzed_with_files_of_its_kind() -> None:
    uploads = {
        name
        for name, form in form_classes().items()
        if any(isinstance(field, forms.FileField) for field in form.base_fields.values())
    }
    assert uploads - {"qpa.cases.forms.UploadForm"} == set(UPLOADS)


def _carry_out_what_it_started(client: Client, admin: User) -> None:
    """Match a waiting case list's columns, then run every queued import here, as
    `qpa worker` would: each must end completed or rejected with a reason."""
    for run in ImportRun.objects.filter(status=ImportStatus.AWAITING_MAPPING):
        page = client.get(f"/cases/imports/{run.public_id}/mapping/")
        assert page.status_code < 500
        headers = [h for h in (run.options.get("columns") or {}).values() if h]
        form = page.context["form"] if page.status_code == 200 else None
        if form is not None:
            choices = [value for value, _ in form.fields["col_child_id"].choices if value]
            headers = choices[:1]
        response = client.post(
            f"/cases/imports/{run.public_id}/mapping/",
            {"col_child_id": headers[0] if headers else ""},
        )
        assert response.status_code < 500
        ImportRun.objects.filter(pk=run.pk, status=ImportStatus.AWAITING_MAPPING).update(
            status=ImportStatus.REJECTED, content=None, message="left by the fuzzing"
        )
    for run in ImportRun.objects.filter(status=ImportStatus.QUEUED):
        done = import_run_execute(run=run)
        assert done.status in (ImportStatus.COMPLETED, ImportStatus.REJECTED), (
            f"{done.kind} {done.file_name}: {done.status} {done.message}"
        )
        assert done.status == ImportStatus.COMPLETED or done.message


@pytest.fixture
def admin(db: None) -> User:
    user: User = UserFactory(role=Role.ADMINISTRATOR)
    return user


@pytest.mark.parametrize("name", sorted(UPLOADS))
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    derandomize=True,
)
@given(data=st.data())
def test_any_file_is_refused_clearly_or_imported_never_a_500(
    name: str, admin: User, data: st.DataObject
) -> None:
    upload = UPLOADS[name]
    client = signed_in(admin)
    files = {}
    for field, kinds in upload.files.items():
        if field != "file" and data.draw(st.booleans()):
            continue
        suffix, contents = data.draw(st.sampled_from(kinds))
        # Now and then a file under another kind's name.
        suffix = data.draw(st.sampled_from([suffix] * 8 + [".csv", ".xlsx", ".json", ""]))
        files[field] = SimpleUploadedFile(f"upload{suffix}", data.draw(contents))
    response = client.post(upload.url, files)
    assert response.status_code < 500, f"{name}: {response.status_code}"
    _carry_out_what_it_started(client, admin)
