"""Learning from the evidence: the log-odds ratio with an informative Dirichlet prior
(Monroe, Colaresi and Quinn 2008) on constructed corpora whose answer is known; names and
child IDs removed before counting; and the report page, which reads only the audits its
reader may open, links each phrase to them, and is never shown to a figures-only role
(decision 0127)."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date

import pytest

from qpa.audits.models import DomainRating
from qpa.core.models import Event
from qpa.reports.phrases import (
    GOOD,
    OTHER,
    POOR,
    Names,
    Text,
    contrast,
    features,
    log_odds,
    runs,
)
from tests.support.audits import completed, started, submit
from tests.support.factories import CP_CORE, CaseFactory, UserFactory
from tests.support.people import signed_in
from tests.support.worlds import World

NOBODY = Names()


# --- The statistic ---------------------------------------------------------------------


def test_log_odds_matches_the_formula_worked_by_hand() -> None:
    poor = Counter({"chronology": 8, "visit": 2})
    good = Counter({"chronology": 1, "visit": 9})
    prior = Counter({"chronology": 10, "visit": 12, "plan": 8})  # the whole corpus: 30
    scored = log_odds(poor, good, prior)
    # delta = log((8 + 10) / (10 + 30 - 8 - 10)) - log((1 + 10) / (10 + 30 - 1 - 10))
    delta = math.log(18 / 22) - math.log(11 / 29)
    z = delta / math.sqrt(1 / 18 + 1 / 11)
    assert scored["chronology"].delta == pytest.approx(delta)
    assert scored["chronology"].z == pytest.approx(z)
    assert scored["visit"].z < 0 < scored["chronology"].z
    # A word used alike on both sides leans nowhere.
    even = log_odds(
        Counter({"a": 5, "b": 5}), Counter({"a": 5, "b": 5}), Counter({"a": 10, "b": 10})
    )
    assert even["a"].z == pytest.approx(0.0)


def test_the_prior_shrinks_a_rare_word_below_a_common_one_with_the_same_ratio() -> None:
    """A word seen twice on one side and never on the other leans less than one seen
    forty times against none: the prior is what makes the z-score trust counts."""
    poor = Counter({"rare": 2, "common": 40, "filler": 200})
    good = Counter({"filler": 242})
    prior = poor + good
    scored = log_odds(poor, good, prior)
    assert scored["common"].z > scored["rare"].z > 0


def _corpus() -> list[Text]:
    """Twelve audits: six rated inadequate whose evidence says there was no chronology
    and no strategy discussion was recorded; six rated good whose evidence praises a
    clear analysis of risk; four adequate ones for the baseline. Every text also holds
    the same everyday words, and the inadequate ones name the worker Priya Patel and the
    child NB100234."""
    texts = []
    for n in range(6):
        texts.append(
            Text(
                f"poor-{n}",
                POOR,
                "The file was read from referral to review. No chronology. "
                "Strategy discussion not recorded. Discussed with Priya Patel on 3/4/2026 "
                f"about NB100234. Visits happened{' and the plan exists' if n % 2 else ''}.",
            )
        )
        texts.append(
            Text(
                f"good-{n}",
                GOOD,
                "The file was read from referral to review. Clear analysis of risk, "
                "updated after each incident. Visits happened and the plan exists.",
            )
        )
    for n in range(4):
        texts.append(
            Text(
                f"other-{n}",
                OTHER,
                "The file was read from referral to review. The plan exists but the "
                "chronology is out of date.",
            )
        )
    return texts


def test_the_phrases_that_separate_the_two_sides_of_a_known_corpus() -> None:
    names = Names.of(people=["Priya Patel"], child_ids=["NB100234"])
    found = contrast(_corpus(), names)
    poor = [p.text for p in found.poor]
    good = [p.text for p in found.good]
    # What only inadequate evidence says leads its side; what only good evidence says
    # leads the other; words both sides use alike lean neither way.
    assert found.poor[0].good_count == 0 and found.good[0].poor_count == 0
    pairs = [p for p in found.poor if " " in p.text]
    for phrase in ("no chronology", "strategy discussion", "not recorded"):
        assert next(p.z for p in pairs if p.text == phrase) == pytest.approx(pairs[0].z)
    assert next(p.text for p in found.good if " " in p.text) == "clear analysis"
    assert {"clear", "analysis", "risk", "incident", "updated"} <= set(good)
    # A pair that starts or ends with a word such as "of" or "each" is not shown.
    assert not {"analysis of", "of risk", "each incident"} & set(good)
    for everyday in ("file", "referral", "review", "read"):
        assert everyday not in poor + good
    # Counts and audits: six inadequate audits said "no chronology", no good one did.
    chronology = next(p for p in found.poor if p.text == "no chronology")
    assert (chronology.poor_count, chronology.good_count) == (6, 0)
    assert chronology.poor_audits == tuple(f"poor-{n}" for n in range(6))
    assert chronology.good_audits == ()
    analysis = next(p for p in found.good if p.text == "clear analysis")
    assert (analysis.poor_count, analysis.good_count) == (0, 6)
    assert (found.poor_texts, found.good_texts, found.texts) == (6, 6, 16)
    # Ranked by z: the first of each side has the largest |z|.
    assert [p.z for p in found.poor] == sorted((p.z for p in found.poor), reverse=True)
    assert all(p.z < 0 for p in found.good)


def test_names_child_ids_and_numbers_are_removed_before_counting() -> None:
    names = Names.of(people=["Priya Patel", "Sam O'Neill-Hughes"], child_ids=["NB100234", "ABCDEF"])
    assert runs("Seen by Priya Patel, then Sam O'Neill-Hughes saw ABCDEF on 3/4/2026.", names) == [
        ["seen", "by"],
        ["then"],
        ["saw"],
        ["on"],
    ]
    words, pairs = features("Discussed with PRIYA about the child's plan. Patel's note.", names)
    assert "priya" not in words and "patel" not in words and "patel's" not in words
    assert "child" in words  # "child's" counts as "child"
    # No pair reaches across a removed name or the end of a sentence.
    assert "with about" not in pairs and "plan note" not in pairs
    found = contrast(_corpus(), Names.of(people=["Priya Patel"], child_ids=["NB100234"]))
    shown = " ".join(p.text for p in (*found.poor, *found.good))
    for gone in ("priya", "patel", "nb100234", "2026"):
        assert gone not in shown
    # Without the names, the worker's name would have been the strongest phrase of all.
    unnamed = contrast(_corpus(), NOBODY)
    assert "priya patel" in [p.text for p in unnamed.poor]


def test_a_phrase_in_too_few_audits_or_a_stop_word_alone_is_not_shown() -> None:
    texts = [
        Text("a", POOR, "No chronology. The child was not seen."),
        Text("b", POOR, "No chronology. The child was not seen."),
        Text("c", GOOD, "Clear analysis of risk."),
        Text("d", GOOD, "Clear analysis of risk."),
    ]
    found = contrast(texts, NOBODY, min_audits=3)
    assert found.poor == [] and found.good == []
    found = contrast(texts, NOBODY, min_audits=2)
    shown = [p.text for p in (*found.poor, *found.good)]
    assert "no chronology" in shown and "not seen" in shown
    assert "the" not in shown and "not" not in shown and "was not" not in shown
    assert contrast(texts[:2], NOBODY).too_few  # nothing rated good or better to compare


# --- The report page --------------------------------------------------------------------


def _evidence_audit(world: World, overall: str, text: str, *, case=None) -> None:  # type: ignore[no-untyped-def]
    audit = completed(started(world), overall=overall)
    if case is not None:
        type(audit).objects.filter(pk=audit.pk).update(case=case, team=case.team)
    DomainRating.objects.filter(audit=audit).update(evidence=text)
    submit(type(audit).objects.get(pk=audit.pk))


POOR_TEXT = "No chronology on file, and the strategy discussion was not recorded by {name}."
GOOD_TEXT = "Clear analysis of risk, reviewed after each incident with the family."


def _query(tool: str = CP_CORE) -> str:
    today = date.today()
    return f"from={today:%Y-%m}&to={today:%Y-%m}&tool={tool}"


def test_a_head_of_service_reads_the_phrases_of_their_remit_with_links(world: World) -> None:
    worker = UserFactory(username="wendy", first_name="Wendolyn", last_name="Quarrie")
    case = CaseFactory(team=world.cp1, worker_name="Ottoline Fairweather")
    for _ in range(3):
        _evidence_audit(world, "Inadequate", POOR_TEXT.format(name=worker.get_full_name()))
        _evidence_audit(world, "Good", GOOD_TEXT)
    _evidence_audit(
        world,
        "Inadequate",
        "Written by Ottoline Fairweather: no chronology and no visits for months.",
        case=case,
    )
    # Children in Care: outside the Head of Service's remit, never read for them.
    cic_case = world.cases["CiC One"][0]
    for _ in range(3):
        _evidence_audit(
            world,
            "Inadequate",
            "Placement drift everywhere, with no review of the care plan in a year.",
            case=cic_case,
        )

    client = signed_in(world.head)
    report = client.get(f"/reports/?{_query()}").content.decode()
    assert "Learning from the evidence" in report
    response = client.get(f"/reports/phrases/?{_query()}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "“no chronology”" in page and "“clear analysis”" in page
    assert "placement drift" not in page.lower()
    for name in ("Wendolyn", "Quarrie", "Ottoline", "Fairweather"):
        assert name.lower() not in page.lower()
    # Each phrase links to the audits it came from, all of which the reader may open.
    audit = DomainRating.objects.filter(evidence__startswith="No chronology").first().audit
    assert f'href="/audits/{audit.public_id}/">Audit of {audit.case.child_id}</a>' in page
    event = Event.objects.filter(action="report.evidence_read").latest("seq")
    assert event.actor_username == world.head.username
    # One domain at a time.
    one = client.get(f"/reports/phrases/?{_query()}&domain=Child+protection+conference")
    assert '<h2 class="govuk-heading-m">Child protection conference</h2>' in (one.content.decode())

    # A director sees the whole service, Children in Care included.
    director = signed_in(world.lead).get(f"/reports/phrases/?{_query()}").content.decode()
    assert "“placement drift”" in director


def test_figures_only_roles_never_see_the_evidence(world: World) -> None:
    for _ in range(3):
        _evidence_audit(world, "Inadequate", POOR_TEXT.format(name="someone"))
        _evidence_audit(world, "Good", GOOD_TEXT)
    performance = UserFactory(username="percy", role="performance")
    for person in (performance, world.admin):
        client = signed_in(person)
        assert client.get(f"/reports/phrases/?{_query()}").status_code == 403
        assert (
            "Learning from the evidence" not in client.get(f"/reports/?{_query()}").content.decode()
        )
