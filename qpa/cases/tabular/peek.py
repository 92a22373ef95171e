"""The first rows of every sheet of an .xlsx, read straight from the file's XML without
loading any sheet.

calamine (readers.py) can only load a sheet whole. To know which sheet holds which
Annex A list it would have to load them all, though an import reads four lists of the
eleven, and a council's List 1 of contacts is often the largest sheet of all. The headers
are in the first rows, so this module reads each sheet's XML until its tenth row, plus
as much of the shared-strings table as those rows refer to, and the sheet's declared
dimensions. The reader loads only the sheets it reads, and checks the headers again from
calamine's own cells before it reads one
(docs/decisions/0129-recognise-lists-before-loading-sheets.md).

Anything unexpected (another encoding, a DTD, no relationship for a sheet, a first row
past the byte limit) makes the answer for that sheet None, and the reader then loads it
with calamine as before. Call only on a file that passed files.open_workbook_safely.
"""

from __future__ import annotations

import html
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

HEAD_ROWS = 10
_MAX_HEAD_BYTES = 4 * 2**20  # the first rows of a sheet, uncompressed
_CHUNK = 64 * 2**10
_P = r"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix

_SHEET = re.compile(r"<" + _P + r"sheet\b([^>]*)>")
_RELATIONSHIP = re.compile(r"<" + _P + r"Relationship\b([^>]*)>")
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DIMENSION = re.compile(
    _P + r"""dimension\b[^>]*\bref\s*=\s*["']([A-Z]*)(\d*)(?::([A-Z]*)(\d+))?"""
)
_ROW = re.compile(r"<" + _P + r"row\b([^>]*?)(?:/>|>(.*?)</" + _P + r"row>)", re.S)
_CELL = re.compile(r"<" + _P + r"c\b([^>]*?)(?:/>|>(.*?)</" + _P + r"c>)", re.S)
_VALUE = re.compile(r"<" + _P + r"v\b[^>]*>(.*?)</" + _P + r"v>", re.S)
_TEXT = re.compile(r"<" + _P + r"t\b[^>]*?(?:/>|>(.*?)</" + _P + r"t>)", re.S)
_PHONETIC = re.compile(r"<" + _P + r"rPh\b.*?</" + _P + r"rPh>", re.S)
_SHARED_ITEM = re.compile(r"<" + _P + r"si\b[^>]*?(?:/>|>(.*?)</" + _P + r"si>)", re.S)
_SHEET_DATA_END = re.compile(r"</" + _P + r"sheetData>|<" + _P + r"sheetData\b[^>]*/>")
_ROW_END = re.compile(r"</" + _P + r"row>|<" + _P + r"row\b[^>]*/>")
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")


class _Unreadable(Exception):
    pass


@dataclass(frozen=True)
class SheetHead:
    # The first HEAD_ROWS rows; each row's cells from the first column with data in
    # these rows, blanks as None. Only text cells are needed to recognise a list; numbers
    # come as floats, booleans as bools, anything else as its text.
    rows: list[tuple[object, ...]]
    last_row: int | None  # 1-based, from the sheet's dimensions; None if not declared
    xml_bytes: int  # the sheet's XML, uncompressed
    sample_rows: int  # rows read whole from the XML's start...
    sample_bytes: int  # ...and the bytes they took, with what comes before them
    complete: bool  # the whole sheet was read (so last_row is its last row with data)

    def row_estimate(self, header_row: int) -> int:
        """Data rows below the header row: from the declared dimensions, else from the
        size of the sheet's XML against the size of its first rows."""
        if self.last_row is not None and self.last_row > header_row:
            return self.last_row - header_row
        rows = self.xml_bytes * self.sample_rows / max(self.sample_bytes, 1)
        return max(round(rows) - header_row, 0)


def sheet_heads(path: Path) -> dict[str, SheetHead | None]:
    """Each sheet's name -> its head, or None where it could not be read here."""
    try:
        with zipfile.ZipFile(path) as archive:
            sheets = _sheet_parts(archive)
            heads: dict[str, tuple[SheetHead, set[int]] | None] = {}
            for name, part in sheets.items():
                try:
                    heads[name] = _read_head(archive, part)
                except (_Unreadable, KeyError, OSError, ValueError, zipfile.BadZipFile, zlib.error):
                    heads[name] = None
            wanted = set().union(*(found[1] for found in heads.values() if found))
            strings = _shared_strings(archive, wanted) if wanted else {}
    except (_Unreadable, KeyError, OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):
        return {}
    result: dict[str, SheetHead | None] = {}
    for name, found in heads.items():
        if found is None or not found[1] <= strings.keys():
            result[name] = None
            continue
        head, _ = found
        rows = [
            tuple(strings[cell.index] if isinstance(cell, _Shared) else cell for cell in row)
            for row in head.rows
        ]
        result[name] = SheetHead(
            rows,
            head.last_row,
            head.xml_bytes,
            head.sample_rows,
            head.sample_bytes,
            head.complete,
        )
    return result


@dataclass(frozen=True, slots=True)
class _Shared:
    index: int  # into the shared-strings table


def _attributes(raw: str) -> dict[str, str]:
    """Attributes by local name (``r:id`` -> ``id``), their entities decoded."""
    found = {}
    for name, double, single in _ATTRIBUTE.findall(raw):
        found[name.rpartition(":")[2]] = html.unescape(double or single)
    return found


def _check_prolog(data: bytes) -> None:
    """Refuses what no workbook written by a spreadsheet holds: a document type
    declaration (entities to expand) or a UTF-16 part."""
    head = data[:512]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise _Unreadable("a document type declaration")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Unreadable("UTF-16")


def _xml(data: bytes) -> str:
    _check_prolog(data)
    return data.decode("utf-8")


def _part(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in (PurePosixPath(base).parent / target).parts:
        if piece == "..":
            if parts:
                parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's name -> the zip member holding its XML."""
    workbook = _xml(archive.read("xl/workbook.xml"))
    rels = _xml(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for match in _RELATIONSHIP.finditer(rels):
        attributes = _attributes(match.group(1))
        if "Id" in attributes and "Target" in attributes:
            targets[attributes["Id"]] = _part("xl/workbook.xml", attributes["Target"])
    parts = {}
    for match in _SHEET.finditer(workbook):
        attributes = _attributes(match.group(1))
        target = targets.get(attributes.get("id", ""))
        if "name" in attributes and target is not None:
            parts[attributes["name"]] = target
    return parts


def _chunks(archive: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    with archive.open(part) as source:
        while chunk := source.read(_CHUNK):
            yield chunk


def _read_head(archive: zipfile.ZipFile, part: str) -> tuple[SheetHead, set[int]]:
    """A sheet's first rows, with shared strings as indexes still to look up."""
    data = b""
    complete = False
    for chunk in _chunks(archive, part):
        if not data:
            _check_prolog(chunk)
        data += chunk
        text = data.decode("utf-8", errors="ignore")
        if _SHEET_DATA_END.search(text):
            complete = True
            break
        if len(_ROW_END.findall(text)) > HEAD_ROWS:
            break
        if len(data) > _MAX_HEAD_BYTES:
            raise _Unreadable("the first rows are too large")
    else:
        complete = True
    text = data.decode("utf-8", errors="ignore")
    dimension = _DIMENSION.search(text[: 2**13])
    last_row = None
    if dimension and (dimension.group(4) or dimension.group(2)):
        last_row = int(dimension.group(4) or dimension.group(2))
    wanted: set[int] = set()
    grid: dict[int, dict[int, object]] = {}
    last_data_row = 0
    next_row = 1
    for row_match in _ROW.finditer(text):
        attributes = _attributes(row_match.group(1))
        number = int(attributes["r"]) if attributes.get("r", "").isdigit() else next_row
        next_row = number + 1
        if number > HEAD_ROWS and not complete:
            break
        cells: dict[int, object] = {}
        next_column = 0
        for cell_match in _CELL.finditer(row_match.group(2) or ""):
            cell_attributes = _attributes(cell_match.group(1))
            ref = _CELL_REF.fullmatch(cell_attributes.get("r", ""))
            column = _column_index(ref.group(1)) if ref else next_column
            next_column = column + 1
            if number > HEAD_ROWS:
                cells[column] = True  # only whether the row holds anything counts here
                continue
            value = _cell_value(cell_attributes.get("t", "n"), cell_match.group(2) or "")
            if isinstance(value, _Shared):
                wanted.add(value.index)
            if value is not None and value != "":
                cells[column] = value
        if cells:
            last_data_row = max(last_data_row, number)
        if number <= HEAD_ROWS:
            grid[number] = cells
    rows_read = min(max(grid, default=0), HEAD_ROWS)
    first_column = min((c for cells in grid.values() for c in cells), default=0)
    width = max((c for cells in grid.values() for c in cells), default=-1) + 1 - first_column
    rows = [
        tuple(grid.get(number, {}).get(first_column + c) for c in range(width))
        for number in range(1, rows_read + 1)
    ]
    if complete:
        last_row = last_data_row
    ends = list(_ROW_END.finditer(text))
    sample_bytes = len(text[: ends[-1].end()].encode("utf-8")) if ends else 0
    size = archive.getinfo(part).file_size
    return SheetHead(rows, last_row, size, len(ends), sample_bytes, complete), wanted


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _text_of(inner: str) -> str:
    inner = _PHONETIC.sub("", inner)
    return html.unescape("".join(text or "" for text in _TEXT.findall(inner)))


def _cell_value(kind: str, inner: str) -> object:
    if kind == "inlineStr":
        return _text_of(inner)
    value = _VALUE.search(inner)
    if value is None:
        return None
    raw = html.unescape(value.group(1))
    if kind == "s":
        return _Shared(int(raw))
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind in ("str", "e", "d"):
        return raw
    try:
        return float(raw)
    except ValueError:
        return raw


def _shared_strings(archive: zipfile.ZipFile, wanted: set[int]) -> dict[int, str]:
    """The shared strings of the given indexes, reading the table no further than the
    largest of them."""
    part = "xl/sharedStrings.xml"
    rels = _xml(archive.read("xl/_rels/workbook.xml.rels"))
    for match in _RELATIONSHIP.finditer(rels):
        attributes = _attributes(match.group(1))
        if attributes.get("Type", "").endswith("/sharedStrings") and "Target" in attributes:
            part = _part("xl/workbook.xml", attributes["Target"])
    last = max(wanted)
    found: dict[int, str] = {}
    index = 0
    buffer = ""
    pending = b""
    first = True
    for chunk in _chunks(archive, part):
        if first:
            _check_prolog(chunk)
            first = False
        pending += chunk
        text = pending.decode("utf-8", errors="ignore")
        # Keep back any bytes of a character cut by the chunk's end.
        kept = len(text.encode("utf-8"))
        pending = pending[kept:]
        buffer += text
        end = 0
        for item in _SHARED_ITEM.finditer(buffer):
            if index in wanted:
                found[index] = _text_of(item.group(1) or "")
            index += 1
            end = item.end()
            if index > last:
                return found
        buffer = buffer[end:]
    return found
