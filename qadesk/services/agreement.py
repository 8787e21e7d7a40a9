"""Agreement between auditors and moderators, from the store: the pairs, the figures per group, the drift.

One *pair* per moderation: the auditor's overall grade and the moderator's: their own grade where
they judged blind (recorded before they saw the auditor's), the moderated grade otherwise (for an
agreed moderation, the auditor's own). Drift is measured against the grade moderation settled on.
:func:`section_pairs` gives one pair per section a moderator judged. Grades become indices on their scale, lowest first, in the order of their scores; a grade
with no score ("Unclear") takes no part. Pairs on different scales are never mixed: every figure is for
one scale (the template's grade list), so a RAG data-led audit and a four-point case audit are counted
apart. The arithmetic is :mod:`qadesk.core.agreement` and its siblings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core.agreement import PairAgreement, pair_agreement
from qadesk.core.agreement_drift import Drift, drift
from qadesk.core.dates import as_utc, quarter_of
from qadesk.core.selection import Selection
from qadesk.core.template import Template
from qadesk.services.queries import apply
from qadesk.services.templates import template_of
from qadesk.store.models import Audit, Moderation, ModerationSection, TemplateVersion

BY = ("auditor", "moderator", "team", "template", "section", "quarter")


@dataclass(frozen=True)
class Scale:
    """A grade list, lowest grade first: the values and labels agreement is counted on."""

    key: str  # the list's id and its values: templates that share a scale are counted together
    name: str  # the list's id, as contracts.md's ``scale``
    values: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def words(self) -> str:
        """The scale as people read it, its best grade to its lowest ("Outstanding to Inadequate"), never its id."""
        return f"{self.labels[-1]} to {self.labels[0]}" if len(self.labels) > 1 else "".join(self.labels) or self.name

    @property
    def k(self) -> int:
        return len(self.values)

    def index(self, value: str | None) -> int | None:
        return self.values.index(value) if value in self.values else None


@dataclass(frozen=True)
class Pair:
    """One moderated judgement: the auditor's grade against the moderator's, as indices on ``scale``."""

    audit_id: str
    reference: str
    auditor: str
    moderator: str
    team: str | None
    template: str
    section: str | None  # None: the overall judgement
    scale: Scale
    auditor_grade: int
    moderated_grade: int  # the moderator's own grade: recorded blind where they judged blind
    quarter: str
    moderated_on: date
    outcome_grade: int | None = None  # the moderated grade, where it differs from the moderator's own

    @property
    def final(self) -> int:
        """The grade moderation settled on (what drift is measured against)."""
        return self.moderated_grade if self.outcome_grade is None else self.outcome_grade


def scale_of(t: Template, list_name: str) -> Scale:
    scored = sorted((c for c in t.list_choices(list_name) if c.score is not None), key=lambda c: c.score or 0)
    values = tuple(c.value for c in scored)
    return Scale(f"{list_name}:{'|'.join(values)}", list_name, values, tuple(c.label for c in scored))


def _scales(session: Session) -> dict[int, tuple[Template, Scale]]:
    out = {}
    for row in session.execute(select(TemplateVersion)).scalars():
        t = template_of(row)
        out[row.pk] = (t, scale_of(t, t.overall.list))
    return out


def overall_pairs(session: Session, selection: Selection | None = None) -> list[Pair]:
    """Every moderation of the selected audits as a pair on the overall judgement.

    The moderator's side is their own grade where they judged blind (recorded before they saw the
    auditor's: the independent judgement agreement is about), the moderated grade otherwise."""
    scales = _scales(session)
    cols: list[Any] = [Moderation.moderator_name, Moderation.grade, Moderation.at, Audit.id, Audit.reference,
                       Audit.auditor_name, Audit.team, Audit.overall_grade, Audit.template_pk, Moderation.blind,
                       Moderation.own_grade]
    q = select(*cols).join(Audit, Audit.id == Moderation.audit_id)
    q = apply(q, selection or Selection(), session.get_bind().dialect.name)
    out = []
    for moderator, grade, at, aid, ref, auditor, team, overall, tpk, blind, own in session.execute(q):
        t, scale = scales[tpk]
        a, m = scale.index(overall), scale.index(own if blind and own else grade)
        if a is None or m is None:
            continue
        settled = scale.index(grade)
        when = as_utc(at)
        assert when is not None
        out.append(Pair(aid, ref, auditor or "No auditor", moderator, team, t.id, None, scale, a, m,
                        quarter_of(when.date()), when.date(), None if settled == m else settled))
    return out


def section_pairs(session: Session, selection: Selection | None = None) -> list[Pair]:
    """Every section a moderator judged beside the auditor's grade of it, as pairs on the section's scale.

    ``section`` is the section's title (its id where templates give one id several titles is not
    worth the confusion: the title is what a QA lead reads); a section ungraded by either side is left out."""
    sections: dict[int, tuple[Template, dict[str, Scale]]] = {}
    for row in session.execute(select(TemplateVersion)).scalars():
        t = template_of(row)
        sections[row.pk] = (t, {s.id: scale_of(t, s.grade_list) for s in t.sections if s.grade_list})
    cols: list[Any] = [ModerationSection.section_id, ModerationSection.own_grade, ModerationSection.auditor_grade,
                       Moderation.moderator_name, Moderation.at, Audit.id, Audit.reference, Audit.auditor_name,
                       Audit.team, Audit.template_pk]
    q = (select(*cols).join(Moderation, Moderation.id == ModerationSection.moderation_id)
         .join(Audit, Audit.id == Moderation.audit_id))
    q = apply(q, selection or Selection(), session.get_bind().dialect.name)
    out = []
    for sid, own, theirs, moderator, at, aid, ref, auditor, team, tpk in session.execute(q):
        t, scales = sections[tpk]
        scale = scales.get(sid)
        if scale is None:
            continue
        a, m = scale.index(theirs), scale.index(own)
        if a is None or m is None:
            continue
        when = as_utc(at)
        assert when is not None
        out.append(Pair(aid, ref, auditor or "No auditor", moderator, team, t.id, t.section(sid).title, scale, a, m,
                        quarter_of(when.date()), when.date()))
    return out


def _key(by: str | None) -> Callable[[Pair], Hashable]:
    if by is None:
        return lambda p: None
    if by not in BY:
        from qadesk.core.errors import ValidationError

        raise ValidationError(f"agreement is counted by {', '.join(BY)}, not '{by}'")
    return lambda p: getattr(p, by)


@dataclass(frozen=True)
class GroupFigures:
    """The agreement of one group (None: all) on one scale."""

    group: Hashable
    scale: Scale
    agreement: PairAgreement

    @property
    def n(self) -> int:
        return self.agreement.n

    def as_dict(self) -> dict[str, Any]:
        """The object ``qadesk moderation stats --json`` prints (contracts.md section 6)."""
        a = self.agreement

        def value(e: Any) -> float | None:
            return None if e.value is None else round(e.value, 6)

        q = a.kappa_quadratic
        return {"group": self.group, "scale": self.scale.name, "n": a.n,
                "exact": None if a.exact_per_cent is None else round(a.exact_per_cent / 100, 6),
                "within_one": None if a.within_one_per_cent is None else round(a.within_one_per_cent / 100, 6),
                "kappa_linear": value(a.kappa_linear), "kappa_quadratic": value(q),
                "kappa_quadratic_ci": [round(q.low, 6), round(q.high, 6)] if q.low is not None and q.high is not None
                else None,
                "ac2": value(a.ac2_quadratic), "ac2_linear": value(a.ac2_linear), "ac1": value(a.ac1),
                "kappa": value(a.kappa), "judgeable": a.judgeable, "verdict": a.verdict,
                "grades": list(self.scale.labels),
                "table": [list(row) for row in a.table]}


def figures(pairs: Sequence[Pair], by: str | None = None) -> list[GroupFigures]:
    """Agreement per group (``by``: one of :data:`BY`, or None for all pairs together), scale by scale."""
    key = _key(by)
    groups: dict[tuple[str, Hashable], list[Pair]] = {}
    for p in pairs:
        groups.setdefault((p.scale.key, key(p)), []).append(p)
    out = [GroupFigures(g, ps[0].scale, pair_agreement([(p.auditor_grade, p.moderated_grade) for p in ps],
                                                        ps[0].scale.k))
           for (_, g), ps in groups.items()]
    on_scale = Counter(p.scale.key for p in pairs)  # the scale most pairs are on comes first
    return sorted(out, key=lambda f: (-on_scale[f.scale.key], f.scale.key, f.group is None, str(f.group or "")))


@dataclass(frozen=True)
class AuditorDrift:
    auditor: str
    scale: Scale
    drift: Drift
    pairs: tuple[tuple[int, int], ...]  # (auditor's, moderated) for the chart


def drifts(pairs: Sequence[Pair]) -> list[AuditorDrift]:
    """Each auditor's drift from moderation, scale by scale; the warnings first, then by name."""
    groups: dict[tuple[str, str], list[Pair]] = {}
    for p in pairs:
        groups.setdefault((p.scale.key, p.auditor), []).append(p)
    out = [AuditorDrift(auditor, ps[0].scale, drift([(p.auditor_grade, p.final) for p in ps]),
                        tuple((p.auditor_grade, p.final) for p in ps))
           for (_, auditor), ps in groups.items()]
    return sorted(out, key=lambda d: (not d.drift.warning, d.auditor.casefold()))


def main_scale(pairs: Sequence[Pair]) -> Scale | None:
    """The scale most pairs are on (what a screen shows first)."""
    counts = Counter(p.scale.key for p in pairs)
    if not counts:
        return None
    top = counts.most_common(1)[0][0]
    return next(p.scale for p in pairs if p.scale.key == top)
