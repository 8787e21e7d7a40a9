"""Case lists: import the council's case list, keep it up to date by reference, list its cases.

A case list comes from the case management system as CSV or Excel (:mod:`qadesk.exchange.case_list` reads
it). Importing it is all or nothing: a file with any row that cannot be read is refused whole
(:class:`CaseListRefused`, every bad row with its number and reason) and nothing of it is stored.
Importing next month's list updates each case by its reference (a change of team, worker, case type or
any column is a history entry of that case), adds the new ones, and marks the cases that have left that
list as no longer listed: they are kept, with their audits and history, but are no longer sampled.
A mapping of a list's columns is saved by name (:func:`save_mapping`) and used again by name
(``qadesk case import FILE --mapping NAME``) or, unasked, for a file with the same headers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, insert, or_, select, update
from sqlalchemy.orm import Session

from qadesk.core.cases import CASE_TYPES, ROLES, CaseRow, ColumnMapping
from qadesk.core.errors import NotFound, Problem, ValidationError
from qadesk.core.permissions import Do
from qadesk.exchange.case_list import CaseListReading, read_case_list
from qadesk.services import permissions
from qadesk.store import history
from qadesk.store.models import Case, CaseListMapping, HistoryEntry

MAX_MAPPING_NAME = 100  # it names the history entries of the mapping (entity_id)
Progress = Callable[[int, int], None]


def located_problems(refusals: Iterable[str], rows: Iterable[Any]) -> list[Problem]:
    """A refused file's problems as the CLI and the window show them: the file's own refusals first,
    then each bad row located (``row N``, its sheet where the file has several).  Used for case lists
    and performance data alike."""
    problems = [Problem("", r) for r in refusals]
    problems += [Problem(f"row {p.row}", (f"sheet '{p.sheet}': " if p.sheet else "") + p.message) for p in rows]
    return problems


class CaseListRefused(ValidationError):
    """A case list that cannot be imported: ``reading`` holds every bad row and reason; nothing was stored."""

    def __init__(self, reading: CaseListReading) -> None:
        self.reading = reading
        problems = located_problems(reading.refusals, reading.problems)
        if reading.more_problems:
            problems.append(Problem("", f"... and {reading.more_problems:,} more rows that cannot be imported"))
        if not problems:
            problems.append(Problem("", "the list holds no cases (no rows under its header)"))
        super().__init__(problems, reading.file_name)


@dataclass(frozen=True)
class CaseImportResult:
    """What an import did."""

    file_name: str
    added: int
    updated: int
    unchanged: int
    delisted: int
    sources: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return self.added + self.updated + self.unchanged


@dataclass(frozen=True)
class SavedMapping:
    name: str
    mapping: ColumnMapping
    headers: list[str]
    updated_at: datetime


@dataclass(frozen=True)
class TeamCount:
    team: str
    cases: int


# ---- the fields, as JSON ------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "$date" in value:
        try:
            return date.fromisoformat(value["$date"])
        except (TypeError, ValueError):
            return None
    return value


def fields_json(fields: dict[str, Any]) -> str | None:
    if not fields:
        return None
    return json.dumps({k: _encode(v) for k, v in sorted(fields.items())}, ensure_ascii=False, separators=(",", ":"))


def fields_of(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return {k: _decode(v) for k, v in data.items()} if isinstance(data, dict) else {}


# ---- mappings -----------------------------------------------------------------------------------


def _mapping(row: CaseListMapping) -> ColumnMapping:
    return ColumnMapping(row.name, dict(json.loads(row.columns)), row.case_type)


def list_mappings(session: Session) -> list[SavedMapping]:
    """The saved mappings, by name."""
    rows = session.execute(select(CaseListMapping).order_by(CaseListMapping.name)).scalars()
    return [SavedMapping(r.name, _mapping(r), list(json.loads(r.headers or "[]")), r.updated_at) for r in rows]


def get_mapping(session: Session, name: str) -> ColumnMapping:
    row = session.execute(select(CaseListMapping).where(CaseListMapping.name == name.strip())).scalar()
    if row is None:
        names = [m.name for m in list_mappings(session)]
        known = f" (the saved mappings: {', '.join(names)})" if names else " (none is saved yet)"
        raise NotFound(f"no mapping '{name}'{known}: choose the columns once in the window's Case lists screen")
    return _mapping(row)


def save_mapping(session: Session, mapping: ColumnMapping, headers: Iterable[str], *, actor: str) -> None:
    """Save (or replace) a mapping by its name, with the headers of the file it was made for."""
    permissions.require(session, Do.IMPORT_CASES)
    name = (mapping.name or "").strip()
    problems = []
    if not name:
        problems.append("a mapping needs a name (the list it is for, e.g. 'Mosaic open cases')")
    elif len(name) > MAX_MAPPING_NAME:
        problems.append(f"a mapping's name is at most {MAX_MAPPING_NAME} characters")
    wrong = sorted({role for role in mapping.columns.values() if role not in ROLES})
    if wrong:
        problems.append(f"no role {', '.join(wrong)} (the roles: {', '.join(ROLES)})")
    if list(mapping.columns.values()).count("case_ref") != 1:
        problems.append("a mapping names exactly one column as the case reference")
    if mapping.case_type is not None and mapping.case_type not in CASE_TYPES:
        problems.append(f"'{mapping.case_type}' is not a case type ({', '.join(CASE_TYPES)})")
    if problems:
        raise ValidationError("; ".join(problems))
    now = datetime.now(timezone.utc)
    columns = json.dumps(dict(sorted(mapping.columns.items())), ensure_ascii=False)
    heads = json.dumps(sorted({h for h in headers if h}), ensure_ascii=False)
    row = session.execute(select(CaseListMapping).where(CaseListMapping.name == name)).scalar()
    before = None
    if row is None:
        row = CaseListMapping(name=name, columns=columns, headers=heads, case_type=mapping.case_type,
                              created_at=now, updated_at=now)
        session.add(row)
    else:
        before = {"columns": json.loads(row.columns), "case_type": row.case_type}
        row.columns, row.headers, row.case_type, row.updated_at = columns, heads, mapping.case_type, now
    session.flush()
    history.record(session, actor=actor, entity="case_mapping", entity_id=name,
                   action="create" if before is None else "update", before=before,
                   after={"columns": json.loads(columns), "case_type": mapping.case_type})


def delete_mapping(session: Session, name: str, *, actor: str) -> None:
    row = session.execute(select(CaseListMapping).where(CaseListMapping.name == name)).scalar()
    if row is None:
        raise NotFound(f"no mapping '{name}'")
    history.record(session, actor=actor, entity="case_mapping", entity_id=name, action="delete",
                   before={"columns": json.loads(row.columns), "case_type": row.case_type})
    session.delete(row)


def _saved(session: Session) -> list[tuple[ColumnMapping, list[str]]]:
    return [(m.mapping, m.headers) for m in list_mappings(session)]


# ---- import -------------------------------------------------------------------------------------


def read_file(session: Session, path: Path | str, mapping: ColumnMapping | str | None = None,
              today: date | None = None, progress: Progress | None = None) -> CaseListReading:
    """Read a case list as an import would, storing nothing: the preview, and every reason it would be refused.

    ``mapping``: a mapping, or a saved mapping's name; None recognises the headers (or uses the saved mapping
    made for the same headers)."""
    permissions.require(session, Do.IMPORT_CASES)
    if isinstance(mapping, str):
        mapping = get_mapping(session, mapping)
    saved = _saved(session) if mapping is None else []
    return read_case_list(path, mapping, saved, today=today, progress=progress)


_COMPARED = ("case_type", "team", "worker", "age_band", "fields", "source", "listed")


def import_case_list(session: Session, path: Path | str, *, actor: str, mapping: ColumnMapping | str | None = None,
                     save_as: tuple[ColumnMapping, list[str]] | None = None, today: date | None = None,
                     progress: Progress | None = None) -> CaseImportResult:
    """Import a case list in the caller's transaction: all of it, or (:class:`CaseListRefused`) none of it.

    ``save_as``: a mapping (and the file's headers) to save with the import, in the same transaction.
    """
    permissions.require(session, Do.IMPORT_CASES)
    path = Path(path)
    reading = read_file(session, path, mapping, today=today, progress=progress)
    if not reading.ok:
        raise CaseListRefused(reading)
    if save_as is not None:
        save_mapping(session, save_as[0], save_as[1], actor=actor)
    now = datetime.now(timezone.utc)
    sources = reading.sources
    existing: dict[str, tuple[Any, ...]] = {}
    for row in session.execute(select(Case.pk, Case.reference, Case.case_type, Case.team, Case.worker, Case.age_band,
                                      Case.fields, Case.source, Case.listed)):
        existing[row[1]] = (row[0], *row[2:])
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    unchanged = 0
    seen: set[str] = set()
    for c in reading.cases:
        seen.add(c.case_ref)
        values = (c.case_type, c.team, c.worker, c.age_band, fields_json(c.fields), c.source, True)
        old = existing.get(c.case_ref)
        if old is None:
            new_rows.append({"reference": c.case_ref, "case_type": c.case_type, "team": c.team, "worker": c.worker,
                             "age_band": c.age_band, "fields": values[4], "source": c.source, "listed": True,
                             "first_imported_at": now, "imported_at": now})
            entries.append({"actor": actor, "entity": "case", "entity_id": c.case_ref, "action": "add", "at": now,
                            "after": {"case_type": c.case_type, "team": c.team, "worker": c.worker,
                                      "age_band": c.age_band, "fields": c.fields, "source": c.source}})
            continue
        before = dict(zip(_COMPARED, old[1:], strict=True))
        before["listed"] = bool(before["listed"])
        after = dict(zip(_COMPARED, values, strict=True))
        if before == after:
            unchanged += 1
            continue
        changed_rows.append({"pk": old[0], **after, "imported_at": now})
        diff = [k for k in _COMPARED if before[k] != after[k]]
        entries.append({"actor": actor, "entity": "case", "entity_id": c.case_ref, "action": "update", "at": now,
                        "before": _shown({k: before[k] for k in diff}), "after": _shown({k: after[k] for k in diff})})
    gone = [(ref, old[0]) for ref, old in existing.items()
            if ref not in seen and old[6] in sources and old[7]]
    for ref, _pk in gone:
        entries.append({"actor": actor, "entity": "case", "entity_id": ref, "action": "delist", "at": now,
                        "before": {"listed": True}, "after": {"listed": False}})
    if new_rows:  # the table's own insert: one executemany, without the ORM's per-row bookkeeping
        session.execute(insert(cast(Table, Case.__table__)), new_rows)
    if changed_rows:
        session.execute(update(Case), changed_rows)
    if gone:
        session.execute(update(Case), [{"pk": pk, "listed": False, "imported_at": now} for _ref, pk in gone])
    result = CaseImportResult(reading.file_name, len(new_rows), len(changed_rows), unchanged, len(gone), sources,
                              list(reading.warnings))
    entries.append({"actor": actor, "entity": "case_list", "entity_id": reading.file_name[:100], "action": "import",
                    "at": now, "after": {"file": reading.file_name, "sha256": _sha256(path), "sources": sources,
                                         "added": result.added, "updated": result.updated,
                                         "unchanged": result.unchanged, "delisted": result.delisted}})
    history.record_many(session, entries)
    return result


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """A case's values for its history entry: the fields as their values, not their JSON."""
    out = dict(values)
    if "fields" in out:
        out["fields"] = fields_of(out["fields"])
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---- reading the cases --------------------------------------------------------------------------


def _row(c: Any) -> CaseRow:
    fields = fields_of(c.fields)
    if c.age_band:
        fields.setdefault("age_band", c.age_band)
    return CaseRow(c.reference, c.case_type, c.team, c.worker, fields)


def list_cases(session: Session, team: str | None = None, *, include_unlisted: bool = False) -> list[CaseRow]:
    """The cases of the case list (those still listed, unless ``include_unlisted``), by team then reference."""
    q = select(Case.reference, Case.case_type, Case.team, Case.worker, Case.age_band, Case.fields)
    if not include_unlisted:
        q = q.where(Case.listed.is_(True))
    if team is not None:
        q = q.where(Case.team == team)
    return [_row(c) for c in session.execute(q.order_by(Case.team, Case.reference))]


def find_cases(session: Session, *, team: str | None = None, search: str | None = None, limit: int = 500,
               include_unlisted: bool = False) -> tuple[list[CaseRow], int]:
    """One page of cases for the window (a team, a reference or worker containing ``search``), and how many match."""
    q = select(Case.reference, Case.case_type, Case.team, Case.worker, Case.age_band, Case.fields)
    n = select(func.count()).select_from(Case)
    conditions: list[Any] = []
    if not include_unlisted:
        conditions.append(Case.listed.is_(True))
    if team:
        conditions.append(Case.team == team)
    if search and search.strip():
        like = f"%{search.strip().replace('%', '').replace('_', '')}%"
        conditions.append(or_(Case.reference.ilike(like), Case.worker.ilike(like)))
    for cond in conditions:
        q, n = q.where(cond), n.where(cond)
    rows = [_row(c) for c in session.execute(q.order_by(Case.team, Case.reference).limit(limit))]
    return rows, int(session.execute(n).scalar() or 0)


def case_teams(session: Session) -> list[TeamCount]:
    """The teams of the listed cases and how many cases each has."""
    rows = session.execute(select(Case.team, func.count()).where(Case.listed.is_(True), Case.team.is_not(None))
                           .group_by(Case.team).order_by(Case.team))
    return [TeamCount(str(team), int(n)) for team, n in rows]


@dataclass(frozen=True)
class ListImport:
    """One import of a case list, as its history entry records it."""

    at: datetime
    actor: str
    file: str
    added: int
    updated: int
    delisted: int
    sources: list[str]


def recent_imports(session: Session, limit: int = 5) -> list[ListImport]:
    """The latest imports of case lists, newest first."""
    rows = session.execute(select(HistoryEntry.at, HistoryEntry.actor, HistoryEntry.after)
                           .where(HistoryEntry.entity == "case_list").order_by(HistoryEntry.seq.desc())
                           .limit(limit)).all()
    out = []
    for at, actor, after in rows:
        data = json.loads(after or "{}")
        out.append(ListImport(at if at.tzinfo else at.replace(tzinfo=timezone.utc), actor, str(data.get("file", "")),
                              int(data.get("added", 0)), int(data.get("updated", 0)), int(data.get("delisted", 0)),
                              list(data.get("sources", []))))
    return out


def case_history(session: Session, reference: str) -> list[tuple[datetime, str, str, Any, Any]]:
    """A case's history entries (when, who, what, before, after), oldest first."""
    rows = session.execute(select(HistoryEntry.at, HistoryEntry.actor, HistoryEntry.action, HistoryEntry.before,
                                  HistoryEntry.after)
                           .where(HistoryEntry.entity == "case", HistoryEntry.entity_id == reference)
                           .order_by(HistoryEntry.seq)).all()
    return [(at, actor, action, json.loads(b) if b else None, json.loads(a) if a else None)
            for at, actor, action, b, a in rows]
