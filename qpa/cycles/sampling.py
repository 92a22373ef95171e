"""The draw and the allocation as pure functions of plain data, so that anyone can recompute
a sample from its seed and so that tests can run them thousands of times without a
database. See docs/decisions/0010-reproducible-sampling-hmac-sha256.md."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from qpa.cycles.independence import Ties, free_of

ALGORITHM = "hmac-sha256-v1"
SUPPORTED_ALGORITHMS = {ALGORITHM}

# Why a case left the frame, in the order the rules are tested; a case is counted once,
# under the first rule it meets.
EXCLUDED_CLOSED = "closed"
EXCLUDED_RECENTLY_AUDITED = "recently_audited"
EXCLUDED_NO_AUDITOR = "no_independent_auditor"
EXCLUSION_RULES = (EXCLUDED_CLOSED, EXCLUDED_RECENTLY_AUDITED, EXCLUDED_NO_AUDITOR)
EXCLUSION_LABELS = {
    EXCLUDED_CLOSED: "Closed cases",
    EXCLUDED_RECENTLY_AUDITED: "Audited in the last {months} months",
    EXCLUDED_NO_AUDITOR: "No auditor of the cycle is independent of the case's team or area",
}


def new_seed() -> str:
    """256 bits from the operating system's generator, as 64 hexadecimal characters."""
    return secrets.token_hex(32)


def rank_key(seed: str, stratum: str, child_id: str) -> str:
    """HMAC-SHA256(key=seed, message="<stratum>:<child id>") in hexadecimal."""
    message = f"{stratum}:{child_id}".encode()
    return hmac.new(seed.encode("ascii"), message, hashlib.sha256).hexdigest()


def ranked(seed: str, stratum: str, child_ids: Iterable[str]) -> list[str]:
    """Every case of a stratum in draw order. The child ID breaks a (never seen) tie."""
    return sorted(child_ids, key=lambda child_id: (rank_key(seed, stratum, child_id), child_id))


def draw(seed: str, stratum: str, child_ids: Iterable[str], k: int) -> list[str]:
    return ranked(seed, stratum, child_ids)[: max(k, 0)]


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, clipped to the month's last day."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for last_day in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise ValueError(f"no such month: {year}-{month}")  # pragma: no cover - unreachable


@dataclass(frozen=True)
class CaseFacts:
    """What the draw needs to know about one case, read from the database beforehand."""

    child_id: str
    stratum: str
    is_open: bool
    team_id: int | None
    last_audited_on: date | None
    service_area_id: int | None = None


@dataclass(frozen=True)
class AuditorFacts:
    key: int
    capacity: int
    # Teams the auditor manages or belongs to, and a Head of Service's own service areas:
    # never theirs to audit (qpa.cycles.independence).
    own_team_ids: frozenset[int]
    load: int = 0
    own_area_ids: frozenset[int] = frozenset()


@dataclass
class Frame:
    """One stratum's population, what the rules excluded from it, and what remains."""

    stratum: str
    population: int = 0
    excluded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXCLUSION_RULES, 0))
    eligible: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.eligible)


def exclusion_reason(
    case: CaseFacts,
    *,
    audited_since: date,
    auditors: Sequence[AuditorFacts],
) -> str | None:
    """The first exclusion rule the case meets, or None when it may be sampled."""
    if not case.is_open:
        return EXCLUDED_CLOSED
    if case.last_audited_on is not None and case.last_audited_on >= audited_since:
        return EXCLUDED_RECENTLY_AUDITED
    if not any(can_audit(a, case.team_id, case.service_area_id) for a in auditors):
        return EXCLUDED_NO_AUDITOR
    return None


def can_audit(auditor: AuditorFacts, team_id: int | None, area_id: int | None = None) -> bool:
    """The independence policy's rules 1 and 2 (qpa.cycles.independence.free_of)."""
    ties = Ties(auditor.key, auditor.own_team_ids, auditor.own_area_ids)
    return free_of(ties, team_id=team_id, service_area_id=area_id)


def build_frames(
    cases: Iterable[CaseFacts],
    *,
    strata: Iterable[str],
    audited_since: date,
    auditors: Sequence[AuditorFacts],
) -> dict[str, Frame]:
    frames = {s: Frame(stratum=s) for s in strata}
    for case in cases:
        frame = frames.setdefault(case.stratum, Frame(stratum=case.stratum))
        frame.population += 1
        reason = exclusion_reason(case, audited_since=audited_since, auditors=auditors)
        if reason is None:
            frame.eligible.append(case.child_id)
        else:
            frame.excluded[reason] += 1
    return frames


def proportional_quotas(total: int, open_cases: Mapping[str, int], minimum: int) -> dict[str, int]:
    """Split `total` in proportion to each stratum's open cases (largest remainders), then
    raise any stratum with open cases to `minimum`. Ties go to the stratum listed first."""
    weight = sum(open_cases.values())
    if weight == 0 or total <= 0:
        return {s: min(minimum, n) for s, n in open_cases.items()}
    ideal = {s: total * n / weight for s, n in open_cases.items()}
    quotas = {s: math.floor(v) for s, v in ideal.items()}
    order = list(open_cases)
    by_remainder = sorted(order, key=lambda s: (-(ideal[s] - quotas[s]), order.index(s)))
    for s in by_remainder[: total - sum(quotas.values())]:
        quotas[s] += 1
    return {s: max(q, min(minimum, open_cases[s])) for s, q in quotas.items()}


@dataclass(frozen=True)
class ToAllocate:
    key: int
    team_id: int | None
    service_area_id: int | None = None


def choose_auditor(
    auditors: Sequence[AuditorFacts], team_id: int | None, area_id: int | None = None
) -> AuditorFacts | None:
    """The auditor with room who is furthest below their capacity; ties go to the smaller
    load, then to the earlier auditor in the list. Never one the case is not independent
    of."""
    candidates = [a for a in auditors if a.load < a.capacity and can_audit(a, team_id, area_id)]
    if not candidates:
        return None
    position = {a.key: i for i, a in enumerate(auditors)}
    return min(candidates, key=lambda a: (a.load / a.capacity, a.load, position[a.key]))


def balance(
    cases: Sequence[ToAllocate], auditors: Sequence[AuditorFacts]
) -> tuple[dict[int, int], list[int]]:
    """Allocate each case to an auditor: returns {case key: auditor key} and the keys of
    the cases nobody could take.

    Greedy first: the most constrained cases (fewest possible auditors) go first, each to
    the auditor furthest below capacity. A case left over then looks for an augmenting
    path (a full auditor hands one of their cases to someone with room), so a case is
    left unallocated only when no rearrangement can place it."""
    order = {a.key: i for i, a in enumerate(auditors)}
    load = {a.key: a.load for a in auditors}
    holdings: dict[int, list[int]] = {a.key: [] for a in auditors}
    team = {c.key: c.team_id for c in cases}
    area = {c.key: c.service_area_id for c in cases}
    position = {c.key: i for i, c in enumerate(cases)}
    chosen: dict[int, int] = {}

    def by_room(candidates: Iterable[AuditorFacts]) -> list[AuditorFacts]:
        return sorted(
            candidates, key=lambda a: (load[a.key] / a.capacity, load[a.key], order[a.key])
        )

    def give(case_key: int, auditor_key: int) -> None:
        chosen[case_key] = auditor_key
        holdings[auditor_key].append(case_key)
        load[auditor_key] += 1

    def place(case_key: int, visited: set[int]) -> bool:
        able = [
            a
            for a in auditors
            if can_audit(a, team[case_key], area[case_key]) and a.key not in visited
        ]
        for auditor in by_room(able):
            if load[auditor.key] < auditor.capacity:
                give(case_key, auditor.key)
                return True
        for auditor in able:
            visited.add(auditor.key)
            for other in list(holdings[auditor.key]):
                if place(other, visited):
                    holdings[auditor.key].remove(other)
                    load[auditor.key] -= 1
                    give(case_key, auditor.key)
                    return True
        return False

    def options(case: ToAllocate) -> int:
        return sum(1 for a in auditors if can_audit(a, case.team_id, case.service_area_id))

    unallocated: list[int] = []
    for case in sorted(cases, key=lambda c: (options(c), position[c.key])):
        candidates = [
            a
            for a in auditors
            if load[a.key] < a.capacity and can_audit(a, case.team_id, case.service_area_id)
        ]
        if candidates:
            give(case.key, by_room(candidates)[0].key)
        else:
            unallocated.append(case.key)
    still = [key for key in unallocated if not place(key, set())]
    return chosen, still
