"""Reading performance data (CSV or ``.xlsx``): one row a figure of an indicator for a team and a month.

The columns, found by their headers in any order (a space or a hyphen reads as ``_``): ``indicator``
(also ``measure``, ``kpi``, ``metric``), ``team`` (also ``service``; blank for the whole service),
``period`` (also ``month``: ``2026-11``, ``Nov 2026``, ``11/2026`` or any date in the month), ``value``
(also ``actual``, ``result``; ``85%`` reads as 85, with the unit ``%``), and optionally ``target`` and
``unit``. As with case lists, a bad row is reported with its number and reason, and the caller stores
nothing of a file with any.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qadesk.core.cases import normalise_header
from qadesk.exchange.case_list import RowProblem
from qadesk.exchange.cells import CellProblem, as_month, as_number
from qadesk.exchange.tables import EXCEL_ERRORS, column_letter, read_tables

MAX_NAME = 200
MAX_PROBLEMS = 10_000
COLUMNS: dict[str, tuple[str, ...]] = {
    "indicator": ("indicator", "indicator_name", "measure", "kpi", "metric", "performance_indicator", "pi"),
    "team": ("team", "team_name", "service", "service_area", "unit"),
    "period": ("period", "month", "reporting_month", "reporting_period", "period_month", "date"),
    "value": ("value", "actual", "result", "figure", "performance", "score"),
    "target": ("target", "goal", "target_value"),
    "unit": ("unit", "units"),
}
REQUIRED = ("indicator", "period", "value")


@dataclass(frozen=True)
class Figure:
    """One figure: an indicator's value for a team (``""`` for the whole service) and a month."""

    row: int
    indicator: str
    team: str
    period: _dt.date
    value: float
    target: float | None
    unit: str | None


@dataclass
class IndicatorReading:
    file_name: str
    figures: list[Figure] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    more_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and not self.refusals and bool(self.figures)

    def describe(self) -> list[str]:
        lines = list(self.refusals) + [str(p) for p in self.problems]
        if self.more_problems:
            lines.append(f"... and {self.more_problems:,} more rows that cannot be imported")
        if not lines and not self.figures:
            lines.append("the file holds no figures (no rows under its header)")
        return lines


def _columns(values: list[Any]) -> dict[str, int]:
    keys = [normalise_header("" if v is None else str(v)) for v in values]
    found: dict[str, int] = {}
    for role, names in COLUMNS.items():
        for name in names:
            if name in keys:
                found[role] = keys.index(name)
                break
    return found


def read_indicators(path: Path | str, today: _dt.date | None = None) -> IndicatorReading:
    """The figures of a performance data file (its first sheet whose header names the columns)."""
    path = Path(path)
    reading = IndicatorReading(path.name)
    tables = read_tables(path)
    for table in tables:
        at = next((i for i, (_n, values) in enumerate(table.rows[:10])
                   if all(r in _columns(values) for r in REQUIRED)), None)
        if at is None:
            continue
        cols = _columns(table.rows[at][1])
        sheet = table.sheet if len(tables) > 1 else None
        _read_rows(table.rows[at + 1:], cols, sheet, today, reading)
        return reading
    first = tables[0].rows[0][1] if tables and tables[0].rows else []
    heads = ", ".join(f"'{v}'" for v in first[:12] if v is not None) or "nothing"
    reading.refusals.append(f"no header row names the columns indicator, period and value (the first row reads "
                            f"{heads}); team, target and unit may follow")
    return reading


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def _read_rows(rows: list[tuple[int, list[Any]]], cols: dict[str, int], sheet: str | None, today: _dt.date | None,
               reading: IndicatorReading) -> None:
    seen: dict[tuple[str, str, _dt.date], int] = {}
    width = max(cols.values()) + 1
    for number, row in rows:
        row = row + [None] * (width - len(row)) if len(row) < width else row
        wrong: list[str] = []
        for role, i in cols.items():
            if isinstance(row[i], str) and row[i] in EXCEL_ERRORS:
                wrong.append(f"column {column_letter(i)} ({role}) holds the Excel error {row[i]}")
        values = {role: (None if isinstance(row[i], str) and row[i] in EXCEL_ERRORS else row[i])
                  for role, i in cols.items()}
        name = _text(values.get("indicator"))
        team = _text(values.get("team")) or ""
        if name is None:
            wrong.append("no indicator")
        elif len(name) > MAX_NAME or len(team) > MAX_NAME:
            wrong.append(f"the indicator or team is longer than {MAX_NAME} characters")
        period = None
        if values.get("period") is None:
            wrong.append("no period (the month the figure is for)")
        else:
            try:
                period = as_month(values["period"], today)
            except CellProblem as exc:
                wrong.append(f"period: {exc.message}")
        value = target = None
        unit = _text(values.get("unit"))
        raw_value = values.get("value")
        if raw_value is None:
            wrong.append("no value")
        else:
            try:
                value = float(as_number(raw_value))
                if isinstance(raw_value, str) and raw_value.strip().endswith("%"):
                    unit = unit or "%"
            except CellProblem as exc:
                wrong.append(f"value: {exc.message}")
        if values.get("target") is not None:
            try:
                target = float(as_number(values["target"]))
            except CellProblem as exc:
                wrong.append(f"target: {exc.message}")
        if name is not None and period is not None:
            key = (name.casefold(), team.casefold(), period)
            if key in seen:
                wrong.append(f"'{name}' for {team or 'the whole service'} in {period:%b %Y} is on row {seen[key]} too")
            else:
                seen[key] = number
        if wrong:
            if len(reading.problems) < MAX_PROBLEMS:
                reading.problems.append(RowProblem(number, "; ".join(wrong), sheet))
            else:
                reading.more_problems += 1
            continue
        assert name is not None and period is not None and value is not None
        reading.figures.append(Figure(number, name, team, period, value, target, (unit or "")[:20] or None))
