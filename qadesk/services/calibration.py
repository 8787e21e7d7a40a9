"""Calibration exercises: one audit, graded blind by several auditors, then agreed at a moderation panel.

A QA lead picks a completed audit; :func:`create_exercise` keeps an anonymised copy of it (nothing that
identifies the case, and none of the auditor's judgements) and, beside it in this store only, the
auditor's own grades. Each rater records their own grade per graded section and overall
(:func:`rate`), here or on their own laptop through a calibration pack
(:mod:`qadesk.services.calibration_packs`). :func:`result` gives, per section and overall, the spread of
the grades, the agreement across raters (Fleiss' kappa and Krippendorff's alpha, from
:mod:`qadesk.core.agreement_multi`), each rater against the agreed grade and the auditor's grades;
:func:`agree` records the panel's agreed grades and the notes of its discussion, and closes the exercise.

Who may rate: anyone named, once per exercise (names compared ignoring case, spacing and full stops),
except whoever completed the audit: they know their own grades, so theirs would not be blind.
Every step is in the history (entity ``calibration``, no audit id: an exercise is not the audit, and a
copy on a rater's laptop has no audit at all); :func:`verify_exercises` replays those entries against
the tables.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core.agreement_multi import (
    AgainstAgreed,
    CalibrationAgreement,
    Spread,
    against_agreed,
    calibration_agreement,
    spread,
)
from qadesk.core.errors import NotFound, StateError, ValidationError
from qadesk.core.ids import lookup_id
from qadesk.core.permissions import Do
from qadesk.core.template import Template
from qadesk.services import permissions
from qadesk.services.agreement import Scale, scale_of
from qadesk.services.audit_access import Actor, get_audit, template_for
from qadesk.services.audit_document import audit_document, iso
from qadesk.services.moderation import completed_by
from qadesk.services.pseudonymise import Pseudonymiser, Resolution
from qadesk.services.templates import template_of
from qadesk.store import history
from qadesk.store.models import Audit, CalibrationExercise, CalibrationRating, HistoryEntry

ENTITY = "calibration"
GRADED_STATUSES = ("completed", "moderated", "closed")


def rater_key(name: str | None) -> str:
    """A rater's name as compared: no case, no spaces, no full stops ("a. worker" is "A Worker")."""
    return re.sub(r"[\s.]+", "", name or "").casefold()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------------------------------- reading


def find_exercise(session: Session, ident: str) -> CalibrationExercise:
    """The exercise with this id, the start of its id (8 characters or more) or its reference."""
    text = (ident or "").strip()
    ex = session.get(CalibrationExercise, lookup_id(text)) if text else None
    if ex is not None:
        return ex
    by_ref = list(session.execute(select(CalibrationExercise).where(CalibrationExercise.reference == text)).scalars())
    if not by_ref and len(text) >= 8:
        by_ref = list(session.execute(select(CalibrationExercise).where(
            CalibrationExercise.id.startswith(text.lower(), autoescape=True))).scalars())
    if len(by_ref) == 1:
        return by_ref[0]
    if len(by_ref) > 1:
        raise ValidationError(f"'{text}' names {len(by_ref)} exercises here; give the exercise's id")
    raise NotFound(f"no calibration exercise '{text}' (give its id or reference, e.g. CAL-2026-0001)")


def template_of_exercise(ex: CalibrationExercise) -> Template:
    return template_of(ex.template)


def is_copy(ex: CalibrationExercise) -> bool:
    """Whether this is a rater's copy, imported from a calibration pack (the panel agrees where it was made)."""
    return ex.origin is not None


def copy_document(ex: CalibrationExercise) -> dict[str, Any]:
    return dict(json.loads(ex.document))


def graded_sections(t: Template) -> list[tuple[str, str, str]]:
    """(section id, title, grade list) of every section that takes a judgement, in form order."""
    return [(s.id, s.title, s.grade_list) for s in t.sections if s.grade_list]


@dataclass(frozen=True)
class ExerciseRow:
    """One exercise for a list."""

    id: str
    reference: str
    template: str
    title: str
    status: str
    copy: bool
    origin: str | None
    owner: str
    created_at: str | None
    raters: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reference": self.reference, "template": self.template, "title": self.title,
                "status": self.status, "copy": self.copy, "origin": self.origin, "owner": self.owner,
                "created_at": self.created_at, "ratings": len(self.raters), "raters": self.raters}


def _row(ex: CalibrationExercise) -> ExerciseRow:
    return ExerciseRow(ex.id, ex.reference, f"{ex.template.template_id}@{ex.template.version}", ex.template.title,
                       ex.status, is_copy(ex), ex.origin, ex.owner_name, iso(ex.created_at),
                       [r.rater_name for r in ex.ratings])


def list_exercises(session: Session) -> list[ExerciseRow]:
    """Every exercise here, newest first."""
    q = select(CalibrationExercise).order_by(CalibrationExercise.created_at.desc(), CalibrationExercise.reference)
    return [_row(ex) for ex in session.execute(q).scalars()]


def exercise_dict(session: Session, ident: str) -> dict[str, Any]:
    """An exercise as ``calibration show --json`` prints it: the copy to grade and who has rated (not how)."""
    ex = find_exercise(session, ident)
    t = template_of_exercise(ex)
    out = _row(ex).as_dict()
    out["overall_scale"] = [{"value": c.value, "label": c.label} for c in t.overall_choices()]
    out["sections"] = [{"id": sid, "title": title, "scale": [{"value": c.value, "label": c.label}
                                                             for c in t.list_choices(lst)]}
                       for sid, title, lst in graded_sections(t)]
    out["document"] = copy_document(ex)
    if ex.status == "agreed":
        out["agreed"] = {"overall": ex.agreed_overall, "sections": json.loads(ex.agreed_sections or "{}"),
                         "notes": ex.notes, "by": ex.agreed_by, "at": iso(ex.agreed_at)}
    return out


# ------------------------------------------------------------------------------------------- creating


def next_reference(session: Session, year: int) -> str:
    prefix = f"CAL-{year}-"
    refs = session.execute(select(CalibrationExercise.reference).where(
        CalibrationExercise.reference.startswith(prefix))).scalars()
    numbers = [int(r[len(prefix):]) for r in refs if r[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def anonymised_copy(session: Session, audit: Audit, exercise_id: str, reference: str, at: datetime) -> dict[str, Any]:
    """The audit as raters see it: answers, evidence notes and summary, names in them masked; nothing else.

    No case reference, practitioner, team, auditor, dates (the exercise's own date stands in) or dates of
    birth; none of the auditor's judgements (section and overall grades, the suggested grade, the
    rationale, answers to grade questions), no moderations and no actions (the auditor's conclusions).
    Everything that looks identifying but the store does not know is masked too.
    """
    t = template_for(audit)
    pz = Pseudonymiser(session, Resolution(rest="mask"))
    pz.prefetch_people([audit.case_ref])
    masked = pz.apply(audit_document(audit), t)
    answers = {}
    for qid, entry in (masked.get("answers") or {}).items():
        if not t.has_question(qid) or t.question(qid).type == "grade" or not isinstance(entry, dict):
            continue
        kept = {"value": entry.get("value")}
        if entry.get("evidence"):
            kept["evidence"] = entry["evidence"]
        if kept["value"] is None and "evidence" not in kept:
            continue
        answers[qid] = kept
    when = iso(at)
    case_type = (masked.get("subject") or {}).get("case_type")
    return {
        "id": exercise_id, "reference": reference, "revision": 1,
        "template": {"id": t.id, "version": t.version}, "status": "completed",
        "subject": {"case_type": case_type} if case_type else {},
        "auditor": {"name": None, "role": None}, "started_at": when, "completed_at": when,
        "answers": answers, "sections": {}, "overall": {"grade": None, "suggested": None, "rationale": None},
        "summary": dict(masked.get("summary") or {}), "actions": [], "moderations": [],
    }


def create_exercise(session: Session, audit_ident: str, *, actor: str, at: datetime | None = None) -> CalibrationExercise:
    """A new calibration exercise from one completed (or moderated) audit."""
    permissions.require(session, Do.RUN_CALIBRATION)
    audit = get_audit(session, audit_ident)
    if audit.status not in GRADED_STATUSES:
        raise StateError(f"{audit.reference} is a {audit.status}; a calibration exercise is made from a completed audit")
    at = (at or now_utc()).astimezone(timezone.utc)
    ex_id = str(uuid.uuid4())
    reference = next_reference(session, at.year)
    copy = anonymised_copy(session, audit, ex_id, reference, at)
    original = {"auditor": audit.auditor_name, "completed_by": completed_by(session, audit),
                "overall": audit.overall_grade, "final": audit.final_grade,
                "sections": {j.section_id: j.grade for j in audit.section_judgements}}
    ex = CalibrationExercise(id=ex_id, reference=reference, template_pk=audit.template_pk, audit_id=audit.id,
                             document=json.dumps(copy, ensure_ascii=False), original=json.dumps(original, ensure_ascii=False),
                             owner_name=actor, origin=None, created_at=at, status="open")
    session.add(ex)
    session.flush()
    history.record(session, actor=actor, entity=ENTITY, entity_id=ex_id, action="create", at=at,
                   after={"reference": reference, "template": copy["template"], "from": audit.reference,
                          "copy": _digest(ex.document)})
    return ex


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------- rating


def check_grades(t: Template, overall: str | None, sections: dict[str, str], *, need_overall: bool = True,
                 where: str = "") -> None:
    """Refuse grades not on their scale, sections that take no judgement, or no overall grade."""
    pre = f"{where}: " if where else ""
    values = {c.value for c in t.overall_choices()}
    if overall is None and need_overall:
        raise ValidationError(f"{pre}the overall grade is needed ({', '.join(sorted(values))})")
    if overall is not None and overall not in values:
        raise ValidationError(f"{pre}'{overall}' is not on the overall scale ({', '.join(c.value for c in t.overall_choices())})")
    graded = {sid: lst for sid, _, lst in graded_sections(t)}
    for sid, grade in sections.items():
        if sid not in graded:
            raise ValidationError(f"{pre}the template {t.key} has no graded section '{sid}' "
                                  f"(graded sections: {', '.join(graded) or 'none'})")
        scale = [c.value for c in t.list_choices(graded[sid])]
        if grade not in scale:
            raise ValidationError(f"{pre}'{grade}' is not a judgement on the scale of section '{sid}' ({', '.join(scale)})")


def refusal_to_rate(ex: CalibrationExercise, name: str) -> str | None:
    """Why ``name`` may not rate this exercise (None when they may)."""
    if ex.status != "open":
        return f"{ex.reference} was agreed and closed; no more ratings are taken"
    if not name or not rater_key(name):
        return "a rating needs the rater's name (set it in your profile)"
    for r in ex.ratings:
        if r.rater_key == rater_key(name):
            return f"{r.rater_name} has already rated {ex.reference}; each rater rates once"
    original = json.loads(ex.original) if ex.original else {}
    for who in original.get("completed_by") or []:
        if rater_key(who) == rater_key(name):
            return (f"{name} completed the audit {ex.reference} was made from; their grades would not be blind "
                    "(they are shown beside the result as the auditor's)")
    return None


def rating_dict(r: CalibrationRating) -> dict[str, Any]:
    """A rating as the history and a return pack keep it."""
    return {"id": r.id, "rater": {"name": r.rater_name, "role": r.rater_role, "organisation": r.organisation},
            "overall": r.overall, "sections": json.loads(r.sections or "{}"), "at": iso(r.at)}


def rate(session: Session, ident: str, *, rater: Actor, overall: str | None, sections: dict[str, str] | None = None,
         at: datetime | None = None, rating_id: str | None = None, pack_id: str | None = None,
         actor: str | None = None) -> CalibrationRating:
    """Record one rater's blind grades: overall (needed) and any graded sections."""
    permissions.require(session, Do.RATE_CALIBRATION)
    ex = find_exercise(session, ident)
    name = (rater.name or "").strip()
    why = refusal_to_rate(ex, name)
    if why:
        raise StateError(why)
    sections = dict(sections or {})
    check_grades(template_of_exercise(ex), overall, sections)
    # To the second, as a return pack carries it: the raters are listed in the order they rated, the same
    # in every store.
    at = (at or now_utc()).astimezone(timezone.utc).replace(microsecond=0)
    r = CalibrationRating(id=rating_id or str(uuid.uuid4()), exercise_id=ex.id, rater_name=name,
                          rater_key=rater_key(name), rater_role=rater.role, organisation=rater.organisation,
                          overall=overall, sections=json.dumps(sections, ensure_ascii=False, sort_keys=True),
                          at=at, pack_id=pack_id)
    ex.ratings.append(r)
    session.flush()
    history.record(session, actor=actor or name, entity=ENTITY, entity_id=ex.id, action="rate", at=at,
                   after={**rating_dict(r), "pack": pack_id})
    return r


# ------------------------------------------------------------------------------------------- agreeing


def agree(session: Session, ident: str, *, actor: str, overall: str, sections: dict[str, str] | None = None,
          notes: str, at: datetime | None = None) -> CalibrationExercise:
    """Record the grades the panel agreed and the notes of its discussion; the exercise is then closed."""
    permissions.require(session, Do.RUN_CALIBRATION)
    ex = find_exercise(session, ident)
    if is_copy(ex):
        raise StateError(f"{ex.reference} here is a rater's copy from {ex.origin}; the panel's agreed grades are "
                         "recorded in the store that made the exercise")
    if ex.status != "open":
        raise StateError(f"{ex.reference} was agreed already ({iso(ex.agreed_at)}, by {ex.agreed_by})")
    if not ex.ratings:
        raise StateError(f"{ex.reference} has no ratings yet; the panel agrees after the raters have graded it")
    text = (notes or "").strip()
    if not text:
        raise ValidationError("the notes of the panel's discussion are needed (what was discussed, why this grade)")
    sections = dict(sections or {})
    check_grades(template_of_exercise(ex), overall, sections)
    at = (at or now_utc()).astimezone(timezone.utc)
    ex.status, ex.agreed_overall = "agreed", overall
    ex.agreed_sections = json.dumps(sections, ensure_ascii=False, sort_keys=True)
    ex.notes, ex.agreed_by, ex.agreed_at = text, actor, at
    session.flush()
    history.record(session, actor=actor, entity=ENTITY, entity_id=ex.id, action="agree", at=at,
                   before={"status": "open"}, after=_agreed_state(ex))
    return ex


def _agreed_state(ex: CalibrationExercise) -> dict[str, Any]:
    return {"status": ex.status, "overall": ex.agreed_overall, "sections": json.loads(ex.agreed_sections or "{}"),
            "notes": ex.notes, "by": ex.agreed_by, "at": iso(ex.agreed_at)}


# ------------------------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class ResultItem:
    """One thing graded: a section or the overall judgement."""

    key: str  # a section id, or "overall"
    title: str
    scale: Scale
    grades: list[str | None]  # per rater, in the order of :attr:`CalibrationResult.raters`
    spread: Spread
    agreed: str | None
    original: str | None  # the auditor's grade (only where the exercise was made)
    counted: bool  # on the overall's scale, so counted in the coefficients

    def label(self, value: str | None) -> str:
        if value is None:
            return "—"
        return self.scale.labels[self.scale.values.index(value)] if value in self.scale.values else value


@dataclass
class CalibrationResult:
    reference: str
    exercise_id: str
    status: str
    copy: bool
    raters: list[str]
    items: list[ResultItem]
    agreement: CalibrationAgreement
    against: list[AgainstAgreed] = field(default_factory=list)  # once agreed: each rater against the agreed grades
    notes: str | None = None
    agreed_by: str | None = None
    agreed_at: str | None = None
    auditor: str | None = None  # shown beside only where the exercise was made
    left_out: list[str] = field(default_factory=list)  # items on another scale than the overall's

    def as_dict(self) -> dict[str, Any]:
        a = self.agreement

        def estimate(e: Any) -> dict[str, Any]:
            return {"value": e.value, "reason": e.reason}

        return {
            "id": self.exercise_id, "reference": self.reference, "status": self.status, "copy": self.copy,
            "raters": self.raters,
            "items": [{"key": i.key, "title": i.title, "scale": list(i.scale.values), "grades": i.grades,
                       "spread": dict(zip(i.scale.values, i.spread.counts, strict=True)),
                       "lowest": i.scale.values[i.spread.lowest] if i.spread.lowest is not None else None,
                       "highest": i.scale.values[i.spread.highest] if i.spread.highest is not None else None,
                       "range": i.spread.range, "agreed": i.agreed, "original": i.original, "counted": i.counted}
                      for i in self.items],
            "agreement": {"n": a.items, "raters": a.raters, "pairable": a.pairable, "judgeable": a.judgeable,
                          "verdict": a.verdict, "fleiss_kappa": estimate(a.fleiss_kappa),
                          "krippendorff_alpha_ordinal": estimate(a.alpha_ordinal),
                          "krippendorff_alpha_interval": estimate(a.alpha_interval),
                          "krippendorff_alpha_nominal": estimate(a.alpha_nominal)},
            "against_agreed": [{"rater": self.raters[x.rater], "n": x.n, "exact": x.exact, "within_one": x.within_one,
                                "mean_difference": x.mean_difference} for x in self.against],
            "agreed": None if self.status != "agreed" else {
                "overall": next((i.agreed for i in self.items if i.key == "overall"), None),
                "sections": {i.key: i.agreed for i in self.items if i.key != "overall" and i.agreed is not None},
                "notes": self.notes, "by": self.agreed_by, "at": self.agreed_at},
            "auditor": self.auditor, "left_out": self.left_out,
        }


def result(session: Session, ident: str) -> CalibrationResult:
    """The spread per section and overall, the agreement across raters, each rater against the agreed grade."""
    ex = find_exercise(session, ident)
    t = template_of_exercise(ex)
    ratings = sorted(ex.ratings, key=lambda r: (r.at, r.rater_key))
    raters = [r.rater_name for r in ratings]
    given = [json.loads(r.sections or "{}") for r in ratings]
    agreed_sections = json.loads(ex.agreed_sections or "{}") if ex.status == "agreed" else {}
    original = json.loads(ex.original) if ex.original else None
    main = scale_of(t, t.overall.list)
    rows: list[tuple[str, str, Scale, list[str | None], str | None, str | None]] = []
    for sid, title, lst in graded_sections(t):
        rows.append((sid, title, scale_of(t, lst), [g.get(sid) for g in given], agreed_sections.get(sid),
                     (original or {}).get("sections", {}).get(sid)))
    rows.append(("overall", "Overall judgement", main, [r.overall for r in ratings],
                 ex.agreed_overall if ex.status == "agreed" else None, (original or {}).get("overall")))
    items: list[ResultItem] = []
    table: list[list[int | None]] = []
    agreed_idx: list[int | None] = []
    left_out = []
    for key, title, scale, grades, agreed_grade, orig in rows:
        idx = [scale.index(g) for g in grades]
        counted = scale.key == main.key
        items.append(ResultItem(key, title, scale, grades, spread([idx], scale.k)[0], agreed_grade, orig, counted))
        if counted:
            table.append(idx)
            agreed_idx.append(main.index(agreed_grade))
        else:
            left_out.append(title)
    agreement = calibration_agreement(table, main.k)
    against = against_agreed(table, agreed_idx, main.k) if ex.status == "agreed" and raters else []
    return CalibrationResult(ex.reference, ex.id, ex.status, is_copy(ex), raters, items, agreement, against,
                             ex.notes, ex.agreed_by, iso(ex.agreed_at),
                             (original or {}).get("auditor") if original else None, left_out)


# ------------------------------------------------------------------------------------------- the history


def verify_exercises(session: Session) -> list[str]:
    """Replay every calibration entry and compare with the tables: each difference in words (none: all agree)."""
    states: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for e in session.execute(select(HistoryEntry).where(HistoryEntry.entity == ENTITY).order_by(HistoryEntry.seq)).scalars():
        after = json.loads(e.after) if e.after else {}
        st = states.setdefault(str(e.entity_id), {"begun": False, "ratings": {}, "status": None, "agreed": None})
        if e.action in ("create", "import"):
            if after.get("copy") is not None or e.action == "create":
                st.update(begun=True, status="open", reference=after.get("reference"), copy=after.get("copy"))
        elif e.action == "rate":
            st["ratings"][after.get("id")] = (after.get("rater") or {}).get("name"), after.get("overall"), after.get("sections")
        elif e.action == "agree":
            st["status"] = "agreed"
            st["agreed"] = (after.get("overall"), after.get("sections"), after.get("notes"))
        else:
            problems.append(f"entry {e.seq}: a calibration entry of a kind this version does not know ('{e.action}')")
    for ex in session.execute(select(CalibrationExercise)).scalars():
        held = states.pop(ex.id, None)
        if held is None or not held["begun"]:
            problems.append(f"{ex.reference}: the store holds this exercise but the history has no record of how it began")
            continue
        st = held
        if st.get("copy") != _digest(ex.document):
            problems.append(f"{ex.reference}: the copy to grade is not the one the history recorded")
        if st["status"] != ex.status:
            problems.append(f"{ex.reference}: the history says it is {st['status']}, the store holds {ex.status}")
        here = {r.id: (r.rater_name, r.overall, json.loads(r.sections or "{}")) for r in ex.ratings}
        for rid in sorted(set(here) | set(st["ratings"])):
            h, s = st["ratings"].get(rid), here.get(rid)
            if h is None or s is None or list(h) != list(s):
                who = (s or h or ("?",))[0]
                problems.append(f"{ex.reference}: the rating by {who} differs from the history "
                                f"({'missing from the store' if s is None else 'not in the history' if h is None else 'changed'})")
        if ex.status == "agreed" and st["agreed"] != (ex.agreed_overall, json.loads(ex.agreed_sections or "{}"), ex.notes):
            problems.append(f"{ex.reference}: the agreed grades or notes differ from the history")
    for ex_id, left in states.items():
        if left["begun"]:
            problems.append(f"the exercise {left.get('reference') or ex_id} is in the history but not in the store: it was deleted")
    return problems


def readable_copy(session: Session, ident: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The copy as a rater reads it: per section its title, then each answered question's label and answer
    (choices by their labels, the evidence note after), then the summary."""
    ex = find_exercise(session, ident)
    t = template_of_exercise(ex)
    doc = copy_document(ex)
    answers = doc.get("answers") or {}
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for s in t.sections:
        lines = []
        for q in s.questions:
            entry = answers.get(q.id)
            if not entry:
                continue
            value = entry.get("value")
            values = value if isinstance(value, list) else [value]
            shown = ", ".join(c.label if (c := q.choice(v)) is not None else str(v) for v in values if v is not None)
            if entry.get("evidence"):
                shown = f"{shown} — evidence: {entry['evidence']}" if shown else f"evidence: {entry['evidence']}"
            lines.append((q.label, shown))
        if lines:
            out.append((s.title, lines))
    from qadesk.core.audit import SUMMARY_LABELS

    summary = [(SUMMARY_LABELS.get(k, k), v) for k, v in (doc.get("summary") or {}).items() if v]
    if summary:
        out.append(("Summary", summary))
    return out
