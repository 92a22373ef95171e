"""Database triggers that refuse UPDATE and DELETE of event-log entries (and TRUNCATE on
PostgreSQL). See docs/decisions/0030-hash-chained-event-log.md."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from qpa.core import events


def install(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        events.install_triggers(schema_editor.connection)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        events.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_event_log")]

    operations = [migrations.RunPython(install, drop)]
