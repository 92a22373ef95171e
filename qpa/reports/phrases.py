"""Learning from the evidence: the words and phrases that most separate what auditors
wrote for domains rated inadequate or worse from what they wrote for domains rated good
or better (decision 0127, docs/reports.md "Learning from the evidence").

The contrast is the log-odds ratio with an informative Dirichlet prior of Monroe,
Colaresi and Quinn (2008, "Fightin' words", Political Analysis 16(4), section 3.5). For
a feature w (a word, or a pair of words in a row) with counts y_i in one group of texts
and y_j in the other, group totals n_i and n_j, and a prior a_w taken from the whole
corpus (every evidence text of the period and domain, whatever its rating; a_0 is the sum
of the a_w):

    delta_w = log((y_i + a_w) / (n_i + a_0 - y_i - a_w))
            - log((y_j + a_w) / (n_j + a_0 - y_j - a_w))
    var(delta_w) ~ 1 / (y_i + a_w) + 1 / (y_j + a_w)
    z_w = delta_w / sqrt(var(delta_w))

A large positive z leans towards the inadequate-or-worse evidence, a large negative one
towards the good-or-better evidence. Words and pairs are scored as two vocabularies (each
its own multinomial), then ranked together by z.

Before anything is counted, names are removed: the names of staff (QPA's people), the
workers and personal advisers the case records name, every child ID, and any word with a
digit in it (dates, IDs, phone numbers). A pair never spans a removed word or the end of a
sentence. A phrase is shown only when it occurs in the evidence of at least
`MIN_AUDITS` audits.

`contrast` is pure (texts in, phrases out) and is tested on constructed corpora;
`evidence_contrast` reads the evidence a reader may open (`audits_visible_to`, never a
blind audit) and calls it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from qpa.audits.models import Audit, DomainRating
from qpa.audits.selectors import audits_visible_to
from qpa.cases.models import Case
from qpa.reports.counting import DOMAIN_NOT_APPLICABLE, DOMAIN_RATING, counted_audits
from qpa.reports.summary import Filters
from qpa.tools.models import Rating

POOR, GOOD, OTHER = "poor", "good", "other"
# A phrase is shown only when the evidence of this many audits holds it.
MIN_AUDITS = 3
# Phrases shown on each side.
TOP = 15
# The most evidence texts one contrast reads (the most recent first).
MAX_TEXTS = 20_000
# Words that carry no finding on their own: never shown alone, nor at the end of a pair.
_STOP = """a about after all also an and any are as at be been before being both but by
each every for from had has have he her hers him his i if in into is it its me more most
my never no nor not of on one only or other our ours out over she so some than that the
their theirs them then there these they this those to up us very was we were what when
which while who whom will with without would you your"""
STOP_WORDS = frozenset(_STOP.split())
# A pair may start with a negation ("no chronology", "not seen"), never with another
# stop word, and never ends with one ("decision to", "out of").
NEGATIONS = frozenset({"no", "not", "never", "without"})

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*", re.UNICODE)
# Where a pair may not reach across: the end of a sentence, a clause or a bracket.
_BREAK = re.compile(r"[.!?;:()\[\]{}\n\r\u2022]+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'"})


# --- Names -------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """What is removed before counting: name words (case-folded) and child IDs."""

    words: frozenset[str] = frozenset()
    child_ids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *, people: Iterable[str] = (), child_ids: Iterable[str] = ()) -> Names:
        """From full names as written ("Priya Patel", "O'Neill-Hughes") and child IDs."""
        words: set[str] = set()
        for name in people:
            for word in _WORD.findall(_fold(name)):
                words.update(part for part in re.split(r"['-]", word) if len(part) > 1)
                if len(word) > 1:
                    words.add(word)
        return cls(frozenset(words), frozenset(_fold(c).strip() for c in child_ids if c))

    def removes(self, word: str) -> bool:
        return (
            word in self.words
            or word in self.child_ids
            or any(ch.isdigit() for ch in word)
            or any(part in self.words for part in word.split("'"))
        )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()


def runs(text: str, names: Names) -> list[list[str]]:
    """The text's words, lower case, in runs: a run ends at a sentence or clause break
    and at every removed word, so that no pair is made across them."""
    out: list[list[str]] = []
    for piece in _BREAK.split(_fold(text)):
        run: list[str] = []
        for word in _WORD.findall(piece):
            # "child's" counts as "child"; names with an apostrophe are removed whole.
            if names.removes(word):
                if run:
                    out.append(run)
                run = []
                continue
            run.append(word.removesuffix("'s"))
        if run:
            out.append(run)
    return out


def features(text: str, names: Names) -> tuple[Counter[str], Counter[str]]:
    """(words, pairs of words in a row) of one text, counted."""
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for run in runs(text, names):
        words.update(run)
        pairs.update(f"{a} {b}" for a, b in pairwise(run))
    return words, pairs


# --- The contrast ------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """One evidence text: whose audit it is, which side its rating falls on (POOR, GOOD
    or OTHER: neither, used only for the prior), and what it says."""

    audit: Any
    side: str
    text: str


@dataclass(frozen=True)
class Scored:
    delta: float
    z: float


def log_odds(
    group_i: Counter[str], group_j: Counter[str], prior: Counter[str]
) -> dict[str, Scored]:
    """Monroe, Colaresi and Quinn's log-odds ratio of every feature of the two groups,
    with the informative Dirichlet prior `prior` (counts from the whole corpus: a_w is
    the count of w, a_0 their sum)."""
    n_i, n_j = sum(group_i.values()), sum(group_j.values())
    alpha_0 = sum(prior.values())
    scored: dict[str, Scored] = {}
    for w in set(group_i) | set(group_j):
        alpha = prior[w]
        if alpha <= 0:
            raise ValueError(f"The prior must count every feature of the groups: {w!r}")
        y_i, y_j = group_i[w], group_j[w]
        delta = math.log((y_i + alpha) / (n_i + alpha_0 - y_i - alpha)) - math.log(
            (y_j + alpha) / (n_j + alpha_0 - y_j - alpha)
        )
        variance = 1 / (y_i + alpha) + 1 / (y_j + alpha)
        scored[w] = Scored(delta, delta / math.sqrt(variance))
    return scored


@dataclass(frozen=True)
class Phrase:
    """A word or pair, its z-score (positive: leans inadequate or worse), how often it
    occurs on each side, and the audits of each side whose evidence holds it."""

    text: str
    z: float
    delta: float
    poor_count: int
    good_count: int
    poor_audits: tuple[Any, ...]
    good_audits: tuple[Any, ...]

    @property
    def audits(self) -> tuple[Any, ...]:
        return self.poor_audits + tuple(a for a in self.good_audits if a not in self.poor_audits)


@dataclass
class Contrast:
    poor: list[Phrase] = field(default_factory=list)
    good: list[Phrase] = field(default_factory=list)
    poor_texts: int = 0
    good_texts: int = 0
    texts: int = 0
    # The corpus was cut to the most recent MAX_TEXTS texts.
    cut: bool = False

    @property
    def too_few(self) -> bool:
        return self.poor_texts == 0 or self.good_texts == 0


def _shown(feature: str) -> bool:
    words = feature.split()
    if len(words) == 1:
        return words[0] not in STOP_WORDS
    first, last = words[0], words[-1]
    return (first in NEGATIONS or first not in STOP_WORDS) and last not in STOP_WORDS


def contrast(
    texts: Sequence[Text], names: Names, *, top: int = TOP, min_audits: int = MIN_AUDITS
) -> Contrast:
    """The `top` phrases leaning most towards the inadequate-or-worse texts (POOR) and
    towards the good-or-better ones (GOOD), each held by at least `min_audits` audits.
    The prior counts every text, OTHER ones too."""
    groups = {side: (Counter[str](), Counter[str]()) for side in (POOR, GOOD, OTHER)}
    where: dict[tuple[str, str], list[Any]] = {}
    for item in texts:
        words, pairs = features(item.text, names)
        groups[item.side][0].update(words)
        groups[item.side][1].update(pairs)
        if item.side == OTHER:
            continue
        for feature in (*words, *pairs):
            seen = where.setdefault((item.side, feature), [])
            if item.audit not in seen:
                seen.append(item.audit)
    result = Contrast(
        poor_texts=sum(t.side == POOR for t in texts),
        good_texts=sum(t.side == GOOD for t in texts),
        texts=len(texts),
    )
    if result.too_few:
        return result
    phrases: list[Phrase] = []
    for order in (0, 1):  # words, then pairs: each its own vocabulary
        poor, good = groups[POOR][order], groups[GOOD][order]
        prior = poor + good + groups[OTHER][order]
        for feature, score in log_odds(poor, good, prior).items():
            poor_audits = tuple(where.get((POOR, feature), ()))
            good_audits = tuple(where.get((GOOD, feature), ()))
            if not _shown(feature):
                continue
            if len(set(poor_audits) | set(good_audits)) < min_audits:
                continue
            phrases.append(
                Phrase(
                    text=feature,
                    z=score.z,
                    delta=score.delta,
                    poor_count=poor[feature],
                    good_count=good[feature],
                    poor_audits=poor_audits,
                    good_audits=good_audits,
                )
            )
    # Ties go to the more frequent phrase, then alphabetically: the same every time.
    result.poor = sorted(
        (p for p in phrases if p.z > 0),
        key=lambda p: (-p.z, -(p.poor_count + p.good_count), p.text),
    )[:top]
    result.good = sorted(
        (p for p in phrases if p.z < 0),
        key=lambda p: (p.z, -(p.poor_count + p.good_count), p.text),
    )[:top]
    return result


# --- The evidence a reader may open --------------------------------------------------


def _worker_names(attributes: Any) -> list[str]:
    """Worker and personal adviser names in a case's Annex A columns."""
    found: list[str] = []
    if not isinstance(attributes, dict):
        return found
    for columns in attributes.values():
        if not isinstance(columns, dict):
            continue
        for key, value in columns.items():
            if isinstance(value, str) and key.endswith(("worker", "advisor", "adviser")):
                found.append(value)
    return found


def names_for(case_ids: Iterable[int]) -> Names:
    """Every name QPA knows that evidence might hold: its people, the workers every case
    names, the workers and personal advisers the Annex A columns of these cases name,
    and every child ID."""
    people = [
        f"{first} {last}"
        for first, last in get_user_model().objects.values_list("first_name", "last_name")
    ]
    people += [
        w
        for w in Case.objects.exclude(worker_name="")
        .values_list("worker_name", flat=True)
        .distinct()
    ]
    for attributes in Case.objects.filter(pk__in=list(case_ids)).values_list(
        "attributes", flat=True
    ):
        people += _worker_names(attributes)
    child_ids = Case.objects.values_list("child_id", flat=True).iterator()
    return Names.of(people=people, child_ids=child_ids)


@dataclass(frozen=True)
class AuditRef:
    """An audit a phrase came from, as the page links it."""

    public_id: Any
    child_id: str
    audit_date: date | None


def evidence_audits(
    *, reader: Any, filters: Filters, period_from: date, period_to: date
) -> QuerySet[Audit]:
    """The counted audits of the report's filters and period that `reader` may open:
    their remit, never a blind audit (audits_visible_to), never one withheld from
    figures (counted_audits)."""
    audits = counted_audits().filter(
        tool_version__tool=filters.tool,
        audit_date__gte=period_from,
        audit_date__lte=period_to,
        pk__in=audits_visible_to(user=reader).values("pk"),
    )
    if filters.service_area is not None:
        audits = audits.filter(service_area=filters.service_area)
    if filters.team is not None:
        audits = audits.filter(team=filters.team)
    if filters.cycle is not None:
        audits = audits.filter(allocation__sampled_case__cycle=filters.cycle)
    return audits


def evidence_contrast(
    *,
    reader: Any,
    filters: Filters,
    period_from: date,
    period_to: date,
    domain: str | None = None,
    top: int = TOP,
) -> Contrast:
    """The contrast of the evidence of `domain` (every domain when None) in the audits
    `evidence_audits` gives `reader`, by the ratings reports count (agreed ones after
    moderation)."""
    audits = evidence_audits(
        reader=reader, filters=filters, period_from=period_from, period_to=period_to
    )
    rows = (
        DomainRating.objects.filter(audit__in=audits.values("pk"))
        .exclude(evidence="")
        .annotate(counted_rating=DOMAIN_RATING, counted_na=DOMAIN_NOT_APPLICABLE)
        .filter(counted_na=False, counted_rating__isnull=False)
    )
    if domain:
        rows = rows.filter(domain__name=domain)
    found = list(
        rows.order_by("-audit__audit_date", "-audit_id", "domain__order").values_list(
            "audit__public_id",
            "audit__case__child_id",
            "audit__case_id",
            "audit__audit_date",
            "counted_rating",
            "evidence",
        )[: MAX_TEXTS + 1]
    )
    cut = len(found) > MAX_TEXTS
    found = found[:MAX_TEXTS]
    ratings = {
        r.pk: r
        for r in Rating.objects.filter(pk__in={row[4] for row in found}).select_related("scale")
    }
    refs: dict[Any, AuditRef] = {}
    texts = []
    for public_id, child_id, _, audit_date, rating_id, evidence in found:
        rating = ratings[rating_id]
        side = (
            POOR if rating.is_inadequate_or_worse else GOOD if rating.is_good_or_better else OTHER
        )
        ref = refs.setdefault(public_id, AuditRef(public_id, child_id, audit_date))
        texts.append(Text(ref, side, evidence))
    names = names_for({row[2] for row in found})
    result = contrast(texts, names, top=top)
    result.cut = cut
    return result
