"""The QA statistics (SQL) and the summary report PDF, read back."""

from __future__ import annotations

from datetime import date

import pypdf
import pytest

from qadesk.core.errors import ValidationError
from qadesk.exchange.output import Cancelled
from qadesk.services import audits as svc
from qadesk.services.queries import Selection
from qadesk.services.reporting import write_report
from qadesk.services.stats import compute
from tests.helpers.exports import make_audits

TODAY = date(2026, 12, 20)


@pytest.fixture
def audits(loaded_store):
    ids = make_audits(loaded_store, 6)
    with loaded_store.transaction() as s:
        svc.moderate(s, ids[0], moderator=svc.Actor("Mo Derator"), agreed=True)
        svc.moderate(s, ids[1], moderator=svc.Actor("Mo Derator"), agreed=False, grade="good", rationale="x",
                     kind="external")
        first = svc.get_audit(s, ids[2]).actions[0]
        svc.update_action(s, first.id, actor="t", status="done")
        svc.add_action(s, ids[3], "Not yet due", actor="t", due=date(2027, 1, 30))
    return loaded_store, ids


def test_statistics_count_what_is_there(audits, monkeypatch):
    monkeypatch.setattr("qadesk.services.stats.MIN_THEME_ANSWERS", 1)  # a small fixture: see the ranking test
    store, ids = audits
    with store.session() as s:
        st = compute(s, today=TODAY)
        assert st.audits == 6 and st.completed == 6
        assert st.by_status == {"moderated": 2, "completed": 4}
        assert sum(st.grade_totals().values()) == 6
        assert set(st.grades_by_team) == {"Assessment 2", "Children in Care East", "Family Support"}
        assert sum(sum(c.values()) for c in st.grades_by_month.values()) == 6
        assert list(st.grades_by_month) == ["2026-08", "2026-09", "2026-10", "2026-11"]
        assert st.grade_scale[0] == "Outstanding" and st.grade_scale[-1] == "Inadequate"
        assert (st.moderations, st.moderations_agreed) == (2, 1)
        assert st.moderation_by_kind == {"internal": (1, 1), "external": (0, 1)}
        # Seven actions: one done, one due next year, five overdue on 20 Dec 2026 (due 9 Dec).
        assert (st.actions_open, st.actions_done, st.actions_overdue) == (6, 1, 5)
        assert sum(st.overdue_by_team.values()) == 5
        assert st.urgent_total == len(st.urgent) == 2  # n % 3 == 1 (audits 1 and 4)
        assert st.themes and all(0 < th.share <= 1 for th in st.themes)
        # Narrowing by team narrows every figure.
        team = compute(s, Selection(teams=["Family Support"]), today=TODAY)
        assert team.audits == 2 and set(team.grades_by_team) == {"Family Support"}
        period = compute(s, Selection(since=date(2026, 10, 1), until=date(2026, 10, 31)), today=TODAY)
        assert period.audits == 1 and list(period.grades_by_month) == ["2026-10"]


def test_learning_themes_rank_the_lowest_choices(audits, monkeypatch):
    # This fixture has fewer than MIN_THEME_ANSWERS answers a question; the minimum has its own test
    # (tests/unit/test_urgent_concerns.py), this one checks the ranking.
    monkeypatch.setattr("qadesk.services.stats.MIN_THEME_ANSWERS", 1)
    store, _ = audits
    with store.session() as s:
        st = compute(s, Selection(template_id="supervision-audit"), today=TODAY)
    # Audit 1 (odd n) answered every scored question with its lowest choice.
    assert st.themes[0].share == 1.0 and st.themes[0].template_title == "Supervision audit"
    assert "Children in Care East" in st.themes_by_team


def test_summary_pdf_reads_back(audits, tmp_path):
    store, _ = audits
    path = write_report(store, tmp_path / "summary.pdf", Selection(since=date(2026, 8, 1)), today=TODAY)
    pages = [p.extract_text() for p in pypdf.PdfReader(path).pages]
    text = " ".join(" ".join(pages).split())
    for expected in ["QA summary report", "Audits started from 1 Aug 2026", "Urgent concerns", "Audits completed 6",
                     "Moderators agreed 1 (50%)", "Actions overdue 5", "Overall grade by team",
                     "Overall grade by case type", "Child Protection (CP)", "Overall grade by month started",
                     "Aug 2026", "Moderation", "Learning themes", "Overdue actions by team", "Family Support",
                     "Example Borough Council"]:
        assert expected in text, expected
    assert text.index("Urgent concerns") < text.index("Overall grade by team")
    assert all("OFFICIAL-SENSITIVE" in p and f"of {len(pages)}" in p for p in pages)


def test_empty_selection_still_makes_a_report(loaded_store, tmp_path):
    path = write_report(loaded_store, tmp_path / "none.pdf", Selection(teams=["Nobody"]))
    text = pypdf.PdfReader(path).pages[0].extract_text()
    assert "No urgent actions are open" in text and "Audits in the selection 0" in " ".join(text.split())


def test_wrong_ending_and_cancel(audits, tmp_path):
    store, _ = audits
    with pytest.raises(ValidationError, match=r"\.pdf .* \.xlsx"):
        write_report(store, tmp_path / "r.docx")
    with pytest.raises(Cancelled):
        write_report(store, tmp_path / "r.pdf", cancel=lambda: True)
    with pytest.raises(Cancelled):
        write_report(store, tmp_path / "r.xlsx", cancel=lambda: True)
    assert list(tmp_path.iterdir()) == [tmp_path / "store"]


def test_templates_on_different_scales_are_charted_apart(loaded_store, tmp_path):
    from tests.helpers.exports import fill_audit, set_up_people

    with loaded_store.transaction() as s:
        set_up_people(s)
        fill_audit(s, "regular-case-audit", n=0)
        fill_audit(s, "data-led-overdue-visits", n=1, case_ref="CR-2")
    with loaded_store.session() as s:
        st = compute(s, today=TODAY)
    assert len(st.scales) == 2
    names = {sc.name for sc in st.scales}
    assert "Outstanding to Inadequate" in names and any("Red" in n or "red" in n.lower() for n in names)
    assert all(sc.total == 1 for sc in st.scales) and sum(st.grade_totals().values()) == 2
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(
        write_report(loaded_store, tmp_path / "s.pdf", today=TODAY)).pages).split())
    assert "Overall grade by team (Outstanding to Inadequate)" in text
