"""A template shown exactly as auditors will see it, read-only: no audit, nothing saved.

Every question is shown; a question or section asked only under a condition
says so, in the template's own words, so whoever checks a template sees all of it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel, QStackedWidget, QVBoxLayout, QWidget

from qadesk.core.template import Template
from qadesk.ui.form.fit import form_splitter
from qadesk.ui.form.guidance import GuidancePane
from qadesk.ui.form.navigator import Navigator
from qadesk.ui.form.paging import PAGE_HELP, focus_owner
from qadesk.ui.form.sections import QuestionRow, SectionPage, build_pages
from qadesk.ui.form.style import FORM_QSS
from qadesk.ui.form.summary import JudgementPage, SummaryPage


class TemplatePreview(QWidget):
    def __init__(self, template: Template, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("template.preview")
        self.setStyleSheet(FORM_QSS)
        self.template = template
        self.navigator = Navigator(self)
        self.stack = QStackedWidget(self)
        self.guidance = GuidancePane(self)
        self.pages: dict[str, QWidget] = {}
        self.section_pages: dict[str, SectionPage] = {}
        for page in build_pages(template):
            s = page.section
            self._add(f"section:{s.id}", s.title, page)
            self.section_pages[s.id] = page
            if s.relevant:
                note = QLabel(f"This section is asked only when: {s.relevant}", page.body)
                note.setProperty("role", "hint")
                note.setWordWrap(True)
                if isinstance(layout := page.body.layout() if page.body is not None else None, QVBoxLayout):
                    layout.insertWidget(1, note)
            for row in page.rows:
                q = row.question
                conditions = [f"Asked only when: {q.relevant}" if q.relevant else "",
                              f"Required when: {q.required}" if isinstance(q.required, str) else ""]
                if any(conditions):
                    row.show_condition(". ".join(c for c in conditions if c))
            page.set_read_only(True)
        self.navigator.add_separator()
        judgement = JudgementPage(template)
        judgement.pageRequested.connect(self.show_page)
        judgement.update_view({}, None, False, False)
        judgement.set_read_only(True)
        self._add("judgement", "Judgement", judgement)
        summary = SummaryPage()
        summary.set_read_only(True)
        self._add("summary", "Summary", summary)
        self.navigator.set_progress(0, sum(1 for q in template.questions() if q.answerable))
        self.navigator.progress_label.setText(
            f"{sum(1 for s in template.sections)} sections, "
            f"{sum(1 for q in template.questions() if q.answerable)} questions")
        self.navigator.pageRequested.connect(self.show_page)
        banner = QLabel(f"Preview of {template.title} (version {template.version}) — read-only, as auditors "
                        "will see it.", self)
        banner.setProperty("role", "suggestion")
        banner.setWordWrap(True)
        splitter = form_splitter(self, self.navigator, self.stack, self.guidance)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(banner)
        lay.addWidget(splitter, 1)
        if template.sections:
            self.show_page(f"section:{template.sections[0].id}")
        app = QApplication.instance()
        assert isinstance(app, QApplication)  # typed as QCoreApplication; a widget has a QApplication
        app.focusChanged.connect(self._focus_changed)

    def _add(self, key: str, title: str, widget: QWidget) -> None:
        self.pages[key] = widget
        self.stack.addWidget(widget)
        self.navigator.add_page(key, title, "not_started" if key.startswith("section:") else None)

    def show_page(self, key: str) -> None:
        widget = self.pages.get(key)
        if widget is None:
            return
        self.stack.setCurrentWidget(widget)
        self.navigator.select(key)
        if key.startswith("section:"):
            self.guidance.show_for(self.template.section(key.split(":", 1)[1]))
        else:
            self.guidance.show_text(*PAGE_HELP[key])

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        owner = focus_owner(self, new)
        if isinstance(owner, QuestionRow):  # elsewhere on a page the guidance is left as it is
            self.guidance.show_for(self.template.section(owner.question.section_id), owner.question)
