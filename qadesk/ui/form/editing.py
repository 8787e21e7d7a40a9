"""Keeping what the auditor does: every change goes into the form's state at once (so relevance and
the navigator follow live) and to the autosaver, which writes it through ``services.audits``;
the header says how saving is going.

A mixin of :class:`~qadesk.ui.form.view.AuditFormView`, which owns the widgets named here.
Jobs capture the values when they are scheduled (on the UI thread), so a save never reads a
widget, and runs in the window's database pool, off the UI thread.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from PySide6.QtWidgets import QApplication

from qadesk.core.audit import is_blank
from qadesk.services import audits
from qadesk.ui.date_input import DateBox
from qadesk.ui.form.autosave import Autosaver
from qadesk.ui.form.host import FormHost


class EditingMixin(FormHost):
    """From a changed widget to the store, and the save state in the header."""

    def _answer_changed(self, qid: str, evidence: bool = False) -> None:
        if self._loading:
            return
        row = self.rows[qid]
        value = row.input.value() if row.input is not None else None
        if evidence:
            note = row.evidence.value() if row.evidence else None
            if note:
                self.state.evidence[qid] = note
            else:
                self.state.evidence.pop(qid, None)
        elif is_blank(value):
            self.state.answers.pop(qid, None)
        else:
            self.state.answers[qid] = value
        note_arg: object = ... if row.evidence is None else (row.evidence.value() or None)
        audit_id, actor = self._audit_id, self.actor
        immediate = not evidence and row.input is not None and row.input.immediate
        self.saver.schedule(
            f"answer:{qid}",
            lambda s: audits.save_answer(s, audit_id, qid, value, actor=actor, evidence=note_arg),
            immediate=immediate)
        if evidence:
            self._refresh_soon(evidence=qid)
        else:
            self._refresh_soon(answer=qid)

    def _grade_changed(self, sid: str) -> None:
        if self._loading:
            return
        grade = scale.value() if (scale := self.section_pages[sid].grade) is not None else None
        if grade:
            self.state.section_grades[sid] = grade
        else:
            self.state.section_grades.pop(sid, None)
        audit_id, actor = self._audit_id, self.actor
        self.saver.schedule(f"grade:{sid}",
                            lambda s: audits.set_section_grade(s, audit_id, sid, grade, actor=actor),
                            immediate=True)
        self._refresh_soon(grade=sid)

    def _overall_changed(self, immediate: bool) -> None:
        if self._loading:
            return
        grade, rationale = self.judgement.grade.value(), self.judgement.rationale.value()
        self.state.overall_grade, self.state.overall_rationale = grade, rationale
        audit_id, actor = self._audit_id, self.actor
        self.saver.schedule("overall", lambda s: audits.set_overall(s, audit_id, actor=actor, grade=grade,
                                                                    rationale=rationale), immediate=immediate)
        self._refresh_soon()

    def _summary_changed(self, key: str) -> None:
        if self._loading:
            return
        text = self.summary.fields[key].value()
        if text:
            self.state.summary[key] = text
        else:
            self.state.summary.pop(key, None)
        audit_id, actor = self._audit_id, self.actor
        self.saver.schedule(f"summary:{key}",
                            lambda s: audits.set_summary(s, audit_id, key, text, actor=actor))

    def _saved(self, key: str, _result: object, when: datetime) -> None:
        if key.startswith("answer:"):
            qid = key.split(":", 1)[1]
            if self._refusals.pop(qid, None) is not None:
                self.refresh()
            if self.template.has_question(qid) and self.template.question(qid).subject_field:
                self._subject_followed()
        if not self.saver.pending:
            # A practitioner's response saved: the rest of the form stays read only for them, and says so.
            self._set_save_state(saved_text(when) + (" · the rest is read only for you" if self.refusal else ""))
            self.savedAt.emit(when)

    def _subject_followed(self) -> None:
        """A question filled from the subject changed the audit's subject: the header says it too."""
        from qadesk.ui.form.submitting import subject_line

        with self.ctx.store.session() as s:
            subject = audits.subject_dict(audits.get_audit(s, self._audit_id))
        self.header.set_audit(self.reference, self.template.title, subject_line(subject), self.status)

    def _saving(self) -> None:
        self._set_save_state("Saving…")

    def _failed(self, _key: str, why: str) -> None:
        self._set_save_state(f"Not saved: {why}")

    def _refused(self, key: str, why: str) -> None:
        if key.startswith("answer:"):
            qid = key.split(":", 1)[1]
            self._refusals[qid] = f"Not saved: {why}"
            self.refresh()
            if not self.rows[qid].isHidden():
                self._set_save_state(f"Not saved: {why}")
            return
        self._set_save_state(f"Not saved: {why}")

    def _set_save_state(self, text: str) -> None:
        """The header's save indicator ("Saving…", "Saved 14:02", "Not saved: …"), told to the shell too."""
        self.header.saved.setText(text)
        self.header.saved.setProperty("state", "error" if text.startswith("Not saved") else "")
        self.header.saved.style().unpolish(self.header.saved)
        self.header.saved.style().polish(self.header.saved)
        self.saveStateChanged.emit(text)

    def flush(self) -> bool:
        """Start saving every pending edit now (in the background); True when nothing is left unsaved.

        A date being typed is taken first (a date box otherwise takes it when the auditor leaves it).
        """
        focused = QApplication.focusWidget()
        box = focused.parentWidget() if focused is not None else None
        if isinstance(box, DateBox) and self.isAncestorOf(box):
            box.commit()
        return self.saver.flush()

    def wait_saved(self) -> bool:
        """Save every pending edit and wait until it is in the store (closing, submitting, tests).

        True when everything is saved; False when a write failed (the form says so and retries).
        """
        self.flush()
        return self.saver.wait_saved()


def flush_orphan(saver: Autosaver) -> None:
    """The form is gone: save what it left pending, telling no one (its widgets no longer exist)."""
    for signal in (saver.saving, saver.saved, saver.refused, saver.failed):
        with contextlib.suppress(RuntimeError, TypeError):
            signal.disconnect()
    saver.quiet = True
    # The store may have been closed first; then nothing more can be written.
    with contextlib.suppress(RuntimeError):
        saver.wait_saved()



def saved_text(when: datetime | None) -> str:
    if when is None:
        return "All changes saved"
    return f"Saved {when.strftime('%H:%M')}"

