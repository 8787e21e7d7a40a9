"""A figure of the performance data: the plain value the Reports screen and the QA summary report show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class IndicatorFigure:
    """An indicator's figure for a team and month (``team`` empty for the whole service)."""

    indicator: str
    team: str
    period: date
    value: float
    target: float | None
    unit: str | None

    @property
    def meets_target(self) -> bool | None:
        """Whether the value reaches its target (None without one). Higher is taken as better."""
        return None if self.target is None else self.value >= self.target

    def shown_value(self) -> str:
        return f"{self.value:,.4g}{self.unit or ''}" if self.unit in (None, "%") else f"{self.value:,.4g} {self.unit}"

    def shown_target(self) -> str:
        if self.target is None:
            return "—"
        return f"{self.target:,.4g}{self.unit or ''}" if self.unit in (None, "%") else f"{self.target:,.4g} {self.unit}"
