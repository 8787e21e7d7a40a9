"""The monthly QA summary report (PDF).

:func:`write_summary_report` lays out the figures of :class:`qadesk.core.figures.Stats` (gathered by
:func:`qadesk.services.reporting.write_report`), the same numbers the window and the Excel return's
Summary sheet show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer, Table, TableStyle

from qadesk.core.audit import CASE_TYPE_LABELS
from qadesk.core.figures import FINAL_GRADE_NOTE, MIN_THEME_ANSWERS, Stats
from qadesk.core.indicators import IndicatorFigure
from qadesk.exchange import pdfkit
from qadesk.exchange.agreement_report import agreement_story
from qadesk.exchange.display import GRADE_COLOURS, scale_colours
from qadesk.exchange.output import Cancel, Progress, atomic_path, check_cancel, report_progress, uk_date
from qadesk.exchange.pdfkit import esc
from qadesk.exchange.summary_text import headline_rows, month_label, period_text

WIDTH = pdfkit.A4[0] - 2 * pdfkit.MARGIN
URGENT_IN_PDF = 15  # the oldest first; the rest are counted


def write_summary_report(path: Path, st: Stats, *, organisation: str | None, progress: Progress | None = None,
                         cancel: Cancel | None = None, indicators: Sequence[IndicatorFigure] = ()) -> Path:
    """Write the QA summary report of ``st`` to ``path`` (PDF), whole or not at all.

    Progress continues from the figures being gathered: 2 of 3 once laid out, 3 of 3 when written.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        summary_pdf(st, str(tmp), organisation=organisation, indicators=indicators)
        check_cancel(cancel)
        report_progress(progress, 2, 3)
    report_progress(progress, 3, 3)
    return path


def stacked_bars(title: str, groups: dict[str, Counter[str]], scale: list[str], *, horizontal: bool = False,
                 width: float = WIDTH, height: float = 62 * mm) -> Drawing:
    """A stacked bar chart of grade counts per group, with a legend of the grades."""
    cats = list(groups)[:24]
    if horizontal:
        height = 22 * mm + max(len(cats), 1) * 7 * mm
    d = Drawing(width, height)
    d.add(String(0, d.height - 10, title, fontName="Helvetica-Bold", fontSize=9.5, fillColor=pdfkit.INK))
    if not cats or not scale:
        d.add(String(0, d.height - 26, "No graded audits in this selection.", fontName="Helvetica", fontSize=8.5))
        return d
    chart: Any = HorizontalBarChart() if horizontal else VerticalBarChart()
    chart.x, chart.y = (110, 14) if horizontal else (30, 28)
    chart.width = width - chart.x - 160
    chart.height = d.height - chart.y - 22
    chart.data = [[groups[c].get(g, 0) for c in cats] for g in scale]
    chart.categoryAxis.categoryNames = [c[:26] if horizontal else month_label(c)[:12] for c in cats]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontSize = 7
    _whole_steps(chart, max((sum(groups[c].values()) for c in cats), default=1))
    if not horizontal:
        chart.categoryAxis.labels.angle = 30 if len(cats) > 6 else 0
        chart.categoryAxis.labels.boxAnchor = "ne" if len(cats) > 6 else "n"
    palette = scale_colours(len(scale))
    for i in range(len(scale)):
        chart.bars[i].fillColor = colors.HexColor(palette[i])
        chart.bars[i].strokeColor = None
    d.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 135, d.height - 24
    legend.fontSize, legend.fontName = 7.5, "Helvetica"
    legend.alignment = "right"
    legend.columnMaximum = 8
    legend.colorNamePairs = [(colors.HexColor(c), g[:36]) for c, g in zip(palette, scale, strict=True)]
    d.add(legend)
    return d


def _whole_steps(chart: Any, top: int) -> None:
    """Counts are whole numbers: no 0.5 ticks on the value axis."""
    chart.valueAxis.valueMin = 0
    step = max(1, -(-top // 6))
    chart.valueAxis.valueStep = step
    chart.valueAxis.valueMax = max(step, -(-top // step) * step)


def simple_bars(title: str, values: dict[str, int], colour: str = "#0b4f6c", width: float = WIDTH) -> Drawing:
    """A horizontal bar chart of counts, one bar per key (the first 20), titled."""
    cats = list(values)[:20]
    d = Drawing(width, 24 + max(len(cats), 1) * 5 * mm)
    d.add(String(0, d.height - 10, title, fontName="Helvetica-Bold", fontSize=9.5, fillColor=pdfkit.INK))
    if not cats:
        d.add(String(0, d.height - 24, "None.", fontName="Helvetica", fontSize=8.5))
        return d
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 6, width - 150, d.height - 22
    chart.data = [[values[c] for c in cats]]
    chart.categoryAxis.categoryNames = [c[:22] for c in cats]
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 7
    _whole_steps(chart, max(values[c] for c in cats))
    chart.bars[0].fillColor = colors.HexColor(colour)
    chart.bars[0].strokeColor = None
    d.add(chart)
    return d


def _table(rows: list[list[Any]], widths: list[float], ss: Any) -> Table:
    data = [[c if isinstance(c, Flowable) else Paragraph(esc(c), ss["CellBold" if i == 0 else "Cell"]) for c in r]
            for i, r in enumerate(rows)]
    t = Table(data, colWidths=[w * WIDTH for w in widths], repeatRows=1)
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4ecf2")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, pdfkit.RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return t


def _told(whom: str | None, at: Any) -> str:
    """Who was told of an urgent concern and when ("not recorded" when either is missing)."""
    if not whom or at is None:
        return "not recorded"
    return f"{whom}, {uk_date(at.date())}"


def indicators_story(figures: Sequence[IndicatorFigure], ss: Any) -> list[Flowable]:
    """The performance data beside the grades: each team's latest figure of each indicator."""
    story: list[Flowable] = [CondPageBreak(50 * mm), Paragraph("Performance data", ss["H1"]),
                             Paragraph("Each team's latest figure of each indicator up to the end of the period, "
                                       "beside the grades above.", ss["Small"])]
    rows: list[list[Any]] = [["Team", "Indicator", "Month", "Value", "Target"]]
    rows += [[f.team or "Whole service", f.indicator, f"{f.period:%b %Y}", f.shown_value(),
              f.shown_target() + ("" if f.meets_target is None else (" (met)" if f.meets_target else " (not met)"))]
             for f in figures]
    story.append(_table(rows, [0.22, 0.38, 0.12, 0.12, 0.16], ss))
    return story


def summary_story(st: Stats, ss: Any | None = None, indicators: Sequence[IndicatorFigure] = ()) -> list[Flowable]:
    """The summary report's flowables (the numbers first, then charts, then learning)."""
    ss = ss or pdfkit.styles()
    story: list[Flowable] = [Paragraph("QA summary report", ss["Title"]),
                             Paragraph(esc(period_text(st.selection)), ss["H2"]),
                             Paragraph(f"Figures as at {esc(uk_date(st.today))}.", ss["Small"]), Spacer(1, 4)]
    story.append(Paragraph("Urgent concerns", ss["H1"]))
    if st.unanswered:
        # An audit whose answers flag an urgent concern but that carries no urgent action (e.g. imported).
        n = st.unanswered_total
        story.append(Paragraph(f"{n:,} audit{'s' if n != 1 else ''} flag{'s' if n == 1 else ''} an urgent concern "
                               f"with no urgent action recorded:", ss["Body"]))
        rows: list[list[Any]] = [["Audit", "Status", "Team", "Concern flagged by"]]
        rows += [[c.audit_reference, c.status.capitalize(), c.team or "", c.question]
                 for c in st.unanswered[:URGENT_IN_PDF]]
        story.append(_table(rows, [0.16, 0.12, 0.2, 0.52], ss))
    if st.urgent:
        rows = [["Audit", "Team", "Action", "Owner", "Due", "Told"]]
        rows += [[u.audit_reference, u.team or "", u.text, u.owner or "", uk_date(u.due) or "—",
                  _told(u.told_whom, u.told_at)] for u in st.urgent[:URGENT_IN_PDF]]
        story.append(_table(rows, [0.16, 0.13, 0.31, 0.12, 0.11, 0.17], ss))
        shown = min(len(st.urgent), URGENT_IN_PDF)
        if st.urgent_total > shown:
            story.append(Paragraph(f"… and {st.urgent_total - shown:,} more urgent actions (all of them are on the "
                                   f"Actions sheet of the Excel return).", ss["Small"]))
    elif not st.unanswered:
        story.append(Paragraph("No urgent actions are open, and no audit flags an urgent concern without one.",
                               ss["Body"]))
    else:
        story.append(Paragraph("No urgent action is open for them.", ss["Body"]))
    story += [Paragraph("In numbers", ss["H1"]),
              _table([["Measure", "Count"], *[list(r) for r in headline_rows(st)]], [0.6, 0.4], ss)]
    story += [CondPageBreak(80 * mm), Paragraph("Grades", ss["H1"]), Paragraph(esc(FINAL_GRADE_NOTE), ss["Small"])]
    if not st.scales:
        story.append(Paragraph("No audits in this selection have an overall grade yet.", ss["Body"]))
    for n, scale in enumerate(st.scales):
        # Templates grade on different scales (Ofsted's four points, RAG...): one set of charts per scale.
        suffix = f" ({scale.name})" if len(st.scales) > 1 else ""
        story += [stacked_bars("Overall grade by team" + suffix, scale.by_team, scale.labels, horizontal=True)]
        if n == 0:
            story += [Spacer(1, 6),
                      stacked_bars("Overall grade by case type" + suffix, {
                          (f"{CASE_TYPE_LABELS[k]} ({k})" if k in CASE_TYPE_LABELS else k): v
                          for k, v in scale.by_case_type.items()}, scale.labels, horizontal=True),
                      Spacer(1, 6), CondPageBreak(70 * mm),
                      stacked_bars("Overall grade by month started" + suffix, scale.by_month, scale.labels)]
        story.append(Spacer(1, 8))
    if indicators:
        story += indicators_story(indicators, ss)
    story += [CondPageBreak(60 * mm), Paragraph("Moderation", ss["H1"])]
    if st.moderations:
        rows = [["Kind", "Agreed", "Moderated", "Agreement"]]
        for kind, (agreed, total) in sorted(st.moderation_by_kind.items()):
            rows.append([kind.capitalize(), f"{agreed:,}", f"{total:,}", f"{agreed / total:.0%}"])
        story.append(_table(rows, [0.3, 0.2, 0.2, 0.3], ss))
        story.append(simple_bars("Moderation: agreed and changed", {
            "Agreed": st.moderations_agreed, "Grade changed": st.moderations - st.moderations_agreed}))
    else:
        story.append(Paragraph("No audits in this selection have been moderated.", ss["Body"]))
    if st.moderations:
        story += [CondPageBreak(80 * mm), *agreement_story(st, ss, _table)]
    story += [CondPageBreak(50 * mm), Paragraph("Actions", ss["H1"]),
              simple_bars("Overdue actions by team", st.overdue_by_team, colour=GRADE_COLOURS["red"])]
    story += [CondPageBreak(60 * mm), Paragraph("Learning themes", ss["H1"]),
              Paragraph("The questions where practice most often fell short: the share of scored answers "
                        f"given the lowest choice on the question's scale, for questions about practice with at least "
                        f"{MIN_THEME_ANSWERS} scored answers.", ss["Small"])]
    if st.themes:
        rows = [["Question", "Template", "Fell short", "Share"]]
        rows += [[th.label, th.template_title, f"{th.short:,} of {th.answered:,}", f"{th.share:.0%}"]
                 for th in st.themes]
        story.append(_table(rows, [0.5, 0.24, 0.14, 0.12], ss))
        for team, themes in st.themes_by_team.items():
            if themes:
                story.append(Paragraph(esc(team), ss["H2"]))
                story.append(_table([["Question", "Fell short", "Share"]] + [
                    [th.label, f"{th.short:,} of {th.answered:,}", f"{th.share:.0%}"] for th in themes],
                    [0.68, 0.18, 0.14], ss))
    else:
        story.append(Paragraph(f"No question about practice with at least {MIN_THEME_ANSWERS} scored answers fell "
                               f"short in this selection.", ss["Body"]))
    return story


def summary_pdf(st: Stats, target: Any, *, organisation: str | None,
                indicators: Sequence[IndicatorFigure] = ()) -> None:
    """Lay the summary report out into a path or binary file."""
    pdfkit.build(target, summary_story(st, indicators=indicators), title="QA summary report", organisation=organisation,
                 subject=period_text(st.selection))
