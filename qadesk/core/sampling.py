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

import hashlib
import json
import math
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from qadesk.core.cases import CaseRow
from qadesk.core.errors import ValidationError
from qadesk.core.sample_filters import (
    BUILT_IN,
    OPERATORS,
    Filter,
    column_name,
    months_before,
    parse_filter,
    value_of,
)
from qadesk.core.sample_record import (
    FORMAT,
    MAX_MONTHS,
    MAX_PER_TEAM,
    ChosenCase,
    Sample,
    SampleOptions,
    StratumCount,
    TeamCount,
)

__all__ = [
    "BUILT_IN", "FORMAT", "MAX_MONTHS", "MAX_PER_TEAM", "NOT_RECORDED", "NO_TEAM", "OPERATORS", "ChosenCase",
    "Filter", "Sample", "SampleOptions", "StratumCount", "TeamCount", "column_name", "draw_sample", "fingerprint",
    "known_columns", "largest_remainder", "months_before", "parse_filter", "percent_target", "value_of",
]

NO_TEAM = "no team"
NOT_RECORDED = "not recorded"


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
