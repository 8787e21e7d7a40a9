"""Agreement on the Moderation screen: how consistently auditors grade, who drifts, and the charts.

The figures per group (all, auditor, moderator, team, template, quarter) with their n, and "too few to
judge" where the n is small; each auditor's drift from moderation drawn as a dot with its interval; and,
for the auditor chosen, their grades against the moderated ones as a grid. The numbers are those of
``qadesk moderation stats`` and the QA summary (:mod:`qadesk.services.agreement`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.exchange.display import short_grade
from qadesk.services import agreement
from qadesk.services.agreement import AuditorDrift, GroupFigures, Pair
from qadesk.ui.operations import Loader, Operations
from qadesk.ui.widgets import tab_leaves

BY = (("All moderated audits", None), ("By auditor", "auditor"), ("By moderator", "moderator"), ("By team", "team"),
      ("By template", "template"), ("By section", "section"), ("By quarter", "quarter"))
COLUMNS = ("Group", "n", "Exact", "Within one", "Weighted kappa (quadratic)", "Gwet's AC2")
# What each figure means, in a line (docs/moderation-statistics.md says more, and when to trust it).
COLUMN_TIPS = (
    "Who or what the figures are for",
    "Pairs counted: the auditor's grade and the moderator's own grade of the same audit (or section)",
    "How often the moderator's grade was the auditor's",
    "How often the two grades were the same or next to each other on the scale",
    "Agreement beyond chance, a near miss counting nearly as agreement: 1 is perfect, 0 no better than "
    "chance. Misleads when nearly every grade is the same one; read AC2 beside it. With its 95% interval",
    "Gwet's AC2: agreement beyond chance that stays steady when most grades are 'Good'. 1 is perfect. "
    "With its 95% interval",
)
GENEROUS, SEVERE, STEADY = QColor("#b3261e"), QColor("#0b4f6c"), QColor("#6b7780")


@dataclass(frozen=True)
class Figures:
    pairs: list[Pair]
    drifts: list[AuditorDrift]
    section_pairs: list[Pair] = field(default_factory=list)  # each section a moderator judged


def _colour(direction: str) -> QColor:
    return GENEROUS if direction == "more generous" else SEVERE if direction == "more severe" else STEADY


class DriftChart(QWidget):
    """Each auditor's mean grade difference from moderation, a dot and its 95% interval; zero is the line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agreement.drift_chart")
        self.setAccessibleName("Each auditor's drift from moderation")
        self.rows: list[AuditorDrift] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_rows(self, rows: Sequence[AuditorDrift]) -> None:
        self.rows = [r for r in rows if r.drift.n >= 3]  # one or two audits draw no line worth reading
        self.setAccessibleDescription("; ".join(f"{r.auditor}: {r.drift.verdict}" for r in self.rows) or "No data")
        self.setMinimumHeight(int(self._row() * (len(self.rows) + 2.7)))
        self.updateGeometry()
        self.update()

    def _row(self) -> float:
        return QFontMetricsF(self.font()).height() * 1.35

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(420, int(self._row() * (len(self.rows) + 2.7)))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetricsF(self.font())
        muted = self.palette().placeholderText().color()
        if not self.rows:
            p.setPen(muted)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No auditor has three moderated audits yet")
            return
        row = self._row()
        names = max(fm.horizontalAdvance(r.auditor) for r in self.rows) + 12
        right = fm.horizontalAdvance("n = 000") + 12
        left, width = names, max(60.0, self.width() - names - right)
        span = min(3.0, max([1.0] + [abs(v) for r in self.rows for v in (r.drift.low, r.drift.high, r.drift.mean)
                                     if v is not None]))

        def x(v: float) -> float:
            return left + width * (max(-span, min(span, v)) + span) / (2 * span)

        top, bottom = row * 0.5, row * (len(self.rows) + 0.5)
        p.setPen(QPen(muted, 1))
        p.drawLine(QPointF(x(0), top), QPointF(x(0), bottom))
        # The scale, in grades: a tick at every whole grade (every half grade when the drifts are small).
        step = 0.5 if span <= 1.0 else 1.0
        ticks = [i * step for i in range(-int(span / step), int(span / step) + 1)]
        faint = QColor(muted)
        faint.setAlpha(70)
        for t in ticks:
            if t:
                p.setPen(QPen(faint, 1, Qt.PenStyle.DotLine))
                p.drawLine(QPointF(x(t), top), QPointF(x(t), bottom))
            p.setPen(muted)
            p.drawText(QRectF(x(t) - 30, bottom + 2, 60, row), Qt.AlignmentFlag.AlignHCenter,
                       "0" if not t else f"{t:+g}".replace("-", "−"))
        p.drawText(QRectF(left, bottom + row, width / 2, row), Qt.AlignmentFlag.AlignLeft, "◀ more severe")
        p.drawText(QRectF(left + width / 2, bottom + row, width / 2, row), Qt.AlignmentFlag.AlignRight,
                   "more generous ▶ (grades)")
        for i, r in enumerate(self.rows):
            y = top + row * (i + 0.5)
            colour = _colour(r.drift.direction)
            p.setPen(self.palette().text().color())
            p.drawText(QRectF(0, y - row / 2, names - 8, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       r.auditor)
            p.setPen(QPen(colour, 2))
            if r.drift.low is not None and r.drift.high is not None:
                p.drawLine(QPointF(x(r.drift.low), y), QPointF(x(r.drift.high), y))
            if r.drift.mean is not None:
                p.setBrush(colour)
                p.drawEllipse(QPointF(x(r.drift.mean), y), 4, 4)
                p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(muted)
            p.drawText(QRectF(left + width + 6, y - row / 2, right, row), Qt.AlignmentFlag.AlignVCenter,
                       f"n = {r.drift.n}")


class GradeGrid(QWidget):
    """One auditor's grades (rows) against the moderated grades (columns): how many audits in each cell."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agreement.grid")
        self.labels: tuple[str, ...] = ()
        self.counts: list[list[int]] = []
        self.title = ""
        self.setMinimumSize(260, 160)

    def set_pairs(self, title: str, labels: tuple[str, ...], pairs: Sequence[tuple[int, int]]) -> None:
        k = len(labels)
        self.title, self.labels = title, labels
        self.counts = [[0] * k for _ in range(k)]
        for a, b in pairs:
            self.counts[a][b] += 1
        cells = [f"auditor {labels[a]}, moderated {labels[b]}: {self.counts[a][b]}"
                 for a in range(k) for b in range(k) if self.counts[a][b]]
        self.setAccessibleName(title)
        self.setAccessibleDescription("; ".join(cells) or "No moderated audits")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        fm = QFontMetricsF(self.font())
        text = self.palette().text().color()
        p.setPen(text)
        line = fm.height()
        p.drawText(QRectF(0, 0, self.width(), line), Qt.AlignmentFlag.AlignLeft, self.title)
        k = len(self.labels)
        if not k:
            return
        short = [short_grade(lab) for lab in self.labels]
        head = max(fm.horizontalAdvance(s) for s in short) + 10
        top = line * 3.4
        size = max(18.0, min((self.width() - head) / k, (self.height() - top) / k))
        most = max([1] + [c for row in self.counts for c in row])
        p.drawText(QRectF(head, line * 1.2, size * k, line), Qt.AlignmentFlag.AlignCenter, "Moderated grade")
        for j, s in enumerate(short):
            shown = fm.elidedText(s, Qt.TextElideMode.ElideRight, size - 4)
            p.drawText(QRectF(head + j * size, top - line, size, line), Qt.AlignmentFlag.AlignCenter, shown)
        for i in range(k - 1, -1, -1):  # the best grade on top
            y = top + (k - 1 - i) * size
            p.setPen(text)
            p.drawText(QRectF(0, y, head - 6, size), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       short[i])
            for j in range(k):
                n = self.counts[i][j]
                shade = QColor("#2e7d32" if i == j else "#b3261e" if i > j else "#0b4f6c")
                shade.setAlphaF(0.12 + 0.7 * n / most if n else 0.04)
                rect = QRectF(head + j * size, y, size - 2, size - 2)
                p.fillRect(rect, shade)
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(n) if n else "")


class AgreementPanel(QWidget):
    """The agreement figures, the drift chart and one auditor's grid, loaded in the background."""

    def __init__(self, store: object, parent: QWidget | None = None, *, ops: Operations | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setObjectName("agreement.panel")
        self.figures: Figures | None = None
        self.loader = Loader(ops, "Counting agreement", self)
        self.by = QComboBox()
        self.by.setObjectName("agreement.by")
        self.by.setAccessibleName("Agreement by")
        for label, key in BY:
            self.by.addItem(label, key)
        self.scale = QComboBox()
        self.scale.setObjectName("agreement.scale")
        self.scale.setAccessibleName("Grade scale")
        self.scale.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("agreement.table")
        self.table.setAccessibleName("Agreement between auditors and moderators")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for col, tip in enumerate(COLUMN_TIPS):
            head = self.table.horizontalHeaderItem(col)
            if head is not None:
                head.setToolTip(tip)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        tab_leaves(self.table)
        self.warnings = QLabel()
        self.warnings.setObjectName("agreement.warnings")
        self.warnings.setWordWrap(True)
        self.warnings.setTextFormat(Qt.TextFormat.RichText)
        self.chart = DriftChart()
        self.auditor = QComboBox()
        self.auditor.setObjectName("agreement.auditor")
        self.auditor.setAccessibleName("Auditor whose grades to show against moderation")
        self.grid = GradeGrid()
        top = QHBoxLayout()
        by_label = QLabel("&Agreement")
        by_label.setBuddy(self.by)
        top.addWidget(by_label)
        top.addWidget(self.by)
        scale_label = QLabel("on the s&cale")
        scale_label.setBuddy(self.scale)
        top.addWidget(scale_label)
        top.addWidget(self.scale)
        top.addStretch(1)
        lower = QHBoxLayout()
        drift_box = QVBoxLayout()
        drift_title = QLabel("<b>Drift</b>: each auditor's grade minus the moderated grade (mean, 95% interval)")
        drift_title.setWordWrap(True)
        drift_box.addWidget(drift_title)
        # Each auditor is a row: many auditors scroll inside the chart's box rather than squeeze the table.
        chart_scroll = QScrollArea()
        chart_scroll.setObjectName("agreement.drift_scroll")
        chart_scroll.setWidgetResizable(True)
        chart_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        chart_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        chart_scroll.setWidget(self.chart)
        drift_box.addWidget(chart_scroll, 1)
        lower.addLayout(drift_box, 3)
        grid_box = QVBoxLayout()
        who = QLabel("Grades of")
        who.setBuddy(self.auditor)
        grid_box.addWidget(who)
        grid_box.addWidget(self.auditor)
        grid_box.addWidget(self.grid, 1)
        lower.addLayout(grid_box, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.warnings)
        layout.addLayout(lower, 3)
        self.by.currentIndexChanged.connect(self._show_table)
        self.scale.currentIndexChanged.connect(self._show_all)
        self.auditor.currentIndexChanged.connect(self._show_grid)

    def refresh(self) -> None:
        store = self.store

        def fetch() -> Figures:
            with store.session() as s:  # type: ignore[attr-defined]
                pairs = agreement.overall_pairs(s)
                sections = agreement.section_pairs(s)
            return Figures(pairs, agreement.drifts(pairs), sections)

        self.loader.load(fetch, self.show_figures)

    def show_figures(self, figures: Figures) -> None:
        self.figures = figures
        keep = self.scale.currentData()
        self.scale.blockSignals(True)
        self.scale.clear()
        seen: dict[str, str] = {}
        for p in figures.pairs:
            seen.setdefault(p.scale.key, p.scale.words)
        counts = {k: sum(1 for p in figures.pairs if p.scale.key == k) for k in seen}
        for key in sorted(seen, key=lambda k: -counts[k]):
            self.scale.addItem(f"{seen[key]} ({counts[key]} moderated)", key)
        if keep is not None and self.scale.findData(keep) >= 0:
            self.scale.setCurrentIndex(self.scale.findData(keep))
        self.scale.blockSignals(False)
        self.scale.setVisible(self.scale.count() > 1)
        self._show_all()

    def _pairs(self) -> list[Pair]:
        key = self.scale.currentData()
        return [p for p in (self.figures.pairs if self.figures else []) if p.scale.key == key]

    def _show_all(self) -> None:
        self._show_table()
        key = self.scale.currentData()
        drifts = [d for d in (self.figures.drifts if self.figures else []) if d.scale.key == key]
        self.chart.set_rows(drifts)
        flagged = [d for d in drifts if d.drift.warning]
        self.warnings.setText("<br>".join(
            f"<b>{'⚠' if d.drift.warning else ''} {d.auditor}</b>: {d.drift.verdict}" for d in flagged)
            if flagged else "No auditor grades consistently more generously or more severely than moderation "
                            "(a warning needs at least 8 moderated audits and an interval clear of zero).")
        keep = self.auditor.currentText()
        self.auditor.blockSignals(True)
        self.auditor.clear()
        for d in sorted(drifts, key=lambda d: d.auditor.casefold()):
            self.auditor.addItem(d.auditor, d.auditor)
        if keep and self.auditor.findText(keep) >= 0:
            self.auditor.setCurrentIndex(self.auditor.findText(keep))
        elif flagged:
            self.auditor.setCurrentIndex(self.auditor.findText(flagged[0].auditor))
        elif drifts:  # nobody flagged: the auditor with the most moderated audits, whose grid says most
            most = max(drifts, key=lambda d: (d.drift.n, d.auditor))
            self.auditor.setCurrentIndex(self.auditor.findText(most.auditor))
        self.auditor.blockSignals(False)
        self._show_grid()

    def _show_table(self) -> None:
        by = self.by.currentData()
        if by == "section":  # every section's own scale (the scale chosen is the overall judgement's)
            sections = self.figures.section_pairs if self.figures else []
            groups: list[GroupFigures] = agreement.figures(sections, "section")
            several = len({g.scale.key for g in groups}) > 1
        else:
            groups, several = agreement.figures(self._pairs(), by), False
        self.table.setRowCount(len(groups))
        if by == "section" and not groups:
            self.table.setRowCount(1)
            self.table.setItem(0, 0, QTableWidgetItem("No section judged by a moderator yet (blind moderation "
                                                      "records the moderator's grade of each section)"))
            for col in range(1, len(COLUMNS)):
                self.table.setItem(0, col, QTableWidgetItem(""))
        for i, g in enumerate(groups):
            a = g.agreement
            name = "All moderated audits" if g.group is None else str(g.group)
            if several:
                name += f" ({g.scale.words})"
            if a.judgeable:
                cells = [name, f"{a.n:,}", f"{a.exact_per_cent:.0f}%", f"{a.within_one_per_cent:.0f}%",
                         a.kappa_quadratic.text(), a.ac2_quadratic.text()]
            else:
                cells = [name, f"{a.n:,}", a.verdict, "", "", ""]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if col == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, col, item)

    def _show_grid(self) -> None:
        who = self.auditor.currentData()
        mine = [p for p in self._pairs() if p.auditor == who]
        labels = mine[0].scale.labels if mine else ()
        self.grid.set_pairs(f"{who}: their grade (rows) against the moderated grade" if who else "", labels,
                            [(p.auditor_grade, p.final) for p in mine])
