"""Performance data in: figures per indicator, team and month; bad rows located, nothing half-stored."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from qadesk.services import indicators as svc
from qadesk.store.history import verify


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_figures_import_update_and_the_latest_per_team(store, tmp_path) -> None:
    first = _write(tmp_path / "october.csv",
                   "Indicator,Team,Month,Value,Target\n"
                   "Visits within timescale,Assessment 1,Oct 2026,82%,90\n"
                   "Visits within timescale,Assessment 2,2026-10,91,90\n"
                   "Visits within timescale,,10/2026,86.5,90\n"
                   "Repeat referrals,Assessment 1,October 2026,21,\n")
    with store.transaction() as s:
        r = svc.import_indicators(s, first, actor="QA Lead")
    assert (r.added, r.updated, r.unchanged, r.indicators, r.periods) == (4, 0, 0, 2, [date(2026, 10, 1)])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["KPI", "Service", "Period", "Actual", "Target"])
    ws.append(["Visits within timescale", "Assessment 1", date(2026, 11, 30), 0.88, 0.9])
    ws.append(["Visits within timescale", "Assessment 2", date(2026, 10, 1), 93, 90])  # a corrected figure
    wb.save(tmp_path / "november.xlsx")
    with store.transaction() as s:
        r = svc.import_indicators(s, tmp_path / "november.xlsx", actor="QA Lead")
    assert (r.added, r.updated, r.unchanged) == (1, 1, 0)
    with store.session() as s:
        latest = svc.latest_figures(s)
        october = svc.latest_figures(s, until=date(2026, 10, 31))
        assert verify(s).ok
    assert [(f.team, f.indicator, f.period, f.value, f.target, f.unit) for f in latest] == [
        ("", "Visits within timescale", date(2026, 10, 1), 86.5, 90.0, None),
        ("Assessment 1", "Repeat referrals", date(2026, 10, 1), 21.0, None, None),
        ("Assessment 1", "Visits within timescale", date(2026, 11, 1), 0.88, 0.9, None),
        ("Assessment 2", "Visits within timescale", date(2026, 10, 1), 93.0, 90.0, None)]
    assert [f.meets_target for f in latest] == [False, None, False, True]
    assert next(f for f in october if f.team == "Assessment 1" and f.indicator.startswith("Visits")).unit == "%"


def test_a_file_with_bad_rows_is_refused_whole_with_each_row(store, tmp_path) -> None:
    path = _write(tmp_path / "kpis.csv",
                  "indicator,team,period,value,target\n"
                  "Visits,Team A,Nov 2026,80,90\n"
                  ",Team A,Nov 2026,80,90\n"
                  "Visits,Team B,Smarch 2026,80,90\n"
                  "Visits,Team C,Nov 2026,lots,90\n"
                  "Visits,Team D,Nov 2026,,90\n"
                  "Visits,Team E,Nov 2026,70,high\n"
                  "Visits,team a,2026-11,81,90\n"
                  "Visits,Team F,,81,90\n")
    with pytest.raises(svc.IndicatorsRefused) as refused, store.transaction() as s:
        svc.import_indicators(s, path, actor="QA Lead")
    assert [str(p) for p in refused.value.reading.problems] == [
        "row 3: no indicator",
        "row 4: period: 'Smarch 2026' is not a month: write it like Nov 2026 or 2026-11",
        "row 5: value: 'lots' is not a number",
        "row 6: no value",
        "row 7: target: 'high' is not a number",
        "row 8: 'Visits' for team a in Nov 2026 is on row 2 too",
        "row 9: no period (the month the figure is for)",
    ]
    with store.session() as s:
        assert svc.figures(s) == []


def test_a_file_without_the_columns_says_which_it_needs(store, tmp_path) -> None:
    path = _write(tmp_path / "kpis.csv", "name,number\nVisits,3\n")
    with pytest.raises(svc.IndicatorsRefused, match="names the columns indicator, period and value"), \
            store.transaction() as s:
        svc.import_indicators(s, path, actor="QA Lead")


def test_the_qa_summary_report_shows_the_figures_beside_the_grades(loaded_store, tmp_path) -> None:
    from pypdf import PdfReader

    from qadesk.core.selection import Selection
    from qadesk.services.reporting import write_report

    path = _write(tmp_path / "kpis.csv", "Indicator,Team,Month,Value,Target\n"
                  "Visits within timescale,Assessment 1,Nov 2026,82%,90\n"
                  "Visits within timescale,Assessment 2,Nov 2026,93,90\n")
    with loaded_store.transaction() as s:
        svc.import_indicators(s, path, actor="QA Lead")
    pdf = write_report(loaded_store, tmp_path / "summary.pdf")
    text = " ".join((page.extract_text() or "") for page in PdfReader(pdf).pages)
    assert "Performance data" in text and "Visits within timescale" in text
    assert "82% 90% (not met)" in " ".join(text.split()) and "93 90 (met)" in " ".join(text.split())
    one_team = write_report(loaded_store, tmp_path / "team.pdf", Selection(teams=["Assessment 2"]))
    text = " ".join((page.extract_text() or "") for page in PdfReader(one_team).pages)
    assert "Assessment 2" in text and "82%" not in text
