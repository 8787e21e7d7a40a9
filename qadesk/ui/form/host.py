"""What the audit form's mixins (paging, editing, submitting, reloading) use of the form that owns them.

The mixins are :class:`~qadesk.ui.form.view.AuditFormView` split by topic. mypy takes a mixin's
``self`` only as a class the mixin derives from, so each mixin derives from :class:`FormHost`: to the
type checker the form's widgets, state, signals and the methods one part calls in another; at run time
plain ``object``, so nothing changes. A mixin that uses more of the form names it here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["FormHost"]

if TYPE_CHECKING:
    from PySide6.QtCore import Signal
    from PySide6.QtWidgets import QStackedWidget, QWidget

    from qadesk.core.audit import AuditState
    from qadesk.core.errors import Missing
    from qadesk.core.template import Template
    from qadesk.services.moderation import Outcome
    from qadesk.ui.context import AppContext
    from qadesk.ui.form.actions_panel import ActionsPanel
    from qadesk.ui.form.autosave import Autosaver
    from qadesk.ui.form.guidance import GuidancePane
    from qadesk.ui.form.header import FormHeader, MissingPanel
    from qadesk.ui.form.navigator import Navigator
    from qadesk.ui.form.sections import QuestionRow, SectionPage
    from qadesk.ui.form.summary import JudgementPage, SummaryPage

    class FormHost(QWidget):
        statusChanged = Signal(str)
        saveStateChanged = Signal(str)
        savedAt = Signal(object)
        openAuditRequested = Signal(str)

        ctx: AppContext
        actor: str
        template: Template
        state: AuditState
        status: str
        reference: str
        refusal: str | None  # why this person may not change the audit (None: they may)
        may_respond: bool  # whether they may write the practitioner's response
        subject_text: str
        show_missing: bool
        _audit_id: str
        _loading: bool
        _refusals: dict[str, str]
        saver: Autosaver
        header: FormHeader
        missing_panel: MissingPanel
        navigator: Navigator
        stack: QStackedWidget
        guidance: GuidancePane
        pages: dict[str, QWidget]
        section_pages: dict[str, SectionPage]
        rows: dict[str, QuestionRow]
        judgement: JudgementPage
        summary: SummaryPage
        actions_panel: ActionsPanel

        def show_outcome(self, outcome: Outcome) -> None: ...
        def _load_values(self, actions: list[dict[str, Any]]) -> None: ...
        def ensure_page(self, sid: str) -> SectionPage: ...
        def build_all(self) -> None: ...
        def _refresh_soon(self, *, answer: str | None = None, evidence: str | None = None,
                          grade: str | None = None) -> None: ...
        def refresh(self) -> None: ...
        def flush(self) -> bool: ...
        def _set_save_state(self, text: str) -> None: ...
        def show_page(self, key: str, focus: bool = False) -> None: ...
        def go_to(self, missing: Missing) -> None: ...
        def current_page(self) -> str | None: ...
        def _answer_changed(self, qid: str, evidence: bool = False) -> None: ...
        def _summary_changed(self, key: str) -> None: ...
        def _reload(self) -> None: ...
        def _update_actions_title(self) -> None: ...
else:
    FormHost = object
