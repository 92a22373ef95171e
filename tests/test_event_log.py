"""The account of every look: who, role, what, when (UTC), from where, which request;
append-only, hash-chained, signed with a key held outside the database, protected by
triggers, searchable by administrators only."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client
from django.urls import get_resolver

from config.env import env_signing_keys
from qpa.accounts.models import Role
from qpa.core import events
from qpa.core.events import entry_hash, entry_mac, event_record, record_view, verify_event_log
from qpa.core.models import Event
from tests.support.factories import PASSWORD, CaseFactory, UserFactory, submitted_audit
from tests.support.people import Personas, signed_in
from tests.support.urls import walk

ROOT = Path(__file__).resolve().parent.parent


def _key() -> bytes:
    """The test settings' signing key: what an insider holding it could sign with."""
    return str(django_settings.QPA_EVENT_LOG_KEYS[-1][1]).encode()


def _log(count: int, **kwargs: Any) -> list[Event]:
    return [event_record(action="test.entry", data={"n": n}, **kwargs) for n in range(count)]


def _verify(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify-event-log", *args, stdout=out)
    return out.getvalue()


def _broken(*args: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        _verify(*args)
    return caught.value


def _raw(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


# --- The chain ----------------------------------------------------------------------


@pytest.mark.django_db
def test_entries_are_numbered_from_one_and_each_hashes_the_one_before() -> None:
    first, second, third = _log(3)
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == events.GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    stored = Event.objects.values(*events.COLUMNS).get(seq=2)
    assert stored["key_id"] == "test"
    assert entry_mac(stored, _key()) == second.hash
    assert entry_hash(stored) != second.hash  # SHA-256 alone is not the seal any more
    assert "Event log intact: 3 entries; head 3:" + third.hash in _verify()


@pytest.mark.django_db
def test_the_database_refuses_to_update_or_delete_an_entry() -> None:
    _log(3)
    for statement in (
        "UPDATE core_event SET action = 'edited' WHERE seq = 2",
        "DELETE FROM core_event WHERE seq = 2",
        "DELETE FROM core_event",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw(statement)
    assert (
        list(Event.objects.order_by("seq").values_list("action", flat=True)) == ["test.entry"] * 3
    )
    assert events.missing_triggers(connection) == []


@pytest.mark.django_db
def test_the_orm_cannot_change_an_entry_either() -> None:
    (entry,) = _log(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(seq=entry.seq).update(action="edited")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.delete()


# Each tamper gets past the triggers (dropped, as a database owner could) and is named.
# `seal` is how the tamperer seals a forged entry: with the key (an insider who has read
# the server's secret), or with SHA-256 alone (someone with database access only).
Seal = Any


def _with_key(row: dict[str, Any]) -> str:
    row["key_id"] = "test"
    return entry_mac(row, _key())


def _without_key(row: dict[str, Any]) -> str:
    row["key_id"] = ""
    return entry_hash(row)


def _edit(rows: list[Event], seal: Seal) -> None:
    _raw("UPDATE core_event SET actor_username = 'someone-else' WHERE seq = 3")


def _edit_and_rehash(rows: list[Event], seal: Seal) -> None:
    row = Event.objects.values(*events.COLUMNS).get(seq=3)
    row["actor_username"] = "someone-else"
    row["hash"] = seal(row)
    _raw(
        "UPDATE core_event SET actor_username = %s, hash = %s, key_id = %s WHERE seq = 3",
        [row["actor_username"], row["hash"], row["key_id"]],
    )


def _delete(rows: list[Event], seal: Seal) -> None:
    _raw("DELETE FROM core_event WHERE seq = 3")


def _forged(seq: int, prev_hash: str, seal: Seal) -> Event:
    forged = {
        "seq": seq,
        "occurred_at": datetime(2026, 11, 1, 12, tzinfo=UTC),
        "actor_id": None,
        "actor_username": "mallory",
        "actor_role": "",
        "action": "case.viewed",
        "object_type": "",
        "object_id": "",
        "child_id": "",
        "child_ids": "",
        "ip": "",
        "request_id": "",
        "data": {},
        "prev_hash": prev_hash,
    }
    forged["hash"] = seal(forged)
    return Event.objects.create(**forged)


def _insert_in_the_middle(rows: list[Event], seal: Seal) -> None:
    # Make room at 3 (two steps: seq is unique), then forge an entry that follows 2.
    _raw("UPDATE core_event SET seq = seq + 1000 WHERE seq >= 3")
    _raw("UPDATE core_event SET seq = seq - 999 WHERE seq >= 1003")
    _forged(3, rows[1].hash, seal)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tamper", "seal", "message"),
    [
        (_edit, _with_key, "entry 3 was changed: its hash does not match its contents"),
        (
            _edit_and_rehash,
            _with_key,
            "entry 3 was changed: entry 4 records a different hash for it",
        ),
        (_edit_and_rehash, _without_key, "entry 3 is not signed"),
        (_delete, _with_key, "entry 3 is missing"),
        (_insert_in_the_middle, _with_key, "entry 3 was inserted: entry 4 follows entry 2"),
        (_insert_in_the_middle, _without_key, "entry 3 is not signed"),
    ],
    ids=[
        "edit",
        "edit-and-rehash-with-the-key",
        "edit-and-rehash-without-it",
        "delete",
        "insert-with-the-key",
        "insert-without-it",
    ],
)
def test_verify_names_the_first_broken_entry(tamper: Any, seal: Seal, message: str) -> None:
    rows = _log(5)
    assert "intact" in _verify()
    events.drop_triggers(connection)
    try:
        tamper(rows, seal)
        error = _broken()
    finally:
        events.install_triggers(connection)
    assert error.returncode == 1
    assert f"Event log broken at entry 3: {message}" in str(error)
    assert verify_event_log().broken_seq == 3


# --- The key --------------------------------------------------------------------------


@pytest.mark.django_db
def test_database_access_alone_cannot_append_an_entry_that_verifies() -> None:
    """The finding: a correctly chained row sealed with SHA-256 used to verify. Inserting
    needs no dropped trigger; without the key the row cannot be signed."""
    rows = _log(5)
    _forged(6, rows[-1].hash, _without_key)
    error = _broken()
    assert error.returncode == 1
    assert "Event log broken at entry 6: entry 6 is not signed" in str(error)
    # Nor can it claim the key's id: the signature does not match without the secret.
    guessed = {**Event.objects.values(*events.COLUMNS).get(seq=6)}
    events.drop_triggers(connection)
    try:
        _raw("DELETE FROM core_event WHERE seq = 6")
    finally:
        events.install_triggers(connection)
    guessed["key_id"] = "test"
    guessed["hash"] = entry_mac(guessed, b"a guess at the secret, " + b"x" * 20)
    Event.objects.create(**guessed)
    assert "entry 6 was changed: its hash does not match its contents" in str(_broken())


@pytest.mark.django_db
def test_keys_rotate_the_newest_signs_and_every_configured_key_verifies(
    settings: Any,
) -> None:
    old, new = ("2026a", "a" * 64), ("2026b", "b" * 64)
    settings.QPA_EVENT_LOG_KEYS = [old]
    _log(2)
    settings.QPA_EVENT_LOG_KEYS = [old, new]
    _log(2)
    keys = list(Event.objects.order_by("seq").values_list("key_id", flat=True))
    assert keys == ["2026a", "2026a", "2026b", "2026b"]
    assert "Event log intact: 4 entries" in _verify()
    # A server without the old key cannot vouch for the entries it signed.
    settings.QPA_EVENT_LOG_KEYS = [new]
    error = _broken()
    assert "entry 1 is signed with the key 2026a, which is not configured here" in str(error)


@pytest.mark.django_db
def test_without_a_key_nothing_is_written(settings: Any) -> None:
    settings.QPA_EVENT_LOG_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="QPA_EVENT_LOG_KEY"):
        event_record(action="test.entry")
    assert not Event.objects.exists()


def _unsigned_log(count: int) -> list[str]:
    """Entries as QPA wrote them before the log was signed: SHA-256 alone."""
    hashes = [events.GENESIS_HASH]
    for n in range(count):
        hashes.append(_forged(n + 1, hashes[-1], _without_key).hash)
    return hashes[1:]


def _migrate_to_signing() -> None:
    from importlib import import_module

    migration = import_module("qpa.core.migrations.0003_event_log_signed")
    migration.sign_from_here(global_apps, SimpleNamespace(connection=connection))


@pytest.mark.django_db
def test_a_log_begun_unsigned_goes_on_signed_from_the_upgrade() -> None:
    hashes = _unsigned_log(3)
    assert not verify_event_log().intact  # nothing vouches for them yet
    _migrate_to_signing()
    marker = Event.objects.get(seq=4)
    assert marker.action == events.SIGNING_STARTED
    assert marker.key_id == "test"
    assert marker.data == {"unsigned_until": 3, "unsigned_head": hashes[-1]}
    _log(2)
    verdict = verify_event_log()
    assert verdict.intact, verdict.reason
    assert (verdict.entries, verdict.unsigned) == (6, 3)
    output = _verify()
    assert "Event log intact: 6 entries" in output
    assert "Entries 1–3 were written before the log was signed" in output
    # Running the upgrade again changes nothing; an unsigned entry after it is caught.
    _migrate_to_signing()
    assert Event.objects.count() == 6
    _forged(7, Event.objects.get(seq=6).hash, _without_key)
    assert "Event log broken at entry 7: entry 7 is not signed" in str(_broken())


@pytest.mark.django_db
def test_unsigned_entries_that_no_upgrade_vouched_for_are_refused() -> None:
    _unsigned_log(2)
    _log(1)  # signed, but not the upgrade's entry naming the last unsigned one
    verdict = verify_event_log()
    assert verdict.broken_seq == 1
    assert "entries 1–2 are not signed, and entry 3, the first signed entry" in verdict.reason


@pytest.mark.django_db
def test_an_empty_log_needs_no_upgrade_entry() -> None:
    _migrate_to_signing()
    assert not Event.objects.exists()
    assert "Event log intact: 0 entries" in _verify()


def test_keys_are_read_from_the_environment_or_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("QPA_EVENT_LOG_KEY_FILE", raising=False)
    monkeypatch.setenv("QPA_EVENT_LOG_KEY", f"old:{'1' * 32}, new:{'2' * 64}")
    assert env_signing_keys("QPA_EVENT_LOG_KEY", "QPA_EVENT_LOG_KEY_FILE") == [
        ("old", "1" * 32),
        ("new", "2" * 64),
    ]
    key_file = tmp_path / "event-log.keys"
    key_file.write_text(f"# rotated 2026-12-01\nold:{'1' * 32}\n\nnew:{'2' * 64}  # now\n")
    monkeypatch.setenv("QPA_EVENT_LOG_KEY_FILE", str(key_file))
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_signing_keys("QPA_EVENT_LOG_KEY", "QPA_EVENT_LOG_KEY_FILE")
    monkeypatch.delenv("QPA_EVENT_LOG_KEY")
    assert env_signing_keys("QPA_EVENT_LOG_KEY", "QPA_EVENT_LOG_KEY_FILE")[-1] == ("new", "2" * 64)
    monkeypatch.delenv("QPA_EVENT_LOG_KEY_FILE")
    assert env_signing_keys("QPA_EVENT_LOG_KEY", "QPA_EVENT_LOG_KEY_FILE") == []
    for value, problem in [
        ("short:abc", "use at least 32"),
        ("x" * 40, "each key is ID:SECRET"),
        (f"a/b:{'1' * 32}", "each key is ID:SECRET"),
        (f"k:{'1' * 32},k:{'2' * 32}", "used twice"),
    ]:
        monkeypatch.setenv("QPA_EVENT_LOG_KEY", value)
        with pytest.raises(ImproperlyConfigured, match=problem):
            env_signing_keys("QPA_EVENT_LOG_KEY", "QPA_EVENT_LOG_KEY_FILE")


def _production_check(**env: str) -> subprocess.CompletedProcess[str]:
    """`qpa check` under production settings, in a fresh process as at start-up."""
    clean = {
        k: v
        for k, v in __import__("os").environ.items()
        if not k.startswith(("QPA_", "DJANGO_", "SECRET_KEY", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-m", "config.cli", "check"],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "qpa.example.org",
            "QPA_DATA_DIR": str(ROOT / "var"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_an_event_log_key(tmp_path: Path) -> None:
    refused = _production_check()
    assert refused.returncode != 0
    assert "Set QPA_EVENT_LOG_KEY (ID:SECRET) or QPA_EVENT_LOG_KEY_FILE" in refused.stderr
    key_file = tmp_path / "keys"
    key_file.write_text(f"prod1:{'f' * 64}\n")
    started = _production_check(QPA_EVENT_LOG_KEY_FILE=str(key_file))
    assert started.returncode == 0, started.stderr


@pytest.mark.django_db
def test_an_anchor_catches_entries_removed_from_the_end() -> None:
    rows = _log(5)
    anchor = f"5:{rows[4].hash}"
    assert "intact" in _verify("--anchor", anchor)
    events.drop_triggers(connection)
    try:
        _raw("DELETE FROM core_event WHERE seq = 5")
        assert verify_event_log().intact  # the chain that is left is whole
        error = _broken("--anchor", anchor)
    finally:
        events.install_triggers(connection)
    assert error.returncode == 1
    assert "Event log broken at entry 5" in str(error)


@pytest.mark.django_db
def test_verify_fails_when_the_triggers_are_missing() -> None:
    _log(2)
    events.drop_triggers(connection)
    try:
        error = _broken()
    finally:
        events.install_triggers(connection)
    assert error.returncode == 3
    assert "triggers are missing" in str(error)
    assert "intact" in _verify()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain() -> None:
    writers, each = 8, 6
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                event_record(action="test.concurrent", data={"writer": n, "i": i})
        except BaseException as error:  # reported below, with the chain's state
            failures.append(error)
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    seqs = list(Event.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, writers * each + 1))
    assert Event.objects.values("prev_hash").distinct().count() == writers * each
    verdict = verify_event_log()
    assert verdict.intact, verdict.reason
    assert verdict.entries == writers * each


def test_entries_hold_identifiers_never_text(db: None) -> None:
    with pytest.raises(ValueError, match="case-note text never goes in the event log"):
        event_record(action="test.entry", data={"note": "x" * (events.MAX_DATA_STRING + 1)})
    assert not Event.objects.exists()


def test_deleting_a_person_keeps_their_entries(db: None) -> None:
    person = UserFactory(username="leaver", role=Role.AUDITOR)
    event_record(action="test.entry", actor=person)
    person.delete()
    entry = Event.objects.get(action="test.entry")
    assert (entry.actor_username, entry.actor_role) == ("leaver", Role.AUDITOR)
    assert verify_event_log().intact


# --- What is recorded ---------------------------------------------------------------


def test_head_of_service_home_page_records_exactly_one_look(personas: Personas) -> None:
    shown = CaseFactory(child_id="CP-SHOWN", team=personas.cp_team)
    submitted_audit(case=shown, overall="Inadequate", audit_date=datetime.now(UTC).date())
    client = signed_in(personas.head_of_cp)
    before = set(Event.objects.values_list("seq", flat=True))

    started = datetime.now(UTC)
    response = client.get("/", REMOTE_ADDR="192.0.2.10")

    assert response.status_code == 200
    new = Event.objects.exclude(seq__in=before)
    assert new.count() == 1
    entry = new.get()
    assert entry.action == "audits.listed"
    assert entry.actor_id == personas.head_of_cp.pk
    assert entry.actor_username == "hilda"
    assert entry.actor_role == Role.HEAD_OF_SERVICE
    assert entry.occurred_at.utcoffset() == timedelta(0)
    assert started <= entry.occurred_at <= datetime.now(UTC)
    assert entry.ip == "192.0.2.10"
    assert len(response["X-Request-ID"]) == 32
    assert entry.request_id == response["X-Request-ID"]
    assert entry.child_ids == " CP-SHOWN "
    assert entry.data["count"] == 1


def test_each_request_gets_its_own_id(personas: Personas) -> None:
    client = signed_in(personas.admin)
    first, second = client.get("/"), client.get("/")
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_page_without_case_data_records_no_look(personas: Personas) -> None:
    client = signed_in(personas.performance)
    before = Event.objects.count()
    assert client.get("/").status_code == 200
    assert Event.objects.count() == before


def test_sign_in_and_failed_sign_in_are_recorded(personas: Personas) -> None:
    client = Client(REMOTE_ADDR="198.51.100.7")
    before = Event.objects.count()
    client.post("/sign-in/", {"username": "hilda", "password": "not-the-password"})
    client.post("/sign-in/", {"username": "hilda", "password": PASSWORD})

    failed, signed_in_entry = Event.objects.order_by("seq")[before:]
    assert failed.action == "auth.sign_in_failed"
    assert failed.actor_id is None
    assert failed.data == {"username": "hilda"}
    assert failed.ip == "198.51.100.7"
    assert "not-the-password" not in str(failed.data)
    assert signed_in_entry.action == "auth.sign_in"
    assert signed_in_entry.actor_username == "hilda"
    assert signed_in_entry.actor_role == Role.HEAD_OF_SERVICE
    assert signed_in_entry.ip == "198.51.100.7"
    assert signed_in_entry.request_id
    # No second factor is asked for in these settings (tests/test_mfa.py asks for one).
    assert signed_in_entry.data == {"via": "password"}


def test_sign_out_is_recorded(personas: Personas) -> None:
    client = signed_in(personas.auditor)
    client.post("/sign-out/")
    assert Event.objects.order_by("-seq").first().action == "auth.sign_out"  # type: ignore[union-attr]


@pytest.mark.parametrize(("path", "status"), [("/events/", 403), ("/no-such-page/", 404)])
def test_a_refused_request_is_recorded(personas: Personas, path: str, status: int) -> None:
    client = signed_in(personas.auditor)
    response = client.get(path + "?child=C1")
    assert response.status_code == status
    entry = Event.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.action == "access.denied"
    assert entry.actor_username == "alice"
    assert entry.data == {"status": status, "method": "GET", "path": path}
    assert entry.request_id == response["X-Request-ID"]


def test_record_view_names_one_child_or_every_child_shown(personas: Personas) -> None:
    first = CaseFactory(child_id="C-ONE", team=personas.cp_team)
    second = CaseFactory(child_id="C-TWO", team=personas.cp_team)
    request = signed_in(personas.head_of_cp).get("/").wsgi_request

    one = record_view(request, action="case.viewed", objects=[first])
    assert (one.child_id, one.object_type, one.object_id) == (
        "C-ONE",
        "cases.case",
        str(first.public_id),
    )
    many = record_view(request, action="cases.listed", objects=[first, second])
    assert many.child_id == ""
    assert many.child_ids == " C-ONE C-TWO "
    assert many.data["count"] == 2


# --- Searching the log ---------------------------------------------------------------


def test_only_administrators_can_search_the_log(personas: Personas) -> None:
    assert signed_in(personas.admin).get("/events/").status_code == 200
    for person in (
        personas.auditor,
        personas.head_of_cp,
        personas.director,
        personas.performance,
        personas.practitioner,
    ):
        assert signed_in(person).get("/events/").status_code == 403, person.role


def test_the_log_cannot_be_changed_through_the_web(personas: Personas) -> None:
    client = signed_in(personas.admin)
    assert client.post("/events/").status_code == 405
    routes = [(name, route) for name, route in walk(get_resolver()) if route.startswith("events")]
    assert routes == [("dataprotection:event-list", "events/")]


def test_administrators_search_by_person_action_child_and_date(personas: Personas) -> None:
    case = CaseFactory(child_id="SEARCH-ME", team=personas.cp_team)
    event_record(action="case.viewed", actor=personas.head_of_cp, obj=case)
    event_record(action="case.viewed", actor=personas.auditor, child_id="SOMEONE-ELSE")
    client = signed_in(personas.admin)

    def rows(query: str) -> str:
        response = client.get("/events/" + query)
        assert response.status_code == 200
        return response.content.decode()

    everything = rows("")
    assert 'class="qpa-table-scroll" role="region"' in everything
    assert "SEARCH-ME" in everything and "SOMEONE-ELSE" in everything
    by_child = rows("?child_id=SEARCH-ME")
    assert "SEARCH-ME" in by_child and "SOMEONE-ELSE" not in by_child
    by_person = rows("?username=alice")
    assert "SOMEONE-ELSE" in by_person and "SEARCH-ME" not in by_person
    by_action = rows("?action=auth.")
    assert "<code>auth.<wbr>sign_<wbr>in</code>" in by_action
    assert "<code>case.<wbr>viewed</code>" not in by_action
    today = datetime.now(UTC).date()
    assert "SEARCH-ME" in rows(f"?date_from={today:%d/%m/%Y}&date_to={today:%d/%m/%Y}")
    assert "SEARCH-ME" not in rows(f"?date_to={today - timedelta(days=1):%d/%m/%Y}")
    assert "There is a problem" in rows("?date_from=31/02/2026")
    # The search itself is part of the account.
    assert Event.objects.filter(action="event_log.searched", actor_username="ada").exists()


def test_the_event_log_is_in_the_administrators_navigation(personas: Personas) -> None:
    assert 'href="/events/"' in signed_in(personas.admin).get("/").content.decode()
    assert 'href="/events/"' not in signed_in(personas.director).get("/").content.decode()


def test_a_long_list_in_an_entry_is_shortened_on_the_page_and_kept_whole_under_it(
    personas: Personas,
) -> None:
    objects = [f"actions.action:{n:04d}" for n in range(1239)]
    children = [f"KID-{n:04d}" for n in range(40)]
    event_record(
        action="audits.exported",
        child_ids=children,
        data={"count": len(objects), "objects": objects},
    )
    page = signed_in(personas.admin).get("/events/?action=audits.exported").content.decode()

    # The row shows the first five items and says how many more there are…
    shown = ", ".join(objects[:5])
    assert f"objects: {shown} and 1,234 more" in page
    assert f"{', '.join(children[:5])} and 35 more" in page
    # …and the whole list stays on the page, folded away under the row.
    assert "Show all 1,239" in page
    assert ", ".join(objects) in page
    assert ", ".join(children) in page
    assert page.count(objects[-1]) == 1
    # Long values may wrap inside the scrolling region rather than widen the table.
    assert 'class="govuk-table__cell qpa-table__cell--wide qpa-wrap-anywhere"' in page


def test_a_short_list_in_an_entry_is_shown_whole(personas: Personas) -> None:
    event_record(action="audits.listed", data={"count": 2, "objects": ["a:1", "b:2"]})
    page = signed_in(personas.admin).get("/events/?action=audits.listed").content.decode()
    assert "objects: a:1, b:2" in page
    assert "Show all" not in page
