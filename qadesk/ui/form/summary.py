"""The Judgement page (section judgements at a glance, the suggested and the overall grade,
the rationale) and the Summary page (strengths, development, impact, reflections, feedback)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from qadesk.core.audit import SUMMARY_KEYS, SUMMARY_LABELS
from qadesk.core.template import Template
from qadesk.ui.form.fit import FitScrollArea, WrapPushButton
from qadesk.ui.form.widgets import GradeInput, LongTextInput

SUGGEST_WORDS = {
    "lowest_section": "the lowest section judgement",
    "mean_score": "the scores given so far",
}
SUMMARY_HINTS = {
    "strengths": "What is working well for the child, and why.",
    "development": "What needs to improve, in order of importance.",
    "impact_on_child": "What difference the work has made to the child's daily life.",
    "practitioner_reflection": "What the practitioner said when you talked the audit through.",
    "family_feedback": "What the child, parents or carers said about the help they receive.",
}


def _title(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setProperty("role", "section-title")
    label.setWordWrap(True)
    return label


def _page_body(name: str, title: str, spacing: int) -> tuple[QWidget, QVBoxLayout]:
    """The body of a form page styled like a section: its object name, margins and title."""
    body = QWidget()
    body.setObjectName(name)
    body.setProperty("role", "section")
    lay = QVBoxLayout(body)
    lay.setContentsMargins(28, 20, 28, 28)
    lay.setSpacing(spacing)
    lay.addWidget(_title(title, body))
    return body, lay


class JudgementPage(FitScrollArea):
    """``overall.grade`` and ``overall.rationale``; links to sections emit ``pageRequested``."""

    pageRequested = Signal(str)

    def __init__(self, template: Template, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.template = template
        body, lay = _page_body("page.judgement", "Overall judgement", spacing=8)
        self._section_labels: dict[str, tuple[WrapPushButton, QLabel]] = {}
        graded = [s for s in template.sections if s.grade_list]
        if graded:
            box = QFrame(body)
            box.setProperty("role", "judgement-table")
            grid = QGridLayout(box)
            grid.setContentsMargins(16, 10, 16, 10)
            grid.setHorizontalSpacing(24)
            grid.setVerticalSpacing(6)
            head = QLabel("Section judgements", box)
            head.setProperty("role", "question-label")
            grid.addWidget(head, 0, 0, 1, 2)
            for i, s in enumerate(graded, start=1):
                # A link-styled button: a Tab stop of its own, Enter or Space follows it.
                name = WrapPushButton(s.title, box)
                name.setObjectName(f"judgement.go.{s.id}")
                name.setProperty("role", "link")
                name.setAutoDefault(True)  # Enter follows the link (outside a dialog it is no default)
                name.setCursor(Qt.CursorShape.PointingHandCursor)
                name.setAccessibleName(f"Go to the section {s.title}")
                name.setToolTip(f"Go to the section “{s.title}”")
                name.clicked.connect(lambda _on=False, sid=s.id: self.pageRequested.emit(f"section:{sid}"))
                grade = QLabel(box)
                grade.setWordWrap(True)
                grid.addWidget(name, i, 0)
                grid.addWidget(grade, i, 1)
                self._section_labels[s.id] = (name, grade)
            grid.setColumnStretch(0, 3)
            grid.setColumnStretch(1, 2)
            lay.addWidget(box)
        self.suggestion = QLabel(body)
        self.suggestion.setProperty("role", "suggestion")
        self.suggestion.setWordWrap(True)
        lay.addSpacing(8)
        lay.addWidget(self.suggestion)
        caption = QLabel("Your overall judgement", body)
        caption.setProperty("role", "question-label")
        caption.setWordWrap(True)
        lay.addWidget(caption)
        self.grade = GradeInput(template.overall_choices(), body)
        self.grade.setObjectName("overall.grade")
        self.grade.setAccessibleName("Overall judgement")
        self.grade.setAccessibleDescription("Your judgement of the practice in this case; it may differ from "
                                            "the suggestion, with a rationale")
        caption.setBuddy(self.grade)
        lay.addWidget(self.grade)
        self.grade_problem = QLabel(body)
        self.grade_problem.setProperty("role", "problem")
        self.grade_problem.setWordWrap(True)
        self.grade_problem.hide()
        lay.addWidget(self.grade_problem)
        self.rationale_caption = QLabel("Rationale", body)
        self.rationale_caption.setProperty("role", "question-label")
        self.rationale_caption.setWordWrap(True)
        lay.addSpacing(8)
        lay.addWidget(self.rationale_caption)
        self.rationale = LongTextInput(body, min_lines=4)
        self.rationale.setObjectName("overall.rationale")
        self.rationale.setAccessibleName("Rationale for the overall judgement")
        self.rationale.setPlaceholderText("Why this judgement: what you weighed, and what tipped the balance")
        self.rationale_caption.setBuddy(self.rationale)
        lay.addWidget(self.rationale)
        self.rationale_problem = QLabel(body)
        self.rationale_problem.setProperty("role", "problem")
        self.rationale_problem.setWordWrap(True)
        self.rationale_problem.hide()
        lay.addWidget(self.rationale_problem)
        lay.addStretch(1)
        self.setWidget(body)

    def label_of(self, value: str | None) -> str:
        for c in self.template.overall_choices():
            if c.value == value:
                return c.label
        return value or ""

    def update_view(self, section_grades: dict[str, str], suggested: str | None, needed: bool,
                    show_missing: bool, sections: Iterable[str] | None = None) -> None:
        """Show the judgements and the suggestion; ``sections``: only those sections' lines changed."""
        for sid in self._section_labels if sections is None else sections:
            if sid not in self._section_labels:
                continue
            _name, label = self._section_labels[sid]
            s = self.template.section(sid)
            value = section_grades.get(sid)
            text = next((c.label for c in self.template.lists[s.grade_list or ""] if c.value == value), None)
            label.setText(text or "Not judged yet")
            if label.property("role") != ("" if text else "hint"):
                label.setProperty("role", "" if text else "hint")
                label.style().unpolish(label)
                label.style().polish(label)
        rule = self.template.overall.suggest
        if rule == "none":
            self.suggestion.setText("This template does not suggest an overall grade: the judgement is yours.")
        elif suggested:
            self.suggestion.setText(f"Suggested from {SUGGEST_WORDS.get(rule, rule)}: "
                                    f"<b>{escape(self.label_of(suggested))}</b>. "
                                    "Your own judgement wins; if it differs, say why.")
        else:
            self.suggestion.setText("A grade will be suggested once sections have been judged."
                                    if rule == "lowest_section" else
                                    "A grade will be suggested once graded questions are answered.")
        self.rationale_caption.setText("Rationale — needed, because your judgement differs from the suggested "
                                       "grade" if needed else "Rationale")
        self.grade_problem.setText("The overall judgement is missing.")
        self.grade_problem.setVisible(show_missing and self.grade.value() is None)
        missing_reason = needed and self.rationale.value() is None
        self.rationale_problem.setText("Give a rationale: your judgement differs from the suggested grade.")
        self.rationale_problem.setVisible(missing_reason and show_missing)

    def set_read_only(self, on: bool) -> None:
        self.grade.setReadOnly(on)
        self.rationale.setReadOnly(on)


class SummaryPage(FitScrollArea):
    """The summary fields, ``summary.<key>``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        body, lay = _page_body("page.summary", "Summary", spacing=4)
        self.fields: dict[str, LongTextInput] = {}
        for key in SUMMARY_KEYS:
            caption = QLabel(SUMMARY_LABELS[key], body)
            caption.setProperty("role", "question-label")
            caption.setWordWrap(True)
            hint = QLabel(SUMMARY_HINTS[key], body)
            hint.setProperty("role", "hint")
            hint.setWordWrap(True)
            edit = LongTextInput(body, min_lines=3)
            edit.setObjectName(f"summary.{key}")
            edit.setAccessibleName(SUMMARY_LABELS[key])
            edit.setAccessibleDescription(SUMMARY_HINTS[key])
            caption.setBuddy(edit)
            lay.addSpacing(10)
            lay.addWidget(caption)
            lay.addWidget(hint)
            lay.addWidget(edit)
            self.fields[key] = edit
        # The end of the form: Tab from the last summary field reaches Submit (not the header's, early on).
        ready = QLabel("Finished? Submit checks the audit first and takes you to anything missing.", body)
        ready.setProperty("role", "hint")
        ready.setWordWrap(True)
        lay.addSpacing(16)
        lay.addWidget(ready)
        end = QHBoxLayout()
        end.addStretch(1)
        self.submit = WrapPushButton("Submit the audit…", body)
        self.submit.setObjectName("page.submit")
        self.submit.setProperty("role", "primary")
        self.submit.setAutoDefault(True)  # Enter on it submits too (after the question)
        self.submit.setToolTip("Check the audit and complete it (Ctrl+Shift+Enter)")
        end.addWidget(self.submit)
        lay.addLayout(end)
        lay.addStretch(1)
        self.setWidget(body)

    def set_read_only(self, on: bool) -> None:
        for edit in self.fields.values():
            edit.setReadOnly(on)
