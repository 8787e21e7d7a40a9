"""Pseudonymising audit documents for external moderation.

A pack that leaves the organisation must not identify the child or the people involved.  In three
steps, for each audit:

1. **The fields that name someone** are replaced by pseudonyms, consistent across the pack: the case
   reference (``CASE-0001``), practitioner, auditor, action owners, moderators and any other person
   named on the subject (``Practitioner A``...); dates of birth and NHS numbers are removed, and so is
   the answer to a date question about birth or any question about an NHS number.
2. **Free text** (answers, evidence notes, the summary, rationales, actions, who was told, the
   programme's name, the subject's settings) is checked against everything the store knows for the
   case, and matches are masked: the names above, the team's members, the case's people list
   (:mod:`qadesk.services.people`: each name and its parts become the person's role, "[child]"), the
   case reference however it is written (``CR104233``, ``104233``) and any other case of this store
   mentioned, and the date of birth in any format.
3. **What still looks identifying** (:func:`qadesk.core.identifiers.find_suspects`: names, dates,
   case-like numbers, postcodes, NHS numbers, phone numbers, emails the store does not know) is a
   *suspect*.  The exporter decides (:class:`Resolution`): mask it, keep it as not identifying, and what
   to do with those left undecided.  Every suspect is listed (:attr:`Pseudonymiser.suspects`).

The sender keeps the mapping (:class:`~qadesk.store.models.PackMapping`) so a moderation return
re-links to the right audits and a moderator's rationale reads with the real names again.
"""

from __future__ import annotations

import copy
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core.errors import Problem, ValidationError
from qadesk.core.identifiers import (
    KIND_LABELS,
    MASKS,
    Suspect,
    case_numbers,
    find_suspects,
    name_parts,
    same_date,
    suspect_key,
    whole_name,
)
from qadesk.core.template import Template
from qadesk.services.people import PersonEntry, people_of_cases, role_masks
from qadesk.store.models import Audit, Case, Person

MASK = "[removed]"
DOB_MASK = "[date of birth]"
NAME_MASK = "[name]"  # a name part several people share, with different roles
# Subject details that describe a setting rather than a person stay (their text is still checked).
PLAIN_SUBJECT_KEYS = {"case_type", "team", "setting", "age_band", "agency"}
DECISIONS = ("refuse", "mask", "keep")


@dataclass(frozen=True)
class Change:
    """One field the pseudonymiser changed (for the preview before an external pack is written)."""

    audit_ref: str
    audit_id: str
    field: str
    original: str
    masked: str


@dataclass(frozen=True)
class SuspectFound:
    """Something in one field that looks identifying and that the store does not know."""

    audit_ref: str
    audit_id: str
    field: str
    kind: str
    text: str
    why: str
    context: str  # the words around it, the suspect between « »

    @property
    def key(self) -> str:
        return suspect_key(self.text)

    def __str__(self) -> str:
        return f"{self.audit_ref} {self.field}: “{self.text}” ({KIND_LABELS[self.kind].lower()}: {self.why})"


@dataclass(frozen=True)
class Resolution:
    """What the exporter decided about the suspects.

    ``mask``: suspect texts (:func:`~qadesk.core.identifiers.suspect_key`) to mask wherever they are;
    ``keep``: texts judged not identifying; ``rest``: what becomes of the others — ``refuse`` (the
    export is refused, listing them), ``mask`` (masked too) or ``keep`` (sent as written).
    """

    mask: frozenset[str] = frozenset()
    keep: frozenset[str] = frozenset()
    rest: str = "refuse"

    def __post_init__(self) -> None:
        if self.rest not in DECISIONS:
            raise ValueError(f"rest is one of {', '.join(DECISIONS)}, not {self.rest!r}")

    def decide(self, key: str) -> str:
        if key in self.mask:
            return "mask"
        if key in self.keep:
            return "keep"
        return self.rest


class UnresolvedSuspects(ValidationError):
    """An external pack would carry text that looks identifying and that nobody decided about."""

    def __init__(self, suspects: list[SuspectFound]) -> None:
        self.suspects = suspects
        distinct = len({s.key for s in suspects})
        shown = [Problem("", str(s)) for s in _first_of_each(suspects)[:20]]
        more = distinct - len(shown)
        head = Problem("", f"{distinct:,} thing{'s' if distinct != 1 else ''} in these audits look"
                           f"{'s' if distinct == 1 else ''} identifying and {'is' if distinct == 1 else 'are'} not "
                           f"masked ({len(suspects):,} place{'s' if len(suspects) != 1 else ''}); the pack was not "
                           "written")
        tail = [Problem("", f"… and {more:,} more")] if more > 0 else []
        super().__init__([head, *shown, *tail])


def _first_of_each(suspects: Iterable[SuspectFound]) -> list[SuspectFound]:
    seen: dict[str, SuspectFound] = {}
    for s in suspects:
        seen.setdefault(s.key, s)
    return list(seen.values())


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


def _is_nhs_key(key: str) -> bool:
    return "nhs" in key.lower()


def _iso_date(value: Any) -> tuple[int, int, int] | None:
    try:
        d = date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None
    return d.year, d.month, d.day


class Pseudonymiser:
    """Replaces identifiers in audit documents; keeps the mapping, the changes and the suspects."""

    def __init__(self, session: Session | None = None, resolution: Resolution | None = None) -> None:
        self.session = session
        self.resolution = resolution or Resolution()
        self._pseudonyms: dict[tuple[str, str], str] = {}
        self._counters: dict[str, int] = {}
        self._team_people: dict[str, list[str]] = {}
        self._people: dict[str, list[PersonEntry]] = {}
        self._numbers: dict[str, str] | None = None
        self.changes: list[Change] = []
        self.suspects: list[SuspectFound] = []  # every suspect met, whatever was decided about it
        self.mappings: list[tuple[str, str, str, str]] = []  # audit id, field, real value, pseudonym

    @property
    def unresolved(self) -> list[SuspectFound]:
        """The suspects nobody decided about (left as written)."""
        return [s for s in self.suspects if self.resolution.decide(s.key) == "refuse"]

    # ---------------------------------------------------------------------------------- what the store knows

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

    def case_people(self, case_ref: str | None) -> list[PersonEntry]:
        """The case's people list (read once per case)."""
        if not case_ref or self.session is None:
            return []
        if case_ref not in self._people:
            self._people.update({case_ref: [], **people_of_cases(self.session, [case_ref])})
        return self._people[case_ref]

    def prefetch_people(self, case_refs: Iterable[str | None]) -> None:
        """Read the people lists of many cases in a few queries: every case of the pack, before its audits,
        so that a name listed on one case is masked in the others too."""
        if self.session is None:
            return
        wanted = {r for r in case_refs if r and r not in self._people}
        if wanted:
            found = people_of_cases(self.session, wanted)
            self._people.update({r: found.get(r, []) for r in wanted})

    def case_numbers(self) -> dict[str, str]:
        """The digits of every case reference of this store -> that reference (read once)."""
        if self._numbers is None:
            self._numbers = {}
            if self.session is not None:
                refs: set[str | None] = set(self.session.execute(select(Case.reference)).scalars())
                refs |= set(self.session.execute(select(Audit.case_ref).distinct()).scalars())
                for ref in sorted(r for r in refs if r):
                    for digits in case_numbers(ref):
                        self._numbers.setdefault(digits, ref)
        return self._numbers

    # ---------------------------------------------------------------------------------- one audit

    def apply(self, doc: dict[str, Any], template: Template | None = None) -> dict[str, Any]:
        """A pseudonymised copy of one audit document (the original is left as it is).

        With its ``template``, answers are read by their question's type: a date answer stays (unless
        the question is about a birth), a text answer is free text, an answer about an NHS number goes.
        """
        out = copy.deepcopy(doc)
        ref, aid = str(doc.get("reference", "")), str(doc.get("id", ""))
        known: list[tuple[str, str]] = []  # (name or identifier, its replacement in free text)
        births: list[tuple[int, int, int]] = []
        nhs: set[str] = set()  # the digits of the case's NHS number, however free text spaces them
        real_case = (doc.get("subject") or {}).get("case_ref")

        def swap(kind: str, real: Any, field: str) -> Any:
            if not isinstance(real, str) or not real.strip():
                return real
            p = self._pseudonym(kind, real)
            known.append((real.strip(), p))
            self.mappings.append((aid, field, real, p))
            self.changes.append(Change(ref, aid, field, real, p))
            return p

        def remove(value: Any, field: str, replacement: str = MASK) -> None:
            if value in (None, ""):
                return
            text = str(value)
            known.append((text, replacement))
            when = _iso_date(text)
            if when is not None:
                births.append(when)
            self.changes.append(Change(ref, aid, field, text, ""))
            self.mappings.append((aid, field, text, ""))

        subject = out.get("subject") or {}
        for key in list(subject):
            value = subject[key]
            if key == "case_ref":
                subject[key] = swap("case_ref", value, "subject.case_ref")
            elif key == "practitioner":
                subject[key] = swap("practitioner", value, "subject.practitioner")
            elif _is_birth_key(key):
                remove(value, f"subject.{key}", DOB_MASK)
                subject[key] = None
            elif _is_nhs_key(key):
                remove(value, f"subject.{key}", MASKS["nhs_number"])
                nhs.add(re.sub(r"\D", "", str(value or "")))
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
            for j, n in enumerate(m.get("notes") or []):  # the dialogue: the moderator's notes, the auditor's responses
                kind = "auditor" if n.get("role") == "auditor" else "moderator"
                n["author"] = swap(kind, n.get("author"), f"moderations[{i}].notes[{j}].author")
        for qid, entry in (out.get("answers") or {}).items():
            question = _question(template, qid)
            if question is None or not isinstance(entry, dict):
                continue
            about = f"{question.id} {question.label}".lower()
            if question.type == "date" and ("birth" in about or re.search(r"\bdob\b", about)):
                remove(entry.get("value"), f"answers.{qid}", DOB_MASK)
                entry["value"] = None
            elif question.type in ("text", "integer", "decimal") and re.search(r"\bnhs\b", about):
                remove(entry.get("value"), f"answers.{qid}", MASKS["nhs_number"])
                nhs.add(re.sub(r"\D", "", str(entry.get("value") or "")))
                entry["value"] = None
        people = self.case_people(real_case if isinstance(real_case, str) else None)
        # The people list first (their roles), then the pseudonymised names, then the team's members.
        # One masker a name, made once for the pack (a practitioner's name comes back audit after audit).
        names = sorted({(r, p) for r, p in known if not p.startswith("[")}, key=lambda k: (-len(k[0]), k))
        others = tuple(p for ref_, listed in sorted(self._people.items()) if ref_ != real_case for p in listed)
        maskers = [_masker(_people_entries(tuple(role_masks(people)))),
                   # People listed on the pack's other cases (a sibling's audit names this child): "[name]".
                   _masker(_people_entries(tuple((p, NAME_MASK) for p in others))),
                   # Every whole name before any name's parts: "J. Kovalenko" is the practitioner's pseudonym
                   # whole, never "J." and another known Kovalenko's pseudonym.
                   *(_masker(_known_entries((k,), parts=False)) for k in names),
                   *(_masker(_known_entries((k,), whole=False)) for k in names),
                   _masker(_known_entries(tuple((r, p) for r, p in known if p.startswith("[")))),
                   _masker(_team_entries(tuple(self._team_members(subject.get("team")))))]
        used = {p for _, p in self._pseudonyms.items()} | {p for _, p in known}

        def mask(text: Any, field: str) -> Any:
            if not isinstance(text, str) or not text.strip():
                return text
            masked = text
            for masker in maskers:
                masked = masker.run(masked)
            masked = self._suspects(masked, field, ref, aid, births, nhs, used)
            if masked != text:
                self.changes.append(Change(ref, aid, field, text, masked))
            return masked

        for key in PLAIN_SUBJECT_KEYS - {"case_type", "age_band"}:
            if isinstance(subject.get(key), str):
                subject[key] = mask(subject[key], f"subject.{key}")
        for qid, entry in (out.get("answers") or {}).items():
            if not isinstance(entry, dict):
                continue
            question = _question(template, qid)
            if isinstance(entry.get("value"), str) and (question is None or question.type in ("text", "long_text")):
                entry["value"] = mask(entry["value"], f"answers.{qid}")
            if entry.get("evidence"):
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
            m["learning_points"] = mask(m.get("learning_points"), f"moderations[{i}].learning_points")
            for j, n in enumerate(m.get("notes") or []):
                n["text"] = mask(n.get("text"), f"moderations[{i}].notes[{j}].text")
        return out

    def _suspects(self, text: str, field: str, ref: str, aid: str, births: list[tuple[int, int, int]],
                  nhs: set[str], used: set[str]) -> str:
        """``text`` with the suspects the store can place (other cases, the date of birth) and those the
        exporter said to mask replaced; every other suspect listed in :attr:`suspects`."""
        numbers = self.case_numbers()
        pieces: list[str] = []
        pos = 0
        for s in find_suspects(text, known_numbers=numbers, ignore=used):
            replacement = self._known(s, numbers, births, nhs)
            if replacement is None:
                decision = self.resolution.decide(s.key)
                self.suspects.append(SuspectFound(ref, aid, field, s.kind, s.text, s.why, _context(text, s)))
                if decision == "mask":
                    replacement = MASKS[s.kind]
            if replacement is not None:
                pieces += [text[pos:s.start], replacement]
                pos = s.end
        return "".join(pieces) + text[pos:] if pieces else text

    def _known(self, s: Suspect, numbers: dict[str, str], births: list[tuple[int, int, int]],
               nhs: set[str]) -> str | None:
        if s.kind == "nhs_number" and s.digits in nhs:
            return MASKS["nhs_number"]
        if s.kind == "case_ref" and s.digits in numbers:
            return self._pseudonym("case_ref", numbers[s.digits])
        if s.kind == "date" and s.when is not None and births and same_date(s.when, births):
            return DOB_MASK
        return None


def _question(template: Template | None, qid: str) -> Any:
    if template is None or not template.has_question(qid):
        return None
    return template.question(qid)


def _context(text: str, s: Suspect, width: int = 40) -> str:
    before = text[max(0, s.start - width):s.start]
    after = text[s.end:s.end + width]
    lead = "…" if s.start > width else ""
    trail = "…" if s.end + width < len(text) else ""
    return " ".join(f"{lead}{before}«{s.text}»{after}{trail}".split())


Entries = tuple[tuple[str, bool, str], ...]  # (pattern, case-sensitive, replacement)


def _people_entries(people: tuple[tuple[PersonEntry, str], ...]) -> Entries:
    """A people list's names, and their parts, as their roles."""
    return tuple((p, sensitive, label) for person, label in people for name in person.names
                 for p, sensitive in name_parts(name))


def _known_entries(known: tuple[tuple[str, str], ...], *, whole: bool = True, parts: bool = True) -> Entries:
    """The audit's pseudonymised names (whole and by their parts) and removed values (whole)."""
    out: list[tuple[str, bool, str]] = []
    for real, replacement in known:
        if len(real.strip()) < 2:
            continue
        if whole:
            out.append((whole_name(real), False, replacement))
        if parts and not replacement.startswith("["):
            out += [(p, s, replacement) for p, s in name_parts(real)[1:]]
    return tuple(out)


@lru_cache(maxsize=64)
def _team_entries(team: tuple[str, ...]) -> Entries:
    return tuple((p, s, MASK) for name in team for p, s in name_parts(name) if len(p) >= 3)


@lru_cache(maxsize=512)
def _masker(entries: Entries) -> _Masker:
    return _Masker(entries)


class _Masker:
    """Masks known identifiers in free text: whole names in any case, and their parts with a capital.

    The people list's names become their roles ("[child]"); the pseudonymised names (practitioner,
    auditor...) become their pseudonyms; the team's members "[removed]".  A part two people with
    different replacements share (a family's surname) becomes "[name]".  Longest first, so "Jayden Okoro"
    is one "[child]", not "[child] [child]".  Made once for the same entries (:func:`_masker`).
    """

    def __init__(self, entries: Entries) -> None:
        chosen: dict[tuple[str, bool], str] = {}
        for pattern, sensitive, replacement in entries:
            key = (pattern if sensitive else pattern.casefold(), sensitive)
            if key in chosen and chosen[key] != replacement:
                chosen[key] = NAME_MASK if chosen[key].startswith("[") or replacement.startswith("[") else chosen[key]
            else:
                chosen.setdefault(key, replacement)
        self._entries = sorted(chosen.items(), key=lambda e: len(e[0][0]), reverse=True)
        self._regex: re.Pattern[str] | None = None
        if not self._entries:
            return
        alternatives = [p if sensitive else f"(?i:{p})" for (p, sensitive), _ in self._entries]
        self._regex = re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])")

    def run(self, text: str) -> str:
        if self._regex is None:
            return text
        return self._regex.sub(self._replacement, text)

    def _replacement(self, m: re.Match[str]) -> str:
        found = m.group(0)
        for (pattern, sensitive), replacement in self._entries:
            if _pattern(pattern, sensitive).fullmatch(found):
                return replacement
        return MASK


@lru_cache(maxsize=4096)
def _pattern(pattern: str, sensitive: bool) -> re.Pattern[str]:
    return re.compile(pattern, 0 if sensitive else re.IGNORECASE)


def restore_text(text: str | None, mapping: list[tuple[str, str]]) -> str | None:
    """Put real values back for pseudonyms in text that came back (e.g. a moderator's rationale)."""
    if not text:
        return text
    for pseudonym, real in sorted(mapping, key=lambda p: len(p[0]), reverse=True):
        if pseudonym:
            # A function replacement, so a backslash in the real value is taken literally.
            boundary_start = r"(?<![\w])" if pseudonym[:1].isalnum() else ""
            boundary_end = r"(?![\w])" if pseudonym[-1:].isalnum() else ""
            text = re.sub(rf"{boundary_start}{re.escape(pseudonym)}{boundary_end}", _literal(real), text)
    return text


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: text
