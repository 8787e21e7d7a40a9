"""Writing a case list as a case management system exports one: CSV (UTF-8, as Excel's "CSV UTF-8") or ``.xlsx``.

Used for the demo's made-up list (:mod:`qadesk.services.demo_cases`); what it writes reads back through
:func:`qadesk.exchange.case_list.read_case_list` with no mapping. Dates are written as British dates in a
CSV and as date cells in a workbook; ``True``/``False`` as ``Y``/``N``; ``None`` as an empty cell. The file
appears whole or not at all (:func:`qadesk.exchange.output.atomic_path`).
"""

from __future__ import annotations

import csv
import datetime as _dt
from collections.abc import Sequence
from pathlib import Path

from qadesk.core.errors import QadeskError
from qadesk.exchange.output import atomic_path
from qadesk.exchange.xlsx_text import set_text

SUFFIXES = (".csv", ".xlsx")


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, _dt.date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def write_case_table(path: Path | str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """Write ``headers`` and ``rows`` to ``path``, as CSV or Excel by its suffix (``.csv``, ``.xlsx``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise QadeskError(f"a case list is written as .csv or .xlsx, not '{path.suffix or path.name}'")
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
                out = csv.writer(fh, lineterminator="\r\n")
                out.writerow(headers)
                out.writerows([_csv_cell(v) for v in row] for row in rows)
        else:
            _write_xlsx(tmp, headers, rows)
    return path


def _write_xlsx(path: Path, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Open cases")
    ws.append([set_text(WriteOnlyCell(ws), h) for h in headers])
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(ws)
            if isinstance(value, bool):
                set_text(cell, "Y" if value else "N")
            elif isinstance(value, _dt.date):
                cell.value = value
                cell.number_format = "dd/mm/yyyy"
            elif isinstance(value, str):
                set_text(cell, value)
            else:
                cell.value = value
            cells.append(cell)
        ws.append(cells)
    wb.save(path)
