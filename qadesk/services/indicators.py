"""Performance data: indicators per team and month, imported from CSV or Excel, shown beside audit grades.

The framework's first component. A figure is an indicator's value for a team (or the whole service) and
a month, with its target where the file gives one. Importing is all or nothing
(:class:`IndicatorsRefused`, every bad row with its number); a figure already stored for the same
indicator, team and month is updated, with a history entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from qadesk.core.errors import Problem, ValidationError
from qadesk.core.indicators import IndicatorFigure
from qadesk.core.permissions import Do
from qadesk.exchange.indicator_list import IndicatorReading, read_indicators
from qadesk.services import permissions
from qadesk.services.cases import located_problems
from qadesk.store import history
from qadesk.store.models import Indicator

__all__ = ["IndicatorFigure", "IndicatorImportResult", "IndicatorsRefused", "figures", "import_indicators",
           "latest_figures"]


class IndicatorsRefused(ValidationError):
    """A performance data file that cannot be imported; nothing of it was stored."""

    def __init__(self, reading: IndicatorReading) -> None:
        self.reading = reading
        problems = located_problems(reading.refusals, reading.problems)
        if not problems:
            problems.append(Problem("", "the file holds no figures (no rows under its header)"))
        super().__init__(problems, reading.file_name)


@dataclass(frozen=True)
class IndicatorImportResult:
    file_name: str
    added: int
    updated: int
    unchanged: int
    indicators: int
    periods: list[date]


def import_indicators(session: Session, path: Path | str, *, actor: str, today: date | None = None
                      ) -> IndicatorImportResult:
    """Import a performance data file in the caller's transaction: all of it or (:class:`IndicatorsRefused`)
    none of it."""
    permissions.require(session, Do.IMPORT_CASES)
    reading = read_indicators(path, today)
    if not reading.ok:
        raise IndicatorsRefused(reading)
    now = datetime.now(timezone.utc)
    existing = {(r.indicator, r.team, r.period): (r.pk, r.value, r.target, r.unit) for r in session.execute(
        select(Indicator.pk, Indicator.indicator, Indicator.team, Indicator.period, Indicator.value,
               Indicator.target, Indicator.unit))}
    new, changed, entries = [], [], []
    unchanged = 0
    for f in reading.figures:
        key = (f.indicator, f.team, f.period)
        after = {"value": f.value, "target": f.target, "unit": f.unit}
        label = f"{f.indicator} | {f.team or 'whole service'} | {f.period:%Y-%m}"
        old = existing.get(key)
        if old is None:
            new.append({"indicator": f.indicator, "team": f.team, "period": f.period, **after, "imported_at": now})
            entries.append({"actor": actor, "entity": "indicator", "entity_id": label[:100], "action": "add",
                            "at": now, "after": after})
            continue
        before = {"value": old[1], "target": old[2], "unit": old[3]}
        if before == after:
            unchanged += 1
            continue
        changed.append({"pk": old[0], **after, "imported_at": now})
        entries.append({"actor": actor, "entity": "indicator", "entity_id": label[:100], "action": "update",
                        "at": now, "before": before, "after": after})
    if new:
        session.execute(insert(Indicator), new)
    if changed:
        session.execute(update(Indicator), changed)
    periods = sorted({f.period for f in reading.figures})
    result = IndicatorImportResult(reading.file_name, len(new), len(changed), unchanged,
                                   len({f.indicator for f in reading.figures}), periods)
    entries.append({"actor": actor, "entity": "indicator", "entity_id": None, "action": "import", "at": now,
                    "after": {"file": reading.file_name, "added": result.added, "updated": result.updated,
                              "unchanged": unchanged, "periods": [p.isoformat() for p in periods]}})
    history.record_many(session, entries)
    return result


def latest_figures(session: Session, *, teams: list[str] | None = None, since: date | None = None,
                   until: date | None = None) -> list[IndicatorFigure]:
    """For each indicator and team, its latest figure in the period (months from ``since`` to ``until``),
    by team (the whole service first) then indicator: what the Reports screen and the QA summary show
    beside the grades."""
    conditions = []
    if since is not None:
        conditions.append(Indicator.period >= since.replace(day=1))
    if until is not None:
        conditions.append(Indicator.period <= until)
    if teams:
        conditions.append(Indicator.team.in_([*teams, ""]))
    latest = select(Indicator.indicator, Indicator.team, func.max(Indicator.period).label("period"))
    for cond in conditions:
        latest = latest.where(cond)
    sub = latest.group_by(Indicator.indicator, Indicator.team).subquery()
    rows = session.execute(
        select(Indicator.indicator, Indicator.team, Indicator.period, Indicator.value, Indicator.target,
               Indicator.unit)
        .join(sub, (Indicator.indicator == sub.c.indicator) & (Indicator.team == sub.c.team)
              & (Indicator.period == sub.c.period))
        .order_by(Indicator.team, Indicator.indicator)).all()
    return [IndicatorFigure(*r) for r in rows]


def figures(session: Session, *, indicator: str | None = None, team: str | None = None) -> list[IndicatorFigure]:
    """Every stored figure (of one indicator or team), by indicator, team and month."""
    q = select(Indicator.indicator, Indicator.team, Indicator.period, Indicator.value, Indicator.target,
               Indicator.unit)
    if indicator is not None:
        q = q.where(Indicator.indicator == indicator)
    if team is not None:
        q = q.where(Indicator.team == team)
    return [IndicatorFigure(*r) for r in session.execute(q.order_by(Indicator.indicator, Indicator.team,
                                                                     Indicator.period))]
