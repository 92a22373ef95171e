"""What the demo council's auditors write: evidence whose themes are the ones real audits
find ("no chronology", "strategy discussion not recorded", "child not seen alone", "clear
analysis of risk"), the answers about the child's voice and the family's view, and the
actions they recommend. Every choice comes from the generator it is given, so the demo
stays the same for the same seed."""

from __future__ import annotations

import random
from datetime import date

from qpa.tools.models import Answer

# What an auditor finds, by how the domain was rated: poor (inadequate or worse), middling
# (adequate) and good (good or better). Each domain draws first from its own findings.
POOR = {
    "Referral and Response": [
        "The referral was not screened within one working day and the decision is not recorded.",
        "No checks with police or health before the case was closed at the front door.",
        "The referrer was not told the outcome.",
    ],
    "Risk Assessment": [
        "Risks are listed but not analysed: there is no analysis of what they mean for the child.",
        "No chronology, so patterns of domestic abuse are missed.",
        "The risk assessment is out of date and was not reviewed after the new incident.",
    ],
    "Key Decisions": [
        "Strategy discussion not recorded, and the decision to end the enquiry has no reasons.",
        "No management oversight of the decision to step down.",
        "The decision to close was made without seeing the child.",
    ],
    "Key Assessment Episodes": [
        "The assessment was completed out of timescale and largely copied from the last one.",
        "The child was not seen alone during the assessment.",
        "Father not assessed or contacted.",
    ],
    "Key Planning and Reviewing": [
        "The plan is not SMART: actions have no owners or timescales.",
        "Core group not held within timescale and there is drift and delay.",
        "No contingency plan.",
    ],
    "Child/Young Person focused practice": [
        "Child not seen alone at the last three visits.",
        "The child's wishes and feelings are not recorded.",
        "No direct work with the child, whose lived experience is not described.",
    ],
    "Supervision/Management Overview": [
        "No supervision recorded since the case was allocated.",
        "Supervision is a list of tasks with no reflection and no management oversight.",
        "Actions from supervision were not followed up.",
    ],
    "Direct Engagement/professional relationships": [
        "Statutory visits out of timescale.",
        "Partner agencies were not invited to the meeting and their information was not sought.",
        "The family did not know who their worker was.",
    ],
    "Reporting and Recording": [
        "Case notes not up to date: visits recorded weeks late.",
        "No chronology on file.",
        "Key documents are missing from the file.",
    ],
    "Case Transfer and Closure": [
        "The case was transferred without a transfer summary.",
        "Closed without a closure summary or a plan for the family.",
        "No management oversight of the closure.",
    ],
    "Strategy discussion": [
        "Strategy discussion not recorded.",
        "Police were not part of the strategy discussion.",
        "No strategy discussion despite a disclosure of harm.",
    ],
    "Child protection core assessment": [
        "The child was not seen alone during the enquiry.",
        "No chronology, and risks are not analysed.",
        "The assessment was out of timescale.",
    ],
    "Conference": [
        "Initial conference out of timescale.",
        "The conference report was not shared with the family beforehand.",
        "The plan from conference has no timescales.",
    ],
}
GOOD = {
    "Referral and Response": [
        "Screened the same day with checks across agencies and a clear decision.",
        "The family and the referrer were told the outcome promptly.",
    ],
    "Risk Assessment": [
        "Clear analysis of risk and protective factors, using the chronology.",
        "The risk assessment was updated promptly after each incident.",
    ],
    "Key Decisions": [
        "Strategy discussion recorded with every agency's view and clear reasons.",
        "Management oversight at each key decision, with reasons recorded.",
    ],
    "Key Assessment Episodes": [
        "Assessment completed within timescale with a clear analysis that leads to the plan.",
        "The child was seen alone and the father was included in the assessment.",
    ],
    "Key Planning and Reviewing": [
        "SMART plan reviewed at each core group, with progress recorded.",
        "The contingency plan is clear and the family understands it.",
    ],
    "Child/Young Person focused practice": [
        "Child seen alone and their words recorded.",
        "Direct work with the child shaped the plan: their wishes are acted on.",
    ],
    "Supervision/Management Overview": [
        "Regular reflective supervision with clear actions that are followed up.",
        "Management oversight is evident throughout.",
    ],
    "Direct Engagement/professional relationships": [
        "Visits within timescale and a trusting relationship with the family.",
        "Strong multi-agency working: partners attend and contribute.",
    ],
    "Reporting and Recording": [
        "Up-to-date chronology and case notes written within days.",
        "Records are clear, respectful and written for the child to read.",
    ],
    "Case Transfer and Closure": [
        "A clear transfer summary and a joint visit with the new worker.",
        "Closure summary explains what changed for the child.",
    ],
    "Strategy discussion": [
        "Strategy discussion held promptly with police and health, and recorded in full.",
    ],
    "Child protection core assessment": [
        "Clear analysis of risk; the child was seen alone and their views recorded.",
    ],
    "Conference": [
        "Conference within timescale with a SMART plan.",
    ],
}
MIDDLING = [
    "The chronology was started but is not up to date.",
    "The child was seen, but the record is mostly descriptive.",
    "The plan is in place, though some actions have no timescales.",
    "Supervision is recorded but reflection is limited.",
    "The assessment was a little late but the analysis is reasonable.",
    "Partner agencies contribute, but not consistently.",
]
# What an auditor adds, naming the people and dates they read about: QPA removes these
# before it learns from the evidence.
DETAIL = [
    "Discussed with {worker} on {day}.",
    "{worker} visited {child} on {day}.",
    "Seen by {worker}, {day}.",
    "Last case note by {worker} on {day}.",
]


def evidence(
    rng: random.Random, *, domain: str, rank: int, worker: str, child_id: str, day: date
) -> str:
    """Two to four findings for a domain rated at `rank` (1 is outstanding, 4 inadequate,
    5 critical on the briefing's scale), sometimes with a worker's name and a date."""
    if rank >= 4:
        own, general = POOR.get(domain, []), [s for found in POOR.values() for s in found]
    elif rank <= 2:
        own, general = GOOD.get(domain, []), [s for found in GOOD.values() for s in found]
    else:
        own, general = MIDDLING, MIDDLING
    count = rng.randint(2, 4)
    picked: list[str] = []
    pool = own or general
    while len(picked) < count:
        candidate = rng.choice(pool if rng.random() < 0.7 else general)
        if candidate not in picked:
            picked.append(candidate)
    if rng.random() < 0.5 and worker:
        picked.insert(
            rng.randrange(len(picked) + 1),
            rng.choice(DETAIL).format(worker=worker, child=child_id, day=f"{day:%d/%m/%Y}"),
        )
    return " ".join(picked)


# Answers to the suggested questions (qpa.tools.services.SUGGESTED_QUESTIONS), in order:
# the chance of "yes" for an audit rated good or better, adequate, and inadequate or worse;
# the short text with a "yes"; the short text with any other answer.
VOICE = [
    ((0.95, 0.75, 0.35), "", "Not seen alone at the last two visits; no reason recorded."),
    ((0.9, 0.65, 0.3), "Recorded in the child's own words in the assessment and at visits.", ""),
    (
        (0.85, 0.55, 0.2),
        "Contact arrangements changed after the child said they felt unsafe.",
        "Nothing in the plan shows the child's views were taken into account.",
    ),
    (
        (0.8, 0.5, 0.25),
        "Mother said the family support worker helped with routines; father was not asked.",
        "",
    ),
]


def voice_answers(
    rng: random.Random, *, overall_rank: int, questions: int
) -> list[tuple[str, str]]:
    """(answer, short text) for each question, more often yes the better the audit."""
    band = 0 if overall_rank <= 2 else 1 if overall_rank == 3 else 2
    answers: list[tuple[str, str]] = []
    for position in range(questions):
        chances, yes_text, other_text = VOICE[position % len(VOICE)]
        roll = rng.random()
        if roll < chances[band]:
            answers.append((Answer.YES, yes_text))
        elif roll < chances[band] + (1 - chances[band]) / 2:
            answers.append((Answer.NO, other_text))
        else:
            answers.append((Answer.NOT_RECORDED, other_text))
    return answers


RECOMMENDATIONS = [
    "Complete a chronology and use it to update the assessment.",
    "Hold and record a strategy discussion with police and health.",
    "See the child alone at the next visit and record their wishes and feelings.",
    "Review the plan at the next core group: SMART actions with owners and timescales.",
    "Record management oversight of the next key decision.",
    "Ask the family about the help they receive and record what they say.",
]
