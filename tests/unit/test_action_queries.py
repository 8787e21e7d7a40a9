"""The Actions and Home queries (queries.list_actions) give exactly what their filters say, on made-up data."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from qadesk.services.overview import home_summary, list_moderations
from qadesk.services.queries import list_actions
from qadesk.store.models import ActionItem, Audit, Moderation

ANCHOR = date(2026, 11, 25)


@pytest.fixture(name="demo")
def demo_fixture(store):
    from qadesk.services.demo import generate

    generate(store, audits=120, seed=5, anchor=ANCHOR)
    return store


def _open_actions(s):
    """Every open action with its audit's auditor and team, read plainly (no filter in SQL)."""
    rows = s.execute(select(ActionItem, Audit.auditor_name, Audit.team).join(Audit)).all()
    return [(a, auditor, team) for a, auditor, team in rows if a.status == "open"]


def test_filters_by_auditor_team_owner_and_mine_match_a_plain_reading(demo) -> None:
    with demo.session() as s:
        everything = _open_actions(s)
        assert len(everything) > 20
        auditor = max({x[1] for x in everything}, key=lambda n: sum(x[1] == n for x in everything))
        team = everything[0][2]
        owner = next(a.owner for a, _, _ in everything if a.owner)
        cases = {
            "auditor": (dict(auditor=auditor), {a.id for a, who, _ in everything if who == auditor}),
            "team": (dict(team=team), {a.id for a, _, t in everything if t == team}),
            "owner": (dict(owner=owner), {a.id for a, _, _ in everything if a.owner == owner}),
            "mine": (dict(mine=auditor), {a.id for a, who, _ in everything if who == auditor or a.owner == auditor}),
            "team and auditor": (dict(team=team, auditor=auditor),
                                 {a.id for a, who, t in everything if t == team and who == auditor}),
        }
        for name, (kwargs, expected) in cases.items():
            got = list_actions(s, limit=None, **kwargs)
            assert {r.id for r in got} == expected, name
            assert len(got) == len(expected), name
        assert list_actions(s, auditor="Nobody At All", limit=None) == []


def test_actions_come_urgent_first_then_soonest_due_with_undated_last(demo) -> None:
    with demo.session() as s:
        rows = list_actions(s, limit=None)
    keys = [(not r.urgent, r.due is None, r.due or date.max) for r in rows]
    assert keys == sorted(keys)


def test_home_and_moderation_figures_on_the_indexed_queries(demo) -> None:
    with demo.session() as s:
        auditor = s.execute(select(Audit.auditor_name).where(Audit.status == "draft")).scalars().first()
        summary = home_summary(s, auditor, today=ANCHOR)
        drafts = s.execute(select(Audit).where(Audit.status == "draft", Audit.auditor_name == auditor)).scalars().all()
        assert summary.draft_count == len(drafts) and {a.id for a in summary.drafts} <= {a.id for a in drafts}
        past = list_moderations(s)
        assert len(past) == s.query(Moderation).count()
        assert [m.at for m in past] == sorted((m.at for m in past), reverse=True)
