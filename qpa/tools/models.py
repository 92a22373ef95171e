"""Rating scales and audit tools are data: councils change them without a release."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from qpa.core.models import BaseModel


class RatingScale(BaseModel):
    """An ordered set of ratings (rank 1 is the best) with two lines that reports use."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    # Ratings of this rank or better count as "good or better".
    good_or_better_rank = models.PositiveSmallIntegerField()
    # Ratings of this rank or worse count as "inadequate or worse": immediate action.
    inadequate_or_worse_rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(good_or_better_rank__lt=models.F("inadequate_or_worse_rank")),
                name="scale_good_line_above_inadequate_line",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tools:scale-detail", kwargs={"slug": self.slug})


class Rating(models.Model):
    scale = models.ForeignKey(RatingScale, on_delete=models.CASCADE, related_name="ratings")
    rank = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=80)
    # The short code of the briefing's key (O, G, A, IA, C).
    code = models.CharField(max_length=8)

    class Meta:
        ordering = ["scale", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "rank"], name="unique_rating_rank"),
            models.UniqueConstraint(fields=["scale", "label"], name="unique_rating_label"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_good_or_better(self) -> bool:
        return self.rank <= self.scale.good_or_better_rank

    @property
    def is_inadequate_or_worse(self) -> bool:
        return self.rank >= self.scale.inadequate_or_worse_rank


class RatingCrosswalk(models.Model):
    """Maps a rating onto its equivalent in another scale, so trends survive a change."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="crosswalks")
    target_scale = models.ForeignKey(RatingScale, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rating", "target_scale"], name="unique_crosswalk_per_target_scale"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating} → {self.target}"


class ToolKind(models.TextChoices):
    STANDARD = "standard", "Standard quality of practice"
    THEMED = "themed", "Themed"


class AuditTool(BaseModel):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=160, unique=True)
    kind = models.CharField(max_length=16, choices=ToolKind.choices, default=ToolKind.STANDARD)
    description = models.TextField(blank=True)
    scale = models.ForeignKey(RatingScale, on_delete=models.PROTECT, related_name="tools")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tools:tool-detail", kwargs={"slug": self.slug})

    @property
    def current_version(self) -> ToolVersion:
        version = self.versions.order_by("-number").first()
        if version is None:
            raise ToolVersion.DoesNotExist(f"{self} has no version")
        return version


class ToolVersion(BaseModel):
    """A frozen list of domains. Audits point at a version, so later edits leave them be."""

    tool = models.ForeignKey(AuditTool, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    change_note = models.CharField(max_length=300, blank=True)
    # A themed tool may report its domains only: its audits may leave the overall rating
    # blank, and reports leave those audits out of the overall figures.
    overall_rating_optional = models.BooleanField(default=False)

    class Meta:
        ordering = ["tool", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tool", "number"], name="unique_tool_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.tool} v{self.number}"


class Domain(models.Model):
    version = models.ForeignKey(ToolVersion, on_delete=models.CASCADE, related_name="domains")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=160)
    prompts = models.TextField(blank=True, help_text="Questions the auditor considers.")
    guidance = models.TextField(blank=True, help_text="What good looks like.")
    allows_not_applicable = models.BooleanField(default=True)

    class Meta:
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="unique_domain_name"),
        ]

    def __str__(self) -> str:
        return self.name


class RatingDescriptor(models.Model):
    """What one rating looks like in one domain: the grading descriptor auditors read
    beside the rating choices. Part of the domain, so part of the tool version."""

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="descriptors")
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    class Meta:
        ordering = ["domain", "rating__rank"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "rating"], name="unique_descriptor"),
            models.CheckConstraint(condition=~models.Q(text=""), name="descriptor_has_text"),
        ]

    def __str__(self) -> str:
        return f"{self.domain}: {self.rating}"


class QuestionAbout(models.TextChoices):
    """What a question about the child's voice and the family's view tells the report."""

    CHILD = "child", "The child’s lived experience"
    FAMILY = "family", "The family’s view"


class TextAsked(models.TextChoices):
    """When a question asks for a short text beside its answer."""

    NEVER = "never", "Never"
    YES = "yes", "When the answer is yes"
    NOT_YES = "not_yes", "When the answer is no or not recorded"
    ALWAYS = "always", "Always"


class Answer(models.TextChoices):
    """The answers to a question about the child's voice or the family's view."""

    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_RECORDED = "not_recorded", "Not recorded"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class VoiceQuestion(models.Model):
    """A structured question about the child's voice or the family's view, answered on
    every audit of the tool version (yes, no, not recorded, and not applicable where the
    question allows it). Part of the version, like its domains (decision 0125)."""

    version = models.ForeignKey(ToolVersion, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField()
    about = models.CharField(max_length=8, choices=QuestionAbout.choices)
    text = models.CharField(max_length=300)
    hint = models.TextField(blank=True)
    allows_not_applicable = models.BooleanField(default=False)
    text_asked = models.CharField(max_length=8, choices=TextAsked.choices, default=TextAsked.NEVER)
    # The label of the short text, for example "What did they say?".
    text_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="unique_question_order"),
            models.UniqueConstraint(fields=["version", "text"], name="unique_question_text"),
            models.CheckConstraint(condition=~models.Q(text=""), name="question_has_text"),
            models.CheckConstraint(
                condition=models.Q(text_asked="never") | ~models.Q(text_label=""),
                name="question_text_has_label",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    def text_needed(self, answer: str) -> bool:
        """Whether `answer` (an `Answer`) needs the short text to be written."""
        if not answer or answer == Answer.NOT_APPLICABLE:
            return False
        if self.text_asked == TextAsked.ALWAYS:
            return True
        if self.text_asked == TextAsked.YES:
            return answer == Answer.YES
        if self.text_asked == TextAsked.NOT_YES:
            return answer in (Answer.NO, Answer.NOT_RECORDED)
        return False
