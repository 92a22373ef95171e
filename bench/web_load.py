"""Load benchmark: 50 simulated auditors against QPA under gunicorn, production settings.

For each database (SQLite, and PostgreSQL when one answers on 127.0.0.1:5432), it builds a
fresh database with the demo council plus 50 auditors who each have an authenticator
app and audits to do, starts QPA under gunicorn with TLS (a self-signed certificate made
for the run) and its production settings, then, from a second process on loopback:

1. the floor: 50 clients call /health/ (a minimal Django view that asks the database one
   question) as fast as they can, for the framework's throughput on this machine;
2. the load: 50 auditors sign in with password and TOTP code, then for the duration view
   pages, autosave a domain every few seconds (the autosave request QPA's script sends),
   and complete and submit an audit every minute or so, then start the next.

It reports errors (goal 0, "database is locked" counted apart), p50 and p95 latency per
kind of request, and throughput beside the floor's. The last line is one JSON object.

    .venv/bin/python bench/web_load.py [--duration 300] [--users 50] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password-2026"  # noqa: S105 - a throwaway database's test users
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# The run's self-signed certificate, which the clients verify.
CERTIFICATE = os.environ.get("QPA_LOAD_CERTIFICATE", "")


# --- Set-up, in a child process with Django -------------------------------------------


def setup(users: int, spec_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from qpa.accounts.models import Role, User
    from qpa.cases.models import Case, CaseStatus
    from qpa.cycles.models import (
        Allocation,
        Cycle,
        CycleKind,
        CycleStatus,
        HowChosen,
        SampledCase,
        SamplingPlan,
        Stratum,
    )
    from qpa.cycles.services import allocation_audit_start
    from qpa.demo.council import build_demo
    from qpa.tools.models import AuditTool

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    build_demo()
    tool = AuditTool.objects.get(slug="quality-of-practice")
    version = tool.current_version
    plan = SamplingPlan.objects.create(name="Load test", method="fixed")
    cycle = Cycle.objects.create(
        kind=CycleKind.THEMED,
        theme="Load test",
        tool=tool,
        tool_version=version,
        plan=plan,
        due_date=timezone.localdate() + timedelta(days=28),
        status=CycleStatus.ALLOCATED,
        seed="5eed" * 16,
        drawn_at=timezone.now(),
    )
    cases = list(Case.objects.filter(status=CaseStatus.OPEN).order_by("child_id")[: users * 8])
    strata: dict[int, Stratum] = {}
    password = make_password(PASSWORD)
    people = []
    for n in range(users):
        user = User.objects.create(
            username=f"load{n:02d}", password=password, role=Role.AUDITOR, first_name="Load"
        )
        key = secrets.token_hex(20)
        TOTPDevice.objects.create(user=user, name="Load", key=key, confirmed=True)
        allocations = []
        for case in cases[n * 8 : (n + 1) * 8]:
            area = case.service_area_id
            if area not in strata:
                strata[area] = Stratum.objects.create(
                    cycle=cycle,
                    service_area_id=area,
                    population=1,
                    excluded={},
                    frame_size=1,
                    quota=1,
                    drawn=1,
                )
            sampled = SampledCase.objects.create(
                cycle=cycle,
                case=case,
                stratum=strata[area],
                how_chosen=HowChosen.DRAWN,
                rank=len(allocations) + 1,
                frame_size=1,
                exclusions={},
            )
            allocations.append(
                Allocation.objects.create(
                    sampled_case=sampled, auditor=user, due_date=cycle.due_date
                )
            )
        first = allocation_audit_start(acting_user=user, allocation=allocations[0])
        people.append(
            {
                "username": user.username,
                "key": key,
                "audit": str(first.public_id),
                "next_allocations": [str(a.public_id) for a in allocations[1:]],
            }
        )
    ratings = [str(r.pk) for r in tool.scale.ratings.order_by("rank")]
    spec = {"people": people, "domains": version.domains.count(), "ratings": ratings}
    spec_path.write_text(json.dumps(spec))


# --- The load generator, in its own process ---------------------------------------------


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int
    error: str = ""


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


def _totp(key_hex: str) -> str:
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key_hex), step=30, digits=6):06d}"


class Browser:
    """One person's HTTPS session: cookies, CSRF token, timings."""

    def __init__(self, base: str, recorder: Recorder) -> None:
        import requests

        self.base = base
        self.recorder = recorder
        self.session = requests.Session()
        self.session.headers["Referer"] = base + "/"
        self.session.headers["Origin"] = base

    def _csrf(self) -> str:
        return str(self.session.cookies.get("__Host-csrftoken", ""))

    def request(self, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base + path, timeout=60, verify=CERTIFICATE, **kwargs
            )
        except Exception as error:  # a refused or reset connection is a recorded error
            self.recorder.add(Sample(kind, time.perf_counter() - started, 0, repr(error)))
            return None
        text = response.text if response.status_code >= 500 else ""
        self.recorder.add(
            Sample(
                kind,
                time.perf_counter() - started,
                response.status_code,
                "database is locked" if "database is locked" in text else text[:200],
            )
        )
        return response

    def post(self, kind: str, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
        data = {**data, "csrfmiddlewaretoken": self._csrf()}
        return self.request(kind, "POST", path, data=data, **kwargs)


def auditor(
    base: str,
    person: dict[str, Any],
    spec: dict[str, Any],
    deadline: float,
    recorder: Recorder,
    seed: int,
) -> None:
    rng = random.Random(seed)
    browser = Browser(base, recorder)
    browser.request("sign_in_page", "GET", "/sign-in/")
    browser.post("sign_in", "/sign-in/", {"username": person["username"], "password": PASSWORD})
    browser.post("sign_in_code", "/sign-in/code/", {"code": _totp(person["key"])})
    audit, queue = person["audit"], list(person["next_allocations"])
    version, position = 1, 1
    next_submit = time.monotonic() + rng.uniform(45, 75)
    while time.monotonic() < deadline:
        choice = rng.random()
        if choice < 0.25:
            browser.request("page_tasks", "GET", f"/audits/{audit}/tasks/")
        elif choice < 0.35:
            browser.request("page_home", "GET", "/")
        response = browser.post(
            "autosave",
            f"/audits/{audit}/domains/{position}/",
            {
                "version": version,
                "rating": rng.choice(spec["ratings"]),
                "evidence": f"Evidence typed at {time.time():.0f}: "
                + "words " * rng.randint(5, 80),
                "strengths": "Visits on time.",
                "improvements": "Record the child's words.",
            },
            headers={"X-QPA-Background": "1", "Accept": "application/json"},
        )
        if response is not None and response.status_code == 200:
            version = response.json()["version"]
        elif response is not None and response.status_code == 409:
            version = response.json().get("version", version)
        position = position % spec["domains"] + 1
        if time.monotonic() >= next_submit and queue:
            version = _complete_and_submit(browser, audit, version, spec)
            nxt = queue.pop(0)
            started = browser.post("start", f"/cycles/allocations/{nxt}/start/", {})
            if started is not None and "/tasks/" in started.url:
                audit = re.findall(r"/audits/([0-9a-f-]{36})/tasks/", started.url)[0]
                version, position = 1, 1
            next_submit = time.monotonic() + rng.uniform(45, 75)
        time.sleep(rng.uniform(2.0, 4.0))


def _complete_and_submit(browser: Browser, audit: str, version: int, spec: dict[str, Any]) -> int:
    for position in range(1, spec["domains"] + 1):
        response = browser.post(
            "autosave",
            f"/audits/{audit}/domains/{position}/",
            {
                "version": version,
                "rating": spec["ratings"][1],
                "evidence": "Complete.",
                "strengths": "",
                "improvements": "",
            },
            headers={"X-QPA-Background": "1", "Accept": "application/json"},
        )
        if response is not None and response.status_code == 200:
            version = response.json()["version"]
    response = browser.post(
        "save_overall",
        f"/audits/{audit}/overall/",
        {
            "version": version,
            "overall_rating": spec["ratings"][1],
            "overall_rationale": "Good practice overall.",
            "child_experience_captured": "yes",
            "child_experience_text": "Seen alone.",
            "family_view_captured": "yes",
            "family_view_text": "Recorded.",
            "then": "continue",
        },
    )
    _answer_form(
        browser,
        "save_safety",
        f"/audits/{audit}/safety/",
        {
            "child_safe": "yes",
            "child_safe_reason": "Seen this week; the plan is followed.",
            "then": "continue",
        },
    )
    tasks = browser.request("page_tasks", "GET", f"/audits/{audit}/tasks/")
    if tasks is not None and f"/audits/{audit}/voice/" in tasks.text:
        voice = browser.request("page_voice", "GET", f"/audits/{audit}/voice/")
        if voice is not None:
            answers: dict[str, Any] = {"then": "continue"}
            for position in re.findall(r'name="answer_(\d+)"', voice.text):
                answers[f"answer_{position}"] = "yes"
                answers[f"text_{position}"] = "Recorded on the file."
            _answer_form(browser, "save_voice", f"/audits/{audit}/voice/", answers, voice)
    page = browser.request("page_check", "GET", f"/audits/{audit}/check/")
    if page is not None:
        found = re.search(r'name="version" value="(\d+)"', page.text)
        token = re.search(r'name="token" value="([0-9a-f-]{36})"', page.text)
        if found and token:
            browser.post(
                "submit",
                f"/audits/{audit}/check/",
                {"version": found.group(1), "token": token.group(1)},
            )
    del response
    return version


def _answer_form(
    browser: Browser, kind: str, path: str, data: dict[str, Any], page: Any = None
) -> None:
    """Posts a task's form with the audit's version read from its page (asked for
    unless given), as a person's browser does."""
    page = page if page is not None else browser.request(f"page_{kind}", "GET", path)
    found = re.search(r'name="version" value="(\d+)"', page.text) if page is not None else None
    if found:
        browser.post(kind, path, {**data, "version": found.group(1)})


def floor(base: str, seconds: float, clients: int, recorder: Recorder) -> None:
    deadline = time.monotonic() + seconds

    def hammer() -> None:
        browser = Browser(base, recorder)
        while time.monotonic() < deadline:
            browser.request("floor_health", "GET", "/health/")

    threads = [threading.Thread(target=hammer) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def load(base: str, spec_path: Path, duration: float, floor_seconds: float) -> dict[str, Any]:
    spec = json.loads(spec_path.read_text())
    people = spec["people"]
    floor_rec = Recorder()
    started = time.perf_counter()
    floor(base, floor_seconds, len(people), floor_rec)
    floor_elapsed = time.perf_counter() - started
    load_rec = Recorder()
    deadline = time.monotonic() + duration
    threads = [
        threading.Thread(target=auditor, args=(base, p, spec, deadline, load_rec, n))
        for n, p in enumerate(people)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    load_elapsed = time.perf_counter() - started
    return summarise(load_rec.samples, load_elapsed, floor_rec.samples, floor_elapsed)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def summarise(
    samples: list[Sample], elapsed: float, floor_samples: list[Sample], floor_elapsed: float
) -> dict[str, Any]:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    errors = [s for s in samples if s.status == 0 or s.status >= 500]
    for sample in errors:
        if not sample.error:
            sample.error = f"HTTP {sample.status}"
    kinds = {
        kind: {
            "requests": len(items),
            "p50_ms": round(_pct([s.seconds for s in items], 0.50), 1),
            "p95_ms": round(_pct([s.seconds for s in items], 0.95), 1),
            "errors": sum(1 for s in items if s.status == 0 or s.status >= 500),
            "conflicts_409": sum(1 for s in items if s.status == 409),
            # Refused by the application (a form with an error): 0 when the script
            # answers everything the audit asks.
            "refused_4xx": sum(1 for s in items if 400 <= s.status < 500 and s.status != 409),
        }
        for kind, items in sorted(by_kind.items())
    }
    floor_ok = [s for s in floor_samples if s.status == 200]
    return {
        "requests": len(samples),
        "seconds": round(elapsed, 1),
        "throughput_rps": round(len(samples) / elapsed, 1),
        "errors": len(errors),
        "database_locked_errors": sum(1 for s in errors if s.error == "database is locked"),
        "error_examples": sorted({f"{s.kind}: {s.error[:160]}" for s in errors})[:8],
        "by_kind": kinds,
        "floor": {
            "view": "/health/",
            "requests": len(floor_samples),
            "throughput_rps": round(len(floor_ok) / floor_elapsed, 1),
            "p50_ms": round(_pct([s.seconds for s in floor_ok], 0.50), 1),
            "p95_ms": round(_pct([s.seconds for s in floor_ok], 0.95), 1),
            "errors": len(floor_samples) - len(floor_ok),
        },
    }


# --- The orchestra ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_available() -> bool:
    return (
        subprocess.run(
            ["psql", PG_ADMIN_URL, "-Atc", "select 1"],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )


def _environment(work: Path, database: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "QPA_EVENT_LOG_KEY": "bench:" + secrets.token_hex(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        "QPA_DATA_DIR": str(work),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    if database == "postgresql":
        name = "qpa_load"
        subprocess.run(
            ["psql", PG_ADMIN_URL, "-qc", f"DROP DATABASE IF EXISTS {name}"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["psql", PG_ADMIN_URL, "-qc", f"CREATE DATABASE {name}"],
            check=True,
            capture_output=True,
        )
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    return env


def run_one(database: str, args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"qpa-load-{database}-"))
    try:
        env = _environment(work, database)
        spec = work / "spec.json"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--child", "setup", str(args.users), str(spec)],
            env=env,
            check=True,
        )
        print(f"[{database}] set up in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        cert, key = work / "cert.pem", work / "key.pem"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        port = _free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--threads",
                "4",
                "--worker-class",
                "gthread",
                # Longer than a person's pause between requests, as behind a load balancer
                # (docs/deployment.md): gunicorn's 2 s default closes idle connections just
                # as clients reuse them ("Remote end closed connection without response").
                "--keep-alive",
                "30",
                "--certfile",
                str(cert),
                "--keyfile",
                str(key),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        base = f"https://127.0.0.1:{port}"
        env["QPA_LOAD_CERTIFICATE"] = str(cert)
        try:
            _wait_for(base, cert)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "load",
                    base,
                    str(spec),
                    str(args.duration),
                    str(args.floor_seconds),
                ],
                env={**env, "DJANGO_SETTINGS_MODULE": ""},
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        result["database"] = database
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _wait_for(base: str, cert: Path) -> None:
    import requests

    for _ in range(120):
        try:
            if requests.get(base + "/health/", verify=str(cert), timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("QPA did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument("--floor-seconds", type=float, default=30)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "setup":
            setup(int(rest[0]), Path(rest[1]))
        else:
            print(json.dumps(load(rest[0], Path(rest[1]), float(rest[2]), float(rest[3]))))
        return
    results = []
    for database in args.databases.split(","):
        if database == "postgresql" and not _postgres_available():
            print("PostgreSQL is not answering on 127.0.0.1:5432: skipped", file=sys.stderr)
            continue
        result = run_one(database, args)
        results.append(result)
        print(
            f"[{database}] {result['requests']} requests in {result['seconds']} s: "
            f"{result['throughput_rps']} req/s (floor {result['floor']['throughput_rps']} req/s), "
            f"errors {result['errors']} ({result['database_locked_errors']} database is locked)",
        )
        for kind, figures in result["by_kind"].items():
            print(
                f"  {kind:<14} n={figures['requests']:<6} p50 {figures['p50_ms']:>7} ms  "
                f"p95 {figures['p95_ms']:>7} ms  errors {figures['errors']}  "
                f"refused {figures['refused_4xx']}"
            )
    summary = {
        "benchmark": "web_load",
        "users": args.users,
        "duration_seconds": args.duration,
        "gunicorn": f"{args.workers} gthread workers x 4 threads, keep-alive 30 s, TLS",
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "results": [
            {
                "database": r["database"],
                "errors": r["errors"],
                "database_locked_errors": r["database_locked_errors"],
                "error_examples": r["error_examples"],
                "throughput_rps": r["throughput_rps"],
                "floor_throughput_rps": r["floor"]["throughput_rps"],
                "ratio_to_floor": round(
                    r["throughput_rps"] / max(r["floor"]["throughput_rps"], 0.1), 3
                ),
                "p50_p95_ms": {k: [v["p50_ms"], v["p95_ms"]] for k, v in r["by_kind"].items()},
            }
            for r in results
        ],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
