"""Grading descriptors per domain and rating, an optional overall rating per tool version,
and the themed tool as the briefing ran it (decision 0110)."""

import uuid
from typing import Any

import django.db.models.deletion
from django.db import migrations, models

# The briefing's scale, as migration 0002 made it.
BRIEFING_LABELS = ["Outstanding", "Good", "Adequate", "Inadequate", "Critical"]

QUALITY_OF_PRACTICE_DESCRIPTORS = {
    "Referral and Response": (
        "Screened the same working day. The decision, its reasons and the next step are "
        "recorded, risk was checked with partner agencies, and the family and the referrer "
        "were told.",
        "Decided within one working day, recorded with its reasons, and in proportion to the "
        "risk the referral describes. The next step is clear.",
        "A decision was made and recorded, but late or with thin reasons. The next step "
        "happened, but the record does not say why it was chosen.",
        "The decision was late, not recorded, or does not fit the risk described. Information "
        "from the referrer or partner agencies was not followed up.",
        "A referral showing risk of significant harm was not acted on, or was closed without "
        "checks. The child may have been left unprotected.",
    ),
    "Risk Assessment": (
        "Risks and strengths are analysed using the family's history and every agency "
        "involved. It says what could happen, how likely it is and what would make the child "
        "safer, and it is updated when things change.",
        "A current assessment weighs risks against strengths, uses history and partner "
        "agencies' information, and is reviewed when circumstances change.",
        "Risks are listed and mostly current, but described rather than analysed. History or "
        "partner agencies' views are partly missing.",
        "The assessment is missing, out of date, or lists events without saying what they "
        "mean for the child. Known risks are not addressed.",
        "Serious known risks, such as a violent adult in the home, are not recognised or acted "
        "on. The child may not be safe now.",
    ),
    "Key Decisions": (
        "Every key decision (strategy discussion, conference, legal planning) was on time, "
        "made with the right agencies, recorded with its reasons and carried out. The child's "
        "views shaped it.",
        "Key decisions were on time, authorised by a manager, recorded with their reasons and "
        "carried out.",
        "Decisions were made and recorded, but some were late, or their reasons or follow-up "
        "are unclear.",
        "Key decisions were missed, delayed or not recorded: for example no strategy "
        "discussion when one was needed, or decisions not carried out.",
        "A decision needed to protect the child (a strategy discussion, section 47 enquiry or "
        "legal step) was not taken, leaving the child at risk.",
    ),
    "Key Assessment Episodes": (
        "Assessments were on time; the child was seen, and seen alone; the family took part; "
        "and the analysis leads clearly to the plan.",
        "Assessments were on time, with the child seen and the family involved. The analysis "
        "supports the conclusions and the plan.",
        "Assessments were completed, but late or mostly descriptive. The child was seen, but "
        "their views are thinly recorded.",
        "Assessments were late, incomplete or copied from earlier ones; the child was not "
        "seen; or the analysis does not support the conclusion.",
        "No assessment was done when the child's circumstances needed one, or the assessment "
        "missed serious harm.",
    ),
    "Key Planning and Reviewing": (
        "The plan is specific, measurable and written for the family to understand. Each "
        "action has an owner and a date, reviews are on time, and the plan changes as the "
        "child's needs change.",
        "There is a current plan with outcomes, actions, owners and timescales, and it is "
        "reviewed on time.",
        "There is a plan and it is reviewed, but actions are vague, dates slip, or progress "
        "is not measured.",
        "The plan is missing, out of date or not followed. Reviews are late or missed and "
        "drift goes unchallenged.",
        "There is no plan for a child at risk of significant harm, or the plan is ignored "
        "while the risk grows.",
    ),
    "Child/Young Person focused practice": (
        "The child is seen regularly, and alone where appropriate. Their wishes, feelings "
        "and daily life are recorded in their own words and clearly shape decisions.",
        "The child is seen, and alone where appropriate. Their views and daily experience are "
        "recorded and taken into account.",
        "The child is seen, but their views are recorded briefly or second-hand, and it is "
        "not clear how they changed the plan.",
        "The child is rarely seen, or not seen alone. Their voice and daily experience are "
        "missing from the record.",
        "The child has not been seen when they should have been, so nobody knows whether they "
        "are safe.",
    ),
    "Supervision/Management Overview": (
        "Regular, reflective supervision is recorded. Managers test the analysis, challenge "
        "drift and set clear actions that are followed up.",
        "Supervision is regular and recorded, with clear actions. A manager's oversight is "
        "visible at key decisions.",
        "Supervision happens and is recorded, but it is mostly a list of tasks, and oversight "
        "at key points is patchy.",
        "Supervision is rare or not recorded. Managers have not noticed drift or risk.",
        "A high-risk case has no management oversight, or a manager agreed a decision that "
        "left the child unsafe.",
    ),
    "Direct Engagement/professional relationships": (
        "The worker has built a purposeful relationship with the child and family, uses "
        "direct work well, and works closely with partner agencies who share information and "
        "act together.",
        "The worker engages the family well, works effectively with partner agencies, and "
        "direct work with the child has a clear purpose.",
        "The worker is in touch with the family and agencies, but mostly reacts to events, "
        "and direct work is limited.",
        "The family is not engaged or not challenged. Partner agencies are left out, or what "
        "they say is ignored.",
        "Engagement or joint working has broken down so that known concerns are not shared, "
        "leaving the child at risk.",
    ),
    "Reporting and Recording": (
        "The record is up to date, accurate and analytical, with a current chronology and "
        "case summary, written so that the child could read it one day.",
        "Case notes are up to date and accurate, and the chronology and summary are current.",
        "The record is mostly up to date, but notes are descriptive or late, or the "
        "chronology is incomplete.",
        "Key events are missing or recorded weeks late, there is no chronology, or the record "
        "is hard to follow.",
        "The record is so incomplete that a new worker could not tell whether the child is safe.",
    ),
    "Case Transfer and Closure": (
        "The transfer or closure was planned, on time and authorised, with the family and "
        "agencies told, a clear summary, and a safe plan for what happens next.",
        "The transfer or closure was on time and authorised, the family was told, and the "
        "reasons are clearly recorded.",
        "The transfer or closure happened, but late, or with a thin summary or reasons.",
        "The case was transferred or closed without a manager's authority, without telling "
        "the family, or with work left undone.",
        "The case was closed, or left without a worker, while the child was still at risk of "
        "significant harm.",
    ),
}
CP_CORE_ASSESSMENT_DESCRIPTORS = {
    "Strategy discussion": (
        "Held promptly with police, health and every agency involved. Information was fully "
        "shared, and the decision, its reasons and the actions are recorded and carried out.",
        "Held on time with police and health. The decision and its reasons are recorded.",
        "Held, but late, without an agency that should have been there, or with thin reasons "
        "recorded.",
        "Held very late, with one agency only, or not recorded.",
        "No strategy discussion was held although there was reason to suspect significant harm.",
    ),
    "Child protection core assessment": (
        "Completed within timescales. It analyses harm, risk and strengths with the child's "
        "and family's views, and gives the conference a clear recommendation.",
        "Completed within timescales, analysing harm and risk, so that the conference could "
        "rely on it.",
        "Completed, but late or mostly descriptive, with little analysis of harm.",
        "Late, incomplete, or missing key information: for example the child not seen or "
        "agencies not asked.",
        "Not done, or it missed serious harm so that the child was left unprotected.",
    ),
    "Child protection conference": (
        "Held on time with the family and agencies taking part and the child's views heard. "
        "The outline plan is clear and everyone knows their part.",
        "Held on time with the family and the key agencies, agreeing a clear outline plan.",
        "Held, but late, or without the family or a key agency, and the outline plan is general.",
        "Held well outside timescales, without the family, or without a plan anyone could follow.",
        "No conference was held when one was needed, or its decision left the child at risk.",
    ),
}
DESCRIPTORS = {
    "quality-of-practice": QUALITY_OF_PRACTICE_DESCRIPTORS,
    "child-protection-core-assessment": CP_CORE_ASSESSMENT_DESCRIPTORS,
}
# The themed tool as the briefing ran it: each domain may be not applicable (38, 38 and 35
# of its 39 cases were rated) and there is no overall judgement.
THEMED_TOOL = "child-protection-core-assessment"
DESCRIPTORS_NOTE = "Grading descriptors added"


def _version_to_change(apps: Any, tool: Any) -> Any:
    """The tool's current version, or a copy of it when audits already use it: a version
    that audits use is never changed (qpa.tools.services)."""
    ToolVersion = apps.get_model("tools", "ToolVersion")
    Domain = apps.get_model("tools", "Domain")
    current = ToolVersion.objects.filter(tool=tool).order_by("-number").first()
    try:
        Audit = apps.get_model("audits", "Audit")
    except LookupError:  # the audits app is not migrated yet: nothing can use the version
        return current
    if not Audit.objects.filter(tool_version=current).exists():
        return current
    copy = ToolVersion.objects.create(
        public_id=uuid.uuid4(),
        tool=tool,
        number=current.number + 1,
        change_note=DESCRIPTORS_NOTE,
        overall_rating_optional=current.overall_rating_optional,
    )
    for domain in Domain.objects.filter(version=current).order_by("order"):
        Domain.objects.create(
            version=copy,
            order=domain.order,
            name=domain.name,
            prompts=domain.prompts,
            guidance=domain.guidance,
            allows_not_applicable=domain.allows_not_applicable,
        )
    return copy


def seed_descriptors(apps: Any, schema_editor: Any = None) -> None:
    """Grading descriptors for the two shipped tools, and the themed tool's options."""
    AuditTool = apps.get_model("tools", "AuditTool")
    Domain = apps.get_model("tools", "Domain")
    Rating = apps.get_model("tools", "Rating")
    RatingDescriptor = apps.get_model("tools", "RatingDescriptor")
    for slug, per_domain in DESCRIPTORS.items():
        tool = AuditTool.objects.filter(slug=slug).first()
        if tool is None:  # a council removed it
            continue
        ratings = list(Rating.objects.filter(scale_id=tool.scale_id).order_by("rank"))
        if [r.label for r in ratings] != BRIEFING_LABELS:
            continue  # moved to another scale: these words no longer fit
        version = _version_to_change(apps, tool)
        if slug == THEMED_TOOL:
            version.overall_rating_optional = True
            version.save(update_fields=["overall_rating_optional"])
            Domain.objects.filter(version=version).update(allows_not_applicable=True)
        for domain in Domain.objects.filter(version=version, name__in=per_domain):
            for rating, text in zip(ratings, per_domain[domain.name], strict=True):
                RatingDescriptor.objects.update_or_create(
                    domain=domain, rating=rating, defaults={"text": text}
                )


def unseed_descriptors(apps: Any, schema_editor: Any = None) -> None:
    ToolVersion = apps.get_model("tools", "ToolVersion")
    Domain = apps.get_model("tools", "Domain")
    RatingDescriptor = apps.get_model("tools", "RatingDescriptor")
    RatingDescriptor.objects.filter(domain__version__tool__slug__in=DESCRIPTORS).delete()
    themed = ToolVersion.objects.filter(tool__slug=THEMED_TOOL, number=1)
    Domain.objects.filter(version__in=themed).update(allows_not_applicable=False)
    copies = ToolVersion.objects.filter(tool__slug__in=DESCRIPTORS, change_note=DESCRIPTORS_NOTE)
    try:
        Audit = apps.get_model("audits", "Audit")
    except LookupError:
        copies.delete()
    else:
        copies.exclude(pk__in=Audit.objects.values("tool_version_id")).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tools", "0002_seed_scales_and_tools"),
    ]

    operations = [
        migrations.AddField(
            model_name="toolversion",
            name="overall_rating_optional",
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name="RatingDescriptor",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("text", models.TextField()),
                (
                    "domain",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="descriptors",
                        to="tools.domain",
                    ),
                ),
                (
                    "rating",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tools.rating",
                    ),
                ),
            ],
            options={
                "ordering": ["domain", "rating__rank"],
                "constraints": [
                    models.UniqueConstraint(fields=("domain", "rating"), name="unique_descriptor"),
                    models.CheckConstraint(
                        condition=models.Q(("text", ""), _negated=True), name="descriptor_has_text"
                    ),
                ],
            },
        ),
        migrations.RunPython(seed_descriptors, unseed_descriptors),
    ]
