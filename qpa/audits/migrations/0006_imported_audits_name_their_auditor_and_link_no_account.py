"""An imported audit records its auditor's name as text and links no account (decision
0107): an account linked to an imported audit sees the case ("cases audited by me") and
every other audit of it, so an import widened a remit. Audits imported before this keep
the name of the account they were matched to, and lose the link."""

from typing import Any

from django.db import migrations, models


def unlink_imported_audits(apps: Any, schema_editor: Any) -> None:
    Audit = apps.get_model("audits", "Audit")
    linked = Audit.objects.filter(source="imported", auditor__isnull=False).select_related(
        "auditor"
    )
    for audit in linked.iterator():
        person = audit.auditor
        name = f"{person.first_name} {person.last_name}".strip() or person.username
        audit.auditor_name = audit.auditor_name or name[:160]
        audit.auditor = None
        audit.save(update_fields=["auditor", "auditor_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0005_safety_question_and_consistency_reason"),
    ]

    operations = [
        # Going back keeps the names and links no account again: a link would reopen the
        # remit this migration closed.
        migrations.RunPython(unlink_imported_audits, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="audit",
            constraint=models.CheckConstraint(
                condition=~models.Q(source="imported") | models.Q(auditor__isnull=True),
                name="imported_audit_links_no_account",
            ),
        ),
    ]
