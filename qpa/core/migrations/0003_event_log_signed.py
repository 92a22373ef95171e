"""Sign the event log: a key id on every entry, whose hash is from now on an HMAC-SHA256
under that key (docs/decisions/0100-signed-event-log.md).

Entries already written stay as they were (the triggers refuse to change them, and
anchors copied off the server name their hashes). When there are any, this migration
appends one signed entry, `event_log.signing_started`, that follows the last of them and
names it: from there on every entry must be signed, so an unsigned entry added later
fails `qpa verify-event-log`.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from qpa.core import events


def reinstall_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Adding a column with a default rebuilds the table on SQLite, losing its triggers.
    if schema_editor.connection.vendor == "sqlite":
        events.install_triggers(schema_editor.connection)


def sign_from_here(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    event_model = apps.get_model("core", "Event")
    entries = event_model.objects.using(schema_editor.connection.alias)
    head = entries.order_by("-seq").values("seq", "hash", "key_id").first()
    if head is None or head["key_id"]:
        return
    key_id, secret = events.writing_key()
    entries.create(
        **events.signing_started_fields(
            head_seq=head["seq"], head_hash=head["hash"], key_id=key_id, secret=secret
        )
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_event_log_triggers")]

    operations = [
        # Going back: removing the column rebuilds the table on SQLite too. Entries signed
        # meanwhile then no longer verify with the code of before.
        migrations.RunPython(migrations.RunPython.noop, reinstall_triggers),
        migrations.AddField(
            model_name="event",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.RunPython(reinstall_triggers, migrations.RunPython.noop),
        migrations.RunPython(sign_from_here, migrations.RunPython.noop),
    ]
