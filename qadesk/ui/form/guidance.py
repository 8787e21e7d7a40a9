"""The guidance pane on the right: "what good looks like" for the section and the question in focus."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from qadesk.core.template import Question, Section
from qadesk.ui.form.fit import FitScrollArea


class GuidancePane(FitScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("form.guidance")
        self.setProperty("role", "guidance")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = QWidget()
        body.setProperty("role", "guidance")
        lay = QVBoxLayout(body)
        lay.setContentsMargins(18, 18, 18, 18)
        lay.setSpacing(6)
        heading = QLabel("What good looks like", body)
        heading.setProperty("role", "guidance-heading")
        heading.setWordWrap(True)
        lay.addWidget(heading)
        self.section_title = self._label(body, "guidance-title")
        self.section_text = self._label(body, "guidance-text")
        self.rule = QFrame(body)
        self.rule.setFrameShape(QFrame.Shape.HLine)
        self.rule.setProperty("role", "guidance-rule")
        self.question_title = self._label(body, "guidance-title")
        self.question_text = self._label(body, "guidance-text")
        for w in (self.section_title, self.section_text, self.rule, self.question_title, self.question_text):
            lay.addWidget(w)
        lay.addStretch(1)
        self.setWidget(body)
        self._section: Section | None = None
        self._question: Question | None = None

    @staticmethod
    def _label(parent: QWidget, role: str) -> QLabel:
        label = QLabel(parent)
        label.setWordWrap(True)
        label.setProperty("role", role)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def show_text(self, title: str, text: str) -> None:
        """Guidance for a page that is not a section (judgement, summary, actions)."""
        self._section = self._question = None
        self.section_title.setText(title)
        self.section_text.setText(text)
        self.section_text.setVisible(bool(text))
        self.rule.hide()
        self.question_title.hide()
        self.question_text.hide()

    def show_for(self, section: Section | None, question: Question | None = None) -> None:
        if section is self._section and question is self._question:
            return
        self._section, self._question = section, question
        if section is not None:
            self.section_title.setText(section.title)
            self.section_text.setText(section.guidance or "No guidance for this section.")
            self.section_text.setVisible(True)
        has_q = question is not None and question.type != "note"
        self.rule.setVisible(has_q)
        self.question_title.setVisible(has_q)
        self.question_text.setVisible(has_q)
        if has_q:
            assert question is not None
            self.question_title.setText(question.label)
            self.question_text.setText(question.guidance or "No guidance for this question.")

    def current_text(self) -> str:
        parts = [self.section_title.text(), self.section_text.text()]
        if self.question_title.isVisibleTo(self):
            parts += [self.question_title.text(), self.question_text.text()]
        return "\n".join(p for p in parts if p)
