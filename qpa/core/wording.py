"""How numbers read in QPA's sentences: "1 case", "3 cases", "2,500 cases"."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """A number with its noun, singular for one: `plural(1, "case")` is "1 case",
    `plural(2500, "case")` "2,500 cases", `plural(2, "child", "children")` "2 children"."""
    word = noun if count == 1 else (plural_form or f"{noun}s")
    return f"{count:,} {word}"
