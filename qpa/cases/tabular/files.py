"""Is this file what it claims, and safe to open? Checks made from a file's bytes and
zip metadata alone, before any reader parses it: size, type (CSV, PDF, old .xls, .xlsb,
OpenDocument, Word...), password protection, truncation and zip bombs. Each refusal is a
FileRefused whose message says, for the person who uploaded the file, what it is and
what to do."""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from qpa.cases.tabular.errors import FileRefused

MAX_WORKBOOK_BYTES = 200 * 2**20
MAX_UNCOMPRESSED_BYTES = 2 * 2**30
MAX_COMPRESSION_RATIO = 100

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_RATIO_MIN_MEMBER = 2**20  # small members cannot do harm, however well they compress
_MAX_MEMBERS = 10_000


def _size_text(size: int) -> str:
    if size >= 2**20:
        return f"{size / 2**20:,.0f} MB"
    return f"{size / 2**10:,.0f} KB"


def open_workbook_safely(
    path: Path,
    *,
    max_bytes: int = MAX_WORKBOOK_BYTES,
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
    max_ratio: int = MAX_COMPRESSION_RATIO,
) -> None:
    """Check, from the file's bytes and zip metadata only, that it is an .xlsx workbook
    that is safe to open; raise FileRefused saying what it is instead."""
    name = Path(path).name
    try:
        size = Path(path).stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(2048)
    except FileNotFoundError:
        raise FileRefused(f"The file {name} could not be found.") from None
    except OSError as error:
        raise FileRefused(f"The file {name} could not be read ({error.strerror}).") from None
    if size == 0:
        raise FileRefused(f"{name} is empty.")
    if size > max_bytes:
        raise FileRefused(
            f"{name} is {_size_text(size)}; the largest workbook accepted is "
            f"{_size_text(max_bytes)}."
        )
    if head.startswith(_OLE_SIGNATURE):
        raise FileRefused(_ole_message(path, name))
    if not head.startswith(_ZIP_SIGNATURES):
        raise FileRefused(_not_zip_message(head, name))
    if not zipfile.is_zipfile(path):
        raise FileRefused(
            f"{name} is cut short (truncated or damaged): it starts like an Excel workbook but "
            "its end is missing. Save or download it again and upload the new copy."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileRefused(
            f"{name} is damaged and cannot be opened as an Excel workbook. "
            "Save it again from Excel as .xlsx."
        ) from None
    _check_zip_bomb(members, name, max_uncompressed, max_ratio)
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or not any(
        n.startswith("xl/") and n.endswith("workbook.xml") for n in names
    ):
        raise FileRefused(_not_xlsx_message(names, name))


def _check_zip_bomb(
    members: list[zipfile.ZipInfo], name: str, max_uncompressed: int, max_ratio: int
) -> None:
    refusal = (
        f"{name} was refused: it would expand to {{}}, which looks like a 'zip bomb' rather "
        "than a workbook."
    )
    if len(members) > _MAX_MEMBERS:
        raise FileRefused(
            f"{name} was refused: it holds {len(members):,} parts, far more than a workbook."
        )
    total = sum(member.file_size for member in members)
    if total > max_uncompressed:
        raise FileRefused(refusal.format(_size_text(total)))
    for member in members:
        if member.file_size < _RATIO_MIN_MEMBER:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > max_ratio:
            raise FileRefused(
                refusal.format(
                    f"{_size_text(member.file_size)} from {_size_text(member.compress_size)} "
                    f"(a ratio of {ratio:,.0f} to 1)"
                )
            )


def _ole_message(path: Path, name: str) -> str:
    # Password-protected .xlsx files and old .xls files share the OLE container; the
    # encrypted ones carry an "EncryptionInfo" stream.
    with open(path, "rb") as handle:
        sample = handle.read(2**20)
    if "EncryptionInfo".encode("utf-16-le") in sample:
        return (
            f"{name} is password-protected (encrypted), so it cannot be read. Open it in "
            "Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
            "Password, then clear it), save it as .xlsx and upload it again."
        )
    if "Workbook".encode("utf-16-le") in sample or "Book".encode("utf-16-le") in sample:
        return (
            f"{name} is an old-style Excel 97-2003 (.xls) workbook. Open it in Excel and "
            "save it as an Excel Workbook (.xlsx), then upload it again."
        )
    return (
        f"{name} is password-protected (encrypted) or an old-style .xls file, so it cannot "
        "be read. Open it in Excel, remove any password, save it as an Excel Workbook "
        "(.xlsx) and upload it again."
    )


def _not_zip_message(head: bytes, name: str) -> str:
    if head.startswith(b"%PDF"):
        return f"{name} is a PDF document, not an Excel workbook. Upload the .xlsx file."
    if head.lstrip().startswith((b"<html", b"<!DOCTYPE", b"<!doctype", b"<?xml")):
        return f"{name} is a web page or XML file, not an Excel .xlsx workbook."
    # The sample may end inside a multi-byte character; a text file loses at most that.
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    if len(text.encode("utf-8")) < len(head.removeprefix(b"\xef\xbb\xbf")) - 3:
        text = ""
    if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text.rstrip("\x00")[:1024]):
        # Every import reads its workbooks here, and only some take CSV: the advice fits each.
        return (
            f"{name} is a text (CSV) file, not an Excel workbook. Save it in Excel as an "
            "Excel Workbook (.xlsx) and upload it again. A case list or past audits may "
            "instead be imported as CSV, in a file whose name ends in .csv; an Annex A "
            "return must be the workbook."
        )
    return (
        f"{name} is not an Excel workbook (.xlsx). Save it from Excel as an Excel Workbook "
        "(.xlsx) and upload it again."
    )


def _not_xlsx_message(names: set[str], name: str) -> str:
    if any(n.startswith("xl/") and n.endswith("workbook.bin") for n in names):
        return (
            f"{name} is an Excel binary workbook (.xlsb). Save it in Excel as an Excel "
            "Workbook (.xlsx) and upload it again."
        )
    if "mimetype" in names or "content.xml" in names:
        return (
            f"{name} is an OpenDocument file, not an Excel workbook. Save it as an Excel "
            "Workbook (.xlsx) and upload it again."
        )
    if any(n.startswith("word/") for n in names):
        return f"{name} is a Word document, not an Excel workbook."
    return f"{name} is a zip archive but not an Excel workbook (.xlsx)."


def uses_1904_dates(path: Path) -> bool:
    """Whether the workbook counts serial dates from 1904 (old Mac Excel files)."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("xl/workbook.xml") as source:
            head = source.read(2**16)
    except (KeyError, OSError, zipfile.BadZipFile, zlib.error):
        return False
    return re.search(rb'date1904="(1|true)"', head) is not None


CSV_ENCODINGS = ("utf-8-sig", "cp1252")


def csv_text(path: Path) -> str:
    """A CSV file's text, in the first of CSV_ENCODINGS that decodes it; a file holding
    binary data is refused."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileRefused(f"The file {path.name} could not be found.") from None
    if b"\x00" in raw[:4096]:
        raise FileRefused("This is not a CSV file: it holds binary data.")
    for encoding in CSV_ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    # cp1252 decodes nearly anything; only its five undefined bytes get here.
    raise FileRefused("The CSV file's text encoding is not recognised; save it as UTF-8.")
