"""Report figures: counts kept up to date as audits change, key messages edited by the
performance team, and other councils' benchmarking files.

`ReportCount` holds no identifier of a child or an audit: only how many audits of a
tool, in a month, fell on each rating, overall and per domain. See docs/reports.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from qpa.core.models import BaseModel

# Key values of ReportCount's dimensions besides real ids.
ALL = 0  # every service area / team / cycle: a rolled-up row
NOT_RECORDED = -1  # audits whose service area was not recorded
OVERALL = ""  # the `domain` of a row counting overall ratings


class ReportCount(models.Model):
    """How many audits of `tool` in `month` had `rating` (overall, or in `domain`).

    Each audit is counted in up to six rows per rating: every service area (ALL) and its
    own; its own team within its area; each of those for every cycle (ALL) and its own
    cycle. A report reads only the rows of its filters, so its time depends on the
    number of months and domains, never on the number of audits.
    """

    # No index of its own: the lookup index below starts with the tool, and a lone tool
    # index tempts SQLite's planner into reading every row of the tool.
    tool = models.ForeignKey(
        "tools.AuditTool", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField()  # the first day of the month
    service_area_key = models.IntegerField()  # ALL, NOT_RECORDED or a ServiceArea id
    team_key = models.IntegerField()  # ALL or a Team id
    cycle_key = models.IntegerField()  # ALL or a Cycle id
    domain = models.CharField(max_length=160, blank=True)  # OVERALL or a domain's name
    # Empty for a domain rated not applicable, and overall for audits of a tool whose
    # overall rating is optional that have none (counted in audits, not in the ratings).
    rating = models.ForeignKey(
        "tools.Rating",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    count = models.PositiveIntegerField()
    # Of an overall row's audits, those whose auditor answered "no" or "not sure" to "Is
    # the child safe now?": the report's "Safeguarding concerns raised: n of N audits",
    # read with the ratings, never from the audits (decision 0132).
    concerns = models.PositiveIntegerField(default=0)
    # Of the same audits, those that answered the tool's questions about the child's
    # lived experience (the family's view), and those where it is evident (decision 125):
    # "evident in e of n audits", read with the ratings too.
    child_asked = models.PositiveIntegerField(default=0)
    child_evident = models.PositiveIntegerField(default=0)
    family_asked = models.PositiveIntegerField(default=0)
    family_evident = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["tool", "service_area_key", "team_key", "cycle_key", "month"],
                name="report_count_lookup",
            ),
            # The recount of one tool-month.
            models.Index(fields=["tool", "month"], name="report_count_month"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(count__gt=0), name="report_count_positive"),
            models.CheckConstraint(
                condition=models.Q(concerns__lte=models.F("count")),
                name="report_concerns_within_count",
            ),
            models.CheckConstraint(
                condition=models.Q(child_asked__lte=models.F("count"))
                & models.Q(child_evident__lte=models.F("child_asked"))
                & models.Q(family_asked__lte=models.F("count"))
                & models.Q(family_evident__lte=models.F("family_asked")),
                name="report_voice_within_count",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.domain or 'overall'} {self.rating_id}: {self.count}"


class CountedAudit(models.Model):
    """The tool and month an audit was last counted in, so that a refresh also recounts
    the month an audit left (a changed date, a reopened or deleted audit). `audit_id` is
    not a foreign key: the row must outlive a purged audit."""

    audit_id = models.BigIntegerField(primary_key=True)
    tool_id = models.BigIntegerField()
    month = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["tool_id", "month"], name="counted_audit_month")]

    def __str__(self) -> str:
        return f"Audit {self.audit_id}: {self.month:%Y-%m}"


class KeyMessages(BaseModel):
    """The key messages of one report (its parameters), as the performance team edited
    them. Shown on the report page and used by every export of that report."""

    parameters = models.CharField(max_length=300, unique=True)
    text = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "key messages"
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="key_messages_have_text"),
        ]

    def __str__(self) -> str:
        return f"Key messages for {self.parameters}"


class BenchmarkFile(BaseModel):
    """Another council's figures (docs/reports.md, "Benchmarking file"): no identifiers."""

    council = models.CharField(max_length=200)
    tool = models.CharField(max_length=160)
    period_from = models.DateField()
    period_to = models.DateField()
    figures = models.JSONField()
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["council", "-period_to"]
        constraints = [
            models.UniqueConstraint(fields=["sha256"], name="unique_benchmark_file"),
        ]

    def __str__(self) -> str:
        return f"{self.council}, {self.period_from:%b %Y} to {self.period_to:%b %Y}"
