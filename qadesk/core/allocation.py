"""Allocating sampled cases to auditors: balanced by count, never the case's own worker.

Rules, in order:

1. A case never goes to its own allocated worker (names compared without case, dots or extra spaces:
   "A. Worker" is "a worker").
2. With ``not_own_team``, a case never goes to an auditor of the case's own team (an auditor with no
   team recorded may take any case).
3. Balance by count: the cases with the fewest eligible auditors are placed first, each with the
   eligible auditor who has the fewest cases so far (counting ``existing`` cases already assigned in the
   programme); ties go in an order shuffled by the seed.  Then, while a case could move from its
   auditor to another eligible auditor who has two or more fewer, it moves.  So at the end no case sits
   with an auditor who has more than one case more than any other auditor who could have taken it;
   when every auditor may take every case, the largest and smallest loads differ by at most one.

A case no auditor may take is left unallocated with the reason.  The same cases, auditors, options and
seed give the same allocation.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from qadesk.core.errors import ValidationError


class Allocatable(Protocol):
    @property
    def case_ref(self) -> str: ...

    @property
    def team(self) -> str | None: ...

    @property
    def worker(self) -> str | None: ...


@dataclass(frozen=True)
class Auditor:
    """Someone who audits: a team manager, practice manager, QA officer, ..."""

    name: str
    role: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class AllocatedCase:
    """One case and its auditor (None with the reason when nobody may take it)."""

    case_ref: str
    team: str | None
    worker: str | None
    auditor: str | None
    note: str = ""


@dataclass(frozen=True)
class Allocation:
    rows: tuple[AllocatedCase, ...]
    loads: tuple[tuple[str, int], ...]  # every auditor and the cases they hold (existing ones included)
    seed: int
    not_own_team: bool

    @property
    def unallocated(self) -> list[AllocatedCase]:
        return [r for r in self.rows if r.auditor is None]

    def load(self, name: str) -> int:
        return dict(self.loads).get(name, 0)


def same_person(a: str | None, b: str | None) -> bool:
    """Whether two names are the same person's as written in a case list and in qadesk."""
    return bool(a and b) and _norm(a) == _norm(b)


def _norm(name: str | None) -> str:
    return re.sub(r"\s+", " ", (name or "").replace(".", " ")).strip().casefold()


def refusal(case: Allocatable, auditor: Auditor, *, not_own_team: bool) -> str | None:
    """Why ``auditor`` may not audit ``case`` (None when they may)."""
    if same_person(case.worker, auditor.name):
        return f"{auditor.name} is the case's allocated worker"
    if not_own_team and case.team and auditor.team and _norm(case.team) == _norm(auditor.team):
        return f"{auditor.name} is in the case's own team ({case.team})"
    return None


def check_auditors(auditors: Sequence[Auditor]) -> None:
    names = [a.name.strip() for a in auditors]
    if any(not n for n in names):
        raise ValidationError("an auditor needs a name")
    seen: set[str] = set()
    twice = []
    for n in names:
        if _norm(n) in seen:
            twice.append(n)
        seen.add(_norm(n))
    if twice:
        raise ValidationError(f"{', '.join(dict.fromkeys(twice))} named twice among the auditors")


def allocate(cases: Sequence[Allocatable], auditors: Sequence[Auditor], *, seed: int, not_own_team: bool = False,
             existing: Mapping[str, int] | None = None) -> Allocation:
    """Allocate ``cases`` to ``auditors`` (see the module's rules); rows in the order of ``cases``."""
    check_auditors(auditors)
    if not auditors:
        raise ValidationError("no auditors to allocate to: name at least one")
    order = sorted(auditors, key=lambda a: _norm(a.name))
    random.Random(f"qadesk-allocate/1:{seed}").shuffle(order)
    rank = {a.name: i for i, a in enumerate(order)}
    load = {a.name: int((existing or {}).get(a.name, 0)) for a in order}
    eligible = {c.case_ref: [a.name for a in order if refusal(c, a, not_own_team=not_own_team) is None]
                for c in cases}
    given: dict[str, str] = {}
    for c in sorted(cases, key=lambda c: (len(eligible[c.case_ref]), c.case_ref)):
        names = eligible[c.case_ref]
        if not names:
            continue
        pick = min(names, key=lambda n: (load[n], rank[n]))
        given[c.case_ref] = pick
        load[pick] += 1
    _even_out(cases, eligible, given, load, rank)
    rows = []
    for c in cases:
        who = given.get(c.case_ref)
        note = "" if who else _why_nobody(c, auditors, not_own_team)
        rows.append(AllocatedCase(c.case_ref, c.team, c.worker, who, note))
    loads = tuple((a.name, load[a.name]) for a in sorted(auditors, key=lambda a: _norm(a.name)))
    return Allocation(tuple(rows), loads, seed, not_own_team)


def _even_out(cases: Sequence[Allocatable], eligible: Mapping[str, list[str]], given: dict[str, str],
              load: dict[str, int], rank: Mapping[str, int]) -> None:
    """Move cases from fuller to emptier eligible auditors until no move narrows the gap (each move lowers
    the sum of squared loads, so this ends)."""
    refs = sorted(given)
    moved = True
    while moved:
        moved = False
        for ref in refs:
            have = given[ref]
            to = min(eligible[ref], key=lambda n: (load[n], rank[n]))
            if load[have] - load[to] >= 2:
                load[have] -= 1
                load[to] += 1
                given[ref] = to
                moved = True


def _why_nobody(case: Allocatable, auditors: Sequence[Auditor], not_own_team: bool) -> str:
    reasons = [r for a in auditors if (r := refusal(case, a, not_own_team=not_own_team))]
    if len(auditors) == 1:
        return f"not allocated: {reasons[0]}"
    return "not allocated: no auditor may take it (" + "; ".join(reasons) + ")"
