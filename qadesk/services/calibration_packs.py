"""Calibration packs in and out of the store: the exercise out to raters, their judgements back.

:func:`export_calibration_pack` writes, for an exercise made here, the pack raters import on their own
laptops (the anonymised copy and its template), and for a rater's copy, the return of the ratings made on
it. :func:`import_calibration_pack` checks the whole pack first
(:func:`qadesk.exchange.calibration_pack.read_calibration_pack`), then in one transaction creates the
copy (an exercise with no link to any audit) or adds the returned ratings to the exercise they belong
to. The same pack twice changes nothing; a return for an exercise this store did not make is refused
with the reason, and so is a rating by someone who already rated here with other grades.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from qadesk.core.errors import StateError, ValidationError
from qadesk.exchange.calibration_pack import read_calibration_pack, write_calibration_pack
from qadesk.services.audit_access import Actor
from qadesk.services.audit_document import iso
from qadesk.services.calibration import (
    ENTITY,
    _digest,
    check_grades,
    find_exercise,
    is_copy,
    rate,
    rater_key,
    rating_dict,
    refusal_to_rate,
    template_of_exercise,
)
from qadesk.services.history import head_for_pack
from qadesk.services.profile import current_actor_name, get_profile
from qadesk.services.templates import store_template
from qadesk.store import history
from qadesk.store.models import CalibrationExercise, ImportedPack

IMPORTED_KIND = "calibration"


@dataclass
class CalibrationExport:
    path: Path
    pack_id: str
    part: str
    reference: str
    ratings: int
    size: int

    def __str__(self) -> str:
        what = ("the exercise for raters (an anonymised copy)" if self.part == "exercise"
                else f"the judgements back ({self.ratings} rating{'s' if self.ratings != 1 else ''})")
        return f"Written {self.path}: {self.reference}, {what} ({self.size / 1024:,.0f} KB, pack {self.pack_id})."


@dataclass
class CalibrationImport:
    path: Path
    pack_id: str
    part: str
    reference: str
    exercise_id: str
    already_imported: bool = False
    created: bool = False
    added: list[str] = field(default_factory=list)  # raters whose ratings were added
    unchanged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{self.path.name}: calibration exercise {self.reference}"
        if self.already_imported:
            return f"{head}: this pack was imported before; nothing changed."
        if self.part == "exercise":
            return (f"{head}: the copy to grade is here now; rate it with qadesk calibration rate {self.reference}"
                    if self.created else f"{head}: the copy was here already; nothing changed.")
        lines = [f"{head}: ratings added: {len(self.added)}" + (f" ({', '.join(self.added)})" if self.added else "")]
        if self.unchanged:
            lines.append(f"  already here: {', '.join(self.unchanged)}")
        return "\n".join(lines)


def _sender(session: Any) -> dict[str, Any]:
    p = get_profile(session)
    return {"name": current_actor_name(session), "role": (p.role or None) if p else None,
            "organisation": (p.organisation or None) if p else None}


def export_calibration_pack(store: Any, ident: str, path: Path, *, judgements: bool | None = None) -> CalibrationExport:
    """The pack for raters (an exercise made here) or the return of judgements (a rater's copy).

    ``judgements`` None chooses by the exercise; True or False says which is meant, and is refused when
    it does not fit (a return goes from a copy, an exercise from where it was made).
    """
    path = Path(path)
    pack_id = str(uuid.uuid4())
    with store.session() as s:
        ex = find_exercise(s, ident)
        copy_here = is_copy(ex)
        if judgements is None:
            judgements = copy_here
        if judgements and not copy_here:
            raise StateError(f"{ex.reference} was made in this store: its ratings are here already; a return of "
                             "judgements goes from a rater's copy")
        if not judgements and copy_here:
            raise StateError(f"{ex.reference} here is a rater's copy from {ex.origin}; send the judgements back "
                             "(--return) rather than the exercise")
        t = template_of_exercise(ex)
        sender = _sender(s)
        exercise = {"id": ex.id, "reference": ex.reference, "template": {"id": t.id, "version": t.version},
                    "created_at": iso(ex.created_at), "organisation": sender.get("organisation") if not copy_here
                    else ex.origin}
        head = head_for_pack(s)
        if judgements:
            ratings = [rating_dict(r) for r in ex.ratings]
            if not ratings:
                raise StateError(f"{ex.reference} has no ratings here yet; rate it first (qadesk calibration rate)")
            size = write_calibration_pack(path, pack_id=pack_id, part="judgements", exercise=exercise, sender=sender,
                                          ratings=ratings, history_head=head)
            return CalibrationExport(path, pack_id, "judgements", ex.reference, len(ratings), size)
        copy = json.loads(ex.document)
        size = write_calibration_pack(path, pack_id=pack_id, part="exercise", exercise=exercise, sender=sender,
                                      template=t, copy=copy, history_head=head)
        return CalibrationExport(path, pack_id, "exercise", ex.reference, 0, size)


def import_calibration_pack(store: Any, path: Path) -> CalibrationImport:
    """Check the whole pack, then create the rater's copy or add the returned ratings (see the module)."""
    path = Path(path)
    pack = read_calibration_pack(path)
    ex_info = pack.exercise
    out = CalibrationImport(path, pack.pack_id, pack.part, ex_info["reference"], ex_info["id"])
    with store.transaction() as s:
        actor = current_actor_name(s)
        if s.get(ImportedPack, pack.pack_id) is not None:
            out.already_imported = True
            return out
        ex = s.get(CalibrationExercise, ex_info["id"])
        if pack.part == "exercise":
            assert pack.template is not None and pack.copy is not None
            if ex is not None and not is_copy(ex):
                raise ValidationError(f"{path.name}: exercise {ex.reference} was made in this store; rate it here, "
                                      "there is nothing to import")
            if ex is None:
                row, _ = store_template(s, pack.template, actor=actor)
                origin = ex_info.get("organisation") or pack.sender.get("organisation") or "a calibration pack"
                document = json.dumps(pack.copy, ensure_ascii=False)
                ex = CalibrationExercise(id=ex_info["id"], reference=ex_info["reference"], template_pk=row.pk,
                                         audit_id=None, document=document, original=None,
                                         owner_name=pack.sender.get("name") or origin, origin=origin,
                                         created_at=datetime.fromisoformat(ex_info["created_at"]), status="open")
                s.add(ex)
                s.flush()
                history.record(s, actor=actor, entity=ENTITY, entity_id=ex.id, action="import",
                               after={"pack": pack.pack_id, "part": "exercise", "reference": ex.reference,
                                      "template": ex_info["template"], "from": origin, "copy": _digest(document)})
                out.created = True
        else:
            if ex is None:
                raise ValidationError(f"{path.name}: this return is for calibration exercise {ex_info['reference']} "
                                      f"({ex_info['id']}), which is not in this store")
            if is_copy(ex):
                raise ValidationError(f"{path.name}: {ex.reference} here is a rater's copy too; returns go to the "
                                      f"store that made the exercise ({ex.origin})")
            if (ex_info["template"]["id"], ex_info["template"]["version"]) != (ex.template.template_id, ex.template.version):
                raise ValidationError(f"{path.name}: the return grades {ex_info['template']['id']}@"
                                      f"{ex_info['template']['version']}, not this exercise's template")
            t = template_of_exercise(ex)
            held = {r.id: r for r in ex.ratings}
            new: list[dict[str, Any]] = []
            for i, r in enumerate(pack.ratings):
                where = f"{path.name}: calibration.json: ratings.{i}"
                check_grades(t, r["overall"], r["sections"], where=where)
                mine = held.get(r["id"])
                if mine is not None:
                    if rating_dict(mine)["overall"] != r["overall"] or json.loads(mine.sections) != r["sections"]:
                        raise ValidationError(f"{where}: the rating by {mine.rater_name} is here with other grades; "
                                              "a rating is never changed")
                    out.unchanged.append(mine.rater_name)
                    continue
                why = refusal_to_rate(ex, r["rater"]["name"])
                if why is None and any(rater_key(x["rater"]["name"]) == rater_key(r["rater"]["name"]) for x in new):
                    why = f"{r['rater']['name']} is in this return twice; each rater rates once"
                if why:
                    raise ValidationError(f"{where}: {why}")
                new.append(r)
            for r in new:
                who = r["rater"]
                rate(s, ex.id, rater=Actor(who["name"], who.get("role"), who.get("organisation")), overall=r["overall"],
                     sections=r["sections"], at=datetime.fromisoformat(r["at"]), rating_id=r["id"],
                     pack_id=pack.pack_id, actor=actor)
                out.added.append(who["name"])
            history.record(s, actor=actor, entity=ENTITY, entity_id=ex.id, action="import",
                           after={"pack": pack.pack_id, "part": "judgements", "added": [r["id"] for r in new]})
        out.reference = ex.reference
        s.add(ImportedPack(pack_id=pack.pack_id, kind=IMPORTED_KIND,
                           sender=json.dumps(pack.sender, ensure_ascii=False), imported_at=datetime.now().astimezone()))
    return out

