"""Reading workbooks from strangers: checked zip, defused XML, cost bounded by the real content.

:func:`read_workbook` opens an ``.xlsx`` through :class:`SafeZip` (file size,
members, total size, ratio, paths, links), refuses XML with a document type
declaration (the way entity tricks such as "billion laughs" arrive), then lets
openpyxl parse in read-only mode — openpyxl parses through defusedxml when it
is installed, which qadesk requires.  Every sheet is read into plain values
with the real Excel row numbers; reading a sheet stops after
:data:`MAX_BLANK_RUN` blank rows in a row, so a sheet "formatted" down to row
1,048,576 costs what its content costs.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qadesk.core.errors import LimitError, ValidationError
from qadesk.exchange.safezip import WORKBOOK_LIMITS, SafeZip

MAX_BLANK_RUN = 1000
MAX_ROWS = 20_000
MAX_COLUMNS = 64
MAX_SHEETS = 50
MAX_CELL_CHARS = 32_767
_PROLOG_BYTES = 64 * 1024
# A 1,000-question template's shared strings are a few hundred kilobytes; 100,000 texts (20,000 rows of
# five different texts) cost openpyxl about 15 MB.
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024
MAX_SHARED_STRINGS = 100_000


def require_defusedxml() -> None:
    """openpyxl must parse through defusedxml; refuse to read workbooks otherwise."""
    import openpyxl.xml

    if not openpyxl.xml.DEFUSEDXML and not openpyxl.xml.LXML:
        raise ValidationError("qadesk cannot read workbooks safely here: the 'defusedxml' package is missing "
                              "(or OPENPYXL_DEFUSEDXML is set to False)")


@dataclass
class Sheet:
    """One worksheet as plain values: ``rows`` is a list of (Excel row number, cell values)."""

    name: str
    rows: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)


def _scan_xml(zf: SafeZip) -> None:
    for name in zf.names():
        if not name.lower().endswith((".xml", ".rels", ".vml")):
            continue
        with zf.zf.open(name) as fh:
            head = fh.read(_PROLOG_BYTES)
        lowered = head.lower()
        if b"<!doctype" in lowered or b"<!entity" in lowered or b"\x00<\x00!" in head or b"<\x00!\x00" in head:
            raise ValidationError(f"member '{name[:100]}' declares a document type or entities; workbooks never "
                                  f"need one, and entity tricks (\"billion laughs\") are refused", zf.label)


def _check_shared_strings(zf: SafeZip) -> None:
    """openpyxl holds every shared string in memory at once: bound them before it reads them."""
    for name in zf.names():
        if name.lower() != "xl/sharedstrings.xml":
            continue
        size = zf.zf.getinfo(name).file_size
        if size > MAX_SHARED_STRINGS_BYTES:
            raise LimitError(f"member '{name}' (the workbook's shared texts) would unpack to {size:,} bytes; "
                             f"the limit is {MAX_SHARED_STRINGS_BYTES:,}", zf.label)
        count, tail = 0, b""
        with zf.zf.open(name) as fh:
            while chunk := fh.read(1 << 20):
                data = tail + chunk
                count += data.count(b"<si")
                tail = data[-2:]  # a tag cut by the chunk's end is counted with the next chunk
                if count > MAX_SHARED_STRINGS:
                    raise LimitError(f"member '{name}' holds more than {MAX_SHARED_STRINGS:,} different texts, "
                                     f"the limit", zf.label)


def cell_value(value: Any) -> Any:
    """A cell as qadesk reads it: text stripped of nothing, dates as ISO text, whole floats as int."""
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="minutes")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, _dt.time | _dt.timedelta):
        return str(value)
    return value


def read_workbook(path: Path | str, wanted: tuple[str, ...] | None = None) -> dict[str, Sheet]:
    """Every sheet (or only ``wanted``, matched case-insensitively) keyed by its lower-case name.

    Raises :class:`ValidationError` (or :class:`LimitError`, naming the limit)
    for anything that is not a safe, readable workbook.
    """
    path = Path(path)
    label = str(path)
    require_defusedxml()
    if not path.is_file():
        raise ValidationError("the file does not exist" if not path.exists() else "this is not a file", label)
    with SafeZip(path, WORKBOOK_LIMITS, label=label) as zf:
        names = {n.lower() for n in zf.names()}
        if "xl/workbook.xml" not in names:
            raise ValidationError("this is a zip archive but not an Excel workbook (.xlsx)", label)
        try:
            _scan_xml(zf)
            _check_shared_strings(zf)
        except ValidationError:
            raise
        except Exception as exc:  # a corrupt member (bad CRC, broken deflate stream)
            raise ValidationError(f"this workbook is damaged ({type(exc).__name__}: {str(exc)[:200]})",
                                  label) from None
        import openpyxl

    # Formulas are read as typed (data_only=False): nothing is evaluated, and '=text' stays what was written.
    # openpyxl leaves its archive open when a workbook fails to load: hand it a file we close ourselves.
    with path.open("rb") as fh:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wb = openpyxl.load_workbook(fh, read_only=True, data_only=False, keep_links=False)
        except Exception as exc:  # a hostile or broken file must never crash the caller
            raise ValidationError(f"this workbook could not be read ({type(exc).__name__}: {str(exc)[:200]})",
                                  label) from None
        try:
            return _read_sheets(wb, wanted, label)
        finally:
            wb.close()


def _read_sheets(wb: Any, wanted: tuple[str, ...] | None, label: str) -> dict[str, Sheet]:
    if len(wb.sheetnames) > MAX_SHEETS:
        raise LimitError(f"the workbook has {len(wb.sheetnames)} sheets; the limit is {MAX_SHEETS}", label)
    out: dict[str, Sheet] = {}
    for title in wb.sheetnames:
        key = title.strip().lower()
        if (wanted is not None and key not in wanted) or key in out:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[key] = _read_sheet(wb[title], title, label)
        except ValidationError:
            raise
        except Exception as exc:
            raise ValidationError(f"sheet '{title}' could not be read ({type(exc).__name__}: "
                                  f"{str(exc)[:200]})", label) from None
    return out


def _read_sheet(ws: Any, title: str, label: str) -> Sheet:
    sheet = Sheet(title)
    if hasattr(ws, "reset_dimensions"):
        # The stored dimension may claim A1:XFD1048576; pad rows ourselves instead.
        ws.reset_dimensions()
    blank_run = 0
    content_rows = 0
    for number, row in enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
        values = tuple(cell_value(v) for v in row)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            blank_run += 1
            if blank_run >= MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        content_rows += 1
        if content_rows > MAX_ROWS:
            raise LimitError(f"sheet '{title}' has more than {MAX_ROWS:,} rows, the limit", label)
        for v in values:
            if isinstance(v, str) and len(v) > MAX_CELL_CHARS:
                raise LimitError(f"sheet '{title}' row {number} holds {len(v):,} characters in one cell; "
                                 f"the limit is {MAX_CELL_CHARS:,}", label)
        # Trim trailing empty cells so short rows stay short.
        end = len(values)
        while end and values[end - 1] is None:
            end -= 1
        sheet.rows.append((number, values[:end]))
    return sheet
