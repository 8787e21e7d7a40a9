"""Drawing a sample: reproducible with a seed, honouring strata, filters, exclusions and top-up (by counting)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qadesk.core.cases import CaseRow
from qadesk.core.errors import ValidationError
from qadesk.core.sampling import (
    Sample,
    SampleOptions,
    draw_sample,
    largest_remainder,
    months_before,
    parse_filter,
    percent_target,
)

TODAY = date(2026, 12, 1)
TYPES = ("EH", "CIN", "CP", "CLA", "CL")


def case(ref: str, team: str | None = "Assessment 1", case_type: str | None = "CIN", worker: str | None = None,
         **fields: object) -> CaseRow:
    return CaseRow(case_ref=ref, case_type=case_type, team=team, worker=worker, fields=dict(fields))


def case_list(n_per_team: dict[str, dict[str, int]], first: int = 100000) -> list[CaseRow]:
    """Made-up cases: per team, per case type, that many."""
    out = []
    i = 0
    for team, types in n_per_team.items():
        for t, n in types.items():
            for _ in range(n):
                i += 1
                out.append(case(f"CR-{first + i}", team, t, worker=f"W. Worker{i % 7}",
                                repeat_referral="yes" if i % 3 == 0 else "no", age=i % 18,
                                plan_start=date(2024 + i % 3, 1 + i % 12, 1).isoformat()))
    return out


LIST = case_list({"Assessment 1": {"CIN": 20, "CP": 12, "CLA": 8},
                  "Assessment 2": {"CIN": 30, "CP": 6, "CLA": 5},
                  "Children in Care East": {"CLA": 25, "CL": 4}})


def opts(**kw: object) -> SampleOptions:
    kw.setdefault("seed", 42)
    kw.setdefault("today", TODAY)
    return SampleOptions(**kw)  # type: ignore[arg-type]


def refs(sample: Sample) -> list[str]:
    return [c.case_ref for c in sample.chosen]


def test_the_same_seed_gives_the_same_sample_and_another_seed_a_different_one() -> None:
    a = draw_sample(LIST, opts(per_team=5))
    b = draw_sample(list(reversed(LIST)), opts(per_team=5))  # the order of the list does not matter
    c = draw_sample(LIST, opts(per_team=5, seed=43))
    assert refs(a) == refs(b)
    assert a.to_dict() == b.to_dict()
    assert refs(a) != refs(c)
    assert len(refs(a)) == len(set(refs(a))) == 15
    assert Counter(ch.team for ch in a.chosen) == {"Assessment 1": 5, "Assessment 2": 5, "Children in Care East": 5}


def test_a_reference_listed_twice_is_one_case_whatever_the_order() -> None:
    twice = [case("CR-1", team="A", worker="X"), case("CR-1", team="A", worker="Y"), case("CR-2", team="A")]
    a = draw_sample(twice, opts(per_team=5))
    b = draw_sample(list(reversed(twice)), opts(per_team=5))
    assert refs(a) == ["CR-1", "CR-2"] and a == b and a.chosen[0].worker == "X"


def test_adding_a_team_to_the_list_leaves_the_other_teams_draws_alone() -> None:
    more = LIST + case_list({"Front Door": {"EH": 9}}, first=900000)
    a, b = draw_sample(LIST, opts(per_team=4)), draw_sample(more, opts(per_team=4))
    assert [r for r in refs(b) if r in {c.case_ref for c in LIST}] == refs(a)


def test_every_chosen_case_says_why_in_plain_words() -> None:
    s = draw_sample(LIST, opts(per_team=3, stratify="case_type"))
    reasons = {c.reason for c in s.chosen}
    assert "random 1 of 20 in Assessment 1, CIN stratum" in reasons  # 1.5, 0.9, 0.6: 1 each
    assert all(c.reason.startswith("random ") for c in s.chosen)
    plain = draw_sample(LIST, opts(per_team=3))
    assert {c.reason for c in plain.chosen if c.team == "Assessment 2"} == {"random 3 of 41 in Assessment 2"}


def test_a_percentage_of_each_team_rounds_halves_up_and_is_at_least_one() -> None:
    assert percent_target(10, 41) == 4
    assert percent_target(10, 45) == 5  # 4.5 rounds up
    assert percent_target(10, 4) == 1  # 0.4 would be none: a team with cases gives at least one
    assert percent_target(10, 0) == 0
    s = draw_sample(LIST, opts(percent=10))
    assert {t.team: t.target for t in s.teams} == {"Assessment 1": 4, "Assessment 2": 4, "Children in Care East": 3}
    assert [t.chosen for t in s.teams] == [4, 4, 3]


def test_proportional_strata_by_largest_remainder() -> None:
    assert largest_remainder(5, [20, 12, 8]) == [3, 1, 1]  # 2.5, 1.5, 1.0: whole parts 2+1+1, the .5 tie to the first
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]
    assert largest_remainder(0, [3, 4]) == [0, 0]
    s = draw_sample(LIST, opts(per_team=10, stratify="case_type"))
    team = next(t for t in s.teams if t.team == "Assessment 1")
    assert {x.stratum: (x.places, x.chosen) for x in team.strata} == {"CIN": (5, 5), "CP": (3, 3), "CLA": (2, 2)}
    got = Counter((c.team, c.stratum) for c in s.chosen)
    assert got[("Assessment 1", "CP")] == 3 and got[("Children in Care East", "CL")] == 1


def test_a_minimum_per_stratum_then_topped_up_from_the_other_strata() -> None:
    cases = case_list({"Assessment 1": {"CIN": 20, "CP": 1, "CLA": 8}})
    s = draw_sample(cases, opts(per_team=9, stratify="case_type", minimum_per_stratum=2))
    team = s.teams[0]
    by = {x.stratum: x for x in team.strata}
    # 2 each first, then 3 more shared by size (20:1:8 gives 2.07, 0.10, 0.83): CIN 4, CP 2, CLA 3
    assert {x.stratum: x.places for x in team.strata} == {"CIN": 4, "CP": 2, "CLA": 3}
    assert by["CP"].eligible == 1
    assert team.chosen == 9 and team.topped_up == 1 and team.shortfall == 0
    topped = [c for c in s.chosen if c.topped_up]
    assert len(topped) == 1 and topped[0].stratum != "CP"
    assert topped[0].reason == "top-up: random 1 of 21 left in Assessment 1 (the CP stratum had 1 eligible case for 2 places)"
    assert any("topped up" in n for n in s.notes())


def test_the_minimums_win_when_they_need_more_places_than_asked() -> None:
    cases = case_list({"Assessment 1": {"CIN": 5, "CP": 5, "CLA": 5}})
    s = draw_sample(cases, opts(per_team=2, stratify="case_type", minimum_per_stratum=1))
    assert s.teams[0].target == 3 and s.teams[0].chosen == 3
    assert "needs 3 places, more than the 2 asked for" in s.notes()[0]


def test_a_team_with_too_few_says_its_shortfall() -> None:
    s = draw_sample(LIST, opts(per_team=30))
    east = next(t for t in s.teams if t.team == "Children in Care East")
    assert (east.target, east.chosen, east.shortfall) == (30, 29, 1)
    assert s.shortfall == 1 + 0 + 0  # Assessment 1 has 40, Assessment 2 41
    assert any(n.startswith("Children in Care East: 1 short of 30") for n in s.notes())


def test_filters_on_the_lists_columns() -> None:
    s = draw_sample(LIST, opts(per_team=100, where=(parse_filter("repeat_referral=yes"),)))
    assert s.chosen and all(next(c for c in LIST if c.case_ref == ch.case_ref).fields["repeat_referral"] == "yes"
                            for ch in s.chosen)
    assert len(s.chosen) == sum(1 for c in LIST if c.fields["repeat_referral"] == "yes")
    assert all("matches repeat_referral=yes" in c.reason for c in s.chosen)
    ages = draw_sample(LIST, opts(per_team=100, where=(parse_filter("age=10..15"),)))
    assert len(ages.chosen) == sum(1 for c in LIST if 10 <= int(c.fields["age"]) <= 15)  # type: ignore[call-overload]
    old_plans = draw_sample(LIST, opts(per_team=100, where=(parse_filter("plan start<=today-18m"),)))
    cut = months_before(TODAY, 18)
    assert len(old_plans.chosen) == sum(1 for c in LIST if date.fromisoformat(str(c.fields["plan_start"])) <= cut)
    two = draw_sample(LIST, opts(per_team=100, where=(parse_filter("case_type=CP,CLA"), parse_filter("age>=5"))))
    assert {c.case_type for c in two.chosen} == {"CP", "CLA"}
    team = next(t for t in two.teams if t.team == "Assessment 1")
    assert team.total("not_matching") + team.total("eligible") == 40


@pytest.mark.parametrize("text, column, op, value", [
    ("visits_overdue=yes", "visits_overdue", "=", "yes"),
    ("Repeat referral = Yes", "repeat_referral", "=", "Yes"),
    ("age>=10", "age", ">=", "10"),
    ("plan-start<today-18m", "plan_start", "<", "today-18m"),
    ("case_type!=EH", "case_type", "!=", "EH"),
])
def test_a_filter_is_read_as_written(text, column, op, value) -> None:
    f = parse_filter(text)
    assert (f.column, f.op, f.value) == (column, op, value)


@pytest.mark.parametrize("text", ["visits_overdue", "=yes", "age>=", ""])
def test_a_filter_that_is_not_one_is_refused(text) -> None:
    with pytest.raises(ValidationError, match="COLUMN=VALUE"):
        parse_filter(text)


def test_yes_no_values_read_as_people_write_them() -> None:
    cases = [case("CR-1", flag=True), case("CR-2", flag="Y"), case("CR-3", flag="no"), case("CR-4", flag=1),
             case("CR-5")]
    s = draw_sample(cases, opts(per_team=10, where=(parse_filter("flag=yes"),)))
    assert refs(s) == ["CR-1", "CR-2", "CR-4"]
    s = draw_sample(cases, opts(per_team=10, where=(parse_filter("flag!=yes"),)))
    assert refs(s) == ["CR-3", "CR-5"]  # no value is not "yes"


def test_text_values_ignore_case_and_read_dashes_alike() -> None:
    cases = [case("CR-1", age_band="10\u201315"), case("CR-2", age_band="5\u20139"), case("CR-3", age_band=" 10-15 ")]
    s = draw_sample(cases, opts(per_team=10, where=(parse_filter("Age band=10-15"),)))
    assert refs(s) == ["CR-1", "CR-3"]
    assert refs(draw_sample(cases, opts(per_team=10, where=(parse_filter("team=assessment 1"),)))) == refs(
        draw_sample(cases, opts(per_team=10)))


def test_a_filter_or_stratum_on_a_column_the_list_lacks_is_refused() -> None:
    with pytest.raises(ValidationError, match="no column 'visits_overdue'"):
        draw_sample(LIST, opts(per_team=5, where=(parse_filter("visits_overdue=yes"),)))
    with pytest.raises(ValidationError, match="no column 'legal_status'"):
        draw_sample(LIST, opts(per_team=5, stratify="legal status"))


def test_exclusions_audited_recently_and_already_in_the_programme() -> None:
    team1 = [c for c in LIST if c.team == "Assessment 1"]
    recent = {c.case_ref: date(2026, 10, 15) for c in team1[:10]}  # within 3 months of 1 Dec
    older = {c.case_ref: date(2026, 8, 31) for c in team1[10:15]}  # before 1 Sep: not recent
    in_prog = {c.case_ref for c in team1[15:20]}
    s = draw_sample(LIST, opts(per_team=100, exclude_audited_months=3, teams=("Assessment 1",)),
                    last_audited={**recent, **older}, in_programme=in_prog)
    t = s.teams[0]
    assert (t.total("population"), t.total("audited_recently"), t.total("in_programme"), t.total("eligible")) == \
        (40, 10, 5, 25)
    assert not set(refs(s)) & (set(recent) | in_prog)
    assert set(older) <= set(refs(s))
    assert t.shortfall == 75
    assert "10 audited recently" in s.notes()[0] and "5 already in the programme" in s.notes()[0]
    keep = draw_sample(LIST, opts(per_team=100, exclude_in_programme=False, teams=("Assessment 1",)),
                       in_programme=in_prog)
    assert in_prog <= set(refs(keep))


def test_months_before_keeps_to_the_calendar() -> None:
    assert months_before(date(2026, 12, 1), 3) == date(2026, 9, 1)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 18) == date(2024, 7, 15)


def test_only_the_programmes_teams_and_a_team_with_no_cases_is_short() -> None:
    s = draw_sample(LIST, opts(per_team=2, teams=("Assessment 2", "Front Door")))
    assert [t.team for t in s.teams] == ["Assessment 2", "Front Door"]
    assert {c.team for c in s.chosen} == {"Assessment 2"}
    assert s.teams[1].shortfall == 2


def test_cases_with_no_team_or_no_case_type_are_grouped_not_lost() -> None:
    cases = [case("CR-1", team=None), case("CR-2", team=None, case_type=None), case("CR-3")]
    s = draw_sample(cases, opts(per_team=5, stratify="case_type"))
    assert len(s.chosen) == 3
    assert [t.team for t in s.teams] == ["Assessment 1", None]
    assert any("no team, not recorded stratum" in c.reason for c in s.chosen)


@pytest.mark.parametrize("kw, words", [
    ({}, "a number per team or a percentage"),
    ({"per_team": 3, "percent": 10}, "not both"),
    ({"per_team": 0}, "from 1"),
    ({"percent": 150}, "at most 100"),
    ({"per_team": 3, "minimum_per_stratum": 1}, "needs a column"),
    ({"per_team": 3, "exclude_audited_months": 0}, "months"),
])
def test_options_that_make_no_sense_are_refused(kw, words) -> None:
    with pytest.raises(ValidationError, match=words):
        draw_sample(LIST, opts(**kw))


def test_the_sample_reads_back_from_its_record_and_draws_again_the_same() -> None:
    s = draw_sample(LIST, opts(per_team=4, stratify="case_type", minimum_per_stratum=1,
                               where=(parse_filter("age>=2"),), exclude_audited_months=6))
    back = Sample.from_dict(s.to_dict())
    assert back == s
    again = draw_sample(LIST, back.options)
    assert again == s
    changed = draw_sample(LIST[1:], back.options)
    assert changed.fingerprint != s.fingerprint  # a different list says so


# ---- properties ------------------------------------------------------------------------------

teams_st = st.sampled_from(["Assessment 1", "Assessment 2", "East"])
cases_st = st.lists(st.tuples(teams_st, st.sampled_from(TYPES), st.booleans(), st.booleans(), st.booleans()),
                    max_size=80)


def _cases(spec: list[tuple[str, str, bool, bool, bool]]) -> tuple[list[CaseRow], dict[str, date], set[str]]:
    rows, last, prog = [], {}, set()
    for i, (team, t, flag, recent, in_prog) in enumerate(spec):
        ref = f"CR-{i:05d}"
        rows.append(case(ref, team, t, flag="yes" if flag else "no"))
        if recent:
            last[ref] = date(2026, 11, 1)
        if in_prog:
            prog.add(ref)
    return rows, last, prog


@settings(max_examples=150, deadline=None)
@given(spec=cases_st, n=st.integers(1, 15), minimum=st.integers(0, 3), seed=st.integers(0, 2**32),
       stratify=st.booleans(), filtered=st.booleans())
def test_strata_exclusions_and_top_up_are_honoured(spec, n, minimum, seed, stratify, filtered) -> None:
    rows, last, prog = _cases(spec)
    o = opts(seed=seed, per_team=n, stratify="case_type" if stratify else None,
             minimum_per_stratum=minimum if stratify else 0, exclude_audited_months=2,
             where=(parse_filter("flag=yes"),) if filtered else ())
    s = draw_sample(rows, o, last_audited=last, in_programme=prog)
    by_ref = {c.case_ref: c for c in rows}
    chosen = refs(s)
    assert len(chosen) == len(set(chosen))
    for ref in chosen:  # nothing excluded, nothing that fails the filter
        assert ref not in prog and ref not in last
        assert not filtered or by_ref[ref].fields["flag"] == "yes"
    for t in s.teams:
        eligible = [c for c in rows if c.team == t.team and c.case_ref not in prog and c.case_ref not in last
                    and (not filtered or c.fields["flag"] == "yes")]
        mine = [c for c in s.chosen if c.team == t.team]
        assert t.chosen == len(mine) == min(t.target, len(eligible))  # top-up fills the team up to its target
        assert t.shortfall == t.target - len(mine)
        assert t.target == max(n, minimum * len(t.strata)) if stratify and minimum else t.target == n
        for x in t.strata:  # a stratum gets its places unless it has too few, then all it has
            drawn = [c for c in mine if c.stratum == x.stratum and not c.topped_up]
            assert len(drawn) == min(x.places, x.eligible)
            assert x.population == x.not_matching + x.in_programme + x.audited_recently + x.eligible
        if any(c.topped_up for c in mine):  # topped up only when a stratum fell short
            assert any(x.places > x.eligible for x in t.strata)
    assert draw_sample(list(reversed(rows)), o, last_audited=last, in_programme=prog) == s
