"""Reading a case list (CSV or ``.xlsx``) into typed cases, with every bad row found and located.

:func:`read_case_list` reads the file (:mod:`qadesk.exchange.tables`), finds each table's header row and
what each column is (:mod:`qadesk.exchange.case_columns`), then reads every row: the case reference, the
case type as its code, the team, the allocated worker, an age band (from a date of birth, which is not
kept, or an age), and the list's other columns under ``fields`` by their normalised header, typed: dates
as dates, yes/no columns as booleans, numbers as numbers. A column whose header does not say its kind
takes the kind all its values share.

Nothing is refused quietly and nothing is half-read: a row that cannot be read is a :class:`RowProblem`
with its spreadsheet row number and the reason, and the caller stores nothing of a file with any.
A workbook may hold several lists (Annex A's, one a sheet): a child on two of them is one case, of the
more specific type (looked after over child protection over care leaver over child in need over early
help), with the columns of both.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qadesk.core.cases import (
    CASE_TYPES,
    ColumnMapping,
    age_band,
    age_band_of_years,
    case_type_code,
    normalise_header,
)
from qadesk.exchange.case_columns import AGE_KEYS, Column, Layout, detect_layout, header_row, plan_columns
from qadesk.exchange.cells import (
    CellProblem,
    as_date,
    as_flag,
    as_number,
    is_flag_word,
    is_number,
    looks_like_date,
    shown,
)
from qadesk.exchange.tables import EXCEL_ERRORS, Table, column_letter, read_tables

MAX_REF = 100
MAX_NAME = 200
MAX_TEXT = 2_000
MAX_PROBLEMS = 10_000
PREVIEW_ROWS = 25
TYPE_RANK = {"EH": 0, "CIN": 1, "CL": 2, "CP": 3, "CLA": 4}
_FORMULA_START = ("=", "+", "@")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowProblem:
    """A row that cannot be imported: its number as the spreadsheet shows it (the header is row 1 of a list
    that starts at the top) and why."""

    row: int
    message: str
    sheet: str | None = None

    def __str__(self) -> str:
        where = f"sheet '{self.sheet}': " if self.sheet else ""
        return f"row {self.row}: {where}{self.message}"


@dataclass
class ImportedCase:
    """One case as read from the list."""

    row: int
    case_ref: str
    case_type: str | None
    team: str
    worker: str | None
    age_band: str | None
    fields: dict[str, Any]
    source: str
    sheet: str | None = None


@dataclass
class SheetReading:
    """How one table of the file was read: its layout, columns and first rows (for the preview)."""

    sheet: str | None
    layout: Layout | None
    header_row: int | None
    headers: list[str]
    columns: list[Column]
    preview: list[tuple[int, list[Any]]] = field(default_factory=list)
    data_rows: int = 0
    used: bool = False


@dataclass
class CaseListReading:
    """The whole file: the cases it gives, and what stops it from being imported."""

    file_name: str
    sheets: list[SheetReading] = field(default_factory=list)
    cases: list[ImportedCase] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)  # bad rows
    refusals: list[str] = field(default_factory=list)  # what is wrong with the file as a whole
    warnings: list[str] = field(default_factory=list)  # columns and sheets left out
    left_out: list[str] = field(default_factory=list)  # why each sheet left out is no case list
    more_problems: int = 0  # bad rows past MAX_PROBLEMS, counted only

    @property
    def ok(self) -> bool:
        return not self.problems and not self.refusals and bool(self.cases)

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(s.layout.key for s in self.sheets if s.used and s.layout))

    def describe(self) -> list[str]:
        """Every reason the file is refused, one a line (the bad rows as ``row N: ...``)."""
        lines = list(self.refusals) + [str(p) for p in self.problems]
        if self.more_problems:
            lines.append(f"... and {self.more_problems:,} more rows that cannot be imported")
        if not lines and not self.cases:
            lines.append("the list holds no cases (no rows under its header)")
        return lines


def matching_mapping(keys: Sequence[str], mappings: Sequence[tuple[ColumnMapping, Sequence[str]]]
                     ) -> ColumnMapping | None:
    """The saved mapping made for a file with exactly these headers (``mappings``: each with its headers)."""
    present = {k for k in keys if k}
    for mapping, headers in mappings:
        if headers and set(headers) == present:
            return mapping
    return None


def read_case_list(path: Path | str, mapping: ColumnMapping | None = None,
                   saved: Sequence[tuple[ColumnMapping, Sequence[str]]] = (),
                   today: _dt.date | None = None, progress: Progress | None = None) -> CaseListReading:
    """Read a case list (see the module's docstring); ``mapping`` names the columns, else a ``saved`` mapping
    made for the same headers does, else the headers are recognised."""
    path = Path(path)
    today = today or _dt.date.today()
    tables = read_tables(path)
    reading = CaseListReading(path.name)
    total = sum(len(t.rows) for t in tables) or 1
    done = 0
    merged: dict[str, ImportedCase] = {}
    for table in tables:
        sheet = _read_table(table, mapping, saved, len(tables) == 1, today, reading, merged)
        reading.sheets.append(sheet)
        done += len(table.rows)
        if progress is not None:
            progress(done, total)
    if not any(s.used for s in reading.sheets) and not reading.refusals:
        reading.refusals.extend(reading.left_out or [
            "no sheet of this workbook is a case list: none has a column for the case reference (e.g. 'Case "
            "reference' or Annex A's 'Child Unique ID')"])
    reading.cases = list(merged.values())
    return reading


def _read_table(table: Table, mapping: ColumnMapping | None, saved: Sequence[tuple[ColumnMapping, Sequence[str]]],
                alone: bool, today: _dt.date, reading: CaseListReading, merged: dict[str, ImportedCase]
                ) -> SheetReading:
    name = table.sheet if not alone else None
    chosen = mapping
    if chosen is None and saved:
        for _n, values in table.rows[:10]:
            chosen = matching_mapping([normalise_header("" if v is None else str(v)) for v in values], saved)
            if chosen is not None:
                break
    at = header_row(table.rows, chosen)
    if at is None:
        first = table.rows[0][1] if table.rows else []
        sheet = SheetReading(table.sheet, None, None, [_text(v) for v in first], [])
        if alone and mapping is not None:
            reading.refusals.append(f"the mapping '{mapping.name}' does not fit this file: none of its first rows "
                                    "has the column it takes the case reference from")
        elif alone:
            heads = ", ".join(f"'{h}'" for h in sheet.headers[:12] if h) or "nothing"
            reading.refusals.append(f"no column gives the case reference (the first row reads {heads}): choose "
                                    "the columns once in the window's Case lists screen, or name a mapping "
                                    "with --mapping")
        elif table.rows:
            reading.warnings.append(f"sheet '{table.sheet}' is not a case list (no column gives the case "
                                    "reference): left out")
        return sheet
    header_number, header_values = table.rows[at]
    keys = [normalise_header(_text(v)) for v in header_values]
    layout = detect_layout(keys, chosen)
    assert layout is not None  # header_row found it
    columns = plan_columns(list(header_values), layout, chosen)
    data = table.rows[at + 1:]
    sheet = SheetReading(table.sheet, layout, header_number, [_text(v) for v in header_values], columns,
                         preview=data[:PREVIEW_ROWS], data_rows=len(data), used=True)
    where = f"sheet '{table.sheet}': " if name else ""
    for c in columns:
        if c.role == "dropped":
            reading.warnings.append(f"{where}column {column_letter(c.index)} ('{c.header}') is {c.dropped_why}: "
                                    "left out, never stored")
    problems = _check_columns(columns, layout, chosen, keys)
    if problems:
        sheet.used = False
        if alone:
            reading.refusals.extend(problems)
        else:  # another sheet of the workbook (Annex A's contacts or referrals, a look-up list): left out
            reading.left_out.extend(where + p for p in problems)
            reading.warnings.append(f"sheet '{table.sheet}' is not a case list ({problems[0]}): left out")
        return sheet
    if not any(c.role == "worker" for c in columns):
        reading.warnings.append(f"{where}no column gives the allocated worker: the cases are imported without one")
    _infer_kinds(columns, data)
    sheet.columns = columns
    _read_rows(data, columns, layout, table.sheet if name else None, today, reading, merged)
    return sheet


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, _dt.date) else str(value)


def _check_columns(columns: list[Column], layout: Layout, mapping: ColumnMapping | None, keys: list[str]) -> list[str]:
    roles = {c.role for c in columns}
    problems = []
    if mapping is not None:
        missing = [k for k, role in mapping.columns.items()
                   if role in ("case_ref", "case_type", "team", "worker") and k not in keys]
        if missing:
            problems.append(f"the mapping '{mapping.name}' takes columns this file does not have: "
                            f"{', '.join(missing)}")
    if "case_ref" not in roles:
        problems.append("no column gives the case reference")
    if "team" not in roles:
        problems.append("no column gives the team (a column 'team' or 'allocated team', or a mapping that names it)")
    if "case_type" not in roles and not layout.case_type:
        problems.append("no column gives the case type, and no case type is set for the whole list "
                        f"(a column 'case type' of {', '.join(CASE_TYPES)}, or a mapping)")
    return problems


def _infer_kinds(columns: list[Column], data: list[tuple[int, list[Any]]]) -> None:
    """Give each kept column whose header does not say its kind the kind all its values share."""
    for pos, c in enumerate(columns):
        if c.role != "field" or c.kind is not None:
            continue
        i = c.index
        values = [row[i] for _n, row in data if i < len(row) and row[i] is not None]
        values = [v for v in values if not (isinstance(v, str) and v in EXCEL_ERRORS)]
        kind = "text"
        if values:
            if all(looks_like_date(v) for v in values):
                kind = "date"
            elif all(is_flag_word(v) for v in values) and any(
                    isinstance(v, bool) or v.strip().lower() not in ("unknown", "n/a", "na") for v in values):
                kind = "flag"
            elif all(is_number(v) for v in values):
                kind = "number"
        columns[pos] = Column(c.index, c.header, c.key, c.role, kind=kind)


def _read_rows(data: list[tuple[int, list[Any]]], columns: list[Column], layout: Layout, sheet: str | None,
               today: _dt.date, reading: CaseListReading, merged: dict[str, ImportedCase]) -> None:
    index = {c.role: c for c in columns if c.role not in ("field", "skip", "dropped")}
    ref_c, type_c, team_c = index["case_ref"], index.get("case_type"), index["team"]
    worker_c, dob_c, band_c = index.get("worker"), index.get("date_of_birth"), index.get("age_band")
    kept = [c for c in columns if c.role == "field"]
    age_c = next((c for c in kept if c.key in AGE_KEYS), None)
    checked = [c for c in columns if c.role not in ("skip", "dropped")]
    width = max(c.index for c in columns) + 1 if columns else 0
    seen: dict[str, int] = {}
    for number, row in data:
        wrong: list[str] = []
        if len(row) < width:
            row = row + [None] * (width - len(row))
        elif len(row) > width:
            extra = next((j for j in range(width, len(row)) if row[j] is not None), None)
            if extra is not None:
                wrong.append(f"a value in column {column_letter(extra)}, past the last column with a header")
        for c in checked:
            v = row[c.index]
            if v in EXCEL_ERRORS:  # a frozenset of str: a date or a number is never in it
                wrong.append(f"column {column_letter(c.index)} ('{c.header}') holds the Excel error {v}")
                row = list(row)
                row[c.index] = None
        ref = _reference(row[ref_c.index], wrong)
        if ref is not None:
            if ref in seen:
                wrong.append(f"case reference '{ref}' is on row {seen[ref]} too")
            else:
                seen[ref] = number
        case_type = _case_type(row[type_c.index] if type_c else None, type_c is not None, layout, wrong)
        team = _name(row[team_c.index], "team", wrong, required=True)
        worker = _name(row[worker_c.index], "allocated worker", wrong) if worker_c else None
        band = None
        if dob_c is not None and row[dob_c.index] is not None:
            try:
                born = as_date(row[dob_c.index], today)
                if born > today:
                    wrong.append(f"date of birth {born:%d/%m/%Y} is after today")
                else:
                    band = age_band(born, today)
            except CellProblem as exc:
                wrong.append(f"date of birth: {exc.message}")
        if band_c is not None and row[band_c.index] is not None:
            band = str(row[band_c.index])[:20]
        fields: dict[str, Any] = {}
        for c in kept:
            v = row[c.index]
            if v is None:
                continue
            try:
                fields[c.key] = _typed(v, c, today)
            except CellProblem as exc:
                wrong.append(f"{c.header}: {exc.message}")
        if band is None and age_c is not None and isinstance(fields.get(age_c.key), int):
            band = age_band_of_years(fields[age_c.key])
        if wrong:
            if len(reading.problems) < MAX_PROBLEMS:
                reading.problems.append(RowProblem(number, "; ".join(wrong), sheet))
            else:
                reading.more_problems += 1
            continue
        assert ref is not None and team is not None
        if band is not None:
            fields["age_band"] = band
        case = ImportedCase(number, ref, case_type, team, worker, band, fields, layout.key, sheet)
        earlier = merged.get(ref)
        merged[ref] = case if earlier is None else _merge(earlier, case)


def _reference(value: Any, wrong: list[str]) -> str | None:
    if value is None:
        wrong.append("no case reference")
        return None
    if isinstance(value, float):
        wrong.append(f"the case reference {value} is a decimal number: is the column formatted as a number?")
        return None
    if isinstance(value, _dt.date):
        wrong.append(f"the case reference is a date ({shown(value)})")
        return None
    ref = str(value).strip()
    if len(ref) > MAX_REF:
        wrong.append(f"the case reference is longer than {MAX_REF} characters")
        return None
    if any(ch < " " or ch == "\x7f" for ch in ref):
        wrong.append("the case reference holds a line break or another control character")
        return None
    if ref.startswith(_FORMULA_START):
        wrong.append(f"the case reference '{shown(ref)}' starts like a spreadsheet formula")
        return None
    return ref


def _case_type(value: Any, has_column: bool, layout: Layout, wrong: list[str]) -> str | None:
    if value is None:
        if layout.case_type:
            return layout.case_type
        wrong.append("no case type")
        return None
    code = case_type_code(str(value))
    if code is None:
        if layout.lenient_case_type and layout.case_type:
            return layout.case_type
        wrong.append(f"'{shown(value)}' is not a case type (the case types: {', '.join(CASE_TYPES)}, or words "
                     "such as Child in Need, Child Protection, Looked After, Care Leaver, Early Help)")
        return None
    return code


def _name(value: Any, what: str, wrong: list[str], required: bool = False) -> str | None:
    if value is None:
        if required:
            wrong.append(f"no {what}")
        return None
    text = " ".join(_text(value).split())
    if len(text) > MAX_NAME:
        wrong.append(f"the {what} is longer than {MAX_NAME} characters")
        return None
    return text


def _typed(value: Any, column: Column, today: _dt.date) -> Any:
    kind = column.kind
    if kind == "date":
        return as_date(value, today)
    if kind == "flag":
        return as_flag(value)
    if kind == "number":
        number = as_number(value)
        if column.key in AGE_KEYS and (not isinstance(number, int) or not 0 <= number <= 120):
            raise CellProblem(f"'{shown(value)}' is not an age in whole years")
        return number
    text = _text(value)
    if len(text) > MAX_TEXT:
        raise CellProblem(f"longer than {MAX_TEXT:,} characters")
    return text


def _merge(a: ImportedCase, b: ImportedCase) -> ImportedCase:
    """One child on two lists of a workbook: the more specific list's case type, team and worker."""
    first, second = (a, b) if TYPE_RANK.get(a.case_type or "", -1) >= TYPE_RANK.get(b.case_type or "", -1) else (b, a)
    fields = {**second.fields, **first.fields}
    return ImportedCase(first.row, first.case_ref, first.case_type, first.team, first.worker or second.worker,
                        first.age_band or second.age_band, fields, first.source, first.sheet)
