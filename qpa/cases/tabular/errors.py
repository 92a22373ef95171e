"""What goes wrong reading a table: a file refused whole, or one cell or row that could
not be used."""

from __future__ import annotations

from dataclasses import dataclass


class FileRefused(Exception):
    """The file cannot be read as a table: not the type it should be, unsafe to open (too
    large, a zip bomb), encrypted, damaged or without the table sought. str() says why, in
    words for the person who uploaded it."""


@dataclass(frozen=True, slots=True)
class CellError:
    """One cell a reader could not clean (an Annex A date that is no date, ...)."""

    sheet: str
    row_number: int
    column: str  # the header as in the file
    message: str
    key: str = ""  # the canonical column key, so a caller can ignore columns it does not use


@dataclass(frozen=True)
class RowError:
    """One problem an import reports, by sheet, row and column as the person sees them."""

    sheet: str
    row: int
    column: str
    message: str
