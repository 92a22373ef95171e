"""The account of every look: who, role, what, when (UTC), from where, which request;
append-only, hash-chained, protected by triggers, searchable by administrators only."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client
from django.urls import get_resolver

from qpa.accounts.models import Role
from qpa.core import events
from qpa.core.events import entry_hash, event_record, record_view, verify_event_log
from qpa.core.models import Event
from tests.conftest import Personas, signed_in
from tests.factories import PASSWORD, CaseFactory, UserFactory, submitted_audit
from tests.test_access import _walk


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
    assert entry_hash(stored) == second.hash
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
def _edit(rows: list[Event]) -> None:
    _raw("UPDATE core_event SET actor_username = 'someone-else' WHERE seq = 3")


def _edit_and_rehash(rows: list[Event]) -> None:
    row = Event.objects.values(*events.COLUMNS).get(seq=3)
    row["actor_username"] = "someone-else"
    _raw(
        "UPDATE core_event SET actor_username = %s, hash = %s WHERE seq = 3",
        [row["actor_username"], entry_hash(row)],
    )


def _delete(rows: list[Event]) -> None:
    _raw("DELETE FROM core_event WHERE seq = 3")


def _insert_in_the_middle(rows: list[Event]) -> None:
    # Make room at 3 (two steps: seq is unique), then forge an entry that follows 2.
    _raw("UPDATE core_event SET seq = seq + 1000 WHERE seq >= 3")
    _raw("UPDATE core_event SET seq = seq - 999 WHERE seq >= 1003")
    forged = {
        "seq": 3,
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
        "prev_hash": rows[1].hash,
    }
    forged["hash"] = entry_hash(forged)
    Event.objects.create(**forged)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_edit, "entry 3 was changed: its hash does not match its contents"),
        (_edit_and_rehash, "entry 3 was changed: entry 4 records a different hash for it"),
        (_delete, "entry 3 is missing"),
        (_insert_in_the_middle, "entry 3 was inserted: entry 4 follows entry 2"),
    ],
    ids=["edit", "edit-and-rehash", "delete", "insert"],
)
def test_verify_names_the_first_broken_entry(tamper: Any, message: str) -> None:
    rows = _log(5)
    assert "intact" in _verify()
    events.drop_triggers(connection)
    try:
        tamper(rows)
        error = _broken()
    finally:
        events.install_triggers(connection)
    assert error.returncode == 1
    assert f"Event log broken at entry 3: {message}" in str(error)
    assert verify_event_log().broken_seq == 3


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
    entry = Event.objects.get()
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
    client.post("/sign-in/", {"username": "hilda", "password": "not-the-password"})
    client.post("/sign-in/", {"username": "hilda", "password": PASSWORD})

    failed, signed_in_entry = Event.objects.order_by("seq")
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
    routes = [(name, route) for name, route in _walk(get_resolver()) if route.startswith("events")]
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
    assert "<code>auth.sign_in</code>" in by_action
    assert "<code>case.viewed</code>" not in by_action
    today = datetime.now(UTC).date()
    assert "SEARCH-ME" in rows(f"?date_from={today:%d/%m/%Y}&date_to={today:%d/%m/%Y}")
    assert "SEARCH-ME" not in rows(f"?date_to={today - timedelta(days=1):%d/%m/%Y}")
    assert "There is a problem" in rows("?date_from=31/02/2026")
    # The search itself is part of the account.
    assert Event.objects.filter(action="event_log.searched", actor_username="ada").exists()


def test_the_event_log_is_in_the_administrators_navigation(personas: Personas) -> None:
    assert 'href="/events/"' in signed_in(personas.admin).get("/").content.decode()
    assert 'href="/events/"' not in signed_in(personas.director).get("/").content.decode()
