"""Recognising an Annex A list by its row of headers, never by its sheet's name.

Headers are compared normalised (``normalise_header``): spelling variants, case,
spacing, curly quotes and stray punctuation do not matter. A row is a list when it holds
every required header of the list; should two lists fit, the one explaining most columns
wins. Columns no list defines are kept under a key made from their header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from qpa.cases.tabular.cleaning import TEXT_TABLE, number_text
from qpa.cases.tabular.lists import LIST_SPECS, ColumnKind, ColumnSpec, ListSpec

_REPEATED_PUNCT = re.compile(r"([^\w\s])\1+")
_TRAILING_JUNK = re.compile(r"[\s?.:;,*]+$")


@lru_cache(maxsize=4096)
def normalise_header(header: object) -> str:
    """A header as text that compares equal across the spellings real files use.

    Unicode NFKC, straight quotes, collapsed whitespace, case-folded; repeated
    punctuation (``(Y/N))``), spaces inside brackets and trailing ``?``/``.``/``:`` are
    tolerated. Idempotent.
    """
    if header is None:
        return ""
    text = number_text(header) if isinstance(header, int | float) else str(header)
    previous = None
    # Each pass can expose more to tidy (NFKC after casefold, a bracket after a space);
    # repeating to a fixed point makes the function idempotent.
    for _ in range(8):
        if text == previous:
            break
        previous = text
        text = unicodedata.normalize("NFKC", text).translate(TEXT_TABLE).casefold()
        text = " ".join(text.split())
        text = text.replace("( ", "(").replace(" )", ")")
        text = _REPEATED_PUNCT.sub(r"\1", text)
        text = _TRAILING_JUNK.sub("", text)
        while text.endswith(")") and text.count(")") > text.count("("):
            text = text[:-1]
    return text


def header_text(header: object) -> str:
    """A header as the file spells it, whitespace collapsed, for messages."""
    return " ".join(str(header).split()) if header is not None else ""


def slug(normalised: str) -> str:
    """A column key made from a normalised header: ``Allocated Worker`` ->
    ``allocated_worker``."""
    return re.sub(r"[^0-9a-z]+", "_", normalised).strip("_")


@dataclass(frozen=True)
class _SpecIndex:
    by_header: dict[str, ColumnSpec]  # every accepted header variant, normalised
    required_keys: frozenset[str]
    keys: frozenset[str]


_INDEX = {
    spec.number: _SpecIndex(
        by_header={normalise_header(h): c for c in spec.columns for h in c.headers},
        required_keys=frozenset(c.key for c in spec.columns if c.required),
        keys=frozenset(c.key for c in spec.columns),
    )
    for spec in LIST_SPECS
}


@dataclass(frozen=True)
class MatchedColumn:
    index: int  # 0-based position in the row
    key: str
    header: str  # as in the file
    kind: ColumnKind | Literal["any"]  # "any": a column the list does not define


@dataclass(frozen=True)
class ListMatch:
    spec: ListSpec
    columns: tuple[MatchedColumn, ...]
    missing: tuple[str, ...]  # published headers of the list not present

    @property
    def explained(self) -> int:
        return len(self.spec.columns) - len(self.missing)


def _match(spec: ListSpec, headers: Sequence[object]) -> ListMatch | None:
    index = _INDEX[spec.number]
    seen: set[str] = set()
    found: list[tuple[int, ColumnSpec, str]] = []
    extras: list[tuple[int, str, str]] = []
    for position, header in enumerate(headers):
        normalised = normalise_header(header)
        if not normalised:
            continue
        column = index.by_header.get(normalised)
        if column is not None and column.key not in seen:
            seen.add(column.key)
            found.append((position, column, header_text(header)))
        else:
            extras.append((position, normalised, header_text(header)))
    if not index.required_keys <= seen:
        return None
    used = set(index.keys)
    columns = [MatchedColumn(position, c.key, text, c.kind) for position, c, text in found]
    for position, normalised, text in extras:
        key = slug(normalised) or f"column_{position + 1}"
        base, n = key, 2
        while key in used:
            key, n = f"{base}_{n}", n + 1
        used.add(key)
        columns.append(MatchedColumn(position, key, text, "any"))
    missing = tuple(c.headers[0] for c in spec.columns if c.key not in seen)
    return ListMatch(spec, tuple(columns), missing)


def match_headers(headers: Sequence[object]) -> ListMatch | None:
    """The list a header row is, with where each of its columns is; None if none."""
    best: ListMatch | None = None
    for spec in LIST_SPECS:
        found = _match(spec, headers)
        # The list that explains most of the columns wins, should two ever both fit.
        if found is not None and (best is None or found.explained > best.explained):
            best = found
    return best


def identify_list(headers: Sequence[object]) -> ListSpec | None:
    """Which Annex A list a header row is, by its normalised set of headers (never the
    sheet name); None for a row that is not a list's headers."""
    found = match_headers(headers)
    return None if found is None else found.spec


def closest_list(headers: Sequence[object]) -> tuple[ListSpec, tuple[str, ...]] | None:
    """The list a header row nearly is (its ID and at least half of its other required
    headers present), with the required headers it lacks."""
    present = {normalise_header(h) for h in headers}
    best: tuple[int, ListSpec, tuple[str, ...]] | None = None
    for spec in LIST_SPECS:
        required = [c for c in spec.columns if c.required]
        have = [c for c in required if present & {normalise_header(h) for h in c.headers}]
        if spec.columns[0] not in have or 2 * len(have) < len(required):
            continue
        missing = tuple(c.headers[0] for c in required if c not in have)
        if best is None or len(have) > best[0]:
            best = (len(have), spec, missing)
    return None if best is None else (best[1], best[2])
