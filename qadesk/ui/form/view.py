"""The audit form: one audit, generated from its template, saved as the auditor works.

Layout: a header (which audit, saved indicator, Submit / Reopen), the list of
what stops submit when there is one, then three columns: the navigator
(sections with their state, Judgement, Summary, Actions), the page, and the
guidance pane that follows the focus.

Every change is kept in :attr:`state` at once (so relevance, problems and
the navigator update live) and handed to the :class:`Autosaver`, which
writes it through ``services.audits`` within a second, in the window's
database pool (closing the form waits for what is pending: ``wait_saved``).

This module builds the form and applies the template's live rules; the rest
is in mixins: ``editing`` (changes, autosave, save state), ``paging``
(moving around, going to what is missing) and ``submitting`` (submit,
reopen, read-only).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.audit import AuditState, is_blank, relevant_questions
from qadesk.core.errors import Missing
from qadesk.core.permissions import Do
from qadesk.core.scoring import rationale_needed
from qadesk.core.template import Template
from qadesk.core.template_plan import Evaluation
from qadesk.services import audits, moderation, permissions
from qadesk.services.queries import Selection, list_audits
from qadesk.ui.context import AppContext
from qadesk.ui.form.actions_panel import ActionsPanel, action_row
from qadesk.ui.form.autosave import Autosaver
from qadesk.ui.form.editing import EditingMixin, flush_orphan, saved_text
from qadesk.ui.form.fit import form_splitter
from qadesk.ui.form.guidance import GuidancePane
from qadesk.ui.form.header import FormHeader, MissingPanel, ModerationPanel
from qadesk.ui.form.navigator import Navigator
from qadesk.ui.form.paging import PAGE_HELP, PagingMixin, add_next_button
from qadesk.ui.form.people_dialog import CasePeopleDialog
from qadesk.ui.form.reloading import ReloadingMixin
from qadesk.ui.form.sections import QuestionRow, SectionPage, build_pages
from qadesk.ui.form.style import FORM_QSS
from qadesk.ui.form.submitting import SubmittingMixin, subject_line
from qadesk.ui.form.summary import JudgementPage, SummaryPage
from qadesk.ui.widgets import fmt_date

__all__ = ["PAGE_HELP", "AuditFormView"]
REQUIRED_MESSAGE = "An answer is required."


class AuditFormView(PagingMixin, EditingMixin, SubmittingMixin, ReloadingMixin, QWidget):
    """The form for one audit.  ``wait_saved()`` before closing; signals tell the shell what happened.

    ``statusChanged(status)`` only when the audit's status changes (``completed`` on submit,
    ``draft`` on reopen), so the shell can refresh its lists; ``saveStateChanged(text)`` with
    the save indicator's text ("Saving…", "Saved 14:02", "Not saved: …"), and
    ``savedAt(datetime)`` when everything pending has reached the store.
    """

    statusChanged = Signal(str)
    saveStateChanged = Signal(str)
    savedAt = Signal(object)
    openAuditRequested = Signal(str)
    built = Signal()  # every page exists: any question can now be found by its object name

    def __init__(self, ctx: AppContext, audit_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audit.form")
        self.setStyleSheet(FORM_QSS)
        self.ctx = ctx
        with ctx.store.session() as s:
            audit = audits.get_audit(s, audit_id)
            self._audit_id = audit.id
            self.template: Template = audits.template_for(audit)
            self.state: AuditState = audits.state_of(audit)
            self.status = audit.status
            self.reference = audit.reference
            subject = audits.subject_dict(audit)
            actions = [action_row(a) for a in audit.actions]
            case_ref = audit.case_ref
            self.case_ref = case_ref
            outcome = moderation.outcome(audit)
            revision = audit.revision
            self.refusal = permissions.change_refusal(s, audit)  # None when this person may change it
            self.may_respond = permissions.change_refusal(s, audit, Do.RESPOND) is None
        self.actor = ctx.actor()
        self.show_missing = False
        self.submitting = False  # the audit is being submitted in the background
        self._refusals: dict[str, str] = {}
        # What the template's rules make of ``state``, kept up to date change by change (a keystroke
        # re-evaluates what reads that answer, not the whole form), and the changes not yet applied.
        self._ev: Evaluation | None = None
        self._ev_state: AuditState | None = None  # the state ``_ev`` was made from
        self._changes: dict[tuple[str, str], None] = {}
        self._loading = True

        # Not a child of the form: it must outlive the widgets to flush when they are destroyed.
        self.saver = Autosaver(ctx.store, ctx.operations())
        self.saver.saving.connect(self._saving)
        self.saver.saved.connect(self._saved)
        self.saver.refused.connect(self._refused)
        self.saver.failed.connect(self._failed)
        saver = self.saver
        self.destroyed.connect(lambda *_: flush_orphan(saver))

        self.header = FormHeader(self)
        self.subject_text = subject_line(subject)
        self.header.set_audit(self.reference, self.template.title, self.subject_text, self.status)
        self.header.set_others([])
        self._find_other_audits(case_ref)
        self.moderation_panel = ModerationPanel(self)
        self.moderation_panel.respond.connect(self.respond_to_moderation)
        self.show_outcome(outcome)
        self.header.submit.clicked.connect(self.confirm_submit)
        # Submit is not the second Tab stop of the form: the keyboard reaches it at the end of the Summary
        # page, in the Audit menu and by its shortcut; Tab goes through the questions.
        self.header.submit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.header.reopen.clicked.connect(lambda: self.reopen())
        self.header.report.clicked.connect(lambda: self.save_report())
        self.header.history.clicked.connect(lambda: self.show_history())
        self.header.people.clicked.connect(lambda: self.edit_people())
        self.header.people.setVisible(bool(case_ref))
        self.header.otherAuditRequested.connect(self._open_other)
        self.missing_panel = MissingPanel(self)
        self.missing_panel.goTo.connect(self.go_to)

        self.navigator = Navigator(self)
        self.stack = QStackedWidget(self)
        self.guidance = GuidancePane(self)
        self.pages: dict[str, QWidget] = {}
        self.section_pages: dict[str, SectionPage] = {}
        self.rows: dict[str, QuestionRow] = {}
        for page in build_pages(self.template, build=False):
            sid = page.section.id
            self._add_page(f"section:{sid}", page.section.title, page)
            self.section_pages[sid] = page
        self.navigator.add_separator()
        self.judgement = JudgementPage(self.template)
        self.judgement.pageRequested.connect(self.show_page)
        self._add_page("judgement", "Judgement", self.judgement)
        self.summary = SummaryPage()
        self.summary.submit.clicked.connect(self.confirm_submit)
        self._add_page("summary", "Summary", self.summary)
        self.actions_panel = ActionsPanel(ctx, self._audit_id, self.actor)
        self.actions_panel.changed.connect(lambda: self._saved("actions", None, datetime.now().astimezone()))
        self.actions_panel.changed.connect(self._update_actions_title)
        self.actions_panel.refused.connect(lambda why: self._set_save_state(f"Not saved: {why}"))
        self._add_page("actions", "Actions", self.actions_panel)
        self.navigator.pageRequested.connect(self.show_page)

        splitter = form_splitter(self, self.navigator, self.stack, self.guidance)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.header)
        lay.addWidget(self.moderation_panel)
        lay.addWidget(self.missing_panel)
        lay.addWidget(splitter, 1)

        self._wire()
        self._load_values(actions)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh_changes)
        self._loading = False
        self._apply_status()
        self._start_key = self._start_page()
        self.show_page(self._start_key, focus=False)
        self._focused_once = False
        self.refresh()
        # The first page is on screen; the others are built one per turn of the event loop.
        self._build_timer = QTimer(self)
        self._build_timer.setInterval(0)
        self._build_timer.timeout.connect(self._build_next)
        self._build_timer.start()
        for keys, step in (("Ctrl+Return", 1), ("Ctrl+Enter", 1), ("Ctrl+PgDown", 1), ("Ctrl+PgUp", -1)):
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(lambda step=step: self.move_page(step))
        app = QApplication.instance()
        assert isinstance(app, QApplication)  # typed as QCoreApplication; a widget has a QApplication
        app.focusChanged.connect(self._focus_changed)
        if self.refusal is None:
            self._set_save_state(saved_text(None) if self.status == "draft" else "Read only: the audit is "
                                 f"{self.status}")
        self._follow_store(revision)  # changes made elsewhere come in (qadesk.ui.form.reloading)

    def edit_people(self) -> None:
        """The case's people list (names masked in external packs), from the case details in the header."""
        if self.case_ref:
            self.people_dialog = CasePeopleDialog(self.ctx, self.case_ref, self)
            self.people_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.people_dialog.open()

    # ------------------------------------------------------------------ building

    @property
    def audit_id(self) -> str:
        return self._audit_id

    def _add_page(self, key: str, title: str, widget: QWidget) -> None:
        self.pages[key] = widget
        self.stack.addWidget(widget)
        self.navigator.add_page(key, title, "not_started" if key.startswith("section:") else None)

    def show_outcome(self, outcome: moderation.Outcome) -> None:
        """The grades in the header and the moderation outcome under it (read-only)."""
        self.header.set_grades(self.template, outcome, self.status)
        self.moderation_panel.show_outcome(self.template, outcome)

    def respond_to_moderation(self, moderation_id: str) -> None:
        """The auditor's response to a moderation (or the moderator's note), added to its dialogue."""
        from qadesk.services import blind_moderation
        from qadesk.ui.operations import in_transaction

        dialog = RespondDialog(self)
        if not dialog.exec():
            return
        text, author = dialog.text.toPlainText().strip(), self.ctx.actor()
        if not text:
            return
        def done(_result: object) -> None:
            if self.ctx.hub is None:  # with the window's hub the change reloads the form itself
                self.reload_from_store()

        in_transaction(self.ctx.operations(), self.ctx.store,
                       lambda s: blind_moderation.add_note(s, moderation_id, author=author, text=text),
                       label="Adding to the moderation's dialogue", parent=self, done=done)

    def _find_other_audits(self, case_ref: str | None) -> None:
        """The header's links to the other audits of the same case, found in the background (a search)."""
        if not case_ref:
            return
        store, own, header = self.ctx.store, self._audit_id, self.header

        def fetch(_progress: object, _cancel: object) -> list[tuple[str, str, str]]:
            with store.session() as s:
                rows = list_audits(s, Selection(search=case_ref), limit=12)
            return [(r.id, r.reference, fmt_date(r.started_at)) for r in rows
                    if r.case_ref == case_ref and r.id != own]

        def show(others: list[tuple[str, str, str]]) -> None:
            if shiboken6.isValid(header):  # the tab may have been closed meanwhile
                header.set_others(others)

        self.ctx.operations().run(fetch, label="Finding the case's other audits", show_progress=False,
                                  on_success=show)

    def _load_values(self, actions: list[dict[str, Any]]) -> None:
        st = self.state
        for page in self.section_pages.values():
            if page.built:
                self._load_page(page)
        self.judgement.grade.setValue(st.overall_grade)
        self.judgement.rationale.setValue(st.overall_rationale)
        for key, edit in self.summary.fields.items():
            edit.setValue(st.summary.get(key))
        self.actions_panel.load(actions, self.status)
        self._update_actions_title()

    def _load_page(self, page: SectionPage) -> None:
        st = self.state
        for row in page.rows:
            qid = row.question.id
            if row.input is not None:
                row.input.setValue(st.answers.get(qid))
            if row.evidence is not None:
                row.evidence.setValue(st.evidence.get(qid))
        if page.grade is not None:
            page.grade.setValue(st.section_grades.get(page.section.id))

    def ensure_page(self, sid: str) -> SectionPage:
        """The section's page, built (with its values and wiring) if it was not yet."""
        page = self.section_pages[sid]
        if page.build():
            for row in page.rows:
                self.rows[row.question.id] = row
            was_loading, self._loading = self._loading, True
            try:
                self._load_page(page)
            finally:
                self._loading = was_loading
            self._wire_page(page)
            page.set_read_only(self.read_only)
            self._refresh_page(page)
        return page

    def build_all(self) -> None:
        """Build every page now (the form otherwise does it just after opening)."""
        for sid in self.section_pages:
            self.ensure_page(sid)
        self._build_next()

    def is_built(self) -> bool:
        return all(p.built for p in self.section_pages.values())

    def _build_next(self) -> None:
        pending = next((sid for sid, p in self.section_pages.items() if not p.built), None)
        if pending is not None:
            self.ensure_page(pending)
        if self.is_built() and self._build_timer.isActive():
            self._build_timer.stop()
            self.built.emit()

    def _wire(self) -> None:
        self.judgement.grade.changed.connect(lambda: self._overall_changed(True))
        self.judgement.rationale.changed.connect(lambda: self._overall_changed(False))
        for key, edit in self.summary.fields.items():
            edit.changed.connect(lambda key=key: self._summary_changed(key))

    def _wire_page(self, page: SectionPage) -> None:
        for row in page.rows:
            qid = row.question.id
            if row.input is not None:
                row.input.changed.connect(lambda qid=qid: self._answer_changed(qid))
            if row.evidence is not None:
                row.evidence.changed.connect(lambda qid=qid: self._answer_changed(qid, evidence=True))
        if page.grade is not None:
            sid = page.section.id
            page.grade.changed.connect(lambda sid=sid: self._grade_changed(sid))
        add_next_button(page, lambda: self.move_page(1))


    # ------------------------------------------------------------------ where the auditor starts

    def first_unanswered(self) -> str | None:
        """The id of the first question still to answer (it applies, takes an answer, has none), in form order."""
        st = self.state
        return next((q.id for q in relevant_questions(self.template, st.answers)
                     if q.answerable and is_blank(st.answers.get(q.id))), None)

    def _start_page(self) -> str:
        qid = self.first_unanswered() if not self.read_only else None
        if qid is not None:
            return f"section:{self.template.question(qid).section_id}"
        return next((k for k in self.navigator.visible_keys() if k.startswith("section:")), "judgement")

    def focus_start(self) -> None:
        """Put the focus where the auditor carries on: the first unanswered question (or, when every question
        is answered, the overall judgement if it is missing); a read-only audit starts at its pages' list."""
        if self.read_only:
            self.navigator.list.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        qid = self.first_unanswered()
        if qid is not None:
            q = self.template.question(qid)
            self.go_to(Missing(q.section_id, qid, q.label, key=f"question.{qid}"))
        elif self.state.overall_grade is None:
            self.go_to(Missing(None, None, "", key="overall.grade"))
        else:
            self.show_page(self.current_page() or "judgement", focus=True)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override: the first time the audit is seen
        super().showEvent(event)
        if not self._focused_once:
            self._focused_once = True
            QTimer.singleShot(0, self, self._focus_on_opening)

    def _focus_on_opening(self) -> None:
        # Unless another page was already chosen on purpose (a link, "go to") before the form showed.
        if self.current_page() == self._start_key:
            self.focus_start()

    # ------------------------------------------------------------------ live rules

    def _refresh_soon(self, *, answer: str | None = None, evidence: str | None = None,
                      grade: str | None = None) -> None:
        """Apply the rules again, on the next turn of the event loop, to what this change touches
        (a burst of changes is applied once); no argument: only the totals and the judgement page."""
        for kind, key in (("answer", answer), ("evidence", evidence), ("grade", grade)):
            if key is not None:
                self._changes[(kind, key)] = None
        self._refresh_timer.start()

    def _evaluation_current(self) -> bool:
        """Whether the evaluation is of ``state`` (not replaced by a reload since), today (a rule may read
        today())."""
        ev = self._ev
        return (ev is not None and self._ev_state is self.state
                and (not ev.plan.uses_today or ev.today == date.today()))

    def _evaluation(self) -> Evaluation:
        """The evaluation of ``state``, made afresh when it is not current."""
        ev = self._ev
        if ev is None or not self._evaluation_current():
            st = self.state
            ev = self._ev = Evaluation(self.template, st.answers, st.evidence, st.section_grades)
            self._ev_state = st
            self._changes.clear()  # made from the state as it is now: nothing left to apply
        return ev

    def refresh(self) -> None:
        """Apply relevance, show problems, update the navigator, progress and the judgement page."""
        self._ev = None  # everything again, from the state as it is now
        self._evaluation()
        for page in self.section_pages.values():
            self._refresh_page(page)
        self._refresh_totals(None)

    def _refresh_changes(self) -> None:
        """Apply the rules again to what the changes since the last time touched, and nothing else."""
        if not self._evaluation_current():  # a new evaluation: every row may differ from what it showed
            self.refresh()
            return
        ev = self._evaluation()
        changes, self._changes = self._changes, {}
        st = self.state
        questions: dict[str, None] = {}
        sections: dict[str, None] = {}
        for kind, key in changes:
            if kind == "answer":
                change = ev.set_answer(key, st.answers.get(key))
            elif kind == "evidence":
                change = ev.set_evidence(key, st.evidence.get(key))
            else:
                change = ev.set_section_grade(key, st.section_grades.get(key))
            questions.update(dict.fromkeys(change.questions))
            sections.update(dict.fromkeys(change.sections))
        for qid in questions:
            self._refresh_question(qid)
        for sid in sections:
            self._refresh_section(sid)
        self._refresh_totals(sections)

    def _refresh_totals(self, sections: Iterable[str] | None) -> None:
        """Progress, the suggested grade and the judgement page (its section lines: only ``sections``)."""
        ev, st = self._evaluation(), self.state
        done, total = ev.completion()
        self.navigator.set_progress(done, total)
        suggested = ev.suggested()
        self.judgement.update_view(st.section_grades, suggested, rationale_needed(st.overall_grade, suggested),
                                   self.show_missing, sections=sections)
        current = self.stack.currentWidget()
        if isinstance(current, SectionPage):  # an answer may have shown or hidden the page after it
            self._name_next_page(current, self.current_page() or "")

    def _refresh_page(self, page: SectionPage) -> None:
        for q in page.section.questions:
            self._refresh_question(q.id)
        self._refresh_section(page.section.id)

    def _refresh_question(self, qid: str) -> None:
        """The question's row: shown or hidden, and what is wrong with it."""
        row = self.rows.get(qid)
        if row is None:  # its page is not built yet
            return
        ev = self._evaluation()
        relevant = ev.question_relevant(qid)
        if row.isHidden() == relevant:
            row.setHidden(not relevant)
        problems: list[str] = []
        if relevant and row.question.answerable:
            problems = ev.problems(qid)
            if not self.show_missing:
                problems = [p for p in problems if p != REQUIRED_MESSAGE]
            if qid in self._refusals:
                problems.insert(0, self._refusals[qid])
        row.show_problems(problems)

    def _refresh_section(self, sid: str) -> None:
        """The section's state in the navigator, and whether its judgement is shown as missing."""
        ev, t = self._evaluation(), self.template
        s = t.section(sid)
        shown = ev.section_shown(sid)
        state = ev.section_state(sid)
        grade_missing = shown and bool(s.grade_list) and not self.state.section_grades.get(sid)
        if self.show_missing and shown:
            refused = any(t.question(qid).section_id == sid and t.question(qid).answerable
                          and ev.question_relevant(qid) for qid in self._refusals)
            if ev.section_has_problems(sid) or refused or grade_missing:
                state = "problems"
        self.navigator.set_state(f"section:{sid}", state)
        page = self.section_pages[sid]
        if page.built:
            page.show_grade_missing(self.show_missing and grade_missing)

    def _update_actions_title(self) -> None:
        n = sum(1 for a in self.actions_panel.rows if a["status"] == "open")
        self.navigator.set_title("actions", f"Actions ({n} open)" if n else "Actions")

    def snapshot(self) -> AuditState:
        """A copy of what the form holds now (``--self-test`` checks it against what it typed)."""
        return copy.deepcopy(self.state)

    # ------------------------------------------------------------------ closing

    def hideEvent(self, event) -> None:  # noqa: N802
        self.flush()
        super().hideEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.wait_saved()
        super().closeEvent(event)

    def show_history(self) -> QWidget:
        """The audit's history in a window of its own (Audit ▸ History…, Ctrl+H, or the header's History…)."""
        from qadesk.ui.history_view import open_history

        kept = self.__dict__.setdefault("_history_windows", {})
        return open_history(self.ctx, self.audit_id, self.window(), kept)


class RespondDialog(QDialog):
    """A response to a moderation: a few lines, added to its dialogue (and its history)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audit.respond_dialog")
        self.setWindowTitle("Respond to the moderation")
        self.text = QPlainTextEdit()
        self.text.setObjectName("audit.response")
        self.text.setAccessibleName("Your response")
        self.text.setPlaceholderText("Your response to the moderator's judgement and learning points")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add response")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        caption = QLabel("&Your response (the moderator sees it with the moderation)")
        caption.setBuddy(self.text)
        layout.addWidget(caption)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(520, 240)
