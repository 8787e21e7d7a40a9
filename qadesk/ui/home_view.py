"""Home: the audits assigned to the user, their drafts, recent completions and actions, each a click away,
and a chart of grades."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.services.assignments import AssignedAudit, assigned_to
from qadesk.services.overview import HomeSummary, home_summary
from qadesk.services.profile import current_actor_name
from qadesk.services.queries import AuditRow
from qadesk.ui import messages
from qadesk.ui.context import AppContext
from qadesk.ui.operations import Operations
from qadesk.ui.widgets import (
    GRADE_COLOURS,
    OFSTED_LABELS,
    OFSTED_ORDER,
    Heading,
    StackedBarChart,
    StatCard,
    fmt_date,
    fmt_month,
    grade_label,
)

AUDIT_ROLE = Qt.ItemDataRole.UserRole + 1
RIGHT_ROLE = Qt.ItemDataRole.UserRole + 2  # the part of a line kept whole at its right end (a date)


def _greeting(now: datetime) -> str:
    return "Good morning" if now.hour < 12 else "Good afternoon" if now.hour < 18 else "Good evening"


def _called(name: str) -> str:
    """What Home calls a person: the first name of 'Sam Rivers', but all of 'A. Okafor' (not 'A.')."""
    first = name.split()[0] if name.split() else ""
    return name.strip() if len(first.rstrip(".")) <= 1 else first


class TwoPartDelegate(QStyledItemDelegate):
    """Draws a line as two parts: its text on the left, elided if need be, and RIGHT_ROLE whole on the right."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        right = index.data(RIGHT_ROLE)
        if not right:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        left, opt.text = opt.text, ""
        widget = opt.widget
        style = widget.style() if widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        painter.save()
        painter.setFont(opt.font)
        fm = painter.fontMetrics()  # measured on the device it is drawn on (the style sheet's font, its DPI)
        gap = fm.averageCharWidth() * 3
        right_w = min(fm.horizontalAdvance(right) + 2, text_rect.width() * 2 // 3)  # + 2: advance is rounded
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = opt.palette.ColorRole.HighlightedText if selected else opt.palette.ColorRole.Text
        painter.setPen(opt.palette.color(role))
        valign = Qt.AlignmentFlag.AlignVCenter
        left_w = max(text_rect.width() - right_w - gap, 0)
        shown = (fm.elidedText(left, Qt.TextElideMode.ElideRight, left_w),
                 fm.elidedText(right, Qt.TextElideMode.ElideRight, right_w))
        painter.drawText(QRect(text_rect.left(), text_rect.top(), left_w, text_rect.height()),
                         Qt.AlignmentFlag.AlignLeft | valign, shown[0])
        painter.drawText(QRect(text_rect.right() - right_w, text_rect.top(), right_w, text_rect.height()),
                         Qt.AlignmentFlag.AlignRight | valign, shown[1])
        painter.restore()


class ClickList(QListWidget):
    """A short list whose items open an audit on click, double-click or Enter."""

    def __init__(self, name: str, accessible: str, empty: str, empty_tip: str = "") -> None:
        super().__init__()
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.empty, self.empty_tip = empty, empty_tip
        self.setUniformItemSizes(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumHeight(150)
        self.setItemDelegate(TwoPartDelegate(self))

    def fill(self, items: list[tuple[str, str, str, str]]) -> None:
        """(text, text on the right, tooltip, audit id) per row."""
        self.clear()
        for text, right, tip, audit_id in items:
            item = QListWidgetItem(text)
            item.setData(RIGHT_ROLE, right)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{text}, {right}" if right else text)
            item.setToolTip(tip)
            item.setData(AUDIT_ROLE, audit_id)
            self.addItem(item)
        if not items:
            item = QListWidgetItem(self.empty)
            item.setToolTip(self.empty_tip)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)


class HomeView(QWidget):
    openAudit = Signal(str)
    showScreen = Signal(str, str)  # screen name, a filter to apply there (e.g. "actions", "overdue")
    newAudit = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, ops: Operations | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.ops = ops
        self.loading = self._again = False
        self.setObjectName("home.view")
        self.summary: HomeSummary | None = None
        self.assigned_audits: list[AssignedAudit] = []
        self.heading = Heading("Home")
        self.subtitle = QLabel()
        self.subtitle.setProperty("role", "hint")

        self.cards = {
            "drafts": StatCard("Your drafts"),
            "moderation": StatCard("Awaiting moderation"),
            "open": StatCard("Open actions"),
            "overdue": StatCard("Actions overdue", warn=True),
        }
        for key, card in self.cards.items():
            card.setObjectName(f"home.card.{key}")
        self.cards["drafts"].clicked.connect(lambda: self.showScreen.emit("audits", "my_drafts"))
        self.cards["moderation"].clicked.connect(lambda: self.showScreen.emit("moderation", ""))
        self.cards["open"].clicked.connect(lambda: self.showScreen.emit("actions", ""))
        self.cards["overdue"].clicked.connect(lambda: self.showScreen.emit("actions", "overdue"))

        if ctx.demo:  # the demonstration's person is its QA lead too: the way to see this list filled
            empty = ("Nothing yet. To try it: Case lists, then Programmes ▸ Sample and allocate.",
                     "Import the demonstration's case list on the Case lists screen, then choose a programme on "
                     "Programmes, press Sample and allocate and tick yourself among the auditors: the audits "
                     "you are given wait here.")
        else:
            empty = ("Nothing assigned to you. The QA lead assigns audits on the Programmes screen.", "")
        self.assigned = ClickList("home.assigned", "Audits assigned to you, soonest due first", *empty)
        self.drafts = ClickList("home.drafts", "Your draft audits", "No drafts. Start one with Ctrl+N.")
        self.completed = ClickList("home.completed", "Your recently completed audits", "Nothing completed yet.")
        self.my_actions = ClickList("home.actions", "Your open actions", "No open actions for you.")
        # Final grades: an audit whose moderator gave another grade counts with the moderator's.
        self.chart = StackedBarChart("Final grades of audits completed, last six months")
        self.chart.setObjectName("home.chart")
        for lst in (self.assigned, self.drafts, self.completed, self.my_actions):
            lst.itemActivated.connect(self._activated)
            lst.itemClicked.connect(self._activated)

        cards = QHBoxLayout()
        for card in self.cards.values():
            cards.addWidget(card)
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(6)
        grid.addWidget(self._title("Assigned to you"), 0, 0)
        grid.addWidget(self.assigned, 1, 0)
        grid.addWidget(self._title("Your drafts"), 2, 0)
        grid.addWidget(self.drafts, 3, 0)
        grid.addWidget(self._title("Recently completed"), 4, 0)
        grid.addWidget(self.completed, 5, 0)
        grid.addWidget(self.chart, 0, 1, 2, 1)
        grid.addWidget(self._title("Your actions"), 2, 1)
        grid.addWidget(self.my_actions, 3, 1, 3, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        inner = QWidget()
        inner.setObjectName("home.inner")
        body = QVBoxLayout(inner)
        body.addWidget(self.heading)
        body.addWidget(self.subtitle)
        body.addLayout(cards)
        body.addSpacing(8)
        body.addLayout(grid, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.refresh()

    @staticmethod
    def _title(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("subheading")
        return label

    def _activated(self, item: QListWidgetItem) -> None:
        audit_id = item.data(AUDIT_ROLE)
        if audit_id:
            self.openAudit.emit(audit_id)

    def refresh(self) -> None:
        """Count again; with ``ops`` the counting runs in the background and the window stays usable."""
        store = self.ctx.store

        def count(_progress: object = None, _cancel: object = None
                  ) -> tuple[HomeSummary, str, list[AssignedAudit]]:
            with store.session() as s:  # who "me" is, read with the figures: no query on the UI thread
                me = current_actor_name(s)
                return home_summary(s, me), me, assigned_to(s, me)

        if self.ops is None:
            self.show_summary(*count())
            return
        if self.loading:
            self._again = True  # something changed while counting: count once more when this ends
            return
        self.loading, self._again = True, False
        if self.summary is None:
            self.subtitle.setText("Counting…")

        def done(result: tuple[HomeSummary, str, list[AssignedAudit]]) -> None:
            self.loading = False
            if self._again:
                self.refresh()
            else:
                self.show_summary(*result)

        def failed(exc: BaseException) -> None:
            self.loading = False
            messages.show_exception(exc, self)

        self.ops.run(count, label="Counting for Home", on_success=done, on_failure=failed, show_progress=False)

    def show_summary(self, summary: HomeSummary, me: str, assigned: list[AssignedAudit] | None = None) -> None:
        self.summary = summary
        self.assigned_audits = list(assigned or [])
        first = _called(me)
        self.heading.setText(f"{_greeting(datetime.now())}, {first}" if first else "Home")
        self.subtitle.setText(f"{fmt_date(date.today())}" + ("  ·  demonstration data" if self.ctx.demo else ""))
        self.cards["drafts"].set_value(summary.draft_count)
        self.cards["moderation"].set_value(summary.awaiting_moderation)
        self.cards["open"].set_value(summary.open_actions)
        self.cards["overdue"].set_value(summary.overdue_actions)

        def row(a: AuditRow, detail: str, when: str, more: str = "") -> tuple[str, str, str, str]:
            who = a.case_ref or a.practitioner or ""
            text = "   ".join(part for part in (a.reference, a.template_title, who, detail) if part)
            tip = f"{a.reference}: {a.template_title}, {a.team or 'no team'}" + (f"; {detail}" if detail else "")
            return text, when, f"{tip}{more}\n{when[0].upper()}{when[1:]}", a.id

        def label(a: AuditRow, value: str | None) -> str:
            return grade_label(summary.labels, a.template_id, a.template_version, value)

        def grade(a: AuditRow) -> str:  # the final grade, marked where a moderator changed the auditor's
            return f"{label(a, a.grade)} (moderated)" if a.moderated and a.grade else label(a, a.grade)

        def moderated(a: AuditRow) -> str:
            return f"\nYour grade: {label(a, a.auditor_grade) or 'none'}" if a.moderated and a.grade else ""

        today = date.today()
        self.assigned.fill([self._assigned_line(a, today) for a in self.assigned_audits])
        waiting = {x.audit_id: x for x in self.assigned_audits if not x.started}  # above, "not started"

        def draft(a: AuditRow) -> tuple[str, str, str, str]:
            if a.id in waiting:
                return row(a, "not started", f"assigned {fmt_date(waiting[a.id].assigned_at)}")
            return row(a, f"{a.answered} answered", f"started {fmt_date(a.started_at)}")

        self.drafts.fill([draft(a) for a in summary.drafts])
        self.completed.fill([row(a, grade(a), f"completed {fmt_date(a.completed_at)}", moderated(a))
                             for a in summary.recently_completed])
        # Urgent first, until done: concerns no urgent action answers, then urgent actions, then the rest.
        self.my_actions.fill([
            (f"URGENT  No urgent action for the concern in {c.audit_reference}", "add one",
             f"{c.audit_reference} flags an urgent concern ({c.question}) but has no urgent action.\n"
             f"Open the audit and add one that says who was told and when.", c.audit_id)
            for c in summary.concerns] + [
            (("URGENT  " if a.urgent else "") + ("OVERDUE  " if a.overdue(today) else "")
             + f"{a.text[:80]}   {a.audit_reference}",
             f"due {fmt_date(a.due)}", f"{a.text}\nAudit {a.audit_reference}\nOwner: {a.owner or 'not set'}, due "
             f"{fmt_date(a.due)}", a.audit_id)
            for a in summary.my_actions])
        self.chart.set_data([(fmt_month(m), counts) for m, counts in summary.grades],
                            [(g, OFSTED_LABELS[g], GRADE_COLOURS[g]) for g in OFSTED_ORDER])

    @staticmethod
    def _assigned_line(a: AssignedAudit, today: date) -> tuple[str, str, str, str]:
        overdue = a.overdue(today)
        # How far it is comes before the team and programme, so a narrow line cuts their names, not that.
        text = "   ".join(part for part in ("OVERDUE" if overdue else "", a.reference, a.case_ref or "", a.stage,
                                            a.team or "", a.programme) if part)
        when = f"due {fmt_date(a.due_on)}" if a.due_on else "no due date"
        tip = (f"{a.reference}: {a.template_title}, case {a.case_ref or 'not given'}, {a.team or 'no team'}\n"
               f"Programme: {a.programme}, assigned by {a.assigned_by} on {fmt_date(a.assigned_at)}\n"
               + (f"Why this case: {a.reason}\n" if a.reason else "") + when[0].upper() + when[1:]
               + (" (overdue)" if overdue else ""))
        return text, when, tip, a.audit_id
