"""Agreement between auditors and moderators, laid out for the QA summary report (PDF) and the Excel return.

The figures are :class:`qadesk.core.figures.AgreementRow` and :class:`~qadesk.core.figures.DriftRow`
(gathered by :func:`qadesk.services.stats.compute`). A group with too few moderated audits shows its n
and "too few to judge", never a bare figure (docs/moderation-statistics.md says when to trust each).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer

from qadesk.core.agreement import Estimate, PairAgreement
from qadesk.core.figures import AgreementRow, DriftRow, Stats
from qadesk.exchange import pdfkit

WIDTH = pdfkit.A4[0] - 2 * pdfkit.MARGIN
GENEROUS, SEVERE, STEADY = "#b3261e", "#0b4f6c", "#6b7780"
BY_TITLES = {"all": "All moderated audits", "auditor": "By auditor", "moderator": "By moderator", "team": "By team",
             "quarter": "By quarter", "section": "By section"}
HEADINGS = ["", "n", "Exact", "Within one grade", "Weighted kappa (quadratic, 95% CI)", "Gwet's AC2"]
ABOUT = ("Each moderation pairs the auditor's overall grade with the moderator's own. Exact and within one grade "
         "are shares of those pairs. Kappa and AC2 discount the agreement chance alone would give; on a scale "
         "where most audits are Good, kappa can be low while agreement is high, which is why AC2 stands beside "
         "it. A group of fewer than 10 pairs shows only its n. See docs/moderation-statistics.md.")


def cells(a: PairAgreement) -> list[str]:
    """One group's figures as table cells: n, exact, within one, kappa with its interval, AC2."""
    if not a.judgeable:
        return [f"{a.n:,}", "too few to judge" if a.n else "none", "", "", ""]
    return [f"{a.n:,}", f"{a.exact_per_cent:.0f}%", f"{a.within_one_per_cent:.0f}%", _text(a.kappa_quadratic),
            _text(a.ac2_quadratic, interval=False)]


def _text(e: Estimate, *, interval: bool = True) -> str:
    if e.value is None:
        return f"not available: {e.reason}"
    if interval and e.low is not None and e.high is not None:
        return f"{e.value:.2f} ({e.low:.2f} to {e.high:.2f})"
    return f"{e.value:.2f}"


def _scales(rows: Sequence[AgreementRow]) -> list[str]:
    seen: list[str] = []
    for r in rows:
        if r.scale not in seen:
            seen.append(r.scale)
    return seen


def agreement_story(st: Stats, ss: Any, table: Callable[[list[list[Any]], list[float], Any], Flowable]) -> list[Any]:
    """The report's "Agreement" pages: the figures per group and each auditor's drift, with its chart."""
    story: list[Any] = [Paragraph("Agreement between auditors and moderators", ss["H1"])]
    if not st.agreement:
        return story + [Paragraph("No moderated audits in this selection: nothing to measure yet.", ss["Body"])]
    story.append(Paragraph(ABOUT, ss["Small"]))
    scales = _scales([r for r in st.agreement if r.by != "section"]) or _scales(st.agreement)
    main = scales[0]  # the scale most moderated audits are on
    widths = [0.26, 0.07, 0.12, 0.13, 0.26, 0.16]
    for by in ("all", "auditor", "moderator", "team", "quarter"):
        rows = [r for r in st.agreement_for(by) if by == "all" or r.scale == main]
        if not rows:
            continue
        story.append(Paragraph(BY_TITLES[by] + (f" ({main})" if by != "all" and len(scales) > 1 else ""), ss["H2"]))
        body = [[("All" if r.group is None else r.group) + (f" ({r.scale})" if by == "all" and len(scales) > 1 else ""),
                 *cells(r.agreement)] for r in rows]
        story.append(table([HEADINGS, *body], widths, ss))
    sections = st.agreement_for("section")
    if sections:  # each section on its own grade list: named where they are not all the main scale
        named = any(r.scale != main for r in sections)
        story.append(Paragraph(BY_TITLES["section"], ss["H2"]))
        story.append(Paragraph("Each section a moderator judged: their grade of it beside the auditor's.", ss["Small"]))
        story.append(table([HEADINGS, *[[str(r.group) + (f" ({r.scale})" if named else ""), *cells(r.agreement)]
                                        for r in sections]], widths, ss))
    if len(scales) > 1:
        story.append(Paragraph(f"Per group, the figures above are for the {main} scale, which most moderated audits "
                               f"are on; the Excel return's Agreement sheet has every scale.", ss["Small"]))
    story += [CondPageBreak(60 * mm), Paragraph("Drift: each auditor against moderation", ss["H2"])]
    story.append(Paragraph("The mean of the auditor's grade minus the moderated grade, in grades, with its 95% "
                           "interval: above zero, the auditor grades more generously than moderation; below, more "
                           "severely. A warning needs at least 8 moderated audits and an interval clear of zero.",
                           ss["Small"]))
    shown = [d for d in st.drift if d.drift.n and d.scale == main]
    charted = [d for d in shown if d.drift.n >= 3][:30]  # one or two audits give no line worth drawing
    if charted:
        story.append(drift_chart(charted))
    if shown:
        story.append(Spacer(1, 4))
        story.append(table([["Auditor", "n", "Graded higher", "Graded lower", "Drift"],
                            *[[d.auditor, f"{d.drift.n}", f"{d.drift.higher}", f"{d.drift.lower}",
                               ("Warning: " if d.drift.warning else "") + d.drift.verdict] for d in shown]],
                           [0.24, 0.07, 0.12, 0.12, 0.45], ss))
    return story


def drift_chart(rows: Sequence[DriftRow], width: float = WIDTH) -> Drawing:
    """Each auditor's mean difference from moderation as a dot with its interval, zero marked."""
    row_h, left, right = 13, 120, 40
    d = Drawing(width, 26 + row_h * len(rows))
    d.add(String(0, d.height - 10, "Auditor's grade minus moderated grade (mean, 95% interval)",
                 fontName="Helvetica-Bold", fontSize=9.5, fillColor=pdfkit.INK))
    span = max([1.0] + [abs(v) for r in rows for v in (r.drift.low, r.drift.high, r.drift.mean) if v is not None])
    span = min(3.0, span)
    plot = width - left - right

    def x(v: float) -> float:
        return left + plot * (max(-span, min(span, v)) + span) / (2 * span)

    top = d.height - 22
    d.add(Line(x(0), 4, x(0), top, strokeColor=colors.HexColor("#9aa5ad"), strokeWidth=0.6))
    for label, v in (("more severe", -span), ("more generous", span)):
        d.add(String(x(v), 0, label, fontName="Helvetica", fontSize=6.5, textAnchor="middle",
                     fillColor=colors.HexColor("#46525a")))
    for i, r in enumerate(rows):
        y = top - (i + 0.6) * row_h
        colour = colors.HexColor(GENEROUS if r.drift.direction == "more generous" else
                                 SEVERE if r.drift.direction == "more severe" else STEADY)
        d.add(String(left - 6, y - 3, r.auditor[:24], fontName="Helvetica", fontSize=7, textAnchor="end"))
        if r.drift.low is not None and r.drift.high is not None:
            d.add(Line(x(r.drift.low), y, x(r.drift.high), y, strokeColor=colour, strokeWidth=1.2))
        if r.drift.mean is not None:
            d.add(Circle(x(r.drift.mean), y, 2.6, fillColor=colour, strokeColor=None))
        d.add(String(width - right + 4, y - 3, f"n = {r.drift.n}", fontName="Helvetica", fontSize=6.5))
    return d


def agreement_sheet_rows(st: Stats) -> list[list[Any]]:
    """The Excel return's Agreement sheet: one row per group, figures as numbers (proportions 0 to 1)."""
    out: list[list[Any]] = []
    for r in st.agreement:
        a = r.agreement
        q = a.kappa_quadratic

        def num(e: Estimate, judgeable: bool = a.judgeable) -> float | None:
            return None if e.value is None or not judgeable else round(e.value, 4)

        out.append([BY_TITLES[r.by].replace("By ", "").capitalize() if r.by != "all" else "All", r.group or "",
                    r.scale, a.n, None if a.exact_per_cent is None else round(a.exact_per_cent / 100, 4),
                    None if a.within_one_per_cent is None else round(a.within_one_per_cent / 100, 4),
                    num(a.kappa_linear), num(q), None if q.low is None or not a.judgeable else round(q.low, 4),
                    None if q.high is None or not a.judgeable else round(q.high, 4), num(a.ac2_quadratic),
                    "" if a.judgeable else a.verdict])
    return out


def drift_sheet_rows(st: Stats) -> list[list[Any]]:
    return [[d.auditor, d.scale, d.drift.n, None if d.drift.mean is None else round(d.drift.mean, 4),
             None if d.drift.low is None else round(d.drift.low, 4),
             None if d.drift.high is None else round(d.drift.high, 4), d.drift.higher, d.drift.lower,
             d.drift.direction, "Yes" if d.drift.warning else ""] for d in st.drift]
