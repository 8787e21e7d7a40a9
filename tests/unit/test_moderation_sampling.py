"""Choosing what to moderate: every extreme grade, a share stratified by auditor and grade, a minimum per
auditor per quarter; repeatable with the seed, every audit with its reason; checked by counting."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date, timedelta

import pytest

from qadesk.core.errors import ValidationError
from qadesk.core.moderation_sampling import (
    Candidate,
    ModerationSampleOptions,
    draw_moderation_sample,
    quarter_of,
)

GRADES = (("outstanding", "Outstanding", True), ("good", "Good", False), ("ri", "Requires improvement", False),
          ("inadequate", "Inadequate", True))
AUDITORS = ("A. Generous", "B. Severe", "C. Steady", "D. Rare")


def made_up(n: int = 400, seed: int = 3) -> list[Candidate]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        auditor = AUDITORS[3] if i % 40 == 0 else rng.choice(AUDITORS[:3])
        value, label, extreme = rng.choices(GRADES, weights=(5, 70, 20, 5))[0]
        out.append(Candidate(f"id-{i:04d}", f"AUD-2026-{i:04d}", auditor, value, label,
                             date(2026, 1, 1) + timedelta(days=rng.randrange(0, 270)), extreme))
    return out


def test_the_same_seed_gives_the_same_sample_and_another_seed_another() -> None:
    cands = made_up()
    opts = ModerationSampleOptions(seed=11, percent=10, minimum_per_quarter=2, all_extremes=True)
    first = draw_moderation_sample(cands, opts)
    again = draw_moderation_sample(list(reversed(cands)), opts)  # the order the store gave them in does not matter
    assert [c.candidate.audit_id for c in first.chosen] == [c.candidate.audit_id for c in again.chosen]
    other = draw_moderation_sample(cands, ModerationSampleOptions(seed=12, percent=10, minimum_per_quarter=2,
                                                                  all_extremes=True))
    assert {c.candidate.audit_id for c in other.chosen} != {c.candidate.audit_id for c in first.chosen}
    assert all(c.reason for c in first.chosen)


def test_every_extreme_grade_is_chosen_when_the_council_chooses_it() -> None:
    cands = made_up()
    extremes = {c.audit_id for c in cands if c.extreme}
    with_them = draw_moderation_sample(cands, ModerationSampleOptions(seed=1, percent=5, all_extremes=True))
    assert extremes <= {c.candidate.audit_id for c in with_them.chosen}
    assert {c.candidate.audit_id for c in with_them.chosen if c.step == "extreme"} == extremes
    without = draw_moderation_sample(cands, ModerationSampleOptions(seed=1, percent=5, all_extremes=False))
    assert not [c for c in without.chosen if c.step == "extreme"]
    assert len(extremes & {c.candidate.audit_id for c in without.chosen}) < len(extremes)


def test_the_share_is_stratified_by_auditor_and_grade_in_proportion() -> None:
    cands = made_up()
    sample = draw_moderation_sample(cands, ModerationSampleOptions(seed=5, percent=20))
    assert len(sample.chosen) == round(len(cands) * 0.2)
    sizes = Counter((c.auditor, c.grade_label) for c in cands)
    got = Counter((c.candidate.auditor, c.candidate.grade_label) for c in sample.chosen)
    for key, size in sizes.items():  # largest remainders: each stratum within one of its exact share
        assert abs(got.get(key, 0) - size * 0.2) < 1, key
    assert sum(s.candidates for s in sample.strata) == len(cands)
    assert {(s.auditor, s.grade_label): s.chosen for s in sample.strata} == {k: got.get(k, 0) for k in sizes}


def test_extremes_count_towards_their_strata_share() -> None:
    cands = made_up()
    sample = draw_moderation_sample(cands, ModerationSampleOptions(seed=5, percent=20, all_extremes=True))
    sizes = Counter((c.auditor, c.grade_label) for c in cands)
    got = Counter((c.candidate.auditor, c.candidate.grade_label) for c in sample.chosen)
    for key, size in sizes.items():
        if key[1] in ("Outstanding", "Inadequate"):
            assert got[key] == size  # every one
        else:
            assert abs(got.get(key, 0) - size * 0.2) < 1


def test_the_minimum_per_auditor_per_quarter_tops_up_counting_what_is_moderated_already() -> None:
    cands = made_up()
    already = {("D. Rare", "2025-26 Q4"): 1}  # January to March 2026
    sample = draw_moderation_sample(cands, ModerationSampleOptions(seed=8, percent=0.5, minimum_per_quarter=3),
                                    moderated_per_quarter=already)
    chosen = Counter((c.candidate.auditor, quarter_of(c.candidate.completed_on)) for c in sample.chosen)
    available = Counter((c.auditor, quarter_of(c.completed_on)) for c in cands)
    for key, n in available.items():
        need = 3 - already.get(key, 0)
        assert chosen.get(key, 0) >= min(need, n), key
    tops = [c for c in sample.chosen if c.step == "minimum"]
    assert tops and all("top-up to 3 moderated of the auditor's 202" in c.reason for c in tops)
    short = {k for k, n in available.items() if n < 3 - already.get(k, 0)}
    assert len(sample.short) == len(short)


def test_the_period_and_the_options_are_checked() -> None:
    cands = made_up()
    q2 = draw_moderation_sample(cands, ModerationSampleOptions(seed=1, percent=50, since=date(2026, 4, 1),
                                                              until=date(2026, 6, 30)))
    assert q2.candidates == sum(1 for c in cands if date(2026, 4, 1) <= c.completed_on <= date(2026, 6, 30))
    assert all(date(2026, 4, 1) <= c.candidate.completed_on <= date(2026, 6, 30) for c in q2.chosen)
    for bad, words in ((dict(percent=120), "percentage"), (dict(percent=0), "say what to moderate"),
                       (dict(minimum_per_quarter=-1), "minimum"),
                       (dict(since=date(2026, 5, 1), until=date(2026, 4, 1)), "ends before")):
        with pytest.raises(ValidationError, match=words):
            draw_moderation_sample(cands, ModerationSampleOptions(seed=1, **bad))  # type: ignore[arg-type]
    assert draw_moderation_sample([], ModerationSampleOptions(seed=1)).chosen == []


def test_the_options_describe_themselves_and_travel_as_json() -> None:
    opts = ModerationSampleOptions(seed=4, percent=12.5, minimum_per_quarter=2, all_extremes=True,
                                   since=date(2026, 7, 1), until=date(2026, 9, 30))
    assert opts.describe() == ("12.5% stratified by auditor and grade; at least 2 per auditor per quarter; every "
                               "audit graded at either end of its scale; completed 2026-07-01 to 2026-09-30; seed 4")
    assert json.loads(json.dumps(opts.to_dict()))["percent"] == 12.5
