"""The strip above the form: which audit, of whom, its state, the saved indicator, Submit / Reopen,
and the list of what still stops submit (each entry takes the auditor there)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import Missing

STATUS_WORDS = {"draft": "Draft", "completed": "Completed", "moderated": "Moderated", "closed": "Closed"}


class _SaveState(QLabel):
    """One line up to 360 px ("Saved 14:02"); a long "Not saved: <why>" wraps rather than widening the window.

    A plain word-wrapping QLabel would break even "All changes saved" in two.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setMaximumWidth(360)
        self.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        m = self.contentsMargins()
        width = min(self.fontMetrics().horizontalAdvance(self.text()) + m.left() + m.right() + 2, self.maximumWidth())
        return QSize(width, self.heightForWidth(width))


class FormHeader(QFrame):
    otherAuditRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("form.header")
        self.setProperty("role", "form-header")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(20, 12, 20, 12)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.title = QLabel(self)
        self.title.setProperty("role", "form-title")
        self.subject = QLabel(self)
        self.subject.setProperty("role", "hint")
        self.others = QLabel(self)
        self.others.setProperty("role", "hint")
        for label in (self.title, self.subject, self.others):
            label.setWordWrap(True)
        self.others.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.others.linkActivated.connect(self.otherAuditRequested)
        self.others.hide()
        text.addWidget(self.title)
        text.addWidget(self.subject)
        text.addWidget(self.others)
        lay.addLayout(text, 1)
        self.status = QLabel(self)
        self.status.setObjectName("audit.status")
        self.status.setProperty("role", "status-badge")
        self.saved = _SaveState(self)
        self.saved.setObjectName("audit.saved")
        self.saved.setProperty("role", "saved")
        self.saved.setAccessibleName("Save state")
        self.saved.setContentsMargins(10, 0, 10, 0)
        self.submit = QPushButton("Submit…", self)
        self.submit.setObjectName("audit.submit")
        self.submit.setProperty("role", "primary")
        self.submit.setToolTip("Check the audit and complete it")
        self.submit.setAutoDefault(False)
        self.reopen = QPushButton("Reopen…", self)
        self.reopen.setObjectName("audit.reopen")
        self.reopen.setToolTip("Make the completed audit editable again; you will be asked for a reason")
        self.reopen.setAutoDefault(False)
        self.report = QPushButton("Report (PDF)…", self)
        self.report.setObjectName("audit.report")
        self.report.setToolTip("Save this audit's report as a PDF to share with the practitioner")
        self.report.setAutoDefault(False)
        for w in (self.saved, self.status, self.report, self.reopen, self.submit):
            lay.addWidget(w, 0, Qt.AlignmentFlag.AlignVCenter)

    def set_audit(self, reference: str, template_title: str, subject: str, status: str) -> None:
        self.title.setText(f"{reference} · {template_title}")
        self.subject.setText(subject)
        self.status.setText(STATUS_WORDS.get(status, status.title()))
        self.status.setProperty("status", status)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.submit.setVisible(status == "draft")
        self.reopen.setVisible(status in ("completed", "moderated"))

    def set_others(self, others: list[tuple[str, str, str]]) -> None:
        """Other audits of the same case: (id, reference, when)."""
        if not others:
            self.others.hide()
            return
        links = ", ".join(f'<a href="{escape(i)}">{escape(ref)}</a> ({escape(when)})' for i, ref, when in others)
        self.others.setText(f"Other audits of this case: {links}")
        self.others.show()


MISSING_MAX_HEIGHT = 130  # px: about five entries; more scroll


class MissingPanel(QFrame):
    """What stops submit, in form order; activating an entry emits ``goTo(Missing)``."""

    goTo = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audit.missing_panel")
        self.setProperty("role", "missing")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(20, 10, 20, 10)
        top = QHBoxLayout()
        self.heading = QLabel(self)
        self.heading.setProperty("role", "missing-heading")
        self.heading.setWordWrap(True)
        hide = QToolButton(self)
        hide.setText("Hide")
        hide.setAccessibleName("Hide the list of what is missing")
        hide.clicked.connect(self.hide)
        top.addWidget(self.heading, 1)
        top.addWidget(hide)
        lay.addLayout(top)
        self.list = QListWidget(self)
        self.list.setObjectName("audit.missing")
        self.list.setAccessibleName("What stops the audit being submitted")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        lay.addWidget(self.list)
        self.missing: list[Missing] = []
        self.hide()

    def show_missing(self, missing: list[Missing]) -> None:
        self.missing = list(missing)
        n = len(missing)
        self.heading.setText(f"Before you can submit, {n} thing{'s' if n != 1 else ''} "
                             f"need{'s' if n == 1 else ''} attention. Choose one to go there.")
        self.list.clear()
        for m in missing:
            item = QListWidgetItem(m.message)
            item.setData(Qt.ItemDataRole.UserRole, m)
            item.setToolTip(m.message)
            self.list.addItem(item)
        self._fit_list()
        self.setVisible(bool(missing))

    def _fit_list(self) -> None:
        """As tall as its entries, up to MISSING_MAX_HEIGHT (then it scrolls): one entry takes one line."""
        self.list.ensurePolished()
        rows = sum(self.list.sizeHintForRow(i) for i in range(self.list.count()))
        self.list.setFixedHeight(min(rows + self.list.frameWidth() * 2 + 2, MISSING_MAX_HEIGHT))

    def _activated(self, item: QListWidgetItem) -> None:
        self.goTo.emit(item.data(Qt.ItemDataRole.UserRole))
