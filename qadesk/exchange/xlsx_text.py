"""User text in the workbooks qadesk writes stays text (OWASP "CSV injection", for Excel too).

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is what
spreadsheets read as the start of a formula: typed into Excel, or opened from a CSV, it runs. qadesk
writes such text as a string cell (never a formula element) *and* marks it with Excel's quote
prefix, the style Excel gives a cell typed with a leading apostrophe, so editing the cell in Excel
(F2, Enter) or saving the sheet as CSV and opening that keeps it text as well.  The text itself is
unchanged: reading the cell back gives exactly what was written.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def set_text(cell: Any, text: str) -> Any:
    """Write ``text`` into an openpyxl cell (or WriteOnlyCell) as text, quote-prefixed where it looks like a formula."""
    cell.value = text
    cell.data_type = "s"
    if looks_like_formula(text):
        cell.quotePrefix = True
    return cell
