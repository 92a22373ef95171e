"""Crash benchmark: kill QPA with SIGKILL mid-write, many times, and lose nothing.

For each database it sets up the same council as bench/web_load.py, then repeatedly
starts QPA under gunicorn, lets writers autosave audits (each save with text that
names it), and SIGKILLs the whole server (master and workers) at a random moment.
Writers keep going across restarts. At the end it checks that every save the server
acknowledged is present (or a later save by the same writer replaced it), that the
database passes its integrity check, and that the event log's hash chain verifies.

With --stop-postgres it also stops PostgreSQL for a while mid-run (never do this on a
server others use): people get the 503 page, and their drafts are saved once it returns.

    .venv/bin/python bench/crash.py [--kills 20] [--writers 10] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.web_load import (
    PASSWORD,
    ROOT,
    _environment,
    _free_port,
    _postgres_available,
    _totp,
)


@dataclass
class Writer:
    person: dict[str, Any]
    # position -> the last acknowledged text, and every unacknowledged text sent since.
    acked: dict[int, str] = field(default_factory=dict)
    unacked: dict[int, list[str]] = field(default_factory=dict)
    saves: int = 0
    acknowledged: int = 0
    refused: int = 0
    unavailable: int = 0


def _session(base: str, cert: str, person: dict[str, Any]) -> Any:
    import requests

    session = requests.Session()
    session.verify = cert
    session.headers.update({"Referer": base + "/", "Origin": base})
    session.get(base + "/sign-in/", timeout=30, verify=cert)
    token = session.cookies.get("__Host-csrftoken", "")
    session.post(
        base + "/sign-in/",
        verify=cert,
        timeout=30,
        data={"username": person["username"], "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    token = session.cookies.get("__Host-csrftoken", "")
    session.post(
        base + "/sign-in/code/",
        verify=cert,
        timeout=30,
        data={"code": _totp(person["key"]), "csrfmiddlewaretoken": token},
    )
    return session


def write_until(
    base: str,
    cert: str,
    writer: Writer,
    stop: threading.Event,
    rng: random.Random,
    domains: int,
    state: dict[str, Any],
) -> None:
    import requests

    session = None
    version = state.setdefault("version", 1)
    while not stop.is_set():
        try:
            if session is None:
                session = _session(base, cert, writer.person)
            position = rng.randint(1, domains)
            text = f"ack {writer.person['username']} {writer.saves} {time.time_ns()}"
            writer.unacked.setdefault(position, []).append(text)
            response = session.post(
                f"{base}/audits/{writer.person['audit']}/domains/{position}/",
                verify=cert,
                timeout=30,
                headers={"X-QPA-Background": "1", "Accept": "application/json"},
                data={
                    "version": version,
                    "evidence": text,
                    "strengths": "",
                    "improvements": "",
                    "rating": "",
                    "csrfmiddlewaretoken": session.cookies.get("__Host-csrftoken", ""),
                },
            )
            writer.saves += 1
            if response.status_code == 200:
                version = response.json()["version"]
                writer.acked[position] = text
                writer.unacked[position] = []
                writer.acknowledged += 1
            elif response.status_code == 409:
                version = response.json().get("version", version)
                writer.refused += 1
            elif response.status_code == 503:
                writer.unavailable += 1
                time.sleep(0.5)
            elif response.status_code in (301, 302, 403):
                session = None  # signed out (a lost session): sign in again
        except requests.RequestException:
            time.sleep(0.2)  # the server is down: try again when it is back
    state["version"] = version


def _start(env: dict[str, str], port: int, cert: Path, key: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--certfile",
            str(cert),
            "--keyfile",
            str(key),
            "--log-level",
            "critical",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_up(base: str, cert: Path) -> None:
    import requests

    for _ in range(200):
        try:
            requests.get(base + "/health/", verify=str(cert), timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("QPA did not restart")


def run_one(database: str, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix=f"qpa-crash-{database}-"))
    env = _environment(work, database)
    spec_path = work / "spec.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "web_load.py"),
            "--child",
            "setup",
            str(args.writers),
            str(spec_path),
        ],
        env=env,
        check=True,
    )
    spec = json.loads(spec_path.read_text())
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
    base = f"https://127.0.0.1:{port}"
    writers = [Writer(person) for person in spec["people"]]
    states: list[dict[str, Any]] = [{} for _ in writers]
    stop = threading.Event()
    server = _start(env, port, cert, key)
    _wait_up(base, cert)
    threads = [
        threading.Thread(
            target=write_until,
            args=(base, str(cert), w, stop, random.Random(n), spec["domains"], states[n]),
        )
        for n, w in enumerate(writers)
    ]
    for thread in threads:
        thread.start()
    outage_seconds = 0.0
    for kill in range(args.kills):
        time.sleep(rng.uniform(0.5, 3.0))
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        if args.stop_postgres and database == "postgresql" and kill == args.kills // 2:
            outage_seconds = _postgres_outage(env, port, cert, key, base)
        server = _start(env, port, cert, key)
        _wait_up(base, cert)
    time.sleep(2)
    stop.set()
    for thread in threads:
        thread.join()
    os.killpg(server.pid, signal.SIGTERM)
    server.wait()
    result = _verify(env, work, database, writers)
    result.update(
        database=database,
        kills=args.kills,
        saves_sent=sum(w.saves for w in writers),
        saves_acknowledged=sum(w.acknowledged for w in writers),
        conflicts=sum(w.refused for w in writers),
        answered_503=sum(w.unavailable for w in writers),
        postgres_outage_seconds=round(outage_seconds, 1),
    )
    return result


def _postgres_outage(env: dict[str, str], port: int, cert: Path, key: Path, base: str) -> float:
    """Stops PostgreSQL for ten seconds while QPA runs; returns how long it was down."""
    import requests

    version = sorted(os.listdir("/etc/postgresql"))[-1]
    server = _start(env, port, cert, key)
    _wait_up(base, cert)
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "stop", "-m", "fast"],
        check=True,
    )
    try:
        page = requests.get(base + "/health/", verify=str(cert), timeout=10)
        if page.status_code != 503:
            raise RuntimeError(f"with PostgreSQL stopped /health/ answered {page.status_code}")
        time.sleep(10)
    finally:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=True
        )
    os.killpg(server.pid, signal.SIGTERM)
    server.wait()
    return time.monotonic() - started


def _verify(
    env: dict[str, str], work: Path, database: str, writers: list[Writer]
) -> dict[str, Any]:
    script = (
        "import json, django; django.setup();"
        "from qpa.audits.models import DomainRating as D;"
        "rows = D.objects.values_list('audit__public_id', 'domain__order', 'evidence');"
        "print(json.dumps([[str(a), o, e] for a, o, e in rows]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    stored = {(a, o): e for a, o, e in json.loads(out.strip().splitlines()[-1])}
    lost = []
    for writer in writers:
        for position, text in writer.acked.items():
            found = stored.get((writer.person["audit"], position), "")
            # The last acknowledged save is there, or a later one by the same writer that
            # the server wrote but could not acknowledge before it was killed.
            if found != text and found not in writer.unacked.get(position, []):
                lost.append(
                    {
                        "audit": writer.person["audit"],
                        "domain": position,
                        "acknowledged": text,
                        "stored": found,
                    }
                )
    if database == "sqlite":
        with sqlite3.connect(work / "qpa.sqlite3") as conn:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    else:
        integrity = (
            "ok"
            if subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import django; django.setup();"
                    "from django.db import connection; c = connection.cursor();"
                    "c.execute('select count(*) from audits_domainrating d left join "
                    "audits_audit a on a.id = d.audit_id where a.id is null');"
                    "assert c.fetchone()[0] == 0",
                ],
                env=env,
                cwd=ROOT,
                check=False,
            ).returncode
            == 0
            else "orphaned rows"
        )
    chain = subprocess.run(
        [str(Path(sys.executable).parent / "qpa"), "verify-event-log"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "lost_acknowledged_saves": len(lost),
        "lost_examples": lost[:3],
        "integrity_check": integrity,
        "event_log_verifies": chain.returncode == 0,
        "event_log_says": chain.stdout.strip().splitlines()[-1:] or chain.stderr.strip()[-200:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--stop-postgres", action="store_true")
    args = parser.parse_args()
    results = []
    for database in args.databases.split(","):
        if database == "postgresql" and not _postgres_available():
            print("PostgreSQL is not answering: skipped", file=sys.stderr)
            continue
        result = run_one(database, args)
        results.append(result)
        print(
            f"[{database}] {args.kills} kills, {result['saves_acknowledged']} acknowledged "
            f"of {result['saves_sent']} saves: lost {result['lost_acknowledged_saves']}, "
            f"integrity {result['integrity_check']}, event log verifies "
            f"{result['event_log_verifies']}"
        )
    print(
        json.dumps(
            {
                "benchmark": "crash",
                "machine": (
                    f"{platform.machine()} {os.cpu_count()} cores, "
                    f"Python {platform.python_version()}"
                ),
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
