"""The pages of questions, built from a template: one scrolling page per section.

Used by the live audit form and by the template preview, so both show a
template exactly the same way.  A page can be made empty and filled later
(:meth:`SectionPage.build`): the form builds the page on screen first and
the others just after, which keeps opening a long template fast.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from qadesk.core.template import Question, Section, Template
from qadesk.ui.form.fit import FitScrollArea
from qadesk.ui.form.widgets import GradeInput, LongTextInput, make_input
from qadesk.ui.widgets import literal

TYPE_HINTS = {
    "multi_choice": "Tick all that apply.",
    "range": "Move the slider or type a number.",
    "date": "Type it as 25/11/2026 or 25 Nov 2026 (day first), or open the calendar with Alt+Down.",
}


class QuestionRow(QFrame):
    """One question: its label, the input, what is wrong with it, its evidence note."""

    def __init__(self, q: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = q
        self.setProperty("role", "question")
        self.setProperty("question_id", q.id)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 10, 0, 10)
        lay.setSpacing(6)
        self._layout = lay
        self.problem_label: QLabel | None = None
        self._problems: list[str] = []
        self.condition_label: QLabel | None = None
        self.from_subject: QLabel | None = None  # "Filled in from New audit" (a subject_field question)
        self._from_subject_text = ("", "")
        self.evidence: LongTextInput | None = None
        if q.type == "note":
            self.input = None
            note = QLabel(q.label + (f"\n\n{q.guidance}" if q.guidance else ""), self)
            note.setObjectName(f"note.{q.id}")
            note.setWordWrap(True)
            note.setProperty("role", "note")
            note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lay.addWidget(note)
            self.title = note
            return
        self.title = QLabel(literal(q.label), self)  # with a buddy: an "&" in the template's label is shown
        self.title.setWordWrap(True)
        self.title.setProperty("role", "question-label")
        lay.addWidget(self.title)
        hint = TYPE_HINTS.get(q.type)
        if q.required is True or hint:
            text = " ".join(x for x in ("Required." if q.required is True else "", hint or "") if x)
            small = QLabel(text, self)
            small.setProperty("role", "hint")
            small.setWordWrap(True)
            lay.addWidget(small)
        if q.urgent_concern:
            answers = " or ".join(f"“{c.label}”" for c in q.choices if c.value in q.urgent_concern)
            urgent = QLabel(f"{answers} means an urgent concern: before you submit, add an urgent action that "
                            f"says who was told and when.", self)
            urgent.setObjectName(f"urgent_hint.{q.id}")
            urgent.setProperty("role", "hint")
            urgent.setWordWrap(True)
            lay.addWidget(urgent)
        if q.subject_field is not None:
            # Filled when the audit started, so the auditor is not asked twice; the two stay in step.
            what = q.subject_field.replace("_", " ")
            self._from_subject_text = (f"Filled in from New audit. Changing it here changes the audit's {what} "
                                       "too.", "Filled in from New audit.")
            from_subject = QLabel(self._from_subject_text[0], self)
            self.from_subject = from_subject
            from_subject.setObjectName(f"from_subject.{q.id}")
            from_subject.setProperty("role", "hint")
            from_subject.setWordWrap(True)
            lay.addWidget(from_subject)
        widget = make_input(q, self)
        assert widget is not None
        widget.setObjectName(f"question.{q.id}")
        widget.setAccessibleName(q.label)
        widget.setAccessibleDescription(q.guidance or "")
        self.title.setBuddy(widget)
        self.input = widget
        lay.addWidget(widget)
        if q.evidence != "none":
            caption = QLabel("Evidence note" + (" (required)" if q.evidence == "required" else " (optional)"), self)
            caption.setProperty("role", "evidence-label")
            caption.setWordWrap(True)
            lay.addWidget(caption)
            self.evidence = LongTextInput(self, min_lines=2, max_lines=12)
            self.evidence.setObjectName(f"evidence.{q.id}")
            self.evidence.setPlaceholderText("Where in the record you found it, and what it shows")
            self.evidence.setAccessibleName(f"Evidence note: {q.label}")
            self.evidence.setAccessibleDescription("Where in the child's record the evidence is, and what it shows")
            caption.setBuddy(self.evidence)
            lay.addWidget(self.evidence)

    def show_problems(self, problems: list[str]) -> None:
        if problems == self._problems:
            return
        self._problems = list(problems)
        if not problems:
            if self.problem_label is not None:
                self.problem_label.hide()
            self.setProperty("state", "")
        else:
            if self.problem_label is None:
                self.problem_label = QLabel(self)
                self.problem_label.setWordWrap(True)
                self.problem_label.setProperty("role", "problem")
                # Under the input, above the evidence note.
                under = self._layout.indexOf(self.input) + 1 if self.input is not None else self._layout.count()
                self._layout.insertWidget(under, self.problem_label)
            self.problem_label.setText("\n".join(problems))
            self.problem_label.show()
            self.setProperty("state", "problem")
        self.style().unpolish(self)
        self.style().polish(self)
        if self.input is not None:
            self.input.setAccessibleDescription(" ".join(problems + [self.question.guidance or ""]).strip())

    def show_condition(self, text: str) -> None:
        """For the preview: say when a conditional question is asked."""
        if self.condition_label is None:
            self.condition_label = QLabel(self)
            self.condition_label.setProperty("role", "hint")
            self.condition_label.setWordWrap(True)
            self._layout.insertWidget(1, self.condition_label)
        self.condition_label.setText(text)

    def set_read_only(self, on: bool) -> None:
        if self.from_subject is not None:  # a read-only audit changes nothing
            self.from_subject.setText(self._from_subject_text[1 if on else 0])
        if self.input is not None:
            self.input.setReadOnly(on)
        if self.evidence is not None:
            self.evidence.setReadOnly(on)


class SectionPage(FitScrollArea):
    """A section's questions and its judgement, in a scroll area; the inner widget is ``section.<id>``."""

    def __init__(self, template: Template, s: Section, parent: QWidget | None = None, *,
                 build: bool = True) -> None:
        super().__init__(parent)
        self.template = template
        self.section = s
        self.rows: list[QuestionRow] = []
        self.grade: GradeInput | None = None
        self.body: QWidget | None = None
        if build:
            self.build()

    @property
    def built(self) -> bool:
        return self.body is not None

    def build(self) -> bool:
        """Make the widgets (once); False if they were already there."""
        if self.body is not None:
            return False
        s, template = self.section, self.template
        body = QWidget()
        body.setObjectName(f"section.{s.id}")
        body.setProperty("role", "section")
        lay = QVBoxLayout(body)
        lay.setContentsMargins(28, 20, 28, 28)
        lay.setSpacing(2)
        title = QLabel(s.title, body)
        title.setProperty("role", "section-title")
        title.setWordWrap(True)
        lay.addWidget(title)
        if s.agency:
            agency = QLabel(f"Completed by: {s.agency}", body)
            agency.setProperty("role", "hint")
            agency.setWordWrap(True)
            lay.addWidget(agency)
        for q in s.questions:
            row = QuestionRow(q, body)
            lay.addWidget(row)
            self.rows.append(row)
        if s.grade_list:
            box = QFrame(body)
            box.setProperty("role", "judgement")
            bl = QVBoxLayout(box)
            bl.setContentsMargins(16, 12, 16, 14)
            caption = QLabel(literal(f"Section judgement: {s.title}"), box)
            caption.setProperty("role", "question-label")
            caption.setWordWrap(True)
            bl.addWidget(caption)
            self.grade = GradeInput(template.lists[s.grade_list], box)
            self.grade.setObjectName(f"section_grade.{s.id}")
            self.grade.setAccessibleName(f"Section judgement: {s.title}")
            self.grade.setAccessibleDescription(s.guidance or "")
            caption.setBuddy(self.grade)
            bl.addWidget(self.grade)
            self.grade_problem = QLabel(box)
            self.grade_problem.setProperty("role", "problem")
            self.grade_problem.setWordWrap(True)
            self.grade_problem.hide()
            bl.addWidget(self.grade_problem)
            lay.addSpacing(12)
            lay.addWidget(box)
        lay.addStretch(1)
        self.setWidget(body)
        self.body = body
        return True

    def show_grade_missing(self, on: bool) -> None:
        if self.grade is not None:
            self.grade_problem.setText("The section judgement is missing.")
            self.grade_problem.setVisible(on)

    def set_read_only(self, on: bool) -> None:
        for row in self.rows:
            row.set_read_only(on)
        if self.grade is not None:
            self.grade.setReadOnly(on)


def build_pages(template: Template, *, build: bool = True) -> list[SectionPage]:
    return [SectionPage(template, s, build=build) for s in template.sections]
