"""Drawing an audit sample from the case list: fair, reproducible and explained.

The draw is a pure function of the case list, the options (the seed among them) and two facts from the
store (when each case was last audited, which cases are already in the programme).  Nothing here depends
on the order the cases come in or on a set's iteration order: cases are sorted by reference, teams and
strata by name, and every random choice is made by a :class:`random.Random` seeded from the seed and the
team's (and stratum's) name.  So the same list, seed and options give the same sample on any computer,
and adding a team to the list does not change another team's draw.

How many per team:

- ``per_team=N``: N places in each team.
- ``percent=P``: P% of the team's cases that match the filters (before exclusions), rounded to the nearest
  whole number with halves rounded up, and at least one when the team has any matching case.

Stratified (``stratify`` names a column, usually ``case_type``): the team's places are shared between its
strata in proportion to their eligible cases by the largest-remainder method (each stratum gets the whole
part of its share; the places left go to the largest fractions, ties to the stratum first in name order).
With ``minimum_per_stratum=M`` each stratum first gets M places and the rest are shared in proportion;
when the minimums need more places than the team was given, the minimums win and the team's target grows.

A stratum with fewer eligible cases than places gives all it has, and the places it could not fill are
topped up at random from the team's other eligible cases; a team that still has too few says its
shortfall.  Every chosen case carries the reason in plain words.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import math
import random
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from qadesk.core.cases import CaseRow
from qadesk.core.errors import ValidationError

FORMAT = "qadesk-sample/1"
BUILT_IN = ("case_ref", "case_type", "team", "worker")
MAX_PER_TEAM = 10_000
MAX_MONTHS = 120
NO_TEAM = "no team"
NOT_RECORDED = "not recorded"
OPERATORS = ("!=", ">=", "<=", "=", ">", "<")  # longest first, so "a>=b" is not read as "a>" "=b"
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_RELATIVE = re.compile(r"^today\s*(?:([+-])\s*(\d+)\s*([dwmy]))?$")


def column_name(text: str) -> str:
    """A column's name as a filter or stratum writes it: lower case, a space or a hyphen read as ``_``."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def months_before(d: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day where that day is missing)."""
    y, m = divmod(d.year * 12 + (d.month - 1) - months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


# ---------------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filter:
    """One data-led filter on a column of the case list: ``COLUMN=VALUE`` and its relatives.

    ``=`` matches the value, one of several (``case_type=CP,CLA``) or a range (``age=10..15``, either end
    may be left open); ``!=`` the opposite (a case with no value matches it); ``<``, ``<=``, ``>``, ``>=``
    compare numbers or dates.  Yes/no columns read yes, y, true and 1 as yes, and no, n, false and 0 as
    no.  A date may be written ``today-18m`` (days d, weeks w, months m, years y), counted from the day
    the sample is drawn, so ``plan_start<=today-18m`` finds plans over 18 months old.
    """

    column: str
    op: str
    value: str

    def describe(self) -> str:
        return f"{self.column}{self.op}{self.value}"

    def matches(self, case: CaseRow, today: date) -> bool:
        got = value_of(case, self.column)
        if self.op == "!=":
            return got is None or not _equal(got, self.value, today)
        if got is None:
            return False
        if self.op == "=":
            if ".." in self.value:
                low, _, high = self.value.partition("..")
                return ((not low.strip() or _compare(got, low, today, ">=")) and
                        (not high.strip() or _compare(got, high, today, "<=")))
            return any(_equal(got, alt, today) for alt in self.value.split(","))
        return _compare(got, self.value, today, self.op)


def parse_filter(text: str) -> Filter:
    """``COLUMN=VALUE`` (or ``!=``, ``<``, ``<=``, ``>``, ``>=``); :class:`ValidationError` if it is not one."""
    at = min(((text.find(op), op) for op in OPERATORS if op in text), default=None,
             key=lambda x: (x[0], -len(x[1])))
    if at is None or at[0] <= 0 or not text[at[0] + len(at[1]):].strip():
        raise ValidationError(f"'{text}' is not a filter: write COLUMN=VALUE, e.g. repeat_referral=yes, "
                              "age=10..15 or plan_start<=today-18m")
    pos, op = at
    return Filter(column_name(text[:pos]), op, text[pos + len(op):].strip())


def value_of(case: CaseRow, column: str) -> object:
    """The case's value in ``column`` (a built-in column or one of its ``fields``); None when it has none."""
    if column in BUILT_IN:
        value: object = getattr(case, column)
    else:
        value = case.fields.get(column)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _relative(text: str, today: date) -> date | None:
    m = _RELATIVE.match(text.strip().lower())
    if not m:
        return None
    if not m.group(1):
        return today
    n = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
    unit = m.group(3)
    if unit == "d":
        return today + timedelta(days=n)
    if unit == "w":
        return today + timedelta(weeks=n)
    return months_before(today, -n * (12 if unit == "y" else 1))


def _as_date(value: object, today: date) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        rel = _relative(text, today)
        if rel is not None:
            return rel
        try:
            return date.fromisoformat(text[:10]) if len(text) >= 10 else None
        except ValueError:
            return None
    return None


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            n = float(value.strip().replace(",", ""))
        except ValueError:
            return None
        return n if math.isfinite(n) else None
    return None


def _yes_no(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in _YES else False if text in _NO else None
    return None


def _equal(got: object, wanted: str, today: date) -> bool:
    wanted = wanted.strip()
    flag = _yes_no(wanted)
    if flag is not None and wanted.lower() not in ("0", "1"):
        return _yes_no(got) is flag
    a, b = _as_number(got), _as_number(wanted)
    if a is not None and b is not None:
        return a == b
    da, db = _as_date(got, today), _as_date(wanted, today)
    if da is not None and db is not None:
        return da == db
    return _text(str(got)) == _text(wanted)


def _text(value: str) -> str:
    # "10–15" in a spreadsheet is "10-15" as typed: dashes read alike, case and outer spaces ignored.
    return re.sub(r"[\u2010-\u2015\u2212]", "-", value.strip()).casefold()


def _compare(got: object, wanted: str, today: date, op: str) -> bool:
    pair: tuple[Any, Any] | None = None
    a, b = _as_number(got), _as_number(wanted)
    if a is not None and b is not None:
        pair = (a, b)
    else:
        da, db = _as_date(got, today), _as_date(wanted, today)
        if da is not None and db is not None:
            pair = (da, db)
    if pair is None:
        return False
    x, y = pair
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


# ---------------------------------------------------------------------------------------- options


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
            parts.append(f"stratified by {self.stratify}" + (f", at least {self.minimum_per_stratum} per stratum"
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


def percent_target(percent: float, matching: int) -> int:
    """``percent``% of ``matching`` cases: nearest whole number, halves up, at least 1 when any match."""
    if matching <= 0:
        return 0
    return max(1, math.floor(percent * matching / 100 + 0.5 + 1e-9))


def largest_remainder(places: int, sizes: Sequence[int]) -> list[int]:
    """``places`` shared in proportion to ``sizes`` (whole parts, then the largest fractions; ties to the first)."""
    total = sum(sizes)
    if places <= 0 or total <= 0:
        return [0] * len(sizes)
    shares = [places * s / total for s in sizes]
    out = [math.floor(x + 1e-9) for x in shares]
    left = places - sum(out)
    order = sorted(range(len(sizes)), key=lambda i: (-(shares[i] - out[i]), i))
    for i in order[:left]:
        out[i] += 1
    return out


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


# ---------------------------------------------------------------------------------------- the draw


def fingerprint(cases: Iterable[CaseRow]) -> str:
    """SHA-256 of the case list as the sample read it (in reference order, every column)."""
    h = hashlib.sha256()
    for c in sorted(cases, key=lambda c: c.case_ref):
        h.update(json.dumps([c.case_ref, c.case_type, c.team, c.worker, c.fields], sort_keys=True,
                            ensure_ascii=False, default=str).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def known_columns(cases: Iterable[CaseRow]) -> set[str]:
    """The columns a filter or stratum can name: the built-in ones and every field any case has."""
    out = set(BUILT_IN)
    for c in cases:
        out.update(c.fields)
    return out


def _case_key(c: CaseRow) -> tuple[str, str]:
    return c.case_ref, json.dumps([c.case_type, c.team, c.worker, c.fields], sort_keys=True, ensure_ascii=False,
                                  default=str)


def _unique(cases: Iterable[CaseRow]) -> list[CaseRow]:
    """The cases in reference order, one per reference (a list repeating one keeps the same row whatever the
    order of the file: the first by its content)."""
    out: list[CaseRow] = []
    for c in sorted(cases, key=_case_key):
        if not out or out[-1].case_ref != c.case_ref:
            out.append(c)
    return out


def _rng(seed: int, *parts: str | None) -> random.Random:
    # A string seed is hashed with SHA-512 by random.seed (version 2): the same on every run and computer.
    return random.Random(":".join(["qadesk-sample/1", str(seed), *(p if p is not None else "\0" for p in parts)]))


def _team_label(team: str | None) -> str:
    return team if team is not None else NO_TEAM


def _stratum_label(stratum: str | None) -> str:
    return stratum if stratum is not None else NOT_RECORDED


def _sort_key(name: str | None) -> tuple[int, str]:
    return (1, "") if name is None else (0, name.casefold())


def draw_sample(cases: Iterable[CaseRow], options: SampleOptions, *,
                last_audited: Mapping[str, date] | None = None, in_programme: Collection[str] = (),
                today: date | None = None) -> Sample:
    """Draw the sample from ``cases``.

    ``last_audited``: the day each case was last audited (for ``exclude_audited_months``);
    ``in_programme``: the cases already in the programme (for ``exclude_in_programme``).
    :class:`ValidationError` when the options make no sense or name a column the list does not have.
    """
    options.check()
    today = options.today or today or date.today()
    if options.today is None:
        options = replace(options, today=today)
    rows = _unique(cases)
    columns = known_columns(rows)
    unknown = [f.column for f in options.where if f.column not in columns]
    if options.stratify and column_name(options.stratify) not in columns:
        unknown.append(column_name(options.stratify))
    if unknown and rows:
        raise ValidationError(f"the case list has no column {', '.join(repr(u) for u in dict.fromkeys(unknown))} "
                              f"(its columns: {', '.join(sorted(columns))})")
    stratify = column_name(options.stratify) if options.stratify else None
    last_audited = last_audited or {}
    since = months_before(today, options.exclude_audited_months) if options.exclude_audited_months else None
    wanted = set(options.teams)
    by_team: dict[str | None, list[CaseRow]] = {t: [] for t in options.teams}
    for c in rows:
        if not wanted or c.team in wanted:
            by_team.setdefault(c.team, []).append(c)
    chosen: list[ChosenCase] = []
    counts: list[TeamCount] = []
    in_prog = set(in_programme)
    for team in sorted(by_team, key=_sort_key):
        picked, count = _draw_team(team, by_team[team], options, stratify, today, since, last_audited, in_prog)
        chosen.extend(picked)
        counts.append(count)
    return Sample(options, tuple(chosen), tuple(counts), fingerprint(rows), len(rows))


@dataclass
class _Stratum:
    name: str | None
    population: int = 0
    not_matching: int = 0
    in_programme: int = 0
    audited_recently: int = 0
    eligible: list[CaseRow] = field(default_factory=list)
    places: int = 0
    drawn: list[CaseRow] = field(default_factory=list)


def _draw_team(team: str | None, cases: list[CaseRow], options: SampleOptions, stratify: str | None, today: date,
               since: date | None, last_audited: Mapping[str, date], in_programme: set[str]
               ) -> tuple[list[ChosenCase], TeamCount]:
    strata: dict[str | None, _Stratum] = {}
    matching = 0
    for c in cases:
        key = None
        if stratify:
            value = value_of(c, stratify)
            key = None if value is None else str(value).strip()
        s = strata.setdefault(key, _Stratum(key))
        s.population += 1
        if not all(f.matches(c, today) for f in options.where):
            s.not_matching += 1
            continue
        matching += 1
        if options.exclude_in_programme and c.case_ref in in_programme:
            s.in_programme += 1
        elif since is not None and c.case_ref in last_audited and last_audited[c.case_ref] >= since:
            s.audited_recently += 1
        else:
            s.eligible.append(c)
    ordered = [strata[k] for k in sorted(strata, key=_sort_key)]
    if not stratify and not ordered:
        ordered = [_Stratum(None)]
    asked = options.per_team if options.per_team is not None else percent_target(options.percent or 0, matching)
    target = asked
    notes: list[str] = []
    label = _team_label(team)
    if stratify and options.minimum_per_stratum:
        minimums = options.minimum_per_stratum * len(ordered)
        if minimums > target:
            notes.append(f"{label}: at least {options.minimum_per_stratum} per stratum across {len(ordered)} strata "
                         f"needs {minimums} places, more than the {asked} asked for")
            target = minimums
        extra = largest_remainder(target - minimums, [len(s.eligible) for s in ordered])
        for s, more in zip(ordered, extra, strict=True):
            s.places = options.minimum_per_stratum + more
    elif stratify:
        sizes = [len(s.eligible) for s in ordered]
        # Never more places than eligible cases: what the team lacks is a shortfall, not a stratum's gap.
        for s, n in zip(ordered, largest_remainder(min(target, sum(sizes)), sizes), strict=True):
            s.places = n
    else:
        ordered[0].places = target
    filters = " and ".join(f.describe() for f in options.where)
    chosen: list[ChosenCase] = []
    short: list[str] = []
    for s in ordered:
        k = min(s.places, len(s.eligible))
        s.drawn = sorted(_rng(options.seed, team, s.name).sample(s.eligible, k), key=lambda c: c.case_ref)
        where = f"in {label}" + (f", {_stratum_label(s.name)} stratum" if stratify else "")
        minimum = f" (at least {options.minimum_per_stratum} per stratum)" if options.minimum_per_stratum else ""
        for c in s.drawn:
            reason = f"random {k} of {len(s.eligible)} {where}{minimum}" + (f"; matches {filters}" if filters else "")
            chosen.append(_chosen(c, s.name, reason))
        if k < s.places and stratify:
            short.append(f"the {_stratum_label(s.name)} stratum had {_n(len(s.eligible), 'eligible case')} "
                         f"for {_n(s.places, 'place')}")
    missing = sum(max(0, s.places - len(s.drawn)) for s in ordered)
    topped = 0
    if missing:
        taken = {c.case_ref for s in ordered for c in s.drawn}
        pool = [c for s in ordered for c in s.eligible if c.case_ref not in taken]
        pool.sort(key=lambda c: c.case_ref)
        extra_cases = sorted(_rng(options.seed, team, "top-up").sample(pool, min(missing, len(pool))),
                             key=lambda c: c.case_ref)
        why = "; ".join(short) if short else f"{label} had too few eligible cases"
        strat_of = {c.case_ref: s.name for s in ordered for c in s.eligible}
        for c in extra_cases:
            chosen.append(_chosen(c, strat_of[c.case_ref],
                                  f"top-up: random {len(extra_cases)} of {len(pool)} left in {label} ({why})", True))
        topped = len(extra_cases)
        for s in ordered:
            s.drawn.extend(c for c in extra_cases if strat_of[c.case_ref] == s.name)
        if topped:
            notes.append(f"{label}: {_n(topped, 'case')} topped up from the team's other cases ({why})")
    eligible = sum(len(s.eligible) for s in ordered)
    shortfall = max(0, target - len(chosen))
    if shortfall:
        notes.append(f"{label}: {shortfall} short of {target} — {_n(eligible, 'eligible case')} in all"
                     + (f" ({_left_out(ordered)})" if any(s.not_matching or s.in_programme or s.audited_recently
                                                            for s in ordered) else ""))
    counts = tuple(StratumCount(team, s.name, s.population, s.not_matching, s.in_programme, s.audited_recently,
                                len(s.eligible), s.places, len(s.drawn)) for s in ordered if s.population or s.places)
    chosen.sort(key=lambda c: (_sort_key(c.stratum), c.case_ref))
    return chosen, TeamCount(team, target, counts, len(chosen), topped, shortfall, tuple(notes))


def _left_out(strata: list[_Stratum]) -> str:
    parts = []
    for name, what in (("not_matching", "not matching the filters"), ("in_programme", "already in the programme"),
                       ("audited_recently", "audited recently")):
        n = sum(getattr(s, name) for s in strata)
        if n:
            parts.append(f"{n} {what}")
    return ", ".join(parts)


def _chosen(c: CaseRow, stratum: str | None, reason: str, topped_up: bool = False) -> ChosenCase:
    return ChosenCase(c.case_ref, c.team, c.case_type, c.worker, stratum, reason, topped_up)


def _n(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")
