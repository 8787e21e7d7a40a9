"""When the audit changes underneath its open form (another screen, the command line, later a sync).

The form follows the window's :class:`~qadesk.ui.change_hub.ChangeHub`: when
its audit changed, it reads the audit again (at once when shown, when next
shown otherwise) and takes in every answer it holds no unsaved edit for, and
the header (status, grades), the moderation outcome and the actions.

An answer the auditor is working on is never overwritten: one whose change
is not yet in the store (the autosaver still holds its job, or the store
refused it), or the one in the field with the focus when its text is no
longer what the form loaded.  The auditor's text is kept and saved, and the
form says beside the field what it was changed to elsewhere; the audit's
history keeps both.  What the form loads is loaded with ``_loading`` set, so
a reload never schedules a save of what it loaded.

Submitted (or closed) elsewhere while the auditor had changes not yet in the
store: those changes can no longer be saved, so the form reads the audit at
once (also when the store refused a change because the audit is no longer a
draft) and hands them to the auditor to copy ("Your last changes were not
saved").

A mixin of :class:`~qadesk.ui.form.view.AuditFormView`.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QWidget

from qadesk.core.audit import SUMMARY_LABELS, AuditState
from qadesk.core.dates import british_datetime
from qadesk.exchange.display import answer_text
from qadesk.services import audits, moderation
from qadesk.services.audit_access import latest_change, revision_of
from qadesk.services.changes import Changes
from qadesk.ui import messages
from qadesk.ui.change_hub import follow
from qadesk.ui.date_input import DateBox, DateTimeBox
from qadesk.ui.form.actions_panel import action_row
from qadesk.ui.form.host import FormHost

SHOWN_CHARS = 120
KEEPING = ("Changed {by} while you were typing: it now says “{theirs}”. Your text is kept here and is "
           "saved when you stop typing; the audit's history keeps both.")
KEPT = ("Changed {by} while you were typing (to “{theirs}”). Your text was saved after it; the audit's "
        "history keeps both.")


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


class ReloadingMixin(FormHost):
    """From a change in the store to the open form, without losing what the auditor is typing."""

    def _follow_store(self, revision: int) -> None:
        """Start following the window's changes (called once the form is built)."""
        self._known_revision = revision
        self._loaded = copy.deepcopy(self.state)  # what the store held when the form last read it
        self._changed_notes: dict[str, QLabel] = {}
        self._store_timer = QTimer(self)
        self._store_timer.setSingleShot(True)
        self._store_timer.setInterval(0)  # a burst of changes is read once
        self._store_timer.timeout.connect(self.reload_from_store)
        self.saver.saved.connect(self._store_saved)
        # Refused because the audit stopped being a draft meanwhile (submitted or closed elsewhere): kept
        # here until the audit is read again, whose warning hands them to the auditor.
        self._closed_keys: set[str] = set()
        self.saver.closed.connect(self._closed_meanwhile)
        follow(self.ctx.hub, self, self._concerns_me, self._store_timer.start)

    def _concerns_me(self, changes: Changes) -> bool:
        return changes.touches(self._audit_id)

    def _store_saved(self, key: str, result: object, _when: object) -> None:
        revision = getattr(result, "revision", None)
        # One step past what the form knew: nobody else wrote in between, no need to read the audit again.
        if isinstance(revision, int) and revision == self._known_revision + 1:
            self._known_revision = revision
        if key not in self.saver.pending:  # the store now holds what the form holds for this key
            self._mark_loaded(key)
        note = self._changed_notes.get(key)
        if note is not None and note.property("state") == "keeping":
            note.setText(note.property("kept_text"))
            note.setProperty("state", "kept")

    def _closed_meanwhile(self, key: str, why: str) -> None:
        """The store refused ``key`` because the audit is no longer a draft: read the audit now, so the
        auditor is told at once and handed this change to copy ("Your last changes were not saved")."""
        self._set_save_state(f"Not saved: {why}")
        if self.status != "draft":
            return  # the form read the audit first: its warning listed this change, then in flight
        self._closed_keys.add(key)
        self._store_timer.start()

    def _mark_loaded(self, key: str) -> None:
        """What the form holds for ``key`` is what the store holds: a field with the focus is "being
        typed in" again only once the auditor changes it after this."""
        kind, _, name = key.partition(":")
        mine, loaded = self.state, self._loaded
        if kind == "answer":
            _put(loaded.answers, name, mine.answers.get(name))
            _put(loaded.evidence, name, mine.evidence.get(name))
        elif kind == "summary":
            _put(loaded.summary, name, mine.summary.get(name))
        elif kind == "grade":
            _put(loaded.section_grades, name, mine.section_grades.get(name))
        elif key == "overall":
            loaded.overall_grade, loaded.overall_rationale = mine.overall_grade, mine.overall_rationale

    def _who_and_when(self, changed: tuple[str, datetime] | None) -> str:
        """"by Pat Example at 14:02" (or "by you, elsewhere, ..."): the newest change to the audit."""
        if changed is None:
            return "elsewhere"
        actor, at = changed
        who = "you, elsewhere," if actor.strip().casefold() == self.actor.strip().casefold() else actor
        return f"by {who} at {_local_time(at)}"

    def _unsaved_keys(self) -> set[str]:
        """The keys whose change is not in the store: queued or in flight, or refused by it."""
        return set(self.saver.pending) | {f"answer:{qid}" for qid in self._refusals} | self._closed_keys

    def _answer_being_typed(self, qid: str) -> bool:
        """The answer's field has the focus and holds what the store may not: changed since the form last
        loaded or saved it, or typed into a date box that has not taken it yet (a date box takes its text
        when the auditor leaves it or presses Enter, so the box still holds the old value)."""
        row = self.rows.get(qid)
        if row is None or not _has_focus(row):
            return False
        ours = (self.state.answers.get(qid), self.state.evidence.get(qid))
        return ours != (self._loaded.answers.get(qid), self._loaded.evidence.get(qid)) or _typed_not_taken(row)

    def _summary_being_typed(self, key: str) -> bool:
        return (_has_focus(self.summary.fields[key])
                and self.state.summary.get(key) != self._loaded.summary.get(key))

    def _unsaved_work(self) -> list[str]:
        """What the auditor has changed that the store does not hold yet, as lines they can copy."""
        lines = []
        keys = self._unsaved_keys()
        for q in self.template.questions():
            if not q.answerable:
                continue
            if f"answer:{q.id}" not in keys and not self._answer_being_typed(q.id):
                continue
            row = self.rows.get(q.id)
            ours = (self.state.answers.get(q.id), self.state.evidence.get(q.id))
            loaded = (self._loaded.answers.get(q.id), self._loaded.evidence.get(q.id))
            if row is not None and _typed_not_taken(row):
                focused = QApplication.focusWidget()
                text = focused.text() if isinstance(focused, QLineEdit) else ""
            else:
                text = answer_text(q, ours[0]) or "no answer"
            lines.append(f"{q.label}: {text}")
            if ours[1] and ours[1] != loaded[1]:
                lines.append(f"{q.label} (evidence note): {ours[1]}")
        for k in self.summary.fields:
            written = self.state.summary.get(k)
            if written and (f"summary:{k}" in keys or self._summary_being_typed(k)):
                lines.append(f"{SUMMARY_LABELS.get(k, k)}: {written}")
        return lines

    # ------------------------------------------------------------------ reading the audit again

    def reload_from_store(self) -> bool:
        """Read the audit again and show what changed elsewhere; False when nothing had."""
        with self.ctx.store.session() as s:
            # One indexed read when nothing moved (the form's own save, announced too): the row's revision.
            if revision_of(s, self._audit_id) == self._known_revision:
                return False
            audit = audits.get_audit(s, self._audit_id)
            revision = audit.revision
            stored = audits.state_of(audit)
            status = audit.status
            actions = [action_row(a) for a in audit.actions]
            subject = audits.subject_dict(audit)
            outcome = moderation.outcome(audit)
            changed = latest_change(s, self._audit_id)
        self._known_revision = revision
        self._changed_by = self._who_and_when(changed)
        if status != self.status:
            # Submitted (or closed) elsewhere while the auditor had changes not yet in the store: those
            # can no longer be saved, so they are handed to the auditor to copy rather than dropped.
            unsaved = self._unsaved_work() if status != "draft" else []
            for key in self.saver.pending:
                self.saver.discard(key)
            self._closed_keys.clear()
            self._reload()  # submitted or reopened elsewhere: the form becomes read-only or editable
            self._loaded = copy.deepcopy(self.state)
            if unsaved:
                done = {"completed": "completed", "moderated": "moderated"}.get(status, "closed")
                self._set_save_state(f"Not saved: {self.reference} was {done} {self._changed_by}")
                messages.warning(
                    f"{self.reference} was {done} {self._changed_by} while you had changes that were not "
                    f"saved yet. The audit cannot be changed now, so they are not in it: Show Details lists "
                    f"them, for you to copy. To add them, reopen the audit (with a reason) and put them back.",
                    parent=self, title="Your last changes were not saved", detail="\n\n".join(unsaved))
            return True
        from qadesk.ui.form.submitting import subject_line

        self._take_in(stored)
        self.subject_text = subject_line(subject)
        self.header.set_audit(self.reference, self.template.title, self.subject_text, self.status)
        self.show_outcome(outcome)
        if actions != self.actions_panel.rows:
            self.actions_panel.load(actions, self.status)
            self._update_actions_title()
        self.refresh()
        return True

    def _take_in(self, stored: AuditState) -> None:
        mine, new = self.state, copy.deepcopy(stored)
        unsaved = self._unsaved_keys()
        keep: list[tuple[str, str]] = []  # (key, what it says elsewhere)
        for q in self.template.questions():
            if not q.answerable:
                continue
            qid, key = q.id, f"answer:{q.id}"
            ours = (mine.answers.get(qid), mine.evidence.get(qid))
            theirs = (stored.answers.get(qid), stored.evidence.get(qid))
            if ours == theirs:
                continue
            if key not in unsaved and not self._answer_being_typed(qid):
                continue  # taken from ``new`` below
            row = self.rows.get(qid)
            uncommitted = row is not None and _typed_not_taken(row)  # saved when the date box takes it
            _put(new.answers, qid, ours[0])
            _put(new.evidence, qid, ours[1])
            said = [answer_text(q, theirs[0]) or "no answer"] if ours[0] != theirs[0] else []
            if ours[1] != theirs[1]:
                said.append(f"evidence note: {theirs[1] or 'none'}")
            keep.append((key, _shown("; ".join(said))))
            if key not in self.saver.pending and not uncommitted:
                self._answer_changed(qid)  # the auditor's text goes to the store again
            # (typed, not taken: it goes to the store when the box takes it, as any date does)
        for sid, grade in list(mine.section_grades.items()) + [(s, None) for s in stored.section_grades
                                                                if s not in mine.section_grades]:
            if f"grade:{sid}" in unsaved:
                _put(new.section_grades, sid, grade)
        if "overall" in unsaved:
            new.overall_grade, new.overall_rationale = mine.overall_grade, mine.overall_rationale
        for k, text in mine.summary.items() | {(k, None) for k in stored.summary if k not in mine.summary}:
            key = f"summary:{k}"
            if stored.summary.get(k) == text:
                continue
            if key in unsaved or self._summary_being_typed(k):
                _put(new.summary, k, text)
                keep.append((key, _shown(stored.summary.get(k) or "nothing")))
                if key not in self.saver.pending:
                    self._summary_changed(k)
        self._loaded = copy.deepcopy(stored)
        self.state = new
        self._loading = True
        try:
            self._show_values(mine)
        finally:
            self._loading = False
        kept = {key for key, _ in keep}
        for key in [k for k in self._changed_notes if k not in kept and k not in unsaved]:
            self._changed_notes.pop(key).deleteLater()
        for key, elsewhere in keep:
            self._note_changed(key, elsewhere)

    def _show_values(self, before: AuditState) -> None:
        """Put into the widgets what differs from what they showed (``before``); unbuilt pages load later."""
        st = self.state
        for qid, row in self.rows.items():
            if row.input is not None and st.answers.get(qid) != before.answers.get(qid):
                row.input.setValue(st.answers.get(qid))  # type: ignore[attr-defined]
            if row.evidence is not None and st.evidence.get(qid) != before.evidence.get(qid):
                row.evidence.setValue(st.evidence.get(qid))
        for sid, page in self.section_pages.items():
            if page.grade is not None and page.built and st.section_grades.get(sid) != before.section_grades.get(sid):
                page.grade.setValue(st.section_grades.get(sid))
        if (st.overall_grade, st.overall_rationale) != (before.overall_grade, before.overall_rationale):
            self.judgement.grade.setValue(st.overall_grade)
            self.judgement.rationale.setValue(st.overall_rationale)
        for k, edit in self.summary.fields.items():
            if st.summary.get(k) != before.summary.get(k):
                edit.setValue(st.summary.get(k))

    # ------------------------------------------------------------------ saying so beside the field

    def _note_changed(self, key: str, theirs: str) -> None:
        """Beside the field of ``key``: what it says elsewhere, and that the auditor's text is kept."""
        where = self._field_of(key)
        if where is None:
            return
        note = self._changed_notes.get(key)
        if note is None:
            parent = where.parentWidget()
            layout = parent.layout() if parent is not None else None
            if layout is None:
                return
            note = QLabel(parent)
            kind, _, name = key.partition(":")
            note.setObjectName(f"changed_elsewhere.{name}" if kind == "answer" else f"changed_elsewhere.{kind}.{name}")
            note.setProperty("role", "changed-elsewhere")
            note.setWordWrap(True)
            layout.insertWidget(layout.indexOf(where) + 1, note)  # type: ignore[attr-defined]
            self._changed_notes[key] = note
        by = getattr(self, "_changed_by", "elsewhere")
        note.setText(KEEPING.format(by=by, theirs=theirs))
        note.setProperty("kept_text", KEPT.format(by=by, theirs=theirs))
        note.setProperty("state", "keeping")
        note.setAccessibleName(note.text())
        note.show()
        where.setAccessibleDescription(note.text())

    def _field_of(self, key: str) -> QWidget | None:
        kind, _, name = key.partition(":")
        if kind == "answer" and name in self.rows:
            row = self.rows[name]
            if row.evidence is not None and row.evidence.hasFocus():
                return row.evidence
            return row.input
        if kind == "summary":
            return self.summary.fields.get(name)
        return None


def _local_time(at: datetime) -> str:
    local = at.astimezone()
    return f"{local:%H:%M}" if local.date() == datetime.now().astimezone().date() else british_datetime(local)


def _typed_not_taken(widget: QWidget) -> bool:
    """The focus is in a date box of ``widget`` holding typing the box has not taken yet (a date box
    takes its text when the auditor leaves it or presses Enter; other inputs take every keystroke)."""
    focused = QApplication.focusWidget()
    if not (isinstance(focused, QLineEdit) and focused.isModified() and widget.isAncestorOf(focused)):
        return False
    box = focused.parentWidget()
    while box is not None and box is not widget:
        if isinstance(box, (DateBox, DateTimeBox)):
            return True
        box = box.parentWidget()
    return False


def _has_focus(widget: QWidget) -> bool:
    focused = QApplication.focusWidget()
    return focused is not None and (focused is widget or widget.isAncestorOf(focused))


def _put(values: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        values.pop(key, None)
    else:
        values[key] = value
