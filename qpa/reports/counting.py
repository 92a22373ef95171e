"""What reports count. The one place that says which audits count, in which month,
under which keys, and with which ratings.

A moderated audit counts with its agreed ratings (docs/moderation.md); the moderator's
own audit and re-audits are not counted again (re-audits are reported as outcomes).
docs/reports.md, "What is counted".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce

from qpa.audits.blind import withheld_from_figures
from qpa.audits.models import (
    SAFEGUARDING_CONCERNS,
    Audit,
    AuditStatus,
    DomainRating,
    VoiceAnswer,
)
from qpa.reports.models import ALL, NOT_RECORDED, OVERALL, ReportCount
from qpa.tools.models import Answer, QuestionAbout

# The rating a report counts, as query expressions over Audit and DomainRating: the
# agreed rating once a moderator has recorded one, else the auditor's.
OVERALL_RATING = Case(
    When(agreed_at__isnull=False, then=F("agreed_overall_rating_id")),
    default=F("overall_rating_id"),
)
DOMAIN_RATING = Case(
    When(audit__agreed_at__isnull=False, then=F("agreed_rating_id")), default=F("rating_id")
)
DOMAIN_NOT_APPLICABLE = Case(
    When(audit__agreed_at__isnull=False, then=F("agreed_not_applicable")),
    default=F("not_applicable"),
)

# (tool id, month, service area key, team key, cycle key, domain, rating id or None)
CountKey = tuple[int, date, int, int, int, str, int | None]

# What each overall row counts beside its audits (ReportCount's columns): the safeguarding
# concerns raised, and for the child's lived experience and the family's view (decision
# 125) the audits that answered the theme's questions and those where it is evident.
OVERALL_FIGURES = ("concerns", "child_asked", "child_evident", "family_asked", "family_evident")
VOICE_THEMES = {QuestionAbout.CHILD: "child", QuestionAbout.FAMILY: "family"}
SHORT_OF_EVIDENT = (Answer.NO, Answer.NOT_RECORDED)


def counted_audits() -> QuerySet[Audit]:
    """Audits that count in reports: submitted (in QPA or imported), with a date, and not
    a moderator's second audit or a re-audit of one already counted. A first audit whose
    moderation is still blind counts once the moderator's audit is submitted too, so that
    no figure shows its ratings to the moderator meanwhile (qpa.audits.blind, decision
    0106)."""
    return Audit.objects.filter(
        status=AuditStatus.SUBMITTED,
        audit_date__isnull=False,
        moderation_of__isnull=True,
        reaudit_of__isnull=True,
    ).exclude(pk__in=withheld_from_figures())


def effective_overall(audit: Audit) -> int | None:
    """The id of the overall rating reports count for one audit."""
    if audit.agreed_at is not None:
        return audit.agreed_overall_rating_id
    return audit.overall_rating_id


def effective_domain_ratings(audit: Audit) -> list[tuple[str, int | None]]:
    """(domain name, rating id or None when not applicable) that reports count."""
    agreed = audit.agreed_at is not None
    counted = []
    for row in audit.domain_ratings.all():
        not_applicable = row.agreed_not_applicable if agreed else row.not_applicable
        rating_id = row.agreed_rating_id if agreed else row.rating_id
        if not_applicable or rating_id is not None:
            counted.append((row.domain.name, None if not_applicable else rating_id))
    return counted


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def rollup_keys(
    area_id: int | None, team_id: int | None, cycle_id: int | None
) -> list[tuple[int, int, int]]:
    """The (service area, team, cycle) keys one audit is counted under: every area and
    its own; its team within its own area; each for every cycle and its own cycle."""
    area = area_id if area_id is not None else NOT_RECORDED
    places = [(ALL, ALL), (area, ALL)]
    if team_id is not None:
        places.append((area, team_id))
    cycles = [ALL] if cycle_id is None else [ALL, cycle_id]
    return [(a, t, c) for a, t in places for c in cycles]


def month_audits(tool_id: int, month: date) -> QuerySet[Audit]:
    return counted_audits().filter(
        tool_version__tool_id=tool_id, audit_date__gte=month, audit_date__lte=month_end(month)
    )


def counts_for_month(tool_id: int, month: date) -> Counter[CountKey]:
    """Every ReportCount of one tool and month, computed in the database from the audits."""
    return month_counts(tool_id, month)[0]


def _voice_answers(about: str, answers: tuple[str, ...] | None = None) -> Coalesce:
    """The number of an audit's answers (of these kinds) to its questions about `about`."""
    rows = VoiceAnswer.objects.filter(audit=OuterRef("pk"), question__about=about).exclude(
        answer=""
    )
    if answers is not None:
        rows = rows.filter(answer__in=answers)
    counted = rows.order_by().values("audit").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), 0)


def voice_evident(answers: Iterable[str]) -> tuple[bool, bool]:
    """(asked, evident) of one audit's answers to one theme's questions: asked when any is
    answered; evident when at least one is yes and none is no or not recorded (not
    applicable counts neither way)."""
    given = [a for a in answers if a]
    return bool(given), Answer.YES in given and not any(a in SHORT_OF_EVIDENT for a in given)


def month_counts(
    tool_id: int, month: date
) -> tuple[Counter[CountKey], dict[str, Counter[CountKey]]]:
    """Every ReportCount of one tool and month, computed in the database from the audits:
    the counts, and each of OVERALL_FIGURES for the overall rows (the safeguarding
    concerns: audits whose auditor answered "no" or "not sure" to "Is the child safe
    now?"; the child's voice and the family's view as `voice_evident` says)."""
    audits = month_audits(tool_id, month)
    place = ("service_area_id", "team_id", "allocation__sampled_case__cycle_id")
    counts: Counter[CountKey] = Counter()
    figures: dict[str, Counter[CountKey]] = {name: Counter() for name in OVERALL_FIGURES}
    voice: dict[str, Count] = {}
    for about, theme in VOICE_THEMES.items():
        audits = audits.annotate(
            **{
                f"{theme}_given": _voice_answers(about),
                f"{theme}_yes": _voice_answers(about, (Answer.YES,)),
                f"{theme}_short": _voice_answers(about, SHORT_OF_EVIDENT),
            }
        )
        asked = Q(**{f"{theme}_given__gt": 0})
        voice[f"{theme}_asked"] = Count("id", filter=asked)
        voice[f"{theme}_evident"] = Count(
            "id", filter=asked & Q(**{f"{theme}_yes__gt": 0, f"{theme}_short": 0})
        )
    overall = (
        audits.annotate(counted_rating=OVERALL_RATING)
        .values_list(*place, "counted_rating")
        .order_by()
        .annotate(
            n=_count(),
            concerns=Count("id", filter=Q(child_safe__in=SAFEGUARDING_CONCERNS)),
            **voice,
        )
    )
    for area_id, team_id, cycle_id, rating_id, n, *extra in overall:
        for a, t, c in rollup_keys(area_id, team_id, cycle_id):
            key = (tool_id, month, a, t, c, OVERALL, rating_id)
            counts[key] += n
            for name, value in zip(OVERALL_FIGURES, extra, strict=True):
                if value:
                    figures[name][key] += value
    domains = (
        DomainRating.objects.filter(audit__in=audits)
        .annotate(counted_rating=DOMAIN_RATING, counted_na=DOMAIN_NOT_APPLICABLE)
        .exclude(counted_na=False, counted_rating__isnull=True)
        .values_list(
            *(f"audit__{p}" for p in place), "domain__name", "counted_na", "counted_rating"
        )
        .order_by()
        .annotate(n=_count())
    )
    for area_id, team_id, cycle_id, name, not_applicable, rating_id, n in domains:
        for a, t, c in rollup_keys(area_id, team_id, cycle_id):
            counts[(tool_id, month, a, t, c, name, None if not_applicable else rating_id)] += n
    return counts, figures


def counts_from_scratch(audits: Iterable[Audit]) -> Counter[CountKey]:
    """The same counts, one audit at a time through the effective-rating functions: the
    reference the aggregates are tested against."""
    counts: Counter[CountKey] = Counter()
    for audit in audits:
        if audit.status != AuditStatus.SUBMITTED or audit.audit_date is None:
            continue
        tool_id = audit.tool_version.tool_id
        month = month_of(audit.audit_date)
        allocation = audit.allocation
        cycle_id = allocation.sampled_case.cycle_id if allocation is not None else None
        for a, t, c in rollup_keys(audit.service_area_id, audit.team_id, cycle_id):
            counts[(tool_id, month, a, t, c, OVERALL, effective_overall(audit))] += 1
            for name, rating_id in effective_domain_ratings(audit):
                counts[(tool_id, month, a, t, c, name, rating_id)] += 1
    return counts


def figures_from_scratch(audits: Iterable[Audit]) -> dict[str, Counter[CountKey]]:
    """OVERALL_FIGURES of each overall row, one audit at a time: the reference the
    aggregates' columns are tested against."""
    figures: dict[str, Counter[CountKey]] = {name: Counter() for name in OVERALL_FIGURES}
    for audit in audits:
        if audit.status != AuditStatus.SUBMITTED or audit.audit_date is None:
            continue
        answers: dict[str, list[str]] = {theme: [] for theme in VOICE_THEMES.values()}
        for answer in audit.voice_answers.select_related("question"):
            theme = VOICE_THEMES.get(QuestionAbout(answer.question.about))
            if theme is not None:
                answers[theme].append(answer.answer)
        raised = {"concerns": audit.child_safe in SAFEGUARDING_CONCERNS}
        for theme, given in answers.items():
            raised[f"{theme}_asked"], raised[f"{theme}_evident"] = voice_evident(given)
        allocation = audit.allocation
        cycle_id = allocation.sampled_case.cycle_id if allocation is not None else None
        for a, t, c in rollup_keys(audit.service_area_id, audit.team_id, cycle_id):
            key = (audit.tool_version.tool_id, month_of(audit.audit_date), a, t, c, OVERALL)
            for name, counted in raised.items():
                if counted:
                    figures[name][(*key, effective_overall(audit))] += 1
    return figures


def stored_figures() -> dict[str, Counter[CountKey]]:
    """OVERALL_FIGURES as the aggregates hold them."""
    figures: dict[str, Counter[CountKey]] = {name: Counter() for name in OVERALL_FIGURES}
    for row in ReportCount.objects.filter(domain=OVERALL).values_list(
        "tool_id",
        "month",
        "service_area_key",
        "team_key",
        "cycle_key",
        "domain",
        "rating_id",
        *OVERALL_FIGURES,
    ):
        for name, value in zip(OVERALL_FIGURES, row[7:], strict=True):
            if value:
                figures[name][row[:7]] += value
    return figures


def stored_counts() -> Counter[CountKey]:
    counts: Counter[CountKey] = Counter()
    for row in ReportCount.objects.values_list(
        "tool_id",
        "month",
        "service_area_key",
        "team_key",
        "cycle_key",
        "domain",
        "rating_id",
        "count",
    ):
        counts[row[:7]] += row[7]
    return counts


def _count() -> Count:
    return Count("id")
