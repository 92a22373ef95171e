"""The account of every look: an append-only, hash-chained, signed event log.

Every view and change of case data, every sign-in and failed sign-in, and every denied
request is written here through `event_record` (or `record_view` for pages). See
docs/event-log.md for how a new view records, docs/decisions/0030-hash-chained-event-log.md
for why it works this way, and docs/decisions/0100-signed-event-log.md for the keys that
sign each entry.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from qpa.core.models import Event
from qpa.core.network import client_address

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key that serialises writers of the log ("QPAEVNT").
ADVISORY_LOCK_KEY = 0x51504145564E54
# A value in `data` longer than this is refused: the log holds identifiers, not text.
MAX_DATA_STRING = 300
# The entry with which a log that began unsigned (before decision 100) goes on signed.
SIGNING_STARTED = "event_log.signing_started"

TABLE = "core_event"
SQLITE_TRIGGERS = ("core_event_refuse_update", "core_event_refuse_delete")
POSTGRESQL_TRIGGERS = ("core_event_refuse_update_delete", "core_event_refuse_truncate")
# SQLite calls this function from the DELETE trigger. QPA's connections register it
# (answering 0 except while `flush` runs); any other client lacks it, so its DELETE fails.
SQLITE_FLUSH_FUNCTION = "qpa_event_log_flushing"
POSTGRESQL_FLUSH_SETTING = "qpa.event_log_flush"

_SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS core_event_refuse_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS core_event_refuse_delete BEFORE DELETE ON {TABLE}
    WHEN NOT {SQLITE_FLUSH_FUNCTION}()
    BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: DELETE refused'); END""",
]
_POSTGRESQL_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION core_event_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE'
           AND current_setting('{POSTGRESQL_FLUSH_SETTING}', true) = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '{TABLE} is append-only: % refused', TG_OP;
    END
    $$""",
    f"""CREATE TRIGGER core_event_refuse_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION core_event_refuse_change()""",
    f"""CREATE TRIGGER core_event_refuse_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION core_event_refuse_change()""",
]


# The request being answered on this thread, set by EventLogMiddleware: entries written
# while answering it (by services, signals) carry its address and request id.
_current_request: ContextVar[HttpRequest | None] = ContextVar("qpa_event_request", default=None)


@contextmanager
def answering(request: HttpRequest) -> Iterator[None]:
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def current_request() -> HttpRequest | None:
    """The request this thread is answering, if any (None in commands and workers)."""
    return _current_request.get()


# --- Writing -------------------------------------------------------------------------


def event_record(
    *,
    action: str,
    actor: Any = None,
    request: HttpRequest | None = None,
    obj: Model | None = None,
    child_id: str = "",
    child_ids: Iterable[str] = (),
    data: Mapping[str, Any] | None = None,
) -> Event:
    """Append one entry to the log and return it.

    `actor` defaults to the signed-in user of `request`; `request` also gives the address
    and request id, which otherwise come from the request this thread is answering, if
    any (so an entry a service writes says where the change came from). `obj` names the
    object acted on (its public id when it has one) and, for a case or anything with a
    case, the child. Runs in its own (nested) transaction: inside a caller's transaction
    the entry commits or rolls back with the change it records.
    """
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False):
            actor = user
    if request is None:
        request = current_request()
    object_type, object_id = _object_key(obj) if obj is not None else ("", "")
    if not child_id and obj is not None:
        child_id = child_id_of(obj)
    subjects = sorted({c for c in (*child_ids, child_id) if c})
    fields: dict[str, Any] = {
        "actor_id": actor.pk if actor is not None else None,
        "actor_username": actor.get_username() if actor is not None else "",
        "actor_role": str(getattr(actor, "role", "") or ""),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "child_id": child_id,
        "child_ids": f" {' '.join(subjects)} " if subjects else "",
        "ip": client_ip(request) if request is not None else "",
        "request_id": request_id_of(request) if request is not None else "",
        "data": _clean_data(data or {}),
    }
    key_id, secret = writing_key()
    alias = router.db_for_write(Event)
    connection = connections[alias]
    with transaction.atomic(using=alias):
        # Serialise the read of the head so two writers cannot both extend it (a fork).
        # SQLite needs nothing more: QPA's IMMEDIATE transactions already hold the write
        # lock from BEGIN (docs/decisions/0003-sqlite-durability.md).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        head = Event.objects.using(alias).order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        fields.update(seq=seq, occurred_at=timezone.now(), prev_hash=prev_hash, key_id=key_id)
        fields["hash"] = entry_mac(fields, secret)
        return Event.objects.using(alias).create(**fields)


def record_view(request: HttpRequest, *, action: str, objects: Iterable[Model]) -> Event:
    """Record that the signed-in person was shown these objects, once per request.

    Call it from every view that shows case data, after the remit-checked selector and
    before rendering, with every object on the page (for example `audits.listed` with
    the audits of a list, `case.viewed` with one case).
    """
    shown = list(objects)
    if len(shown) == 1:
        return event_record(action=action, request=request, obj=shown[0], data={"count": 1})
    return event_record(
        action=action,
        request=request,
        child_ids=[child for child in (child_id_of(o) for o in shown) if child],
        data={
            "count": len(shown),
            "objects": [":".join(_object_key(o)) for o in shown],
        },
    )


def child_id_of(obj: Any) -> str:
    """The child an object is about: a case, or anything reaching one (`.case`,
    `.sampled_case.case`)."""
    for path in ("child_id", "case.child_id", "sampled_case.case.child_id"):
        value: Any = obj
        for name in path.split("."):
            value = getattr(value, name, None)
            if value is None:
                break
        if isinstance(value, str):
            return value
    return ""


def request_id_of(request: HttpRequest) -> str:
    return str(getattr(request, "request_id", ""))


def client_ip(request: HttpRequest) -> str:
    """The client's address, found as the lock-out finds it (QPA_BEHIND_PROXY)."""
    value = str(client_address(request) or "").strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


def _object_key(obj: Model) -> tuple[str, str]:
    identifier = getattr(obj, "public_id", None) or obj.pk
    return obj._meta.label_lower, str(identifier)


def _clean_data(data: Mapping[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so the hash covers exactly what the database gives back.
    cleaned: dict[str, Any] = json.loads(json.dumps(dict(data), cls=DjangoJSONEncoder))
    for value in _strings(cleaned):
        if len(value) > MAX_DATA_STRING:
            raise ValueError(
                f"Event data values are identifiers, at most {MAX_DATA_STRING} characters: "
                "case-note text never goes in the event log."
            )
    return cleaned


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# --- The chain -----------------------------------------------------------------------

HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "child_id",
    "child_ids",
    "ip",
    "request_id",
    "data",
)
COLUMNS = (*HASHED_FIELDS, "key_id", "prev_hash", "hash")


# --- The keys ------------------------------------------------------------------------


def signing_keys() -> dict[str, bytes]:
    """The configured keys by id (settings.QPA_EVENT_LOG_KEYS): every one verifies."""
    return {key_id: secret.encode() for key_id, secret in settings.QPA_EVENT_LOG_KEYS}


def writing_key() -> tuple[str, bytes]:
    """The newest configured key, which signs every new entry."""
    if not settings.QPA_EVENT_LOG_KEYS:
        raise ImproperlyConfigured(
            "The event log has no signing key: set QPA_EVENT_LOG_KEY or "
            "QPA_EVENT_LOG_KEY_FILE (docs/event-log.md)."
        )
    key_id, secret = settings.QPA_EVENT_LOG_KEYS[-1]
    return key_id, secret.encode()


def canonical(row: Mapping[str, Any]) -> bytes:
    """The row as canonical JSON: sorted keys, no spaces, UTC time to the microsecond."""
    values = {name: row[name] for name in HASHED_FIELDS}
    values["occurred_at"] = _utc_iso(row["occurred_at"])
    data = row["data"]
    values["data"] = json.loads(data) if isinstance(data, str) else data
    values["actor_id"] = None if row["actor_id"] is None else int(row["actor_id"])
    values["seq"] = int(row["seq"])
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 over the previous entry's hash and this entry's canonical JSON: the seal of
    the entries written before the log was signed."""
    return hashlib.sha256(str(row["prev_hash"]).encode() + b"\n" + canonical(row)).hexdigest()


def entry_mac(row: Mapping[str, Any], secret: bytes) -> str:
    """HMAC-SHA256, under the key `row["key_id"]` names, of the previous entry's hash, the
    key id and this entry's canonical JSON: only a holder of the key can compute it."""
    message = (
        str(row["prev_hash"]).encode() + b"\n" + str(row["key_id"]).encode() + b"\n"
    ) + canonical(row)
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _utc_iso(value: datetime | str) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:  # SQLite gives back UTC without an offset
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Verdict:
    entries: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str = ""
    # Entries 1 to `unsigned` were written before the log was signed (plain SHA-256),
    # and the signed entry after them vouches for them.
    unsigned: int = 0

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def verify_chain(
    rows: Iterable[Mapping[str, Any]], keys: Mapping[str, bytes] | None = None
) -> Verdict:
    """Walk the entries in seq order and name the first one that is not as written.

    Every entry is signed with one of `keys` (by default the configured ones), except
    those of a log that began before signing: an unbroken run from entry 1, which the
    first signed entry (`event_log.signing_started`) closes by naming its last entry.
    An unsigned entry anywhere else was not written by QPA.
    """
    keys = signing_keys() if keys is None else keys
    expected_seq, prev_hash, head_hash, count = 1, GENESIS_HASH, GENESIS_HASH, 0
    unsigned = 0
    signed = False
    seen: dict[str, int] = {GENESIS_HASH: 0}

    def broken(seq: int, reason: str) -> Verdict:
        return Verdict(count, expected_seq - 1, head_hash, seq, reason, unsigned)

    for row in rows:
        seq = int(row["seq"])
        if seq != expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
            return broken(expected_seq, f"entry {missing} is missing: deleted from the log")
        key_id = str(row.get("key_id") or "")
        if key_id:
            secret = keys.get(key_id)
            if secret is None:
                return broken(
                    seq,
                    f"entry {seq} is signed with the key {key_id}, which is not configured "
                    "here: add it to QPA_EVENT_LOG_KEY or QPA_EVENT_LOG_KEY_FILE",
                )
            content_ok = hmac.compare_digest(entry_mac(row, secret), str(row["hash"]))
        else:
            if signed:
                return broken(
                    seq,
                    f"entry {seq} is not signed: it was put into the table, not written by QPA",
                )
            content_ok = entry_hash(row) == row["hash"]
        if row["prev_hash"] != prev_hash:
            earlier = seen.get(str(row["prev_hash"]))
            if earlier is not None and earlier < seq - 1:
                return broken(
                    earlier + 1,
                    f"entry {earlier + 1} was inserted: entry {seq} follows entry {earlier}",
                )
            if content_ok:
                return broken(
                    seq - 1,
                    f"entry {seq - 1} was changed: entry {seq} records a different hash for it",
                )
            return broken(seq, f"entry {seq} was changed: it does not follow entry {seq - 1}")
        if not content_ok:
            return broken(seq, f"entry {seq} was changed: its hash does not match its contents")
        if key_id and not signed:
            signed = True
            unsigned = count
            if unsigned and not _closes_unsigned_run(row, unsigned):
                unsigned = 0
                return broken(
                    1,
                    f"entries 1–{count} are not signed, and entry {seq}, the first signed "
                    "entry, does not vouch for them: they were not written by QPA",
                )
        seen[str(row["hash"])] = seq
        prev_hash = head_hash = str(row["hash"])
        expected_seq += 1
        count += 1
    if count and not signed:
        return broken(
            1,
            f"entries 1–{count} are not signed and no signed entry vouches for them: "
            "they were not written by QPA",
        )
    return Verdict(count, expected_seq - 1, head_hash, unsigned=unsigned)


def _closes_unsigned_run(row: Mapping[str, Any], unsigned: int) -> bool:
    data = row["data"]
    data = json.loads(data) if isinstance(data, str) else data
    return (
        row["action"] == SIGNING_STARTED
        and isinstance(data, dict)
        and data.get("unsigned_until") == unsigned
    )


def signing_started_fields(
    *, head_seq: int, head_hash: str, key_id: str, secret: bytes
) -> dict[str, Any]:
    """The entry that closes a log begun before signing: it follows the last unsigned
    entry, names it, and is signed, so no unsigned entry can be added after it."""
    fields: dict[str, Any] = {
        "seq": head_seq + 1,
        "occurred_at": timezone.now(),
        "actor_id": None,
        "actor_username": "",
        "actor_role": "",
        "action": SIGNING_STARTED,
        "object_type": "",
        "object_id": "",
        "child_id": "",
        "child_ids": "",
        "ip": "",
        "request_id": "",
        "data": {"unsigned_until": head_seq, "unsigned_head": head_hash},
        "prev_hash": head_hash,
        "key_id": key_id,
    }
    fields["hash"] = entry_mac(fields, secret)
    return fields


def verify_event_log(using: str = "default") -> Verdict:
    rows = Event.objects.using(using).order_by("seq").values(*COLUMNS).iterator(chunk_size=2000)
    return verify_chain(rows)


def chain_checksum(hashes: Iterable[str]) -> str:
    """One SHA-256 over every entry's hash in seq order: equal logs give equal checksums."""
    digest = hashlib.sha256()
    for value in hashes:
        digest.update(value.encode() + b"\n")
    return digest.hexdigest()


# --- Database protection -------------------------------------------------------------


def install_triggers(connection: BaseDatabaseWrapper) -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) of the log in the database."""
    statements = {"sqlite": _SQLITE_INSTALL, "postgresql": _POSTGRESQL_INSTALL}.get(
        connection.vendor
    )
    if statements is None:
        raise ImproperlyConfigured(
            "QPA runs on SQLite or PostgreSQL; it has no event-log triggers for "
            f"{connection.vendor}."
        )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            for name in POSTGRESQL_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")
            cursor.execute("DROP FUNCTION IF EXISTS core_event_refuse_change()")


def missing_triggers(connection: BaseDatabaseWrapper) -> list[str]:
    """Triggers the log should have and does not: a table rebuilt by a migration on SQLite
    loses its triggers, so `verify-event-log` checks them too."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TABLE],
            )
            expected: tuple[str, ...] = SQLITE_TRIGGERS
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [TABLE],
            )
            expected = POSTGRESQL_TRIGGERS
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in expected if name not in present]


def register_sqlite_function(connection: BaseDatabaseWrapper) -> None:
    """Give a new SQLite connection the function the DELETE trigger asks."""
    connection.connection.create_function(
        SQLITE_FLUSH_FUNCTION, 0, lambda: int(getattr(connection, "_qpa_event_log_flush", False))
    )


@contextmanager
def flush_allowed(using: str) -> Iterator[None]:
    """Let `flush` (which empties every table, for tests and development) empty the log
    too. Nothing else deletes entries: not the purge, not the application."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [POSTGRESQL_FLUSH_SETTING])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', false)", [POSTGRESQL_FLUSH_SETTING])
        return
    connection._qpa_event_log_flush = True  # type: ignore[attr-defined]
    try:
        yield
    finally:
        connection._qpa_event_log_flush = False  # type: ignore[attr-defined]


# --- Reading -------------------------------------------------------------------------

# Keys of `data` that say how QPA was used, never what an audit found about a child. A
# reader who may not see case detail (administrators read the log) is shown only these;
# any other key (severity, outcome, rank, stratum, a legal hold's reason...) is withheld,
# so a key added later stays hidden until it is judged and listed here.
DETAILS_FOR_EVERY_READER = frozenset(
    {
        "algorithm",
        "allocations",
        "bytes",
        "change",
        "changed",
        "child_ids",
        "council",
        "count",
        "cycle",
        "days",
        "deleted",
        "devices",
        "domain",
        "drawn",
        "entries_verified",
        "failure",
        "file",
        "filters",
        "format",
        "is_active",
        "is_staff",
        "is_superuser",
        "kept_under_legal_hold",
        "method",
        "moderation",
        "objects",
        "os_user",
        "parameters",
        "path",
        "percent",
        "prefix",
        "quarter",
        "reset_reason",
        "role",
        "scope",
        "second_factor",
        "sent",
        "service_areas",
        "sha256",
        "status",
        "step",
        "teams",
        "to_file",
        "today",
        "unsigned_head",
        "unsigned_until",
        "unused_left",
        "username",
        "vendor",
        "version",
        "via",
    }
)


@dataclass(frozen=True)
class Details:
    shown: list[tuple[str, str]]
    withheld: int


def event_details(data: Mapping[str, Any], *, case_detail: bool) -> Details:
    """An entry's `data` as a reader may see it: everything for a reader who may see
    case detail, otherwise only DETAILS_FOR_EVERY_READER, with a count of the rest."""
    shown = [
        (str(key), str(value))
        for key, value in data.items()
        if case_detail or key in DETAILS_FOR_EVERY_READER
    ]
    return Details(shown=shown, withheld=len(data) - len(shown))


def events_search(
    *,
    username: str = "",
    action: str = "",
    child_id: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Event]:
    """The log, newest first, narrowed by what an administrator searches for. Dates are
    UTC days, as the log keeps them."""
    events = Event.objects.order_by("-seq")
    if username:
        events = events.filter(
            Q(actor_username__iexact=username)
            | Q(action="auth.sign_in_failed", data__username__iexact=username)
        )
    if action:
        events = events.filter(action__startswith=action)
    if child_id:
        events = events.filter(Q(child_id=child_id) | Q(child_ids__contains=f" {child_id} "))
    if date_from:
        events = events.filter(occurred_at__gte=datetime.combine(date_from, time.min, UTC))
    if date_to:
        next_day = datetime.combine(date_to, time.min, UTC) + timedelta(days=1)
        events = events.filter(occurred_at__lt=next_day)
    return events


def events_about_child(child_id: str) -> QuerySet[Event]:
    """Every entry about one child, oldest first: who looked at their record and when."""
    return Event.objects.filter(
        Q(child_id=child_id) | Q(child_ids__contains=f" {child_id} ")
    ).order_by("seq")
