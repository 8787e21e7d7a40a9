"""Where things are in a template workbook: header tables and located problems.

Both workbook readers (qadesk's own layout and XLSForm) build a plain
``qadesk-template/1`` dict and let :func:`qadesk.core.template.template_from_dict`
judge it.  Its problems speak of section ids, question ids and keys; the
:class:`Locator` kept while reading maps each one back to the sheet, row and
column (letter) a person can click on, e.g. ``survey!C14 (label)``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from qadesk.core.errors import Problem
from qadesk.exchange.xlsx_io import Sheet

# JSON key -> canonical column, per kind of thing.
TEMPLATE_COLUMNS = {"id": "form_id", "version": "version", "title": "title", "kind": "kind", "theme": "theme",
                    "publisher": "publisher", "description": "description", "format": "form_id"}
OVERALL_COLUMNS = {"list": "overall_list", "suggest": "overall_suggest", "thresholds": "overall_thresholds"}
SECTION_COLUMNS = {"id": "name", "title": "label", "guidance": "guidance", "agency": "agency",
                   "grade": "grade_list", "relevant": "relevant", "questions": "type"}
QUESTION_COLUMNS = {"id": "name", "type": "type", "list": "type", "choices": "type", "label": "label",
                    "guidance": "guidance", "required": "required", "relevant": "relevant",
                    "constraint": "constraint", "constraint_message": "constraint_message", "min": "min",
                    "max": "max", "weight": "weight", "evidence": "evidence",
                    "urgent_concern": "urgent_concern", "subject_field": "subject_field", "learning": "learning"}
CHOICE_COLUMNS = {"value": "name", "label": "label", "score": "score"}

# Messages that name no key but clearly concern one column.
_PHRASES = (("cannot be required", "required"), ("cannot have a constraint", "constraint"),
            ("takes no evidence", "evidence"), ("whole numbers", "min"), ("may span at most", "max"),
            ("carry scores", "list"), ("is not defined in 'lists'", "list"), ("logic goes round", "relevant"), ("no questions and no judgement", "questions"))
_QUOTED = re.compile(r"'([A-Za-z_]+)'")


@dataclass
class Table:
    """One sheet's header: canonical column name -> (0-based index, header as written)."""

    sheet: str
    columns: dict[str, tuple[int, str]] = field(default_factory=dict)
    header_row: int = 1

    def where(self, row: int | None, column: str | None) -> str:
        if row is None:
            return self.sheet if column is None else f"{self.sheet} ({column})"
        if column is None:
            return f"{self.sheet} row {row}"
        if column in self.columns:
            idx, header = self.columns[column]
            return f"{self.sheet}!{get_column_letter(idx + 1)}{row} ({header})"
        return f"{self.sheet} row {row} (no '{column}' column)"

    def get(self, values: tuple[Any, ...], column: str) -> Any:
        entry = self.columns.get(column)
        if entry is None or entry[0] >= len(values):
            return None
        value = values[entry[0]]
        if isinstance(value, str) and not value.strip():
            return None
        return value


def read_header(sheet: Sheet, known: dict[str, str], problems: list[Problem], *,
                strict: bool = True) -> tuple[Table, list[tuple[int, tuple[Any, ...]]]]:
    """The header table (first non-blank row) and the rows under it.

    ``known`` maps a header as written (lower case) to its canonical column.
    Unknown headers are problems when ``strict`` (headers starting with '#'
    are notes for people and always ignored).
    """
    table = Table(sheet.name)
    if not sheet.rows:
        return table, []
    table.header_row, header = sheet.rows[0]
    for idx, raw in enumerate(header):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        text = " ".join(str(raw).split()).lower()
        if text.startswith("#"):
            continue
        canonical = known.get(text) or known.get(text.replace(" ", "_"))
        where = f"{sheet.name}!{get_column_letter(idx + 1)}{table.header_row} ({str(raw).strip()[:40]})"
        if canonical is None:
            if strict:
                hint = difflib.get_close_matches(text, sorted(set(known.values())), n=1, cutoff=0.7)
                extra = f" (did you mean '{hint[0]}'?)" if hint else f"; known columns: {', '.join(sorted(set(known.values())))}"
                problems.append(Problem(where, f"unknown column '{str(raw)[:60]}'{extra}"))
            continue
        if canonical in table.columns:
            problems.append(Problem(where, f"the column '{canonical}' appears twice"))
            continue
        table.columns[canonical] = (idx, str(raw).strip())
    return table, sheet.rows[1:]


def text_of(value: Any) -> str | None:
    """A cell as text: numbers typed into a text column become their plain digits."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def number_of(value: Any) -> Any:
    """Numbers stay numbers; text that reads as a number becomes one; anything else is left for validation."""
    if isinstance(value, str):
        try:
            f = float(value.strip().replace(",", ""))
        except ValueError:
            return value
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


@dataclass
class Locator:
    """Where each part of the built dict came from."""

    settings: Table | None = None
    settings_row: int | None = None
    survey: Table | None = None
    choices: Table | None = None
    sections: dict[str, int] = field(default_factory=dict)  # "id", "#n" and "n" -> begin row
    questions: dict[str, int] = field(default_factory=dict)
    positions: dict[tuple[str, int], int] = field(default_factory=dict)  # (section ref, n) -> row
    lists: dict[str, list[int]] = field(default_factory=dict)
    inline: dict[str, list[int]] = field(default_factory=dict)  # question id -> choice rows

    def locate(self, problem: Problem) -> Problem:
        """The same problem, located at a sheet, row and column."""
        try:
            where = self._where(problem)
        except (KeyError, IndexError, ValueError):
            where = None
        return Problem(where or problem.where, problem.message)

    # The parts of core's "where" texts, e.g. "section voice / question seen_alone / relevant".
    def _where(self, p: Problem) -> str | None:
        parts = p.where.split(" / ")
        head = parts[0]
        if head == "template":
            return self._template_where(parts[1:], p.message)
        if head.startswith("list ") and self.choices is not None:
            rows = self.lists[head[5:]]
            if len(parts) > 1 and parts[1].startswith("choice "):
                row = rows[int(parts[1].split()[1]) - 1]
                return self.choices.where(row, CHOICE_COLUMNS[key_in(p.message, CHOICE_COLUMNS, "value")])
            return self.choices.where(rows[0], "list_name")
        if head.startswith("section ") and self.survey is not None:
            sref = head[8:]
            if len(parts) == 1:
                col = SECTION_COLUMNS[key_in(p.message, SECTION_COLUMNS, "id")]
                return self.survey.where(self.sections[sref], col)
            if parts[1] in ("grade", "relevant"):
                return self.survey.where(self.sections[sref], SECTION_COLUMNS[parts[1]])
            if parts[1].startswith("question "):
                return self._question_where(sref, parts[1][9:], parts[2:], p.message)
        return None

    def _template_where(self, rest: list[str], message: str) -> str | None:
        if rest and rest[0] == "lists":
            return self.choices.where(None, None) if self.choices else "choices"
        if rest and rest[0] == "sections":
            return self.survey.where(None, None) if self.survey else "survey"
        if self.settings is None:
            return "settings"
        if rest and rest[0] == "overall":
            key = "thresholds" if len(rest) > 1 else key_in(message, OVERALL_COLUMNS, "list")
            return self.settings.where(self.settings_row, OVERALL_COLUMNS[key])
        key = rest[0] if rest else key_in(message, TEMPLATE_COLUMNS, "title")
        return self.settings.where(self.settings_row, TEMPLATE_COLUMNS.get(key, "form_id"))

    def _question_where(self, sref: str, qref: str, rest: list[str], message: str) -> str | None:
        assert self.survey is not None
        row = self.positions[(sref, int(qref))] if qref.isdigit() else self.questions[qref]
        if not rest:
            return self.survey.where(row, QUESTION_COLUMNS[key_in(message, QUESTION_COLUMNS, "id")])
        if rest[0] == "choices" and self.choices is not None:
            rows = self.inline[qref]
            if len(rest) > 1:
                crow = rows[int(rest[1].split()[1]) - 1]
                return self.choices.where(crow, CHOICE_COLUMNS[key_in(message, CHOICE_COLUMNS, "value")])
            return self.choices.where(rows[0], "list_name")
        return self.survey.where(row, QUESTION_COLUMNS.get(rest[0], "name"))


def key_in(message: str, columns: dict[str, str], default: str) -> str:
    """The key a core message concerns: by a telling phrase, else the first key it names in quotes."""
    for phrase, key in _PHRASES:
        if phrase in message and key in columns:
            return key
    for found in _QUOTED.findall(message):
        if found in columns:
            return found
    return default


_WHERE = re.compile(r"^(\w+)!([A-Z]+)(\d+)")
_SHEET_ORDER = {"settings": 0, "survey": 1, "choices": 2}


def reading_order(problem: Problem) -> tuple[int, str, int, int, str]:
    """Sort key: sheet, then row, then column, as a person reads the workbook."""
    m = _WHERE.match(problem.where)
    sheet = problem.where.split("!")[0].split(" ")[0]
    if not m:
        return (_SHEET_ORDER.get(sheet, 3), sheet, 0, 0, problem.where)
    return (_SHEET_ORDER.get(sheet, 3), sheet, int(m.group(3)), len(m.group(2)), m.group(2))
