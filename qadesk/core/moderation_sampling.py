"""Choosing what to moderate: a fair, explained, repeatable sample of completed audits.

The QA lead's rule, in the order it is applied:

1. **Every extreme grade**, when the council chooses it: each audit graded at the top or the bottom of
   its overall scale (Outstanding or Inadequate on the four-point scale) is moderated.
2. **A share, stratified by auditor and grade**: ``percent`` of the candidates, shared out across the
   strata (one per auditor and grade) in proportion to their size (largest remainders, ties broken by
   the seed), then drawn at random within each stratum. Audits already chosen in step 1 count towards
   their stratum's share.
3. **A minimum per auditor per quarter**: an auditor with fewer than ``minimum_per_quarter`` audits
   moderated (or chosen now) among those they completed in a quarter gets more of that quarter's
   audits drawn at random, as far as they have any.

Candidates are completed audits not yet moderated, completed in the period. The same candidates, seed
and options always give the same sample; every audit chosen carries the reason it was chosen.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qadesk.core.dates import quarter_of

MAX_MINIMUM = 100


@dataclass(frozen=True)
class Candidate:
    """A completed audit that could be moderated."""

    audit_id: str
    reference: str
    auditor: str
    grade: str | None  # the overall grade's value (None: ungraded)
    grade_label: str
    completed_on: date
    extreme: bool = False  # graded at the top or bottom of its scale
    team: str | None = None


@dataclass(frozen=True)
class ModerationSampleOptions:
    seed: int
    percent: float = 10.0
    minimum_per_quarter: int = 0  # per auditor per quarter; 0: no minimum
    all_extremes: bool = False
    since: date | None = None
    until: date | None = None

    def problems(self) -> list[str]:
        out = []
        if not (0 <= self.percent <= 100):
            out.append("the share to moderate is a percentage from 0 to 100")
        if not (0 <= self.minimum_per_quarter <= MAX_MINIMUM):
            out.append(f"the minimum per auditor per quarter is a whole number from 0 to {MAX_MINIMUM}")
        if self.since and self.until and self.since > self.until:
            out.append("the period ends before it starts")
        if not self.percent and not self.minimum_per_quarter and not self.all_extremes:
            out.append("say what to moderate: a share, a minimum per auditor, or every extreme grade")
        return out

    def describe(self) -> str:
        parts = [f"{self.percent:g}% stratified by auditor and grade"]
        if self.minimum_per_quarter:
            parts.append(f"at least {self.minimum_per_quarter} per auditor per quarter")
        if self.all_extremes:
            parts.append("every audit graded at either end of its scale")
        period = " to ".join(d.isoformat() for d in (self.since, self.until) if d)
        return "; ".join(parts) + (f"; completed {period}" if period else "") + f"; seed {self.seed}"

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "percent": self.percent, "minimum_per_quarter": self.minimum_per_quarter,
                "all_extremes": self.all_extremes, "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}


@dataclass(frozen=True)
class Chosen:
    candidate: Candidate
    reason: str
    step: str  # extreme | share | minimum


@dataclass(frozen=True)
class Stratum:
    auditor: str
    grade_label: str
    candidates: int
    chosen: int


@dataclass
class ModerationSample:
    options: ModerationSampleOptions
    candidates: int
    chosen: list[Chosen] = field(default_factory=list)
    strata: list[Stratum] = field(default_factory=list)
    short: list[str] = field(default_factory=list)  # auditors and quarters the minimum could not be met for

    def notes(self) -> list[str]:
        by = {step: sum(1 for c in self.chosen if c.step == step) for step in ("extreme", "share", "minimum")}
        out = [f"{len(self.chosen):,} of {self.candidates:,} completed audits chosen for moderation "
               f"({self.options.describe()})",
               f"{by['extreme']} for an extreme grade, {by['share']} for the share, {by['minimum']} to reach the "
               f"minimum per auditor"]
        out += [f"Too few to reach the minimum: {s}" for s in self.short]
        return out


def _shares(sizes: dict[tuple[str, str], int], total: int, rng: random.Random) -> dict[tuple[str, str], int]:
    """``total`` shared out in proportion to ``sizes`` (largest remainders; ties in the seed's order)."""
    whole = sum(sizes.values())
    if not whole or total <= 0:
        return dict.fromkeys(sizes, 0)
    exact = {k: total * n / whole for k, n in sizes.items()}
    out = {k: int(v) for k, v in exact.items()}
    order = sorted(sizes)
    rng.shuffle(order)
    order.sort(key=lambda k: -(exact[k] - out[k]))  # stable: the shuffle breaks ties
    for k in order[: total - sum(out.values())]:
        out[k] += 1
    return out


def draw_moderation_sample(candidates: Sequence[Candidate], options: ModerationSampleOptions, *,
                           moderated_per_quarter: dict[tuple[str, str], int] | None = None) -> ModerationSample:
    """The audits to moderate (see the module's docstring).

    ``moderated_per_quarter``: (auditor, quarter) -> audits of theirs completed that quarter that are already
    moderated (they count towards the minimum).
    """
    problems = options.problems()
    if problems:
        from qadesk.core.errors import ValidationError

        raise ValidationError("; ".join(problems))
    pool = sorted((c for c in candidates
                   if (options.since is None or c.completed_on >= options.since)
                   and (options.until is None or c.completed_on <= options.until)),
                  key=lambda c: (c.reference, c.audit_id))
    sample = ModerationSample(options, len(pool))
    taken: dict[str, Chosen] = {}
    rng = random.Random(f"qadesk-moderation/{options.seed}")
    if options.all_extremes:
        for c in pool:
            if c.extreme:
                taken[c.audit_id] = Chosen(c, f"graded {c.grade_label}: every extreme grade is moderated", "extreme")
    strata: dict[tuple[str, str], list[Candidate]] = {}
    for c in pool:
        strata.setdefault((c.auditor, c.grade_label), []).append(c)
    target = round(len(pool) * options.percent / 100)
    shares = _shares({k: len(v) for k, v in strata.items()}, target, rng)
    for key in sorted(strata):
        members = strata[key]
        have = sum(1 for c in members if c.audit_id in taken)
        rest = [c for c in members if c.audit_id not in taken]
        want = max(0, shares[key] - have)
        picked = random.Random(f"qadesk-moderation/{options.seed}/{key[0]}/{key[1]}").sample(rest, min(want, len(rest)))
        for c in picked:
            taken[c.audit_id] = Chosen(c, f"random: {shares[key]} of the auditor's {len(members)} graded {key[1]} "
                                          f"(their part of the {options.percent:g}% share)", "share")
    if options.minimum_per_quarter:
        done = dict(moderated_per_quarter or {})
        groups: dict[tuple[str, str], list[Candidate]] = {}
        for c in pool:
            groups.setdefault((c.auditor, quarter_of(c.completed_on)), []).append(c)
        for key in sorted(groups):
            members = groups[key]
            have = done.get(key, 0) + sum(1 for c in members if c.audit_id in taken)
            need = options.minimum_per_quarter - have
            if need <= 0:
                continue
            rest = [c for c in members if c.audit_id not in taken]
            picked = random.Random(f"qadesk-moderation/{options.seed}/min/{key[0]}/{key[1]}").sample(
                rest, min(need, len(rest)))
            for c in picked:
                taken[c.audit_id] = Chosen(c, f"top-up to {options.minimum_per_quarter} moderated of the auditor's "
                                              f"{key[1]} audits", "minimum")
            if len(picked) < need:
                sample.short.append(f"{key[0]} in {key[1]}: {have + len(picked)} of {options.minimum_per_quarter}")
    sample.chosen = sorted(taken.values(), key=lambda c: (c.candidate.auditor.casefold(), c.candidate.completed_on,
                                                          c.candidate.reference))
    sample.strata = [Stratum(a, g, len(v), sum(1 for c in v if c.audit_id in taken))
                     for (a, g), v in sorted(strata.items())]
    return sample
