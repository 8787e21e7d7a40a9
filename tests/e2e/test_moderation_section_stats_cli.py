"""``qadesk moderation stats --by section --json`` against statsmodels and a count made from the store's own rows.

Fourteen regular case audits, each moderated with the moderator's own grade of every section (half of them
judged blind); the per-section figures the command prints are checked against the ModerationSection rows read
straight from the tables, on the template's ofsted4 scale ordered by its scores (read from the shipped JSON).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from qadesk.services import audits as svc
from qadesk.services import blind_moderation as bm
from tests.e2e.test_cli_work import qadesk
from tests.helpers.exports import fill_audit, set_up_people

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "regular-case-audit"
N = 14


@pytest.fixture
def moderated(loaded_store, data_dir):
    rng = random.Random(7)
    t = json.loads((ROOT / "forms" / f"{TEMPLATE}.json").read_text(encoding="utf-8"))
    order = [c["value"] for c in sorted((c for c in t["lists"]["ofsted4"] if c.get("score") is not None),
                                        key=lambda c: c["score"])]
    with loaded_store.transaction() as s:
        set_up_people(s)
        for i in range(N):
            aid = fill_audit(s, TEMPLATE, n=i, case_ref=f"CR-91{i:04d}")
            audit = svc.get_audit(s, aid)
            own = {}
            for j in audit.section_judgements:
                step = rng.choice((-1, 0, 0, 0, 1))
                own[j.section_id] = order[max(0, min(len(order) - 1, order.index(j.grade) + step))]
            moderator = svc.Actor(["Morgan Second", "Riley Third"][i % 2])
            if i % 2:
                bm.record_blind(s, aid, moderator=moderator, own_grade=audit.overall_grade, sections=own)
                svc.moderate(s, aid, moderator=moderator, agreed=True)
            else:
                svc.moderate(s, aid, moderator=moderator, agreed=True, sections=own)
    loaded_store.close()
    return data_dir, t, order


def _pairs_from_tables(folder: Path, t: dict, order: list[str]) -> dict[str, list[tuple[int, int]]]:
    """(auditor's index, moderator's index) per section title, from the moderation_sections table."""
    from sqlalchemy import select

    from qadesk.store import open_store
    from qadesk.store.models import ModerationSection

    titles = {x["id"]: x["title"] for x in t["sections"] if x.get("grade")}
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    store = open_store(folder)
    try:
        with store.session() as s:
            for sid, own, theirs in s.execute(select(ModerationSection.section_id, ModerationSection.own_grade,
                                                     ModerationSection.auditor_grade)):
                if own in order and theirs in order:
                    out[titles[sid]].append((order.index(theirs), order.index(own)))
    finally:
        store.close()
    return out


def _table(pairs: list[tuple[int, int]], k: int = 4) -> np.ndarray:
    table = np.zeros((k, k))
    for a, b in pairs:
        table[a, b] += 1
    return table


def test_section_figures_agree_with_statsmodels_and_a_count_from_the_tables(moderated):
    folder, t, order = moderated
    rows = json.loads(qadesk(folder, "moderation", "stats", "--by", "section", "--json").stdout)
    expected = _pairs_from_tables(folder, t, order)
    assert len(expected) == 7 and all(len(p) == N for p in expected.values())
    got = {r["group"]: r for r in rows}
    assert set(got) == set(expected)
    checked = 0
    for title, pairs in expected.items():
        r = got[title]
        assert r["scale"] == "ofsted4" and r["n"] == len(pairs)
        assert r["exact"] == pytest.approx(sum(a == b for a, b in pairs) / len(pairs))
        assert r["within_one"] == pytest.approx(sum(abs(a - b) <= 1 for a, b in pairs) / len(pairs))
        assert r["table"] == _table(pairs).astype(int).tolist()
        if r["kappa_quadratic"] is None:  # no spread on one side: kappa is undefined
            continue
        q = cohens_kappa(_table(pairs), wt="quadratic")
        assert r["kappa_quadratic"] == pytest.approx(q.kappa, abs=1e-6)
        # qadesk keeps the interval within kappa's range (-1 to 1); statsmodels' normal interval can pass 1.
        assert r["kappa_quadratic_ci"] == pytest.approx([max(-1, q.kappa_low), min(1, q.kappa_upp)], abs=1e-6)
        assert r["kappa_linear"] == pytest.approx(cohens_kappa(_table(pairs), wt="linear").kappa, abs=1e-6)
        checked += 1
    assert checked >= 4
    text = qadesk(folder, "moderation", "stats", "--by", "section").stdout
    assert all(f"{title}\tofsted4\tn = {N}" in text for title in expected)
