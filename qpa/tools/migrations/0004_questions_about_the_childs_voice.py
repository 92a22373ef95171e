"""Questions about the child's voice and the family's view, part of a tool version (decision
0125)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tools", "0003_grading_descriptors_and_themed_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="VoiceQuestion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("order", models.PositiveSmallIntegerField()),
                (
                    "about",
                    models.CharField(
                        choices=[
                            ("child", "The child’s lived experience"),
                            ("family", "The family’s view"),
                        ],
                        max_length=8,
                    ),
                ),
                ("text", models.CharField(max_length=300)),
                ("hint", models.TextField(blank=True)),
                ("allows_not_applicable", models.BooleanField(default=False)),
                (
                    "text_asked",
                    models.CharField(
                        choices=[
                            ("never", "Never"),
                            ("yes", "When the answer is yes"),
                            ("not_yes", "When the answer is no or not recorded"),
                            ("always", "Always"),
                        ],
                        default="never",
                        max_length=8,
                    ),
                ),
                ("text_label", models.CharField(blank=True, max_length=200)),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="questions",
                        to="tools.toolversion",
                    ),
                ),
            ],
            options={
                "ordering": ["version", "order"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("version", "order"), name="unique_question_order"
                    ),
                    models.UniqueConstraint(
                        fields=("version", "text"), name="unique_question_text"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("text", ""), _negated=True), name="question_has_text"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("text_asked", "never"),
                            models.Q(("text_label", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="question_text_has_label",
                    ),
                ],
            },
        ),
    ]
