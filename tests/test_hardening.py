"""What issue 13 found besides the rules of the audit: a Permissions-Policy on every
response, JSON problems for every /api/ path, bounded benchmarking files, case-list
uploads that expire and have a quota, and counters that servers can share (CACHE_URL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from config.env import env_cache
from qpa.accounts.models import Role
from qpa.api import ratelimit
from qpa.api.services import api_token_create
from qpa.cases import case_lists
from qpa.cases.models import ImportKind, ImportRun, ImportStatus
from qpa.core.worker import worker_duties
from qpa.reports import benchmarking
from tests.support.factories import UserFactory
from tests.support.people import Personas, signed_in

PROBLEM = "application/problem+json"


# --- Permissions-Policy -------------------------------------------------------------------


def test_every_response_carries_a_permissions_policy(personas: Personas) -> None:
    responses = {
        "signed-in page": signed_in(personas.head_of_cp).get("/"),
        "sign-in page": Client().get("/sign-in/"),
        "redirect to sign in": Client().get("/cases/"),
        "static file": Client().get("/static/qpa/qpa.css"),
        "404 page": signed_in(personas.auditor).get("/no-such-page/"),
        "403 page": signed_in(personas.auditor).get("/events/"),
        "API 401": Client().get("/api/v1/cases/"),
        "API 404": Client().get("/api/v1/no-such-thing/"),
        "health check": Client().get("/health/"),
    }
    for name, response in responses.items():
        policy = response.get("Permissions-Policy", "")
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
            assert feature in policy, f"{name} ({response.status_code}): {policy!r}"


# --- JSON problems under /api/ --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/no-such-thing/", "/api/v1/cases/not-a-uuid/x/y/", "/api/", "/api/v2/cases/"],
)
def test_an_unknown_api_address_is_a_json_404_for_anyone(personas: Personas, path: str) -> None:
    token = api_token_create(acting_user=personas.auditor, name="t", scope="read", days=30)
    callers = {
        "anonymous": Client(),
        "token": Client(HTTP_AUTHORIZATION=f"Bearer {token.secret}"),
        "session": signed_in(personas.auditor),
    }
    for who, client in callers.items():
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 404, (who, response.status_code)
        assert response["Content-Type"] == PROBLEM, who
        body = response.json()
        assert body["status"] == 404 and body["title"] == "Not found"
        assert "/api/v1/docs" in body["detail"]
        assert "<html" not in response.content.decode().lower()


def test_pages_outside_the_api_keep_their_html_error_pages(personas: Personas) -> None:
    response = signed_in(personas.auditor).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- Benchmarking files --------------------------------------------------------------------


def _benchmark(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": "qpa-benchmark",
        "version": 1,
        "council": "Haringey",
        "tool": "Quality of Practice",
        "scale": ["Outstanding", "Good"],
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
    document.update(changes)
    return document


def _json(**changes: Any) -> bytes:
    return json.dumps(_benchmark(**changes)).encode()


HUGE_NUMBER = _json(audits_completed=1).replace(
    b'"audits_completed": 1', b'"audits_completed": ' + b"9" * 5000
)
HOSTILE = {
    "deep-lists": (b"[" * 200_000 + b"]" * 200_000, "nests lists or objects more than 8 deep"),
    "deep-objects": (
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        "nests lists or objects more than 8 deep",
    ),
    "huge-number": (HUGE_NUMBER, "it is not JSON"),
    "rows-not-objects": (_json(overall=[1, 2]), "each entry of overall must be an object"),
    "domains-not-objects": (_json(domains=["Risk"]), "each entry of domains must be an object"),
    "count-too-big": (_json(audits_completed=10**12), "from 0 to 1,000,000,000"),
    "not-utf8": (b"\xff\xfe{}", "it is not JSON"),
}


@pytest.mark.parametrize(("content", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_benchmarking_file_is_refused_clearly_never_a_500(
    personas: Personas, content: bytes, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        benchmarking.parse(content)
    assert message in " ".join(refused.value.messages)

    response = signed_in(personas.admin).post(
        "/reports/benchmarks/", {"file": SimpleUploadedFile("hostile.json", content)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()


def test_strings_that_look_like_brackets_do_not_count_as_nesting() -> None:
    document = _benchmark(council='[[[[[[[[[[{{{{{{{{{{ " ]]]]')
    assert benchmarking.parse(json.dumps(document).encode())["council"].startswith("[[[[")


# --- Case-list uploads waiting for their columns ------------------------------------------

CASE_LIST = b"Child ID,Team\nC1,Team X\n"


def _upload(client: Client, content: bytes = CASE_LIST, name: str = "cases.csv") -> Any:
    return client.post("/cases/imports/case-list/", {"file": SimpleUploadedFile(name, content)})


def test_an_upload_waiting_for_its_columns_expires_after_24_hours(db: None) -> None:
    admin = UserFactory(role=Role.ADMINISTRATOR)
    client = signed_in(admin)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert _upload(client).status_code == 302
        run = ImportRun.objects.get()
        assert run.status == ImportStatus.AWAITING_MAPPING
        assert bytes(run.content) == CASE_LIST

        clock.shift(timedelta(hours=23, minutes=59))
        duties = dict(worker_duties())
        assert duties["case-list uploads expired"]() == 0
        client = signed_in(admin)  # a day later: a new session
        assert client.get(f"/cases/imports/{run.public_id}/mapping/").status_code == 200

        clock.shift(timedelta(minutes=2))
        assert duties["case-list uploads expired"]() == 1  # `qpa worker` runs each duty
        run.refresh_from_db()
        assert run.status == ImportStatus.REJECTED
        assert run.content is None
        assert "expired" in run.message
        client = signed_in(admin)
        page = client.get(f"/cases/imports/{run.public_id}/mapping/", follow=True)
        assert "This upload expired" in page.content.decode()


def test_an_expired_upload_cannot_be_matched_even_before_the_worker_runs(db: None) -> None:
    admin = UserFactory(role=Role.ADMINISTRATOR)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _upload(signed_in(admin))
        run = ImportRun.objects.get()
        clock.shift(timedelta(hours=25))
        response = signed_in(admin).post(
            f"/cases/imports/{run.public_id}/mapping/", {"col_child_id": "Child ID"}
        )
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportStatus.REJECTED and run.content is None


def test_each_person_may_keep_three_uploads_waiting(db: None) -> None:
    admin = UserFactory(role=Role.ADMINISTRATOR)
    client = signed_in(admin)
    for _ in range(case_lists.MAX_PENDING_UPLOADS):
        assert _upload(client).status_code == 302
    refused = _upload(client)
    assert refused.status_code == 200
    assert "You have 3 case lists waiting for their columns to be matched" in (
        refused.content.decode()
    )
    assert ImportRun.objects.filter(kind=ImportKind.CASE_LIST).count() == 3
    # The quota is each person's own: a colleague can still upload.
    assert _upload(signed_in(UserFactory(role=Role.PERFORMANCE))).status_code == 302


def test_the_waiting_uploads_of_one_person_hold_at_most_250_mb(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_lists, "MAX_PENDING_BYTES", len(CASE_LIST) * 2)
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    assert _upload(client).status_code == 302
    assert _upload(client).status_code == 302
    refused = _upload(client)
    assert refused.status_code == 200
    assert "Your case lists waiting for their columns hold" in refused.content.decode()


# --- Counters that several servers share -----------------------------------------------------


def test_cache_url_chooses_the_shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CACHE_URL", raising=False)
    assert env_cache("CACHE_URL")["BACKEND"].endswith("LocMemCache")
    monkeypatch.setenv("CACHE_URL", "redis://:secret@cache.internal:6379/2")
    config = env_cache("CACHE_URL")
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert config["LOCATION"] == "redis://:secret@cache.internal:6379/2"
    monkeypatch.setenv("CACHE_URL", "memcached://:hunter2@cache.internal")
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL must be redis") as refused:
        env_cache("CACHE_URL")
    assert "hunter2" not in str(refused.value)


def test_the_settings_take_the_default_cache_from_cache_url() -> None:
    """In a fresh process, as at start-up: no later CACHES setting may undo CACHE_URL."""
    environment = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    code = "import config.settings.test as s; print(s.CACHES['default']['BACKEND'])"
    for url, backend in [
        ("redis://127.0.0.1:6379/15", "django.core.cache.backends.redis.RedisCache"),
        ("", "django.core.cache.backends.locmem.LocMemCache"),
    ]:
        result = subprocess.run(  # noqa: S603 - this Python, fixed arguments
            [sys.executable, "-c", code],
            cwd=Path(__file__).resolve().parent.parent,
            env={**environment, "CACHE_URL": url},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert result.stdout.strip() == backend


def _server(config: dict[str, Any]) -> RedisCache:
    """One application server's own connection to the cache CACHE_URL names."""
    return RedisCache(config["LOCATION"], {"KEY_PREFIX": config["KEY_PREFIX"]})


def test_two_servers_sharing_redis_share_the_api_rate_limit(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """Redis runs on 127.0.0.1:6379 (.ci/run starts one when none answers)."""
    settings.QPA_API_RATE_LIMIT_PER_MINUTE = 5
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/15")
    config = env_cache("CACHE_URL")
    first, second = _server(config), _server(config)
    key = f"token-{uuid.uuid4().hex}"
    now = 1_800_000_000.0
    try:
        for server in (first, second, first, second, first):
            monkeypatch.setattr(ratelimit, "cache", server)
            ratelimit.rate_limit_check(key=key, now=now)
        monkeypatch.setattr(ratelimit, "cache", second)
        with pytest.raises(ratelimit.RateLimited):
            ratelimit.rate_limit_check(key=key, now=now)
        # Each process's own memory would have allowed it: the limit holds only shared.
        assert first.get(f"qpa:api:rate:{key}:{int(now // 60)}") == 6
    finally:
        first.delete(f"qpa:api:rate:{key}:{int(now // 60)}")
        first.close()
        second.close()
