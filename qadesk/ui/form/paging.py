"""Moving around the audit form: the page shown, the keyboard's next and previous page, going to
what is missing, and the guidance pane following the focus.

A mixin of :class:`~qadesk.ui.form.view.AuditFormView`, which owns the widgets named here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from qadesk.core.errors import Missing
from qadesk.ui.form.fit import WrapPushButton
from qadesk.ui.form.host import FormHost
from qadesk.ui.form.sections import QuestionRow, SectionPage

PAGE_HELP = {
    "judgement": ("Overall judgement", "Weigh the section judgements and what the child's record shows. "
                  "qadesk suggests a grade from the template's rule; your own judgement wins, and when it "
                  "differs you say why in the rationale."),
    "summary": ("Summary", "Write for the practitioner and their manager: what is working well, what must "
                "improve, and what difference the work makes to the child. Record the practitioner's "
                "reflections from your conversation, and anything the family told you."),
    "actions": ("Actions", "Agree actions that change things for the child: specific, owned, with a date. "
                "Mark an action urgent when the child may be at risk until it is done."),
}


def focus_owner(root: QWidget, focused: QWidget | None) -> QuestionRow | SectionPage | None:
    """The question row (or, outside any row, the section page) within ``root`` that holds the focus."""
    w = focused if focused is not None and root.isAncestorOf(focused) else None
    while w is not None and w is not root:
        if isinstance(w, (QuestionRow, SectionPage)):
            return w
        w = w.parentWidget()
    return None


class PagingMixin(FormHost):
    """Which page is shown and where the focus goes."""

    def show_page(self, key: str, focus: bool = False) -> None:
        widget = self.pages.get(key)
        if widget is None:
            return
        if isinstance(widget, SectionPage):
            self.ensure_page(widget.section.id)
        self.stack.setCurrentWidget(widget)
        self.navigator.select(key)
        if isinstance(widget, SectionPage):
            self._name_next_page(widget, key)
        if key.startswith("section:"):
            self.guidance.show_for(self.template.section(key.split(":", 1)[1]))
        else:
            self.guidance.show_text(*PAGE_HELP[key])
        if focus:
            target = first_input(widget)
            if target is not None:
                target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _name_next_page(self, page: SectionPage, key: str) -> None:
        """The page's Next button names the page it goes to (which pages show depends on the answers)."""
        button = page.findChild(WrapPushButton, NEXT_BUTTON)
        keys = self.navigator.visible_keys()
        if button is None or key not in keys or keys[-1] == key:
            return
        title = self.navigator.title(keys[keys.index(key) + 1])
        button.set_label(f"Next: {title} →")  # wraps on a narrow page rather than widen it
        button.setAccessibleName(f"Next page: {title}")

    def current_page(self) -> str | None:
        return self.navigator.current_key()

    def move_page(self, step: int) -> None:
        keys = self.navigator.visible_keys()
        current = self.current_page()
        i = keys.index(current) if current in keys else 0
        j = max(0, min(len(keys) - 1, i + step))
        if j != i:
            self.show_page(keys[j], focus=True)

    def go_to(self, missing: Missing) -> None:
        """Switch to the page of a missing item, scroll to its widget and give it focus."""
        key = missing.key
        if missing.section_id:
            page_key = f"section:{missing.section_id}"
        elif key.startswith("overall."):
            page_key = "judgement"
        elif key.startswith("summary."):
            page_key = "summary"
        elif key.startswith("actions."):  # an urgent concern with no urgent action, or one not told
            page_key = "actions"
        else:
            page_key = self.current_page() or "judgement"
        if missing.section_id:
            self.ensure_page(missing.section_id)
        self.show_page(page_key)
        target = self.findChild(QWidget, key) if key else None
        if target is None:
            return
        page = self.pages[page_key]
        body = page.widget() if isinstance(page, QScrollArea) else None
        if isinstance(page, QScrollArea) and body is not None:
            if (layout := body.layout()) is not None:
                layout.activate()
            parent = target.parentWidget()
            row = parent if isinstance(parent, QuestionRow) else target
            page.ensureWidgetVisible(row, 40, 60)
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        owner = focus_owner(self, new)
        if isinstance(owner, QuestionRow):
            self.guidance.show_for(self.template.section(owner.question.section_id), owner.question)
        elif isinstance(owner, SectionPage):
            self.guidance.show_for(owner.section)

    def _open_other(self, audit_id: str) -> None:
        self.flush()
        self.openAuditRequested.emit(audit_id)


NEXT_BUTTON = "page.next"


def add_next_button(page: SectionPage, go_next) -> None:
    """A button after the page's last question and judgement, so Tab from there goes on to the next page."""
    body = page.body
    layout = body.layout() if body is not None else None
    if not isinstance(layout, QVBoxLayout):
        return
    button = WrapPushButton("Next page →", body)
    button.setObjectName(NEXT_BUTTON)
    button.setAutoDefault(False)
    button.setToolTip("The next page of the audit (Ctrl+PgDown or Ctrl+Enter; Ctrl+PgUp goes back)")
    button.clicked.connect(go_next)
    row = QHBoxLayout()
    row.setContentsMargins(0, 16, 0, 0)
    row.addStretch(1)
    row.addWidget(button)
    layout.insertLayout(layout.count() - 1, row)  # before the closing stretch: right after the content


def first_input(page: QWidget) -> QWidget | None:
    """The first input of a page that can take the focus (the actions table on the Actions page)."""
    for name_prefix in ("question.", "section_grade.", "overall.", "summary."):
        for w in page.findChildren(QWidget):
            if w.objectName().startswith(name_prefix) and w.isVisibleTo(page) and w.isEnabled():
                return w
    if isinstance(page, QScrollArea):
        return None
    return page.findChild(QWidget, "actions.table")
