"""A submitted audit may have no overall rating when its tool version makes the overall
rating optional (decision 0111): the check moves to audit_problems, which can see the
version."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0003_audit_agreed_ratings"),
        ("tools", "0003_grading_descriptors_and_themed_options"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="audit",
            name="submitted_audit_has_overall_rating",
        ),
    ]
