"""Programmes: plan a round of audits (template, teams, a target per team) and follow its progress."""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.permissions import Do
from qadesk.services import permissions
from qadesk.services.assignment_packs import AuditorPack, export_assignment_packs
from qadesk.services.assignments import ProgrammeStatus, Progress, programme_status
from qadesk.services.programmes import ProgrammeProgress, list_programmes
from qadesk.ui import messages
from qadesk.ui.context import AppContext
from qadesk.ui.operations import Loader
from qadesk.ui.programme_dialog import ProgrammeDialog
from qadesk.ui.sample_dialog import SampleDialog
from qadesk.ui.widgets import Heading, fmt_date, gate, tab_leaves

GATED = (Do.PLAN_PROGRAMMES, Do.START_AUDIT, Do.EXPORT)  # the buttons greyed out for those who may not

if TYPE_CHECKING:
    pass

# "Audits": every audit in the programme, drafts included (an allocated draft not yet begun counts too).
COLUMNS = ("Programme", "Template", "Period", "Target", "Audits", "Completed", "Progress")


def _period(starts: date | None, ends: date | None) -> str:
    if starts and ends:
        return f"{fmt_date(starts)} – {fmt_date(ends)}"
    if starts:
        return f"From {fmt_date(starts)}"
    if ends:
        return f"Until {fmt_date(ends)}"
    return "Open-ended"


class ProgrammesView(QWidget):
    startAudit = Signal(str, object)  # programme name, template id (or None)
    showAudits = Signal(str)  # programme name

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("programmes.view")
        self.items: list[ProgrammeProgress] = []
        self.refusals: dict[Do, str | None] = {}  # why this person may not (None: they may), read with the list
        self.loader = Loader(ctx.operations(), "Loading programmes", self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("programmes.table")
        tab_leaves(self.table)
        self.table.setAccessibleName("Programmes")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 160), (2, 170), (3, 160), (4, 70), (5, 90), (6, 140)):
            self.table.setColumnWidth(col, width)
        self.detail = QLabel()
        self.detail.setObjectName("programmes.detail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.new_button = QPushButton("&New programme…")
        self.new_button.setObjectName("programmes.new")
        self.start_button = QPushButton("&Start an audit in it…")
        self.start_button.setObjectName("programmes.start_audit")
        self.audits_button = QPushButton("Show its a&udits")
        self.audits_button.setObjectName("programmes.show_audits")
        self.sample_button = QPushButton("Sa&mple and allocate…")
        self.sample_button.setObjectName("programmes.sample")
        self.sample_button.setToolTip("Draw a sample of cases from the case list, allocate it to auditors and "
                                      "create the assigned audits")
        self.packs_button = QPushButton("&Packs for auditors…")
        self.packs_button.setObjectName("programmes.packs")
        self.packs_button.setToolTip("Write one pack per auditor of the draft audits assigned to them, for laptops "
                                     "that are not on this store; importing it there files them under this "
                                     "programme, assigned")
        self.status_loader = Loader(ctx.operations(), "Counting the programme's assignments", self)
        self.status: ProgrammeStatus | None = None
        self.last_packs: list[AuditorPack] = []
        self.to_select = ""  # a programme just created: chosen once the list shows it
        self.created_note: tuple[str, str] | None = None  # (programme, what Sample and allocate created)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.sample_button, self.start_button, self.audits_button, self.packs_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(Heading("Programmes"))
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail, 1)
        self.new_button.clicked.connect(self.new_programme)
        self.start_button.clicked.connect(self._start)
        self.audits_button.clicked.connect(self._show_audits)
        self.sample_button.clicked.connect(self.sample_and_allocate)
        self.packs_button.clicked.connect(self._ask_for_packs)
        self.table.itemSelectionChanged.connect(self._chosen)
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        """Shown again: count the chosen programme's assignments afresh (an auditor's first words in an audit
        change only its answers, which the list of programmes does not follow)."""
        super().showEvent(event)
        if self.current() is not None:
            self._chosen()

    def refresh(self) -> None:
        """Load the programmes and their progress in the background, then show them."""
        store = self.ctx.store

        def fetch() -> tuple[list[ProgrammeProgress], dict[Do, str | None]]:
            with store.session() as s:
                return list_programmes(s), {d: permissions.why_not(s, d) for d in GATED}

        self.loader.load(fetch, self._show)

    def _show(self, loaded: tuple[list[ProgrammeProgress], dict[Do, str | None]]) -> None:
        self.items, self.refusals = loaded
        gate(self.new_button, self.refusals.get(Do.PLAN_PROGRAMMES))
        self.table.setRowCount(len(self.items))
        for i, p in enumerate(self.items):
            period = _period(p.starts_on, p.ends_on)
            cells = (p.name, p.template_title or "Any", period, p.describe_target(), f"{p.started:,}",
                     f"{p.completed:,}")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(p.description or text)
                self.table.setItem(i, col, item)
            bar = QProgressBar()
            bar.setAccessibleName(f"{p.name}: completed against target")
            bar.setRange(0, p.target or max(p.started, 1))
            bar.setValue(min(p.completed, bar.maximum()))
            bar.setFormat(f"{p.completed} of {p.target}" if p.target else f"{p.completed} of {p.started}")
            self.table.setCellWidget(i, 6, bar)
        for col in (1, 2, 3):  # the template, period and target whole (within reason); the name takes the rest
            self.table.resizeColumnToContents(col)
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), 280))
        self._select(self.to_select)
        self._chosen()

    def _select_soon(self, name: str) -> None:
        """Choose ``name`` now if the list shows it, else when it next does."""
        if not self._select(name):
            self.to_select = name

    def _select(self, name: str) -> bool:
        row = next((i for i, p in enumerate(self.items) if name and p.name == name), None)
        if row is not None:
            self.to_select = ""
            self.table.selectRow(row)
        return row is not None

    def current(self) -> ProgrammeProgress | None:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows else None

    def _chosen(self) -> None:
        p = self.current()
        gate(self.start_button, self.refusals.get(Do.START_AUDIT), enabled=p is not None)
        self.audits_button.setEnabled(p is not None)
        gate(self.sample_button, self.refusals.get(Do.PLAN_PROGRAMMES), enabled=p is not None)
        gate(self.packs_button, self.refusals.get(Do.EXPORT), enabled=p is not None)
        if p is None:
            self.detail.setText("Choose a programme to see its progress team by team." if self.items else
                                "No programmes yet. A programme plans a round of audits, e.g. ten cases per "
                                "team this month; create one with New programme.")
            return
        self._show_detail(p, self.status if self.status and self.status.name == p.name else None)
        store, name = self.ctx.store, p.name

        def fetch() -> ProgrammeStatus:
            with store.session() as s:
                return programme_status(s, name)

        self.status_loader.load(fetch, lambda st: self._status_loaded(name, st))

    def _status_loaded(self, name: str, status: ProgrammeStatus) -> None:
        p = self.current()
        if p is not None and p.name == name:
            self.status = status
            self._show_detail(p, status)

    def _show_detail(self, p: ProgrammeProgress, status: ProgrammeStatus | None) -> None:
        """The programme's progress: per team against the target, and its assignments per team and auditor."""
        head = f"<b>{escape(p.name)}</b>" + (f" — {escape(p.description)}" if p.description else "")
        if self.created_note and self.created_note[0] == p.name:
            head += f"<br><i>{escape(self.created_note[1])}</i>"
        if status is None or not status.assigned:
            lines = [head]
            for t in p.by_team:
                target = f" of {p.target_per_team}" if p.target_per_team and t.team in p.teams else ""
                lines.append(f"{escape(t.team)}: {t.completed}{target} completed, {t.started} started")
            if status is not None:
                lines.append("Nothing assigned yet: Sample and allocate draws cases from the case list and "
                             "assigns them to auditors.")
            self.detail.setText("<br>".join(lines))
            return
        total = status.total
        parts = [head, f"{total.assigned} assigned, {total.started} started, {total.completed} completed, "
                 f"{total.moderated} moderated" + (f", <span style='color:#b3261e'><b>{total.overdue} overdue</b>"
                                                   "</span>" if total.overdue else "")]
        cells = "".join(f"<th align='right'>&nbsp;{h}&nbsp;</th>"
                        for h in ("Assigned", "Started", "Completed", "Moderated", "Overdue"))

        def table(title: str, rows: list[Progress]) -> str:
            body = "".join(
                f"<tr><td>{escape(r.name or 'No team')}</td>" + "".join(
                    f"<td align='right'>{v}&nbsp;</td>" for v in (r.assigned, r.started, r.completed, r.moderated))
                + (f"<td align='right' style='color:#b3261e'><b>{r.overdue}</b>&nbsp;</td>" if r.overdue
                   else "<td align='right'>0&nbsp;</td>") + "</tr>" for r in rows)
            return f"<table cellspacing='0' cellpadding='1'><tr><th align='left'>{title}</th>{cells}</tr>{body}</table>"

        layout = (f"<table><tr><td valign='top'>{table('Team', status.by_team)}</td><td width='24'></td>"
                  f"<td valign='top'>{table('Auditor', status.by_auditor)}</td></tr></table>")
        parts.append(layout)
        if status.overdue:
            shown = status.overdue[:8]
            parts.append("<b>Overdue:</b> " + "; ".join(
                f"{a.reference} ({escape(a.case_ref or '')}, {escape(a.auditor)}, due {fmt_date(a.due_on)}, "
                f"{a.stage})" for a in shown) + (f"; and {len(status.overdue) - len(shown)} more"
                                                 if len(status.overdue) > len(shown) else ""))
        self.detail.setText("<br>".join(parts))

    def sample_and_allocate(self) -> SampleDialog | None:
        """Open the Sample and allocate dialog on the chosen programme."""
        p = self.current()
        if p is None:
            return None
        dialog = SampleDialog(self.ctx, p.name, self)
        if self.ctx.hub is None:
            dialog.accepted.connect(self.refresh)
        dialog.accepted.connect(lambda: self._created(p.name, dialog.created))
        dialog.open()
        return dialog

    def _created(self, name: str, n: int) -> None:
        """Say under the programme what Create did (the dialog that did it has closed) and where they went."""
        self.created_note = (name, f"{n} assigned audit{'s' if n != 1 else ''} created at {datetime.now():%H:%M}: "
                             "each waits on its auditor's Home; Packs for auditors writes them for laptops that "
                             "are not on this store.")
        p = self.current()
        if p is not None and p.name == name:
            self._show_detail(p, self.status if self.status and self.status.name == name else None)

    def _ask_for_packs(self) -> None:
        p = self.current()
        if p is None:
            return
        start = str(Path.home() / "Documents") if (Path.home() / "Documents").is_dir() else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, f"Where should the packs for {p.name} go?", start)
        if folder:
            self.write_packs(Path(folder))

    def write_packs(self, folder: Path) -> None:
        """Write the chosen programme's packs of assigned drafts, one per auditor, into ``folder``."""
        p = self.current()
        if p is None:
            return
        store, name, me = self.ctx.store, p.name, self.ctx.actor()

        def done(written: list[AuditorPack]) -> None:
            self.last_packs = written
            lines = [f"{len(written)} pack{'s' if len(written) != 1 else ''} written to {folder}:"]
            lines += [f"• {w.auditor}: {len(w.audits)} audit{'s' if len(w.audits) != 1 else ''} "
                      f"({w.result.path.name})" for w in written]
            lines.append("Give each auditor their pack. On their laptop, Reports ▸ Import a pack files the audits "
                         "under this programme, assigned to them; they send the finished audits back in a "
                         "transfer pack.")
            messages.info("\n".join(lines), parent=self, title="Packs for auditors")

        self.ctx.operations().run(
            lambda progress, cancel: export_assignment_packs(store, name, folder, me=me, progress=progress,
                                                             cancel=cancel),
            label="Writing the auditors' packs", on_success=done)

    def new_programme(self) -> None:
        dialog = ProgrammeDialog(self.ctx, self)
        if self.ctx.hub is None:  # with the window's hub the new programme has already refreshed the list
            dialog.accepted.connect(self.refresh)
        # The new programme is chosen, so Sample and allocate is one press away.
        dialog.accepted.connect(lambda: self._select_soon(dialog.plan().name))
        dialog.open()

    def _start(self) -> None:
        p = self.current()
        if p is not None:
            self.startAudit.emit(p.name, p.template_id)

    def _show_audits(self) -> None:
        p = self.current()
        if p is not None:
            self.showAudits.emit(p.name)
