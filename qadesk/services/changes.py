"""What changed: every commit to the store says what kind of thing it changed (Anki's ``OpChanges``).

A :class:`Changes` is a plain, frozen value: the audit list, the answers of
some audits, actions, moderation, templates, programmes, cases, the profile.
Nothing has to remember to announce it: SQLAlchemy's session events see
every row a session writes (the mappers' ``after_insert``, ``after_update``
and ``after_delete``, and bulk statements through ``do_orm_execute``), map each
row's class to its kind (:data:`KINDS`), and ``after_commit`` hands the
merged value to every subscriber; a rollback announces nothing.

Subscribers are plain functions, called on the committing thread after the
commit; one that fails is logged and never undoes or breaks the commit.
The window turns them into a Qt signal (``qadesk.ui.change_hub``); the
command line subscribes nothing and so pays nothing (the listeners are
installed by the first subscription).

Changes made by another process (the command line beside an open window,
later a sync) are read back from the history, which every change to an
audit, action, moderation, template and programme appends to:
:func:`from_history` turns its new entries into the same value.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, object_session

from qadesk.store import Store
from qadesk.store.models import (
    ActionItem,
    Answer,
    Assignment,
    Audit,
    Base,
    BlindJudgement,
    CalibrationExercise,
    CalibrationRating,
    Case,
    CaseListMapping,
    CasePerson,
    Conflict,
    HistoryEntry,
    ImportedPack,
    Indicator,
    Moderation,
    ModerationChoice,
    ModerationNote,
    ModerationSection,
    PackMapping,
    Person,
    Programme,
    ProgrammeSample,
    SectionJudgement,
    Setting,
    SyncBase,
    TemplateVersion,
)

log = logging.getLogger("qadesk.changes")

_FLAGS = ("audits", "actions", "moderation", "templates", "programmes", "cases", "indicators", "profile")


@dataclass(frozen=True)
class Changes:
    """What kind of thing changed.

    ``audits``: the audit list (an audit started, removed, or its status, grade, subject or template
    changed); ``answers``: the audits whose answers, judgements or summary changed; ``audit_ids``:
    every audit this change touched in any way (its row, answers, actions or moderations);
    ``all_audits``: audits changed that cannot be named (bulk work), so any audit may have.
    ``history``: the sequence numbers of the history entries written, so a poll of the history can
    tell this process's changes from another's.
    """

    audits: bool = False
    answers: frozenset[str] = frozenset()
    actions: bool = False
    moderation: bool = False
    templates: bool = False
    programmes: bool = False
    cases: bool = False
    indicators: bool = False  # the performance data
    profile: bool = False
    audit_ids: frozenset[str] = frozenset()
    all_audits: bool = False
    history: frozenset[int] = field(default=frozenset(), compare=False)

    @classmethod
    def everything(cls) -> Changes:
        """A change whose kind is not known: everything may have changed."""
        return cls(audits=True, actions=True, moderation=True, templates=True, programmes=True, cases=True,
                   indicators=True, profile=True, all_audits=True)

    def __or__(self, other: Changes) -> Changes:
        return Changes(**{f.name: getattr(self, f.name) | getattr(other, f.name) for f in fields(self)})

    @staticmethod
    def merge(changes: Iterable[Changes]) -> Changes:
        out = Changes()
        for c in changes:
            out = out | c
        return out

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in (*_FLAGS, "answers", "audit_ids", "all_audits"))

    def without_history(self) -> Changes:
        return replace(self, history=frozenset())

    # What a screen asks -------------------------------------------------------------------------

    def touches(self, audit_id: str) -> bool:
        """True when this audit may have changed in any way."""
        return self.all_audits or audit_id in self.audit_ids

    def answers_of(self, audit_id: str) -> bool:
        """True when the answers, judgements or summary of this audit may have changed."""
        return self.all_audits or audit_id in self.answers

    def concerns(self, *kinds: str) -> bool:
        """True when any of ``kinds`` changed (the names of the fields; ``answers`` of any audit)."""
        for kind in kinds:
            if kind == "answers":
                if self.answers or self.all_audits:
                    return True
            elif kind not in _FLAGS:
                raise ValueError(f"no kind of change '{kind}' (the kinds: answers, {', '.join(_FLAGS)})")
            elif getattr(self, kind):
                return True
        return False

    def describe(self) -> str:
        """A short account for the log: 'audits, answers of 2 audits, actions'."""
        parts = [name for name in _FLAGS if getattr(self, name)]
        if self.all_audits:
            parts.insert(1, "any audit")
        elif self.answers:
            parts.insert(1, f"answers of {len(self.answers)} audit{'s' if len(self.answers) != 1 else ''}")
        return ", ".join(parts) or "nothing"


NOTHING = Changes()

# ---------------------------------------------------------------------------------------- rows to kinds

# The columns of an audit's row that only its own form shows (the work in it); a change to any other
# column (status, grade, subject, dates) shows in the lists too.
AUDIT_WORK_COLUMNS = frozenset({
    "revision", "updated_at", "answered_count", "overall_suggested", "overall_rationale", "strengths",
    "development", "impact_on_child", "practitioner_reflection", "family_feedback",
})
PROFILE_SETTINGS = frozenset({"profile"})  # the other settings are counters and first-run choices


def _audit(row: Audit, how: str) -> Changes:
    ids = frozenset({row.id}) if row.id else frozenset()
    if how != "dirty":
        return Changes(audits=True, answers=ids, audit_ids=ids, actions=how == "deleted",
                       moderation=how == "deleted")
    state = inspect(row)
    changed = {c.key for c in state.mapper.column_attrs if state.attrs[c.key].history.has_changes()}
    return Changes(audits=bool(changed - AUDIT_WORK_COLUMNS), answers=ids, audit_ids=ids)


def _of_audit(**kind: bool) -> Callable[[Any, str], Changes]:
    def kinds(row: Any, _how: str) -> Changes:
        ids = frozenset({row.audit_id}) if row.audit_id else frozenset()
        answers = ids if kind.get("answers") else frozenset()
        return Changes(answers=answers, audit_ids=ids, actions=kind.get("actions", False),
                       moderation=kind.get("moderation", False), audits=kind.get("moderation", False))
    return kinds


def _setting(row: Setting, _how: str) -> Changes:
    return Changes(profile=row.key in PROFILE_SETTINGS or row.key.startswith("profile@"))  # a server login's


def _none(_row: Any, _how: str) -> Changes:
    return NOTHING


# Every table's rows and what they change.  History, pack mappings and imported packs are the record
# of a change, never shown on their own: the change they record announces itself.
KINDS: dict[type[Base], Callable[[Any, str], Changes]] = {
    Audit: _audit,
    Answer: _of_audit(answers=True),
    SectionJudgement: _of_audit(answers=True),
    ActionItem: _of_audit(actions=True),
    Moderation: _of_audit(moderation=True),
    BlindJudgement: _of_audit(moderation=True),  # a moderator's own judgements, recorded blind
    # Written with their moderation (which announces its audit), or beside a change to the audit itself.
    ModerationSection: lambda _r, _h: Changes(moderation=True),
    ModerationNote: lambda _r, _h: Changes(moderation=True),
    # Calibration exercises: the Moderation screen's dialog reads them itself; nothing else shows them.
    CalibrationExercise: lambda _r, _h: Changes(moderation=True),
    CalibrationRating: lambda _r, _h: Changes(moderation=True),
    TemplateVersion: lambda _r, _h: Changes(templates=True),
    Programme: lambda _r, _h: Changes(programmes=True),
    ProgrammeSample: lambda _r, _h: Changes(programmes=True),
    # An assignment changes the programme's progress and whose audit it is (Home's "assigned to me").
    Assignment: lambda r, _h: Changes(programmes=True, audits=True, audit_ids=frozenset({r.audit_id})),
    Case: lambda _r, _h: Changes(cases=True),
    CasePerson: lambda _r, _h: Changes(cases=True),  # a case's people list (masking in external packs)
    CaseListMapping: lambda _r, _h: Changes(cases=True),
    Indicator: lambda _r, _h: Changes(indicators=True),
    Person: lambda _r, _h: Changes(profile=True),  # the people who audit and moderate
    Setting: _setting,
    ModerationChoice: lambda _r, _h: Changes(moderation=True),  # chosen for moderation: the awaiting list
    HistoryEntry: _none,
    PackMapping: _none,
    ImportedPack: _none,
    # A conflict kept or resolved: the audit's own row changes beside it when resolved; the window's count follows.
    Conflict: lambda r, _h: Changes(audits=True, audit_ids=frozenset({r.audit_id})),
    SyncBase: _none,  # a laptop's note of where each side stood at the last sync: nothing anyone sees
}

# The same for a bulk statement on a table (demo data, many rows at once): its rows are not named.
_BULK: dict[str, Changes] = {
    "audits": Changes(audits=True, all_audits=True),
    "answers": Changes(all_audits=True),
    "section_judgements": Changes(all_audits=True),
    "actions": Changes(actions=True, all_audits=True),
    "moderations": Changes(moderation=True, audits=True, all_audits=True),
    "template_versions": Changes(templates=True),
    "programmes": Changes(programmes=True),
    "programme_samples": Changes(programmes=True),
    "assignments": Changes(programmes=True, audits=True, all_audits=True),
    "cases": Changes(cases=True),
    "case_people": Changes(cases=True),
    "case_list_mappings": Changes(cases=True),
    "indicators": Changes(indicators=True),
    "people": Changes(profile=True),
    "settings": Changes(profile=True),
    "moderation_choices": Changes(moderation=True),
    "blind_judgements": Changes(moderation=True),
    "moderation_sections": Changes(moderation=True),
    "moderation_notes": Changes(moderation=True),
    "calibration_exercises": Changes(moderation=True),
    "calibration_ratings": Changes(moderation=True),
    "history": NOTHING,
    "pack_mappings": NOTHING,
    "imported_packs": NOTHING,
    "conflicts": Changes(audits=True, all_audits=True),
    "sync_bases": NOTHING,
}


def changes_of_row(row: object, how: str) -> Changes:
    """What writing ``row`` changes (``how``: new, dirty, deleted); everything for an unknown class."""
    kinds = KINDS.get(type(row))  # type: ignore[arg-type]
    if kinds is None:
        log.warning("no kind of change for %s: announcing everything", type(row).__name__)
        return Changes.everything()
    return kinds(row, how)


# ------------------------------------------------------------------------------- the history, read back

_HISTORY_KINDS: dict[str, Changes] = {
    "audit": Changes(audits=True),
    "answer": NOTHING,
    "section_judgement": NOTHING,
    "summary": NOTHING,
    "overall": Changes(audits=True),
    "action": Changes(actions=True),
    "moderation": Changes(moderation=True, audits=True),
    "template": Changes(templates=True),
    "programme": Changes(programmes=True),
    "case": Changes(cases=True),
    "case_list": Changes(cases=True),
    "case_mapping": Changes(cases=True),
    "indicator": Changes(indicators=True),
    "sample": Changes(programmes=True),
    "assignment": Changes(programmes=True, audits=True),
    "moderation_choice": Changes(moderation=True),
    "setting": Changes(moderation=True, profile=True),
}
HISTORY_READ_LIMIT = 2000  # more new entries than this at once (bulk work elsewhere): everything changed


def of_history_entry(entity: str, audit_id: str | None) -> Changes:
    """What one history entry says changed (everything for an entity this version does not know)."""
    kind = _HISTORY_KINDS.get(entity)
    if kind is None:
        return Changes.everything()
    if audit_id:
        ids = frozenset({audit_id})
        kind = kind | Changes(answers=ids, audit_ids=ids)
    return kind


def from_history(session: Session, after_seq: int, known: frozenset[int] | set[int] = frozenset()
                 ) -> tuple[Changes, int]:
    """What the history entries after ``after_seq`` say changed, leaving out the ``known`` ones
    (announced already); and the last sequence number read.  Cheap: the sequence is the key."""
    rows = session.execute(select(HistoryEntry.seq, HistoryEntry.entity, HistoryEntry.audit_id)
                           .where(HistoryEntry.seq > after_seq).order_by(HistoryEntry.seq)
                           .limit(HISTORY_READ_LIMIT + 1)).all()
    if len(rows) > HISTORY_READ_LIMIT:
        return Changes.everything(), last_history_seq(session)
    out = NOTHING
    last = after_seq
    for seq, entity, audit_id in rows:
        last = seq
        if seq not in known:
            out = out | of_history_entry(entity, audit_id)
    return out, last


def last_history_seq(session: Session) -> int:
    """The newest history entry's sequence number (0 for an empty history)."""
    return int(session.execute(select(HistoryEntry.seq).order_by(HistoryEntry.seq.desc()).limit(1)).scalar()
               or 0)


# ---------------------------------------------------------------------------------- announcing

Subscriber = Callable[[Changes], None]
_PENDING = "qadesk.changes"  # the key in Session.info under which a transaction's changes gather
_lock = threading.Lock()
_subscribers: list[tuple[Subscriber, Store | None]] = []
_installed = False


def subscribe(fn: Subscriber, store: Store | None = None) -> None:
    """Call ``fn(changes)`` after every commit (of ``store``'s database only, when given).

    ``fn`` runs on the committing thread, after the commit: it must be quick and must not write.
    """
    global _installed
    with _lock:
        if not _installed:
            for how, name in (("new", "after_insert"), ("dirty", "after_update"), ("deleted", "after_delete")):
                event.listen(Base, name, _row_written(how), propagate=True)
            event.listen(Session, "do_orm_execute", _on_execute)
            event.listen(Session, "after_commit", _after_commit)
            event.listen(Session, "after_rollback", _after_rollback)
            _installed = True
        _subscribers.append((fn, store))


def unsubscribe(fn: Subscriber) -> None:
    with _lock:
        _subscribers[:] = [(f, s) for f, s in _subscribers if f != fn]  # a bound method is made anew each time


def _gather(session: Session, changes: Changes) -> None:
    if changes or changes.history:
        session.info[_PENDING] = session.info.get(_PENDING, NOTHING) | changes


def _row_written(how: str) -> Callable[[Any, Any, Any], None]:
    # Mapper events see every row the flush writes, cascades and orphans included (session.deleted
    # does not list an orphan removed from its collection).
    def written(_mapper: Any, _connection: Any, row: Any) -> None:
        session = object_session(row)
        if session is None:
            return
        c = changes_of_row(row, how)
        if isinstance(row, HistoryEntry) and row.seq is not None:
            c = replace(c, history=frozenset({row.seq}))
        _gather(session, c)
    return written


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    _gather(state.session, _BULK.get(str(name), Changes.everything()))


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _after_commit(session: Session) -> None:
    changes = session.info.pop(_PENDING, None)
    if changes is None:
        return
    with _lock:
        targets = list(_subscribers)
    if not targets:
        return
    bind = session.get_bind()
    for fn, store in targets:
        if store is not None and not _same_database(bind, store):
            continue
        try:
            fn(changes)
        except Exception:  # noqa: BLE001 - a subscriber never breaks a commit that has happened
            log.exception("a subscriber to changes failed (%s)", changes.describe())


def _same_database(bind: Any, store: Store) -> bool:
    # Another Store object on the same database (a second engine in this process) is the same data.
    bind = getattr(bind, "engine", bind)  # a session bound to a Connection
    engine = store.engine
    return bind is engine or getattr(bind, "url", None) == engine.url
