"""Submitting and reopening an audit from the form, and reloading it afterwards.

A mixin of :class:`~qadesk.ui.form.view.AuditFormView`, which owns the widgets named here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import Missing, QadeskError, SubmitRefused
from qadesk.core.permissions import Do
from qadesk.services import audits, permissions
from qadesk.services.moderation import outcome as moderation_outcome
from qadesk.ui import messages
from qadesk.ui.form.actions_panel import action_row
from qadesk.ui.form.host import FormHost
from qadesk.ui.operations import in_transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

class SubmittingMixin(FormHost):
    """Submit (or say what is missing and go there), reopen with a reason, read-only when not a draft."""

    def confirm_submit(self) -> bool:
        """Submit as the auditor asks for it (the button, the menu, the shortcut): what is missing is listed
        first; otherwise a question names the audit and what happens next, and only its Submit submits.

        True when the question is shown, or will be once the pending edits are in the store (it is
        window-modal and does not wait: ``submit_dialog``).
        """
        if self.read_only or self.submitting:
            return False
        self.build_all()
        self.flush()
        self._set_submitting(True)

        def saved(ok: bool) -> None:
            self._set_submitting(False)
            if not ok:  # the save state says why
                return
            missing = self._unsaved_as_missing()
            if not missing:
                with self.ctx.store.session() as s:  # one audit by its key: a trivial read
                    missing = audits.check_submit(s, self._audit_id)
            if missing:
                self._refuse_submit(missing)
                return
            open_actions = sum(1 for a in self.actions_panel.rows if a["status"] == "open")
            dialog = SubmitDialog(self, self.reference, self.template.title, self.subject_text, open_actions)
            dialog.accepted.connect(self.submit)
            self.submit_dialog = dialog
            dialog.open()
            dialog.activateWindow()
            dialog.keep_editing.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

        self.saver.when_saved(saved)
        return True

    def submit(self) -> bool:
        """Complete the audit now (no question asked), in the background once pending edits are saved;
        when refused, list what is missing and go to the first item.

        True when the submission was started (``statusChanged("completed")`` tells it is done).
        """
        if self.read_only or self.submitting:
            return False
        self.build_all()
        self.flush()
        self._set_submitting(True)
        store, audit_id, actor = self.ctx.store, self._audit_id, self.actor

        def refused(exc: QadeskError) -> None:
            self._set_submitting(False)
            if isinstance(exc, SubmitRefused):
                self._refuse_submit(list(exc.missing))
            else:
                self._set_save_state(f"Not submitted: {exc}")

        def done(_result: object) -> None:
            self._set_submitting(False)
            self.missing_panel.show_missing([])
            self._reload()
            self._set_save_state("Submitted")

        def work(s: Session) -> None:
            audits.submit(s, audit_id, actor=actor)

        def saved(ok: bool) -> None:
            if not ok:  # the save state says why
                self._set_submitting(False)
                return
            missing = self._unsaved_as_missing()
            if missing:
                self._set_submitting(False)
                self._refuse_submit(missing)
                return
            self._set_save_state("Submitting…")
            in_transaction(self.ctx.operations(), store, work, label=f"Submitting {self.reference}", parent=self, done=done, refused=refused)

        self.saver.when_saved(saved)
        return True

    def _set_submitting(self, busy: bool) -> None:
        """While the audit is being submitted its Submit buttons wait."""
        self.submitting = busy
        for button in (self.header.submit, self.summary.submit):
            button.setEnabled(not busy)

    def _refuse_submit(self, missing: list[Missing]) -> None:
        self.show_missing = True
        self.refresh()
        self.missing_panel.show_missing(missing)
        self._set_save_state(f"Not submitted: {len(missing)} thing{'s' if len(missing) != 1 else ''} "
                             "to finish")
        self.go_to(missing[0])

    def _unsaved_as_missing(self) -> list[Missing]:
        out = []
        for qid, why in self._refusals.items():
            row = self.rows[qid]
            if not row.isHidden():
                q = row.question
                section = self.template.section(q.section_id)
                out.append(Missing(q.section_id, qid, f"{section.title} — {q.label}: {why}", key=f"question.{qid}"))
        return out

    def save_report(self, path: str | None = None) -> bool:
        """Write this audit's report (PDF) after saving pending edits; asks where unless ``path`` is given.

        The PDF is made off the UI thread; the form says "Report saved to ..." when it is written.
        """
        self.flush()
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save the audit report", f"{self.reference}.pdf",
                                                  "PDF (*.pdf)")
            if not path:
                return False
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        from qadesk.services.reporting import write_audit_report

        store, audit_id, target = self.ctx.store, self._audit_id, Path(path)

        def work(progress: Any, cancel: Any) -> Path:
            with store.session() as s:
                return write_audit_report(s, audit_id, target, progress=progress, cancel=cancel)

        ops = self.ctx.operations()  # the same pool as the autosave: the report is made after the pending edits
        ops.run(work, label=f"Writing the report of {self.reference}",
                on_success=lambda p: self._set_save_state(f"Report saved to {Path(p).name}"),
                on_failure=lambda exc: messages.error(f"The report could not be written: {exc}", parent=self))
        return True

    def reopen(self, reason: str | None = None) -> bool:
        """Make a completed audit a draft again (in the background); asks for the reason unless one is given.

        True when the reopening was started (``statusChanged("draft")`` tells it is done).
        """
        if reason is None:
            text, ok = QInputDialog.getMultiLineText(
                self, "Reopen the audit",
                f"Why does {self.reference} need to change? The reason is kept in the audit's history,\n"
                "together with the completed version.")
            if not ok or not text.strip():
                return False
            reason = text
        store, audit_id, actor = self.ctx.store, self._audit_id, self.actor

        def work(s: Session) -> None:
            audits.reopen(s, audit_id, reason, actor=actor)

        def reopened(_result: object) -> None:
            self._reload()
            self._set_save_state("Reopened: changes are saved as you work")

        # Written in the background; Reopen waits meanwhile.
        in_transaction(self.ctx.operations(), store, work, label=f"Reopening {self.reference}", parent=self, done=reopened,
                       refused=lambda exc: self._set_save_state(f"Not reopened: {exc}"), busy=(self.header.reopen,))
        return True

    def _reload(self) -> None:
        before = self.status
        with self.ctx.store.session() as s:
            audit = audits.get_audit(s, self._audit_id)
            self.state = audits.state_of(audit)
            self.status = audit.status
            actions = [action_row(a) for a in audit.actions]
            subject = audits.subject_dict(audit)
            outcome = moderation_outcome(audit)
            self.refusal = permissions.change_refusal(s, audit)
            self.may_respond = permissions.change_refusal(s, audit, Do.RESPOND) is None
        self._loading = True
        try:
            self._load_values(actions)
        finally:
            self._loading = False
        self.subject_text = subject_line(subject)
        self.header.set_audit(self.reference, self.template.title, self.subject_text, self.status)
        self.show_outcome(outcome)
        self.show_missing = self.show_missing and self.status == "draft"
        self._refusals.clear()
        self._apply_status()
        self.refresh()
        if self.status != before:
            self.statusChanged.emit(self.status)

    def _apply_status(self) -> None:
        read_only = self.read_only
        for page in self.section_pages.values():
            if page.built:
                page.set_read_only(read_only)
        self.judgement.set_read_only(read_only)
        self.summary.set_read_only(read_only)
        self.summary.submit.setVisible(not read_only)
        if read_only and self.status == "draft" and self.may_respond:  # a practitioner: their response only
            self.summary.fields["practitioner_reflection"].setReadOnly(False)
        if self.refusal is not None:
            self.header.submit.setVisible(False)
            self.header.reopen.setEnabled(False)
            self.header.reopen.setToolTip(self.refusal)
            self._set_save_state("Read only for you" + (": you may add your response on the Summary page"
                                                        if self.may_respond and self.status == "draft" else ""))
            self.header.saved.setToolTip(self.refusal)

    @property
    def read_only(self) -> bool:
        """Whether the form is shown without editing: a completed audit, or one this person may not change."""
        return self.status != "draft" or self.refusal is not None


def subject_line(subject: dict[str, Any]) -> str:
    """The header's line about the case: reference, case type, team, practitioner."""
    from qadesk.core.audit import CASE_TYPE_LABELS

    parts = []
    if subject.get("case_ref"):
        parts.append(f"Case {subject['case_ref']}")
    if subject.get("case_type"):
        parts.append(CASE_TYPE_LABELS.get(subject["case_type"], subject["case_type"]))
    for key in ("team", "practitioner"):
        if subject.get(key):
            parts.append(str(subject[key]))
    # A supervision audit is of two people; family feedback says who gave it.
    if subject.get("supervisor"):
        parts.append(f"Supervisor: {subject['supervisor']}")
    if subject.get("respondent"):
        parts.append(f"Feedback from: {subject['respondent']}")
    return " · ".join(parts) or "No case details recorded"



class SubmitDialog(QDialog):
    """"Submit AUD-2026-0042?": which audit, what submitting does, and two buttons; Enter keeps editing."""

    def __init__(self, parent: QWidget | None, reference: str, template_title: str, subject: str,
                 open_actions: int) -> None:
        super().__init__(parent)
        self.setObjectName("audit.submit_dialog")
        self.setWindowTitle("Submit the audit")
        self.setAccessibleName(f"Submit {reference}?")
        lay = QVBoxLayout(self)
        lay.setSpacing(8)
        heading = QLabel(f"Submit {reference}?", self)
        heading.setProperty("role", "form-title")
        which = QLabel(f"{template_title}\n{subject}", self)
        which.setObjectName("audit.submit_dialog.which")
        which.setWordWrap(True)
        actions = (f"its {open_actions} open action{'s stay' if open_actions != 1 else ' stays'} open and "
                   "tracked on the Actions screen until done." if open_actions else
                   "actions added later are tracked on the Actions screen until done.")
        what = QLabel("When you submit it:\n"
                      "•  the audit is completed and becomes read-only;\n"
                      "•  it goes to moderation, where a second manager or a QA lead checks the judgement;\n"
                      "•  changing it afterwards means reopening it with a reason, and the history keeps "
                      "both versions;\n"
                      f"•  {actions}", self)
        what.setObjectName("audit.submit_dialog.what")
        what.setWordWrap(True)
        for label in (heading, which, what):
            label.setTextFormat(Qt.TextFormat.PlainText)
            lay.addWidget(label)
        buttons = QDialogButtonBox(self)
        self.keep_editing = QPushButton("Keep editing", self)
        self.keep_editing.setObjectName("audit.submit_dialog.keep")
        self.submit_button = QPushButton("Submit", self)
        self.submit_button.setObjectName("audit.submit_dialog.submit")
        self.submit_button.setAccessibleName(f"Submit {reference}")
        buttons.addButton(self.submit_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.keep_editing, QDialogButtonBox.ButtonRole.RejectRole)
        self.keep_editing.setDefault(True)  # Enter does not submit by accident; Tab to Submit, then Enter
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.keep_editing.setFocus(Qt.FocusReason.OtherFocusReason)
        self.setMinimumWidth(480)
