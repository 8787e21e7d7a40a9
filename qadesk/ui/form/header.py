"""The strip above the form: which audit, of whom, its state and grades, the saved indicator, Submit /
Reopen; the moderation outcome (who, when, agreed or the moderated grade, why); and the list of what
still stops submit (each entry takes the auditor there)."""

from __future__ import annotations

from datetime import datetime
from html import escape

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import Missing
from qadesk.core.template import Template
from qadesk.services.moderation import Outcome
from qadesk.ui.widgets import fmt_date

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
        # The grades once the audit is completed: the auditor's and, after moderation, the moderated one.
        self.grades = QLabel(self)
        self.grades.setObjectName("audit.grades")
        self.grades.setWordWrap(True)
        self.grades.hide()
        text.addWidget(self.title)
        text.addWidget(self.subject)
        text.addWidget(self.grades)
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
        self.history = QPushButton("History…", self)
        self.history.setObjectName("audit.history")
        self.history.setToolTip("Who changed what and when, and the audit's earlier versions side by side (Ctrl+H)")
        self.history.setAutoDefault(False)
        # The case's people list (qadesk.ui.form.people_dialog): names to mask in packs for other organisations.
        self.people = QPushButton("People…", self)
        self.people.setObjectName("audit.people")
        self.people.setToolTip("The people in this case (child, family, carers, professionals): their names are "
                               "masked in packs for other organisations")
        self.people.setAutoDefault(False)
        # Two rows on the right, so the header fits a form 760 pixels wide: where the audit stands and what
        # ends it above, what else can be done with it below.
        right = QVBoxLayout()
        right.setSpacing(6)
        for row in ((self.saved, self.status, self.reopen, self.submit), (self.people, self.history, self.report)):
            line = QHBoxLayout()
            line.addStretch(1)
            for w in row:
                line.addWidget(w, 0, Qt.AlignmentFlag.AlignVCenter)
            right.addLayout(line)
        lay.addLayout(right, 0)

    def set_audit(self, reference: str, template_title: str, subject: str, status: str) -> None:
        self.title.setText(f"{reference} · {template_title}")
        self.subject.setText(subject)
        self.status.setText(STATUS_WORDS.get(status, status.title()))
        self.status.setProperty("status", status)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.submit.setVisible(status == "draft")
        self.reopen.setVisible(status in ("completed", "moderated"))

    def set_grades(self, template: Template, outcome: Outcome, status: str) -> None:
        """'Auditor's grade: Good · Moderated grade: Requires improvement to be good' (not on a draft)."""
        if status == "draft":
            self.grades.hide()
            return
        auditor = _label(template, outcome.auditor_grade) or "not given"
        if not outcome.moderations:
            moderated = "not yet moderated"
        elif outcome.changed:
            moderated = f"<b>{escape(_label(template, outcome.final_grade))}</b> (the grade the audit counts with)"
        else:
            moderated = f"{escape(_label(template, outcome.final_grade))} (the moderator agreed)"
        self.grades.setText(f"Auditor's grade: <b>{escape(auditor)}</b> &nbsp;·&nbsp; Moderated grade: {moderated}")
        self.grades.setAccessibleName(self.grades.text().replace("<b>", "").replace("</b>", "")
                                      .replace("&nbsp;", " "))
        self.grades.show()

    def set_others(self, others: list[tuple[str, str, str]]) -> None:
        """Other audits of the same case: (id, reference, when)."""
        if not others:
            self.others.hide()
            return
        links = ", ".join(f'<a href="{escape(i)}">{escape(ref)}</a> ({escape(when)})' for i, ref, when in others)
        self.others.setText(f"Other audits of this case: {links}")
        self.others.show()


def _label(template: Template, value: str | None) -> str:
    if not value:
        return ""
    return next((c.label for c in template.overall_choices() if c.value == value), value)


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def moderation_lines(template: Template, outcome: Outcome) -> list[str]:
    """One paragraph (HTML) per moderation, newest first: the verdict, who, kind, when, and the rationale."""
    out = []
    for m in outcome.moderations:
        who = m.get("moderator") or {}
        by = ", ".join(x for x in (who.get("name"), who.get("organisation")) if x) or "an unnamed moderator"
        if m.get("agreed"):
            verdict = f"Agreed with the auditor's grade ({escape(_label(template, m.get('grade')))})"
        else:
            verdict = f"Moderated grade: {escape(_label(template, m.get('grade')))}"
        line = (f"<b>{verdict}</b> — {escape(m.get('kind') or 'internal')} moderation by {escape(by)}, "
                f"{escape(fmt_date(_when(m.get('at'))))}")
        if m.get("blind"):
            own = _label(template, m.get("own_grade"))
            line += (f"<br><i>Judged blind: the moderator's own grade, recorded before they saw yours, was "
                     f"{escape(own)}</i>" if own else "<br><i>Judged blind</i>")
        if m.get("rationale"):
            line += "<br>Rationale: " + escape(m["rationale"]).replace("\n", "<br>")
        if m.get("learning_points"):
            line += "<br>Learning points: " + escape(m["learning_points"]).replace("\n", "<br>")
        for n in m.get("notes") or []:
            who = "Moderator" if n.get("role") == "moderator" else "Auditor"
            line += (f"<br>&nbsp;&nbsp;▸ {who}, {escape(n.get('author') or '')}, "
                     f"{escape(fmt_date(_when(n.get('at'))))}: " + escape(n.get("text") or "").replace("\n", "<br>"))
        if m.get("id"):
            line += f' &nbsp;<a href="respond:{escape(m["id"])}">Respond…</a>'
        out.append(line)
    return out


MODERATION_MAX_HEIGHT = 150  # px: two or three moderations; more scroll


class ModerationPanel(QFrame):
    """The moderation outcome under the header of a moderated audit: every moderation, newest first, with its
    learning points and dialogue; "Respond…" adds the auditor's response (or the moderator's note)."""

    respond = Signal(str)  # a moderation's id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audit.moderation_panel")
        self.setProperty("role", "moderation")
        lay = self._lay = QVBoxLayout(self)
        lay.setContentsMargins(20, 8, 20, 8)
        lay.setSpacing(4)
        self.heading = QLabel(self)
        self.heading.setProperty("role", "moderation-heading")
        self.body = QLabel()
        self.body.setObjectName("audit.moderation")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard
                                          | Qt.TextInteractionFlag.LinksAccessibleByMouse
                                          | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.body.linkActivated.connect(self._link)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(self.body)
        lay.addWidget(self.heading)
        lay.addWidget(self.scroll_area)
        self.hide()

    def _link(self, link: str) -> None:
        if link.startswith("respond:"):
            self.respond.emit(link.removeprefix("respond:"))

    def show_outcome(self, template: Template, outcome: Outcome) -> None:
        lines = moderation_lines(template, outcome)
        n = len(lines)
        self.heading.setText(f"Moderation ({n} moderation{'s' if n != 1 else ''}, newest first)")
        self.body.setText("<br><br>".join(lines))
        self.body.setAccessibleName("Moderation outcome: " + self.heading.text())
        self.setVisible(bool(lines))
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """As tall as the text at this width, up to MODERATION_MAX_HEIGHT (then it scrolls)."""
        m = self._lay.contentsMargins()
        width = max(self.width() - m.left() - m.right(), 200)  # the viewport's width lags a layout pass behind
        self.scroll_area.setFixedHeight(min(self.body.heightForWidth(width) + 4, MODERATION_MAX_HEIGHT))


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
