"""Calibration exercises: one audit graded blind by several auditors, then agreed at a moderation panel.

On the left, the exercises of this store, and making one from a completed audit; calibration packs out
to raters' laptops and back. On the right, for the exercise chosen: **Rate** (the copy to read, and your
own grade per section and overall, recorded once), **Result** (the spread per section and overall, the
agreement across raters with its n and verdict, each rater against the agreed grade, the auditor's grades
beside where the exercise was made) and **Agree** (the panel's grades and the notes of the discussion,
which close the exercise). The same services as ``qadesk calibration`` (docs/calibration.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import QadeskError
from qadesk.core.selection import Selection
from qadesk.exchange.display import short_grade
from qadesk.exchange.output import uk_date
from qadesk.services import calibration as cal
from qadesk.services.audit_access import Actor
from qadesk.services.calibration_packs import export_calibration_pack, import_calibration_pack
from qadesk.services.queries import list_audits
from qadesk.ui import messages
from qadesk.ui.context import AppContext
from qadesk.ui.export_dialogs import PACK_FILTER, ask_open_pack, ask_save_path
from qadesk.ui.operations import in_transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

LIST_COLUMNS = ("Exercise", "Status", "Ratings", "Where from")


def _table(columns: tuple[str, ...], name: str) -> QTableWidget:
    t = QTableWidget(0, len(columns))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(list(columns))
    t.verticalHeader().hide()
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    t.setTabKeyNavigation(False)
    return t


def _cell(text: str, tip: str = "", right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(tip or text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _estimate(e: Any) -> str:
    return f"{e.value:.2f}" if e.value is not None else f"not available ({e.reason})"


class GradeBoxes(QWidget):
    """A grade box per graded section and one for the overall judgement (the first choice: no grade)."""

    def __init__(self, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prefix = prefix
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QComboBox] = {}

    def fill(self, sections: list[dict[str, Any]], overall: list[dict[str, Any]]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.boxes = {}
        for key, title, scale in [*((s["id"], s["title"], s["scale"]) for s in sections),
                                  ("overall", "Overall judgement", overall)]:
            box = QComboBox()
            box.setObjectName(f"{self.prefix}.{key}")
            box.setAccessibleName(title)
            box.addItem("—", None)
            for c in scale:
                box.addItem(c["label"], c["value"])
            self.boxes[key] = box
            self.form.addRow(title, box)

    def show_grades(self, grades: dict[str, str | None]) -> None:
        for key, value in grades.items():
            box = self.boxes.get(key)
            if box is not None:
                box.setCurrentIndex(max(0, box.findData(value)))

    def overall(self) -> str | None:
        box = self.boxes.get("overall")
        return box.currentData() if box is not None else None

    def sections(self) -> dict[str, str]:
        return {k: b.currentData() for k, b in self.boxes.items() if k != "overall" and b.currentData() is not None}


class CalibrationDialog(QDialog):
    """The calibration exercises of this store: make, rate, send and take back packs, see the result, agree."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.current: str | None = None  # the chosen exercise's id
        self._last_result: cal.CalibrationResult | None = None
        self.details: dict[str, Any] | None = None
        self.setObjectName("calibration.dialog")
        self.setWindowTitle("Calibration exercises")
        self.resize(1280, 720)

        self.exercises = _table(LIST_COLUMNS, "calibration.list")
        self.exercises.setAccessibleName("Calibration exercises")
        self.exercises.itemSelectionChanged.connect(self._chosen)
        self.audit = QComboBox()
        self.audit.setObjectName("calibration.audit")
        self.audit.setAccessibleName("Completed audit to make an exercise from")
        self.create_button = QPushButton("&Make an exercise from this audit")
        self.create_button.setObjectName("calibration.create")
        self.create_button.clicked.connect(self.make_exercise)
        self.export_button = QPushButton("&Send pack…")
        self.export_button.setObjectName("calibration.export")
        self.export_button.setToolTip("For an exercise made here: the anonymised copy, for raters on their own "
                                      "laptops. For a rater's copy: the judgements back to the QA lead.")
        self.export_button.clicked.connect(lambda: self.export_pack())
        self.import_button = QPushButton("&Import pack…")
        self.import_button.setObjectName("calibration.import")
        self.import_button.clicked.connect(lambda: self.import_pack())
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(QLabel("Exercises"))
        lv.addWidget(self.exercises, 1)
        lv.addWidget(QLabel("A completed audit"))
        lv.addWidget(self.audit)
        lv.addWidget(self.create_button)
        packs = QHBoxLayout()
        packs.addWidget(self.export_button)
        packs.addWidget(self.import_button)
        lv.addLayout(packs)

        self.heading = QLabel("Choose an exercise, or make one from a completed audit.")
        self.heading.setObjectName("calibration.heading")
        self.heading.setWordWrap(True)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("calibration.tabs")
        self.tabs.addTab(self._rate_tab(), "&Rate")
        self.tabs.addTab(self._result_tab(), "Res&ult")
        self.tabs.addTab(self._agree_tab(), "A&gree")
        self.tabs.currentChanged.connect(self._relayout)
        self.status = QLabel()
        self.status.setObjectName("calibration.status")
        self.status.setWordWrap(True)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.addWidget(self.heading)
        rv.addWidget(self.tabs, 1)
        rv.addWidget(self.status)

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([400, 880])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self.reload()

    # ------------------------------------------------------------------------------------- the tabs

    def _rate_tab(self) -> QWidget:
        w = QWidget()
        self.copy_text = QTextBrowser()
        self.copy_text.setObjectName("calibration.copy")
        self.copy_text.setAccessibleName("The audit to grade (anonymised)")
        self.rate_boxes = GradeBoxes("calibration.rate")
        self.rate_note = QLabel("Read the audit, then record your own grades. Each rater rates once; nobody's grades "
                                "are shown here.")
        self.rate_note.setWordWrap(True)
        self.rate_button = QPushButton("Record &my grades")
        self.rate_button.setObjectName("calibration.rate.record")
        self.rate_button.clicked.connect(self.rate)
        side = QWidget()
        sv = QVBoxLayout(side)
        sv.addWidget(self.rate_note)
        sv.addWidget(self.rate_boxes)
        sv.addWidget(self.rate_button, 0, Qt.AlignmentFlag.AlignLeft)
        sv.addStretch(1)
        h = QHBoxLayout(w)
        h.addWidget(self.copy_text, 3)
        h.addWidget(side, 2)
        return w

    def _result_tab(self) -> QWidget:
        w = QWidget()
        self.spread = _table(("Graded",), "calibration.spread")
        self.spread.setAccessibleName("Spread of the grades per section and overall")
        self.coefficients = QLabel()
        self.coefficients.setObjectName("calibration.coefficients")
        self.coefficients.setWordWrap(True)
        self.coefficients.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.against = _table(("Rater", "Items", "Same as agreed", "Within one grade", "Mean difference"),
                              "calibration.against")
        self.against.setAccessibleName("Each rater against the agreed grade")
        # The auditor's own grades are the exercise maker's to see, but not before they choose to: a QA lead
        # who also rates would otherwise rate having seen them.
        self.show_auditor = QCheckBox("Show the auditor's grades beside")
        self.show_auditor.setObjectName("calibration.show_auditor")
        self.show_auditor.setToolTip("Leave this until you have rated, if you rate: your grades then stay your own")
        self.show_auditor.toggled.connect(self._auditor_shown)
        v = QVBoxLayout(w)
        v.addWidget(self.show_auditor)
        v.addWidget(self.spread, 3)
        v.addWidget(self.coefficients)
        v.addWidget(QLabel("Each rater against the agreed grades"))
        v.addWidget(self.against, 2)
        return w

    def _agree_tab(self) -> QWidget:
        w = QWidget()
        self.agree_boxes = GradeBoxes("calibration.agree")
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("calibration.agree.notes")
        self.notes.setAccessibleName("Notes of the panel's discussion")
        self.notes.setPlaceholderText("What the panel discussed, where raters differed and why, what was agreed")
        self.notes.setTabChangesFocus(True)
        self.agree_button = QPushButton("Record the &agreed grades and close")
        self.agree_button.setObjectName("calibration.agree.record")
        self.agree_button.clicked.connect(self.agree)
        self.agreed_text = QLabel()
        self.agreed_text.setObjectName("calibration.agreed")
        self.agreed_text.setWordWrap(True)
        h = QHBoxLayout(w)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(self.agree_boxes)
        lv.addStretch(1)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.addWidget(QLabel("Notes of the discussion"))
        rv.addWidget(self.notes, 1)
        rv.addWidget(self.agreed_text)
        rv.addWidget(self.agree_button, 0, Qt.AlignmentFlag.AlignLeft)
        h.addWidget(left, 2)
        h.addWidget(right, 3)
        return w

    def _relayout(self, _index: int = 0) -> None:
        # Grade boxes filled while their tab was hidden told its layout nothing (updateGeometry does nothing for
        # a hidden widget), so the page is laid out again when it is shown.
        for boxes in (self.rate_boxes, self.agree_boxes):
            boxes.form.invalidate()
            boxes.updateGeometry()
        page = self.tabs.currentWidget()
        layout = page.layout() if page is not None else None
        if layout is not None:
            layout.invalidate()
            layout.activate()

    # ------------------------------------------------------------------------------------- reading

    def reload(self) -> None:
        """Read the exercises and the completed audits again, keeping the chosen exercise chosen."""
        with self.ctx.store.session() as s:
            rows = cal.list_exercises(s)
            audits = list_audits(s, Selection(statuses=["completed", "moderated", "closed"]), sort="completed_at",
                                 descending=True, limit=500)
        self.rows = rows
        keep = self.current
        self.exercises.blockSignals(True)
        self.exercises.setRowCount(len(rows))
        for i, r in enumerate(rows):
            self.exercises.setItem(i, 0, _cell(r.reference, f"{r.reference}: {r.title} ({r.id})"))
            self.exercises.setItem(i, 1, _cell(r.status))
            self.exercises.setItem(i, 2, _cell(str(len(r.raters)), ", ".join(r.raters) or "no ratings yet", True))
            self.exercises.setItem(i, 3, _cell(f"a copy from {r.origin}" if r.copy else "made here"))
        self.exercises.blockSignals(False)
        self.audit.clear()
        for a in audits:
            self.audit.addItem(f"{a.reference} — {a.template_title} ({a.auditor or 'no auditor'})", a.id)
        self.create_button.setEnabled(self.audit.count() > 0)
        index = next((i for i, r in enumerate(rows) if r.id == keep), 0 if rows else None)
        if index is not None:
            self.exercises.selectRow(index)
        self._chosen()

    def _chosen(self) -> None:
        rows = self.exercises.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.rows):
            self.current, self.details = None, None
            self._show_nothing()
            return
        ex_id = self.rows[rows[0].row()].id
        with self.ctx.store.session() as s:
            self.details = cal.exercise_dict(s, ex_id)
            copy = cal.readable_copy(s, ex_id)
            result = cal.result(s, ex_id)
            me = cal.rater_key(self.ctx.actor())
        self.current = ex_id
        d = self.details
        where = f"a copy from {d['origin']}" if d["copy"] else "made here"
        self.heading.setText(f"{d['reference']}: {d['title']} ({where}), {d['status']}. "
                             f"Rated by {len(d['raters'])}: {', '.join(d['raters']) or 'nobody yet'}.")
        html = "".join(f"<h3>{_esc(title)}</h3>" + "".join(f"<p><b>{_esc(q)}</b><br>{_esc(a)}</p>" for q, a in lines)
                       for title, lines in copy)
        self.copy_text.setHtml(html or "<p>Nothing was answered.</p>")
        self.rate_boxes.fill(d["sections"], d["overall_scale"])
        self.agree_boxes.fill(d["sections"], d["overall_scale"])
        rated = any(cal.rater_key(n) == me for n in d["raters"])
        self.rate_button.setEnabled(d["status"] == "open" and not rated)
        self.rate_note.setText("You have rated this exercise." if rated else
                               "Read the audit, then record your own grades. Each rater rates once; nobody's "
                               "grades are shown here.")
        can_agree = d["status"] == "open" and not d["copy"] and bool(d["raters"])
        self.agree_button.setEnabled(can_agree)
        self.notes.setReadOnly(not can_agree)
        agreed = d.get("agreed")
        for box in self.agree_boxes.boxes.values():
            box.setEnabled(can_agree)
        if agreed:
            self.agree_boxes.show_grades({**agreed["sections"], "overall": agreed["overall"]})
            self.notes.setPlainText(agreed["notes"] or "")
            self.agreed_text.setText(f"Agreed by {agreed['by']} on {uk_date(agreed['at'])}; the exercise is closed.")
        elif d["copy"]:
            self.agreed_text.setText("This is a rater's copy: the panel agrees in the store that made the exercise.")
        else:
            self.agreed_text.setText("")
        self.export_button.setEnabled(True)
        # Blind until you have rated: the result shows everyone's grades (and, to the exercise's owner, the
        # auditor's), so a rater on this store sees it only after recording their own.
        if rated or cal.rater_key(d["owner"]) == me or d["status"] == "agreed":
            self.show_result(result)
        else:
            self.spread.setRowCount(0)
            self.against.setRowCount(0)
            self.coefficients.setText("Record your own grades first: the result shows everyone's.")

    def _show_nothing(self) -> None:
        self.heading.setText("Choose an exercise, or make one from a completed audit.")
        self.copy_text.clear()
        self.rate_boxes.fill([], [])
        self.agree_boxes.fill([], [])
        self.spread.setRowCount(0)
        self.against.setRowCount(0)
        self.coefficients.clear()
        for b in (self.rate_button, self.agree_button, self.export_button):
            b.setEnabled(False)

    def _auditor_shown(self, _on: bool) -> None:
        if self._last_result is not None:
            self.show_result(self._last_result)

    def show_result(self, r: cal.CalibrationResult) -> None:
        """The spread per section and overall, the coefficients with their n and verdict, each rater against
        the agreed grade."""
        self._last_result = r
        agreed = r.status == "agreed"
        self.show_auditor.setVisible(not r.copy and not agreed)
        with_auditor = not r.copy and (agreed or self.show_auditor.isChecked())
        labels = list(r.items[-1].scale.labels) if r.items else []
        columns = ["Graded", *(short_grade(x) for x in labels), "Range", "Agreed"] + (["Auditor"] if with_auditor else [])
        self.spread.setColumnCount(len(columns))
        self.spread.setHorizontalHeaderLabels(columns)
        for j, label in enumerate(labels):
            head = self.spread.horizontalHeaderItem(1 + j)
            if head is not None:
                head.setToolTip(label)
        header = self.spread.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.spread.setRowCount(len(r.items))
        for i, item in enumerate(r.items):
            self.spread.setItem(i, 0, _cell(item.title + ("" if item.counted else " (another scale)")))
            counts = list(item.spread.counts) if list(item.scale.labels) == labels else []
            for j in range(len(labels)):
                n = counts[j] if counts else None
                self.spread.setItem(i, 1 + j, _cell("" if not n else str(n), f"{n or 0} of {len(r.raters)} raters", True))
            rng = item.spread.range
            self.spread.setItem(i, 1 + len(labels), _cell("—" if rng is None else str(rng),
                                                          "grades between the lowest and the highest given", True))
            for col, value in ((2 + len(labels), item.agreed), (3 + len(labels), item.original)):
                if col < len(columns):
                    full = item.label(value) if value else ""
                    self.spread.setItem(i, col, _cell(short_grade(full) if full else "", full))
        a = r.agreement
        lines = [f"Across {len(r.raters)} raters, {a.verdict}.",
                 f"Krippendorff's alpha (ordinal): {_estimate(a.alpha_ordinal)}.   "
                 f"Fleiss' kappa: {_estimate(a.fleiss_kappa)}."]
        if not a.judgeable:
            lines.append("Too few items to judge agreement from this exercise alone: read the spread.")
        if r.left_out:
            lines.append(f"Not counted in the figures (another scale): {', '.join(r.left_out)}.")
        self.coefficients.setText("\n".join(lines))
        self.against.setRowCount(len(r.against))
        for i, x in enumerate(r.against):
            mean = "—" if x.mean_difference is None else f"{x.mean_difference:+.2f}"
            for j, text in enumerate((r.raters[x.rater], str(x.n), str(x.exact), str(x.within_one), mean)):
                self.against.setItem(i, j, _cell(text, right=j > 0))

    # ------------------------------------------------------------------------------------- changing

    def _run(self, work: Any, label: str, done_text: Any, busy: list[QWidget]) -> None:
        def done(value: Any) -> None:
            self.status.setText(done_text(value))
            self.reload()

        def refused(exc: QadeskError) -> None:
            self.status.setText(f"Please check: {exc}")

        in_transaction(self.ctx.operations(), self.ctx.store, work, label=label, parent=self, done=done,
                       refused=refused, busy=busy)

    def make_exercise(self) -> None:
        audit_id = self.audit.currentData()
        if audit_id is None:
            return
        actor = self.ctx.actor()

        def work(s: Session) -> tuple[str, str]:
            ex = cal.create_exercise(s, audit_id, actor=actor)
            return ex.id, ex.reference

        def text(v: tuple[str, str]) -> str:
            self.current = v[0]
            return f"{v[1]} made: an anonymised copy of the audit, ready to rate or to send to raters."

        self._run(work, "Making the calibration exercise", text, [self.create_button])

    def rate(self) -> None:
        ex_id = self.current
        if ex_id is None:
            return
        overall, sections = self.rate_boxes.overall(), self.rate_boxes.sections()
        p = self.ctx.profile()
        rater = Actor(self.ctx.actor(), p.role if p else None, p.organisation if p else None)

        def work(s: Session) -> str:
            return cal.rate(s, ex_id, rater=rater, overall=overall, sections=sections).rater_name

        self._run(work, "Recording your grades", lambda name: f"Your grades are recorded ({name}).", [self.rate_button])

    def agree(self) -> None:
        ex_id = self.current
        if ex_id is None:
            return
        overall, sections, notes = self.agree_boxes.overall(), self.agree_boxes.sections(), self.notes.toPlainText()
        actor = self.ctx.actor()
        if overall is None:
            self.status.setText("Please check: the panel's overall grade is needed.")
            return

        def work(s: Session) -> str:
            return cal.agree(s, ex_id, actor=actor, overall=overall, sections=sections, notes=notes).reference

        self._run(work, "Recording the agreed grades", lambda ref: f"{ref}: the agreed grades and notes are recorded; "
                  "the exercise is closed.", [self.agree_button])

    def _background(self, fn: Any, label: str, done: Any, busy: list[QWidget]) -> None:
        """A pack written or read off the UI thread; the outcome in the status line."""
        for w in busy:
            w.setEnabled(False)

        def release() -> None:
            for w in busy:
                w.setEnabled(True)

        def succeeded(value: Any) -> None:
            release()
            done(value)

        def failed(exc: BaseException) -> None:
            release()
            if isinstance(exc, QadeskError):
                self.status.setText(f"Please check: {exc}")
            else:
                messages.show_exception(exc, self)

        self.ctx.operations().run(lambda _p, _c: fn(), label=label, show_progress=False, on_success=succeeded,
                                  on_failure=failed)

    def export_pack(self, path: Path | None = None) -> None:
        if self.current is None or self.details is None:
            return
        d, ex_id = self.details, self.current
        suggested = f"{d['reference']}-{'judgements' if d['copy'] else 'for-raters'}.qapack"
        path = path or ask_save_path(self, "Send a calibration pack", suggested, PACK_FILTER)
        if path is None:
            return
        target = path
        self._background(lambda: export_calibration_pack(self.ctx.store, ex_id, target), "Writing the calibration pack",
                         lambda done: self.status.setText(str(done)), [self.export_button])

    def import_pack(self, path: Path | None = None) -> None:
        path = path or ask_open_pack(self)
        if path is None:
            return
        source = path

        def done(result: Any) -> None:
            self.current = result.exercise_id
            self.reload()
            self.status.setText(str(result))

        self._background(lambda: import_calibration_pack(self.ctx.store, source), "Importing the calibration pack",
                         done, [self.import_button])

def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")
