"""The draw and the allocation as pure functions: reproducible, uniform within a stratum,
faithful to the exclusions, never to the auditor's own team. No database."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections import Counter
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from qpa.cycles import sampling
from qpa.cycles.sampling import AuditorFacts, CaseFacts, ToAllocate

FRAME = [f"C{n:03d}" for n in range(20)]


def _seed(n: int) -> str:
    return hashlib.sha256(f"test-seed-{n}".encode()).hexdigest()


def test_the_same_seed_gives_the_same_sample() -> None:
    first = sampling.draw(_seed(1), "child-protection", FRAME, 5)
    again = sampling.draw(_seed(1), "child-protection", list(reversed(FRAME)), 5)
    assert first == again
    assert len(set(first)) == 5


def test_another_seed_or_stratum_gives_another_order() -> None:
    base = sampling.ranked(_seed(1), "child-protection", FRAME)
    assert sampling.ranked(_seed(2), "child-protection", FRAME) != base
    assert sampling.ranked(_seed(1), "children-in-care", FRAME) != base


def test_anyone_can_recompute_the_ranking_with_plain_hmac() -> None:
    seed = _seed(7)
    by_hand = sorted(
        FRAME,
        key=lambda c: hmac.new(seed.encode(), f"leaving-care:{c}".encode(), "sha256").hexdigest(),
    )
    assert sampling.ranked(seed, "leaving-care", FRAME) == by_hand


def test_new_seeds_are_256_bits_and_differ() -> None:
    seeds = {sampling.new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(len(s) == 64 and int(s, 16) >= 0 for s in seeds)


def _selection_counts(draw_k: int, draws: int, ranker: object = None) -> list[int]:
    counts: Counter[str] = Counter()
    for n in range(draws):
        chosen = (
            sampling.draw(_seed(n), "children-in-need", FRAME, draw_k)
            if ranker is None
            else ranker(n)  # type: ignore[operator]
        )
        counts.update(chosen)
    return [counts[c] for c in FRAME]


def test_within_a_stratum_every_eligible_case_is_equally_likely() -> None:
    # 2,000 draws of 5 from 20: each case expects 500 selections.
    observed = _selection_counts(5, 2000)
    assert sum(observed) == 10_000
    assert chisquare(observed).pvalue > 0.001


def test_the_first_place_is_equally_likely_too() -> None:
    firsts = Counter(sampling.draw(_seed(n), "children-in-need", FRAME, 1)[0] for n in range(2000))
    assert chisquare([firsts[c] for c in FRAME]).pvalue > 0.001


def test_the_chi_square_check_catches_a_biased_draw() -> None:
    # Guards the test above: a draw that favours low IDs half of the time must fail it.
    def biased(n: int) -> list[str]:
        return FRAME[:5] if n % 2 else sampling.draw(_seed(n), "x", FRAME, 5)

    assert chisquare(_selection_counts(5, 2000, biased)).pvalue < 0.001


def test_months_before_clips_to_the_end_of_a_short_month() -> None:
    assert sampling.months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert sampling.months_before(date(2028, 3, 31), 1) == date(2028, 2, 29)
    assert sampling.months_before(date(2026, 1, 15), 12) == date(2025, 1, 15)
    assert sampling.months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


team_ids = st.one_of(st.none(), st.integers(min_value=1, max_value=6))
case_facts = st.builds(
    CaseFacts,
    child_id=st.text(alphabet="ABCDEF0123456789", min_size=1, max_size=6),
    stratum=st.sampled_from(["cp", "cin", "cic"]),
    is_open=st.booleans(),
    team_id=team_ids,
    last_audited_on=st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2026, 12, 31))),
)
auditor_facts = st.builds(
    AuditorFacts,
    key=st.integers(min_value=1, max_value=10_000),
    capacity=st.integers(min_value=1, max_value=5),
    own_team_ids=st.frozensets(st.integers(min_value=1, max_value=6), max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(
    cases=st.lists(case_facts, max_size=40, unique_by=lambda c: c.child_id),
    auditors=st.lists(auditor_facts, min_size=1, max_size=4, unique_by=lambda a: a.key),
    audited_since=st.dates(date(2025, 1, 1), date(2026, 6, 30)),
    k=st.integers(min_value=0, max_value=10),
    seed=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)
def test_exclusions_hold_for_any_population(
    cases: list[CaseFacts],
    auditors: list[AuditorFacts],
    audited_since: date,
    k: int,
    seed: str,
) -> None:
    frames = sampling.build_frames(
        cases, strata=["cp", "cin", "cic"], audited_since=audited_since, auditors=auditors
    )
    by_id = {c.child_id: c for c in cases}
    for stratum, frame in frames.items():
        members = [c for c in cases if c.stratum == stratum]
        assert frame.population == len(members)
        assert frame.size + sum(frame.excluded.values()) == frame.population
        for child_id in sampling.draw(seed, stratum, frame.eligible, k):
            case = by_id[child_id]
            assert case.stratum == stratum
            assert case.is_open
            assert case.last_audited_on is None or case.last_audited_on < audited_since
            assert any(sampling.can_audit(a, case.team_id) for a in auditors)
        # Nothing eligible is left out.
        eligible = {
            c.child_id
            for c in members
            if c.is_open
            and (c.last_audited_on is None or c.last_audited_on < audited_since)
            and any(sampling.can_audit(a, c.team_id) for a in auditors)
        }
        assert set(frame.eligible) == eligible
        assert len(sampling.draw(seed, stratum, frame.eligible, k)) == min(k, len(eligible))


@settings(max_examples=300, deadline=None)
@given(
    teams=st.lists(team_ids, max_size=30),
    auditors=st.lists(auditor_facts, min_size=1, max_size=5, unique_by=lambda a: a.key),
)
def test_no_allocation_ever_goes_to_the_auditors_own_team(
    teams: list[int | None], auditors: list[AuditorFacts]
) -> None:
    cases = [ToAllocate(key=n, team_id=t) for n, t in enumerate(teams)]
    chosen, unallocated = sampling.balance(cases, auditors)
    by_key = {a.key: a for a in auditors}
    assert set(chosen) | set(unallocated) == {c.key for c in cases}
    for case in cases:
        if case.key in chosen:
            auditor = by_key[chosen[case.key]]
            assert case.team_id is None or case.team_id not in auditor.own_team_ids
    loads = Counter(chosen.values())
    for key, load in loads.items():
        assert load <= by_key[key].capacity
    # A case is left over only when every auditor who could take it is full.
    for key in unallocated:
        team = teams[key]
        for auditor in auditors:
            if sampling.can_audit(auditor, team):
                assert loads[auditor.key] == auditor.capacity


@settings(max_examples=150, deadline=None)
@given(
    teams=st.lists(st.integers(min_value=1, max_value=3), max_size=6),
    auditors=st.lists(
        st.builds(
            AuditorFacts,
            key=st.integers(min_value=1, max_value=100),
            capacity=st.integers(min_value=1, max_value=2),
            own_team_ids=st.frozensets(st.integers(min_value=1, max_value=3), max_size=2),
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda a: a.key,
    ),
)
def test_allocation_places_as_many_cases_as_any_arrangement_could(
    teams: list[int], auditors: list[AuditorFacts]
) -> None:
    cases = [ToAllocate(key=n, team_id=t) for n, t in enumerate(teams)]
    chosen, _ = sampling.balance(cases, auditors)
    # Brute force: every way of giving each case to an auditor or to nobody.
    options = [[None, *(a for a in auditors if sampling.can_audit(a, t))] for t in teams]
    best = 0
    for arrangement in itertools.product(*options):
        loads = Counter(a.key for a in arrangement if a is not None)
        if all(loads[a.key] <= a.capacity for a in auditors):
            best = max(best, sum(loads.values()))
    assert len(chosen) == best


def test_allocation_is_balanced_against_capacity() -> None:
    auditors = [
        AuditorFacts(key=1, capacity=4, own_team_ids=frozenset()),
        AuditorFacts(key=2, capacity=8, own_team_ids=frozenset()),
        AuditorFacts(key=3, capacity=4, own_team_ids=frozenset({9})),
    ]
    chosen, unallocated = sampling.balance(
        [ToAllocate(key=n, team_id=9 if n < 2 else None) for n in range(8)], auditors
    )
    assert unallocated == []
    # Half of each capacity: 2, 4 and 2 cases.
    assert Counter(chosen.values()) == {1: 2, 2: 4, 3: 2}
    assert chosen[0] != 3 and chosen[1] != 3


def test_a_case_only_one_auditor_may_take_goes_to_them_first() -> None:
    # Auditor 1 may take anything; auditor 2 is in team 5. The team-5 case comes last in
    # the list but is placed first, so it is not crowded out.
    auditors = [
        AuditorFacts(key=1, capacity=1, own_team_ids=frozenset()),
        AuditorFacts(key=2, capacity=1, own_team_ids=frozenset({5})),
    ]
    chosen, unallocated = sampling.balance(
        [ToAllocate(key=0, team_id=None), ToAllocate(key=1, team_id=5)], auditors
    )
    assert unallocated == []
    assert chosen == {1: 1, 0: 2}


def test_proportional_quotas_follow_open_cases_with_a_minimum() -> None:
    quotas = sampling.proportional_quotas(45, {"cp": 300, "fr": 350, "cin": 800, "lc": 10}, 3)
    assert quotas == {"cp": 9, "fr": 11, "cin": 25, "lc": 3}
    assert sampling.proportional_quotas(10, {"cp": 5, "fr": 5}, 0) == {"cp": 5, "fr": 5}
    # An area with no open case gets nothing, whatever the minimum.
    assert sampling.proportional_quotas(10, {"cp": 10, "lc": 0}, 2) == {"cp": 10, "lc": 0}


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(min_value=1, max_value=300),
    open_cases=st.dictionaries(
        st.sampled_from(["a", "b", "c", "d", "e", "f"]),
        st.integers(min_value=0, max_value=1000),
        min_size=1,
    ),
    minimum=st.integers(min_value=0, max_value=5),
)
def test_proportional_quotas_add_up(total: int, open_cases: dict[str, int], minimum: int) -> None:
    quotas = sampling.proportional_quotas(total, open_cases, minimum)
    assert set(quotas) == set(open_cases)
    for stratum, quota in quotas.items():
        assert quota >= min(minimum, open_cases[stratum])
    if sum(open_cases.values()) and minimum == 0:
        assert sum(quotas.values()) == total
