"""Seeds the briefing's scale, the ILACS scale with a crosswalk between them, and the two
tools: Quality of Practice (ten domains) and the themed Child Protection Core Assessment.

The data lives here, frozen with the migration, so that later changes to the code cannot
change what this migration did; tests that restore seeded rows call these functions."""

import uuid
from typing import Any

from django.db import migrations

BRIEFING_SCALE = (
    "quality-of-practice",
    "Quality of practice (briefing)",
    [
        ("Outstanding", "O"),
        ("Good", "G"),
        ("Adequate", "A"),
        ("Inadequate", "IA"),
        ("Critical", "C"),
    ],
    2,
    4,
)
ILACS_SCALE = (
    "ilacs",
    "Ofsted ILACS",
    [
        ("Outstanding", "O"),
        ("Good", "G"),
        ("Requires improvement to be good", "RI"),
        ("Inadequate", "IA"),
    ],
    2,
    4,
)
# briefing label -> ILACS label, and back.
TO_ILACS = {
    "Outstanding": "Outstanding",
    "Good": "Good",
    "Adequate": "Requires improvement to be good",
    "Inadequate": "Inadequate",
    "Critical": "Inadequate",
}
TO_BRIEFING = {
    "Outstanding": "Outstanding",
    "Good": "Good",
    "Requires improvement to be good": "Adequate",
    "Inadequate": "Inadequate",
}

QUALITY_OF_PRACTICE = [
    (
        "Referral and Response",
        "Was the referral responded to within timescales?\nWas the decision on the referral "
        "clear, recorded and proportionate to the risk?",
        "Good practice: a timely, recorded decision that names the risk and the next step.",
        True,
    ),
    (
        "Risk Assessment",
        "Is there a current assessment of risk and protective factors?\nDoes it draw on "
        "information from partner agencies and history?",
        "Good practice: risk is analysed, not just described, and is reviewed when things change.",
        False,
    ),
    (
        "Key Decisions",
        "Were key decisions (strategy discussions, conferences, legal planning) timely and "
        "recorded with their reasons?",
        "Good practice: decisions are evidence-based, authorised and followed through.",
        False,
    ),
    (
        "Key Assessment Episodes",
        "Were assessments completed on time, with the child seen and the family engaged?",
        "Good practice: assessments are analytical and lead to a clear plan.",
        False,
    ),
    (
        "Key Planning and Reviewing",
        "Is there a current plan with outcomes, actions, owners and timescales?\nIs it "
        "reviewed on time?",
        "Good practice: SMART plans that change as the child's needs change.",
        False,
    ),
    (
        "Child/Young Person focused practice",
        "Is the child seen, and seen alone where appropriate?\nAre their wishes, feelings and "
        "lived experience recorded and acted on?",
        "Good practice: the child's voice shapes the plan.",
        False,
    ),
    (
        "Supervision/Management Overview",
        "Is there regular, reflective supervision recorded on the file?\nIs management "
        "oversight visible at key points?",
        "Good practice: supervision challenges drift and sets clear actions.",
        False,
    ),
    (
        "Direct Engagement/professional relationships",
        "Does the worker engage the family and partner agencies effectively?",
        "Good practice: purposeful direct work and good multi-agency working.",
        False,
    ),
    (
        "Reporting and Recording",
        "Is the record up to date, accurate and written for the child to read one day?",
        "Good practice: case notes and chronology are current and analytical.",
        False,
    ),
    (
        "Case Transfer and Closure",
        "Was any transfer or closure timely, planned and authorised, with the family told?",
        "Rate as not applicable if the case has not been transferred or closed.",
        True,
    ),
]
CP_CORE_ASSESSMENT = [
    (
        "Strategy discussion",
        "Was a strategy discussion held promptly with police, health and other agencies?",
        "Good practice: a multi-agency decision recorded with its reasons.",
        False,
    ),
    (
        "Child protection core assessment",
        "Was the core assessment completed within timescales, analysing harm and risk?",
        "Good practice: the assessment informs the conference's decision.",
        False,
    ),
    (
        "Child protection conference",
        "Was the conference held on time, with the family and agencies involved?",
        "Good practice: a clear outline plan with the child's views represented.",
        False,
    ),
]


def seed(apps: Any, schema_editor: Any = None) -> None:
    RatingScale = apps.get_model("tools", "RatingScale")
    Rating = apps.get_model("tools", "Rating")
    RatingCrosswalk = apps.get_model("tools", "RatingCrosswalk")
    AuditTool = apps.get_model("tools", "AuditTool")
    ToolVersion = apps.get_model("tools", "ToolVersion")
    Domain = apps.get_model("tools", "Domain")

    scales = {}
    for slug, name, ratings, good, bad in (BRIEFING_SCALE, ILACS_SCALE):
        scale = RatingScale.objects.create(
            public_id=uuid.uuid4(),
            slug=slug,
            name=name,
            good_or_better_rank=good,
            inadequate_or_worse_rank=bad,
        )
        for rank, (label, code) in enumerate(ratings, start=1):
            Rating.objects.create(scale=scale, rank=rank, label=label, code=code)
        scales[slug] = scale
    briefing, ilacs = scales["quality-of-practice"], scales["ilacs"]
    for source, target, mapping in ((briefing, ilacs, TO_ILACS), (ilacs, briefing, TO_BRIEFING)):
        for label, target_label in mapping.items():
            RatingCrosswalk.objects.create(
                rating=Rating.objects.get(scale=source, label=label),
                target_scale=target,
                target=Rating.objects.get(scale=target, label=target_label),
            )

    for slug, name, kind, domains in (
        ("quality-of-practice", "Quality of Practice", "standard", QUALITY_OF_PRACTICE),
        (
            "child-protection-core-assessment",
            "Child Protection Core Assessment",
            "themed",
            CP_CORE_ASSESSMENT,
        ),
    ):
        tool = AuditTool.objects.create(
            public_id=uuid.uuid4(), slug=slug, name=name, kind=kind, scale=briefing
        )
        version = ToolVersion.objects.create(
            public_id=uuid.uuid4(), tool=tool, number=1, change_note="First version"
        )
        for order, (domain, prompts, guidance, allows_na) in enumerate(domains, start=1):
            Domain.objects.create(
                version=version,
                order=order,
                name=domain,
                prompts=prompts,
                guidance=guidance,
                allows_not_applicable=allows_na,
            )


# Grading descriptors: what each rating of the briefing's scale looks like in each
# domain, best first (Outstanding, Good, Adequate, Inadequate, Critical).


def unseed(apps: Any, schema_editor: Any = None) -> None:
    apps.get_model("tools", "AuditTool").objects.filter(
        slug__in=["quality-of-practice", "child-protection-core-assessment"]
    ).delete()
    apps.get_model("tools", "RatingScale").objects.filter(
        slug__in=["quality-of-practice", "ilacs"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("tools", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
