"""A sample as it is recorded with its programme: the options it was drawn with, the chosen cases and why,
and the counts behind them (per team and stratum), each to and from plain JSON (format ``qadesk-sample/1``).

Recorded so that the same draw can be shown to an inspector and repeated; :mod:`qadesk.core.sampling`
makes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from qadesk.core.errors import ValidationError
from qadesk.core.sample_filters import Filter, parse_filter

FORMAT = "qadesk-sample/1"
MAX_PER_TEAM = 10_000
MAX_MONTHS = 120


@dataclass(frozen=True)
class SampleOptions:
    """How a sample is drawn; recorded with it, so the draw can be repeated."""

    seed: int
    per_team: int | None = None
    percent: float | None = None
    stratify: str | None = None  # a column, usually case_type
    minimum_per_stratum: int = 0  # 0: proportional only
    where: tuple[Filter, ...] = ()
    exclude_audited_months: int | None = None
    exclude_in_programme: bool = True
    teams: tuple[str, ...] = ()  # only these teams; none: every team in the list
    today: date | None = None  # the day of the draw (relative dates, "audited in the last N months")

    def problems(self) -> list[str]:
        out = []
        if (self.per_team is None) == (self.percent is None):
            out.append("say how many per team: a number per team or a percentage, not both")
        if self.per_team is not None and not (1 <= self.per_team <= MAX_PER_TEAM):
            out.append(f"the number per team is a whole number from 1 to {MAX_PER_TEAM:,}")
        if self.percent is not None and not (0 < self.percent <= 100):
            out.append("the percentage is more than 0 and at most 100")
        if self.minimum_per_stratum < 0 or self.minimum_per_stratum > MAX_PER_TEAM:
            out.append(f"the minimum per stratum is a whole number from 0 to {MAX_PER_TEAM:,}")
        if self.minimum_per_stratum and not self.stratify:
            out.append("a minimum per stratum needs a column to stratify by")
        if self.exclude_audited_months is not None and not (1 <= self.exclude_audited_months <= MAX_MONTHS):
            out.append(f"the months for 'audited recently' are a whole number from 1 to {MAX_MONTHS}")
        return out

    def check(self) -> None:
        problems = self.problems()
        if problems:
            raise ValidationError("; ".join(problems))

    def describe(self) -> str:
        """The options in words, as the sample screen and the record show them."""
        parts = [f"{self.per_team} per team" if self.per_team is not None else f"{_pct(self.percent)}% of each team"]
        if self.stratify:
            by = self.stratify.replace("_", " ")
            parts.append(f"stratified by {by}" + (f", at least {self.minimum_per_stratum} per stratum"
                                                 if self.minimum_per_stratum else ", proportional"))
        if self.where:
            parts.append("only " + " and ".join(f.describe() for f in self.where))
        if self.exclude_audited_months:
            parts.append(f"not audited in the last {self.exclude_audited_months} months")
        if self.exclude_in_programme:
            parts.append("not already in the programme")
        parts.append(f"seed {self.seed}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "per_team": self.per_team, "percent": self.percent, "stratify": self.stratify,
                "minimum_per_stratum": self.minimum_per_stratum, "where": [f.describe() for f in self.where],
                "exclude_audited_months": self.exclude_audited_months,
                "exclude_in_programme": self.exclude_in_programme, "teams": list(self.teams),
                "today": self.today.isoformat() if self.today else None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SampleOptions:
        return cls(seed=int(data["seed"]), per_team=data.get("per_team"), percent=data.get("percent"),
                   stratify=data.get("stratify"), minimum_per_stratum=int(data.get("minimum_per_stratum") or 0),
                   where=tuple(parse_filter(w) for w in data.get("where") or ()),
                   exclude_audited_months=data.get("exclude_audited_months"),
                   exclude_in_programme=bool(data.get("exclude_in_programme", True)),
                   teams=tuple(data.get("teams") or ()),
                   today=date.fromisoformat(data["today"]) if data.get("today") else None)


def _pct(p: float | None) -> str:
    return f"{p:g}" if p is not None else "?"


# ---------------------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class ChosenCase:
    """A case in the sample and why it was chosen."""

    case_ref: str
    team: str | None
    case_type: str | None
    worker: str | None
    stratum: str | None
    reason: str
    topped_up: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"case_ref": self.case_ref, "team": self.team, "case_type": self.case_type, "worker": self.worker,
                "stratum": self.stratum, "reason": self.reason, "topped_up": self.topped_up}


@dataclass(frozen=True)
class StratumCount:
    """One stratum of a team: its cases, those left out and why, and how many were chosen."""

    team: str | None
    stratum: str | None
    population: int
    not_matching: int
    in_programme: int
    audited_recently: int
    eligible: int
    places: int
    chosen: int

    @property
    def excluded(self) -> int:
        return self.in_programme + self.audited_recently

    def to_dict(self) -> dict[str, Any]:
        return {"team": self.team, "stratum": self.stratum, "population": self.population,
                "not_matching": self.not_matching, "excluded_in_programme": self.in_programme,
                "excluded_audited_recently": self.audited_recently, "eligible": self.eligible,
                "places": self.places, "chosen": self.chosen}


@dataclass(frozen=True)
class TeamCount:
    """One team: its strata, its target, how many were chosen (topped up) and how many short."""

    team: str | None
    target: int
    strata: tuple[StratumCount, ...]
    chosen: int
    topped_up: int
    shortfall: int
    notes: tuple[str, ...] = ()

    def total(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.strata)

    def to_dict(self) -> dict[str, Any]:
        return {"team": self.team, "target": self.target, "population": self.total("population"),
                "not_matching": self.total("not_matching"), "excluded_in_programme": self.total("in_programme"),
                "excluded_audited_recently": self.total("audited_recently"), "eligible": self.total("eligible"),
                "chosen": self.chosen, "topped_up": self.topped_up, "shortfall": self.shortfall,
                "notes": list(self.notes), "strata": [s.to_dict() for s in self.strata]}


@dataclass(frozen=True)
class Sample:
    """A drawn sample: the chosen cases with their reasons, the counts behind them, the options and seed."""

    options: SampleOptions
    chosen: tuple[ChosenCase, ...]
    teams: tuple[TeamCount, ...]
    fingerprint: str  # of the case list as read: a different one means the list itself changed
    cases_read: int = 0

    @property
    def shortfall(self) -> int:
        return sum(t.shortfall for t in self.teams)

    def notes(self) -> list[str]:
        return [n for t in self.teams for n in t.notes]

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "options": self.options.to_dict(), "fingerprint": self.fingerprint,
                "cases_read": self.cases_read, "chosen": [c.to_dict() for c in self.chosen],
                "teams": [t.to_dict() for t in self.teams]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sample:
        teams = tuple(TeamCount(
            team=t["team"], target=t["target"], chosen=t["chosen"], topped_up=t["topped_up"],
            shortfall=t["shortfall"], notes=tuple(t.get("notes") or ()),
            strata=tuple(StratumCount(s["team"], s["stratum"], s["population"], s["not_matching"],
                                      s["excluded_in_programme"], s["excluded_audited_recently"], s["eligible"],
                                      s["places"], s["chosen"]) for s in t["strata"]))
            for t in data["teams"])
        chosen = tuple(ChosenCase(c["case_ref"], c["team"], c["case_type"], c["worker"], c["stratum"], c["reason"],
                                  bool(c.get("topped_up"))) for c in data["chosen"])
        return cls(SampleOptions.from_dict(data["options"]), chosen, teams, data["fingerprint"],
                   int(data.get("cases_read") or 0))

