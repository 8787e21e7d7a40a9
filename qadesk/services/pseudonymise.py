"""Pseudonymising audit documents for external moderation.

A pack that leaves the organisation must not identify the child or the
people involved: case references, names (practitioner, auditor, action
owners, moderators, any other person named on the subject) and dates of birth
are replaced by pseudonyms, consistent across the pack.  Free text is then
checked against every identifier the store knows for that case (including
the names of the team's members) and matches are masked.  The sender keeps
the mapping (:class:`~qadesk.store.models.PackMapping`) so a moderation
return re-links to the right audits.
"""

from __future__ import annotations

import copy
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.store.models import Person

MASK = "[removed]"
# Subject details that describe a setting rather than a person stay as they are.
PLAIN_SUBJECT_KEYS = {"case_type", "team", "setting", "age_band", "agency"}


@dataclass(frozen=True)
class Change:
    """One field the pseudonymiser changed (for the preview before an external pack is written)."""

    audit_ref: str
    audit_id: str
    field: str
    original: str
    masked: str


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = string.ascii_uppercase[r] + out
    return out


def _is_birth_key(key: str) -> bool:
    k = key.lower()
    return "birth" in k or k in ("dob", "d_o_b")


class Pseudonymiser:
    """Replaces identifiers in audit documents; keeps the mapping and a list of changes."""

    def __init__(self, session: Session | None = None) -> None:
        self.session = session
        self._pseudonyms: dict[tuple[str, str], str] = {}
        self._counters: dict[str, int] = {}
        self._team_people: dict[str, list[str]] = {}
        self.changes: list[Change] = []
        self.mappings: list[tuple[str, str, str, str]] = []  # audit id, field, real value, pseudonym

    def _pseudonym(self, kind: str, real: str) -> str:
        key = (kind, real.strip().casefold())
        if key not in self._pseudonyms:
            n = self._counters.get(kind, 0)
            self._counters[kind] = n + 1
            self._pseudonyms[key] = {
                "case_ref": f"CASE-{n + 1:04d}", "practitioner": f"Practitioner {_letters(n)}",
                "auditor": f"Auditor {_letters(n)}", "moderator": f"Moderator {_letters(n)}",
            }.get(kind, f"Person {_letters(n)}")
        return self._pseudonyms[key]

    def _team_members(self, team: str | None) -> list[str]:
        if not team or self.session is None:
            return []
        if team not in self._team_people:
            self._team_people[team] = [n for n in self.session.execute(
                select(Person.name).where(Person.team == team)).scalars() if n]
        return self._team_people[team]

    def apply(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A pseudonymised copy of one audit document (the original is left as it is)."""
        out = copy.deepcopy(doc)
        ref, aid = str(doc.get("reference", "")), str(doc.get("id", ""))
        known: dict[str, str] = {}  # identifier -> its replacement in free text

        def swap(kind: str, real: Any, field: str) -> str | None:
            if not isinstance(real, str) or not real.strip():
                return real
            p = self._pseudonym(kind, real)
            known[real.strip()] = p
            self.mappings.append((aid, field, real, p))
            self.changes.append(Change(ref, aid, field, real, p))
            return p

        subject = out.get("subject") or {}
        for key in list(subject):
            value = subject[key]
            if key == "case_ref":
                subject[key] = swap("case_ref", value, "subject.case_ref")
            elif key == "practitioner":
                subject[key] = swap("practitioner", value, "subject.practitioner")
            elif _is_birth_key(key):
                if value:
                    known[str(value)] = MASK
                    self.changes.append(Change(ref, aid, f"subject.{key}", str(value), ""))
                    self.mappings.append((aid, f"subject.{key}", str(value), ""))
                subject[key] = None
            elif key not in PLAIN_SUBJECT_KEYS:
                subject[key] = swap("person", value, f"subject.{key}")
        if out.get("auditor"):
            out["auditor"]["name"] = swap("auditor", out["auditor"].get("name"), "auditor.name")
        for i, a in enumerate(out.get("actions") or []):
            owner = a.get("owner")
            if isinstance(owner, str) and owner.strip():
                kind = "practitioner" if owner.strip() == (doc.get("subject") or {}).get("practitioner") else "person"
                a["owner"] = swap(kind, owner, f"actions[{i}].owner")
        for i, m in enumerate(out.get("moderations") or []):
            if m.get("moderator"):
                m["moderator"]["name"] = swap("moderator", m["moderator"].get("name"), f"moderations[{i}].moderator")
        for name in self._team_members(subject.get("team")):
            known.setdefault(name.strip(), MASK)
        run = _matcher(known)
        if run is None:
            return out

        def mask(text: Any, field: str) -> Any:
            if not isinstance(text, str) or not text:
                return text
            masked = run(text)
            if masked != text:
                self.changes.append(Change(ref, aid, field, text, masked))
            return masked

        for qid, entry in (out.get("answers") or {}).items():
            if isinstance(entry, dict):
                if isinstance(entry.get("value"), str):
                    entry["value"] = mask(entry["value"], f"answers.{qid}")
                entry["evidence"] = mask(entry.get("evidence"), f"answers.{qid}.evidence")
        for key, text in list((out.get("summary") or {}).items()):
            out["summary"][key] = mask(text, f"summary.{key}")
        if out.get("overall"):
            out["overall"]["rationale"] = mask(out["overall"].get("rationale"), "overall.rationale")
        out["programme"] = mask(out.get("programme"), "programme")
        for i, a in enumerate(out.get("actions") or []):
            a["text"] = mask(a.get("text"), f"actions[{i}].text")
            if a.get("told_whom"):
                a["told_whom"] = mask(a["told_whom"], f"actions[{i}].told_whom")
        for i, m in enumerate(out.get("moderations") or []):
            m["rationale"] = mask(m.get("rationale"), f"moderations[{i}].rationale")
        return out


def _matcher(known: dict[str, str]) -> Callable[[str], str] | None:
    """A function masking every identifier (whole words, case-insensitive, longest first).

    A person's surname on its own is masked too, but only when written with a
    capital, so "A. Worker" does not swallow "social worker".
    """
    full: dict[str, str] = {}
    surnames: dict[str, str] = {}
    for real, replacement in known.items():
        real = real.strip()
        if len(real) < 2:
            continue
        full.setdefault(real.casefold(), replacement)
        parts = [p for p in re.split(r"[\s.]+", real) if len(p) >= 3]
        if parts and parts[-1] != real and parts[-1][0].isupper():
            surnames.setdefault(parts[-1], replacement)
    if not full:
        return None
    whole = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(a) for a in sorted(full, key=len, reverse=True))
                       + r")(?![\w])", re.IGNORECASE)
    single = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(a) for a in sorted(surnames, key=len, reverse=True))
                        + r")(?![\w])") if surnames else None

    def run(text: str) -> str:
        text = whole.sub(lambda m: full.get(m.group(0).casefold(), MASK), text)
        if single is not None:
            text = single.sub(lambda m: surnames.get(m.group(0), MASK), text)
        return text

    return run


def restore_text(text: str | None, mapping: list[tuple[str, str]]) -> str | None:
    """Put real values back for pseudonyms in text that came back (e.g. a moderator's rationale)."""
    if not text:
        return text
    for pseudonym, real in sorted(mapping, key=lambda p: len(p[0]), reverse=True):
        if pseudonym:
            # A function replacement, so a backslash in the real value is taken literally.
            text = re.sub(rf"(?<![\w]){re.escape(pseudonym)}(?![\w])", _literal(real), text)
    return text


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: text
