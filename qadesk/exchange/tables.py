"""Reading a table of rows from a CSV file or an Excel workbook, as the spreadsheet numbers them.

What the case list and performance data importers read: every visible sheet of a workbook (or the one
table of a CSV file) as plain values, each row with the number a spreadsheet shows for it (the first row
is row 1), blank rows left out. Nothing is interpreted here: the importers decide which row is the header
and what each column means.

CSV: the encoding is found from the bytes (UTF-8 with or without a byte-order mark, UTF-16 with one, as
Excel's "Unicode text" writes, else Windows-1252, what Excel writes as "CSV" on a British Windows), the
delimiter from the first line (comma, semicolon, tab or bar).

Excel (``.xlsx``, found by its content, whatever the file is called): the archive is checked as every
workbook from a stranger is (:mod:`qadesk.exchange.safezip`: size, members, ratio, paths; no document type
declarations), then read with python-calamine, which reads a 50,000-row list some twenty times faster than
openpyxl (docs/benchmarks.md). Calamine reads an error cell (``#N/A``, ``#REF!``) as blank, so those cells
are found in the sheet's XML and put back as their text: a failed look-up is reported, never imported as
blank.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from qadesk.core.errors import LimitError, ValidationError
from qadesk.exchange.safezip import SafeZip, ZipLimits
from qadesk.exchange.xlsx_io import _scan_xml

MAX_ROWS = 500_000
MAX_COLUMNS = 256
MAX_CELL_CHARS = 32_767
MAX_CSV_BYTES = 200 * 1024 * 1024
MAX_SHEETS = 60
TABLE_LIMITS = ZipLimits(max_file_bytes=100 * 1024 * 1024, max_members=2_000, max_total_bytes=500 * 1024 * 1024,
                         max_member_bytes=400 * 1024 * 1024, max_ratio=250.0)
DELIMITERS = (",", ";", "\t", "|")
EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


@dataclass
class Table:
    """One sheet (or the CSV file): ``rows`` are (row number, values), blank rows left out.

    Values are ``str`` (stripped; never empty), ``int``, ``float``, ``datetime.date``,
    ``datetime.datetime`` or ``None`` (an empty cell). ``sheet`` is None for a CSV file.
    """

    sheet: str | None
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    kind: str = "csv"  # or "xlsx"
    encoding: str | None = None
    delimiter: str | None = None


def column_letter(index: int) -> str:
    """``0`` is ``A``, ``26`` is ``AA``: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def read_tables(path: Path | str) -> list[Table]:
    """The tables of a CSV file or ``.xlsx`` workbook (every visible sheet), in order.

    Refused with :class:`ValidationError` (:class:`LimitError` for a limit) when the file is not one
    of those, is damaged, or is too large.
    """
    path = Path(path)
    label = path.name
    if not path.exists():
        raise ValidationError("the file does not exist", label)
    if not path.is_file():
        raise ValidationError("this is not a file", label)
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise ValidationError("the file is empty", label)
    if head.startswith(b"PK\x03\x04"):
        return _read_workbook(path, label)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError("this is an Excel 97-2003 workbook (.xls): save it as an Excel workbook (.xlsx) "
                              "or as CSV, then import that", label)
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise LimitError(f"the file is {size:,} bytes; the limit is {MAX_CSV_BYTES:,}", label)
    return [_read_csv(path.read_bytes(), label)]


# ---- CSV ----------------------------------------------------------------------------------------


def decode_text(data: bytes, label: str = "") -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ValidationError("the file says it is UTF-16 text but is not", label) from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ValidationError(f"the file says it is UTF-8 text but byte {exc.start + 1:,} is not",
                                  label) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ValidationError(f"this is not a text file in UTF-8 or Windows-1252 (byte {exc.start + 1:,} is "
                              "neither): save it from Excel as 'CSV UTF-8'", label) from None


def sniff_delimiter(first_line: str) -> str:
    """The delimiter that splits the header line into the most columns (comma when none does)."""
    best, best_count = ",", 1
    for delimiter in DELIMITERS:
        try:
            count = len(next(csv.reader([first_line], delimiter=delimiter)))
        except (csv.Error, StopIteration):
            continue
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _read_csv(data: bytes, label: str) -> Table:
    text, encoding = decode_text(data, label)
    if "\x00" in text:
        raise ValidationError("this is not a text file (it holds NUL bytes): is it a workbook saved with the "
                              "wrong ending?", label)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = sniff_delimiter(first)
    table = Table(None, encoding=encoding, delimiter=delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = table.rows
    number = 0
    try:
        for number, raw in enumerate(reader, start=1):  # noqa: B007 - number is read after the loop
            values: list[Any] = [cell.strip() or None for cell in raw]
            if not any(values):
                continue
            if len(values) > MAX_COLUMNS:
                raise LimitError(f"row {number} has {len(values):,} columns; the limit is {MAX_COLUMNS}", label)
            if sum(map(len, raw)) > MAX_CELL_CHARS and max(map(len, raw)) > MAX_CELL_CHARS:
                raise LimitError(f"row {number} holds {max(map(len, raw)):,} characters in one cell; the limit "
                                 f"is {MAX_CELL_CHARS:,}", label)
            if len(rows) >= MAX_ROWS:
                raise LimitError(f"the file has more than {MAX_ROWS:,} rows, the limit", label)
            rows.append((number, values))
    except csv.Error as exc:
        raise ValidationError(f"row {number + 1}: this is not readable CSV ({exc})", label) from None
    return table


# ---- Excel --------------------------------------------------------------------------------------

_CELL = re.compile(rb"<c\b([^>]*)>(.*?)</c>", re.DOTALL)
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_ERROR_MARK = re.compile(rb't="e"')


def _column_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ch - 64)
    return index - 1


def _sheet_members(zf: SafeZip) -> dict[str, str]:
    """Sheet name -> the member holding its cells (from the workbook and its relationships)."""
    import defusedxml.ElementTree as ET  # noqa: N817 - the usual name

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    names = {n.lower(): n for n in zf.names()}
    try:
        book = ET.fromstring(zf.read(names["xl/workbook.xml"]))
        rels = ET.fromstring(zf.read(names["xl/_rels/workbook.xml.rels"]))
    except (KeyError, ET.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", ns)}
    out: dict[str, str] = {}
    for sheet in book.findall("m:sheets/m:sheet", ns):
        target = targets.get(sheet.get(f"{{{ns['r']}}}id"), "")
        member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        if member.lower() in names:
            out[sheet.get("name", "")] = names[member.lower()]
    return out


def _error_cells(data: bytes) -> dict[tuple[int, int], str]:
    """(row number, column index) -> the error's text (``#N/A``) of every error cell of a sheet's XML."""
    out: dict[tuple[int, int], str] = {}
    if not _ERROR_MARK.search(data):
        return out
    for m in _CELL.finditer(data):
        attrs = m.group(1)
        if not _ERROR_TYPE.search(attrs):
            continue
        ref = _REF.search(attrs)
        value = _VALUE.search(m.group(2))
        if ref and value:
            out[(int(ref.group(2)), _column_index(ref.group(1)))] = value.group(1).decode("utf-8", "replace")
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, _dt.datetime):
        return value.date() if value.time() == _dt.time(0, 0) else value
    if isinstance(value, _dt.time | _dt.timedelta):
        return str(value)
    return value


def _read_workbook(path: Path, label: str) -> list[Table]:
    from qadesk.exchange.xlsx_io import require_defusedxml

    require_defusedxml()
    with SafeZip(path, TABLE_LIMITS, label=label) as zf:
        lowered = {n.lower() for n in zf.names()}
        if "xl/workbook.xml" not in lowered:
            raise ValidationError("this is a zip archive but not an Excel workbook (.xlsx)", label)
        try:
            _scan_xml(zf)
            members = _sheet_members(zf)
            errors = {name: _error_cells(zf.read(member)) for name, member in members.items()}
        except ValidationError:
            raise
        except Exception as exc:  # a corrupt member (bad CRC, broken deflate stream)
            raise ValidationError(f"this workbook is damaged ({type(exc).__name__})", label) from None
    from python_calamine import CalamineWorkbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = CalamineWorkbook.from_path(str(path))
            visible = [m.name for m in book.sheets_metadata
                       if str(m.visible).endswith("Visible") and str(m.typ).endswith("WorkSheet")]
            if len(visible) > MAX_SHEETS:
                raise LimitError(f"the workbook has {len(visible)} sheets; the limit is {MAX_SHEETS}", label)
            tables = [_read_sheet(book, name, errors.get(name, {}), label) for name in visible]
            book.close()
    except ValidationError:
        raise
    except Exception as exc:  # calamine's own errors (a broken sheet, a password): the file, not qadesk
        raise ValidationError(f"this workbook could not be read ({type(exc).__name__}: {str(exc)[:200]})",
                              label) from None
    return tables


def _read_sheet(book: Any, name: str, errors: dict[tuple[int, int], str], label: str) -> Table:
    table = Table(name, kind="xlsx")
    grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    rows = table.rows
    for number, raw in enumerate(grid, start=1):
        if len(raw) > MAX_COLUMNS:
            raw = raw[:MAX_COLUMNS]
        values = [_cell(v) for v in raw]
        if errors:
            for col in range(len(values)):
                text = errors.get((number, col))
                if text is not None:
                    values[col] = text
        end = len(values)
        while end and values[end - 1] is None:
            end -= 1
        if not end:
            continue
        for v in values:
            if isinstance(v, str) and len(v) > MAX_CELL_CHARS:
                raise LimitError(f"sheet '{name}' row {number} holds {len(v):,} characters in one cell; the limit "
                                 f"is {MAX_CELL_CHARS:,}", label)
        if len(rows) >= MAX_ROWS:
            raise LimitError(f"sheet '{name}' has more than {MAX_ROWS:,} rows, the limit", label)
        rows.append((number, values[:end]))
    return table
