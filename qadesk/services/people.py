"""A case's people list: the child, family members, carers and professionals, by role and name.

qadesk never needs the child's name; an auditor who writes names into evidence notes can list them
here so that an external (pseudonymised) pack masks every mention of each, and of its parts, as the
person's role: "Jayden said" becomes "[child] said".  The list is kept only in this store (encrypted
with it when it is): it is in no audit document, pack, report or history entry, and deleting a person
deletes the row.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qadesk.core.errors import LimitError, NotFound, ValidationError
from qadesk.store.models import CasePerson

# The roles offered in the window (any other may be typed).
ROLES = ("child", "sibling", "mother", "father", "stepmother", "stepfather", "mother's partner", "father's partner",
         "grandmother", "grandfather", "aunt", "uncle", "other family member", "foster carer", "kinship carer",
         "residential worker", "social worker", "teacher", "health visitor", "school nurse", "GP", "police officer",
         "independent reviewing officer", "other professional")
MAX_PEOPLE = 60
MAX_ROLE, MAX_NAME, MAX_OTHER = 100, 200, 500


@dataclass(frozen=True)
class PersonEntry:
    """One person on a case's list, as the window and the pseudonymiser see it."""

    id: int
    case_ref: str
    role: str
    name: str
    other_names: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name this person goes by: the name, then the others."""
        return (self.name, *self.other_names)


def _clean(text: str | None, what: str, limit: int, *, required: bool) -> str:
    value = " ".join((text or "").split())
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise ValidationError(f"the {what} holds a control character")
    if required and not value:
        raise ValidationError(f"say the person's {what}")
    if len(value) > limit:
        raise LimitError(f"the {what} is {len(value):,} characters long; at most {limit:,} are kept")
    return value


def _others(text: str | Iterable[str] | None) -> tuple[str, ...]:
    items = text.split(",") if isinstance(text, str) else list(text or ())
    out: list[str] = []
    for item in items:
        value = " ".join(item.split())
        if value and value.casefold() not in {o.casefold() for o in out}:
            out.append(value)
    return tuple(out)


def _entry(row: CasePerson) -> PersonEntry:
    return PersonEntry(row.pk, row.case_ref, row.role, row.name, _others(row.other_names))


def list_people(session: Session, case_ref: str) -> list[PersonEntry]:
    """The people of one case, in the order they were listed."""
    rows = session.execute(select(CasePerson).where(CasePerson.case_ref == case_ref)
                           .order_by(CasePerson.position, CasePerson.pk)).scalars()
    return [_entry(r) for r in rows]


def people_of_cases(session: Session, case_refs: Iterable[str]) -> dict[str, list[PersonEntry]]:
    """The people lists of many cases at once (500 cases to a query)."""
    refs = sorted({r for r in case_refs if r})
    out: dict[str, list[PersonEntry]] = {}
    for start in range(0, len(refs), 500):
        rows = session.execute(select(CasePerson).where(CasePerson.case_ref.in_(refs[start:start + 500]))
                               .order_by(CasePerson.case_ref, CasePerson.position, CasePerson.pk)).scalars()
        for r in rows:
            out.setdefault(r.case_ref, []).append(_entry(r))
    return out


def add_person(session: Session, case_ref: str, role: str, name: str,
               other_names: str | Iterable[str] | None = None) -> PersonEntry:
    """Put a person on the case's list (at the end); refused with the reason when a field is not right."""
    case_ref = _clean(case_ref, "case reference", 100, required=True)
    role = _clean(role, "role", MAX_ROLE, required=True)
    name = _clean(name, "name", MAX_NAME, required=True)
    others = _others(other_names)
    _clean(", ".join(others), "other names", MAX_OTHER, required=False)
    count, last = session.execute(select(func.count(), func.max(CasePerson.position))
                                  .where(CasePerson.case_ref == case_ref)).one()
    if count >= MAX_PEOPLE:
        raise LimitError(f"a case's people list holds at most {MAX_PEOPLE} people")
    row = CasePerson(case_ref=case_ref, position=(last or 0) + 1, role=role, name=name,
                     other_names=", ".join(others) or None, updated_at=datetime.now().astimezone())
    session.add(row)
    session.flush()
    return _entry(row)


def update_person(session: Session, person_id: int, *, role: str, name: str,
                  other_names: str | Iterable[str] | None = None) -> PersonEntry:
    """Change a person's role, name or other names."""
    row = session.get(CasePerson, person_id)
    if row is None:
        raise NotFound(f"no person {person_id} on a people list here")
    row.role = _clean(role, "role", MAX_ROLE, required=True)
    row.name = _clean(name, "name", MAX_NAME, required=True)
    others = _others(other_names)
    _clean(", ".join(others), "other names", MAX_OTHER, required=False)
    row.other_names = ", ".join(others) or None
    row.updated_at = datetime.now().astimezone()
    session.flush()
    return _entry(row)


def remove_person(session: Session, person_id: int) -> None:
    """Take a person off the list; the row is deleted, nothing of it is kept."""
    row = session.get(CasePerson, person_id)
    if row is None:
        raise NotFound(f"no person {person_id} on a people list here")
    session.delete(row)
    session.flush()


def role_masks(people: Iterable[PersonEntry]) -> list[tuple[PersonEntry, str]]:
    """Each person with what their name becomes in a pack: "[mother]"; "[sibling 1]", "[sibling 2]" when a
    role is listed more than once."""
    people = list(people)
    counts: dict[str, int] = {}
    for p in people:
        counts[p.role.casefold()] = counts.get(p.role.casefold(), 0) + 1
    seen: dict[str, int] = {}
    out = []
    for p in people:
        key = p.role.casefold()
        label = p.role.strip().lower() if not p.role.isupper() else p.role.strip()
        if counts[key] > 1:
            seen[key] = seen.get(key, 0) + 1
            label = f"{label} {seen[key]}"
        out.append((p, f"[{label}]"))
    return out
