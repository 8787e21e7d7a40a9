"""Calibration packs: a calibration exercise out to the raters, and their judgements back (docs/calibration.md).

A calibration pack is a ``qadesk-pack/1`` zip (contracts.md section 3) with two additions: the manifest
key ``"calibration": {"format": "qadesk-calibration/1", "exercise": ID, "part": ...}`` and the member
``calibration.json`` (schema ``docs/schemas/calibration.schema.json``).

* ``part: "exercise"`` (kind ``moderation_request``, pseudonymised): ``calibration.json`` names the
  exercise; ``templates/<id>@<version>.json`` its template; ``audits/<exercise id>.json`` the
  anonymised copy, an audit document with no case reference, names, grades or moderations; and
  ``report.pdf``, the same copy for people.
* ``part: "judgements"`` (kind ``moderation_return``): ``calibration.json`` names the exercise and
  carries the ratings made on the rater's copy; no audit, no template.

The member ``calibration.json`` is what ``qadesk pack import`` does not know, so the ordinary importer
refuses a calibration pack whole rather than take its copy for an audit. :func:`read_calibration_pack`
checks everything before anything is used: the archive, the manifest, every hash, every member, the
template, the copy against its template; the first failure refuses the pack with where and why.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from qadesk import __version__
from qadesk.core.errors import ValidationError
from qadesk.core.ids import canonical_uuid
from qadesk.core.template import Template, template_from_dict
from qadesk.exchange.audit_report import render_audits
from qadesk.exchange.output import atomic_path
from qadesk.exchange.pack_check import (
    FORMAT,
    MANIFEST,
    MEMBER_JSON,
    check_against_template,
    datetime_problem,
    read_manifest,
    schema_problems,
)
from qadesk.exchange.safejson import load_json
from qadesk.exchange.safezip import PACK_LIMITS, SafeZip

CALIBRATION_FORMAT = "qadesk-calibration/1"
MEMBER = "calibration.json"
REPORT = "report.pdf"
PARTS = {"exercise": "moderation_request", "judgements": "moderation_return"}


@dataclass
class CalibrationPack:
    """A calibration pack that passed every check."""

    manifest: dict[str, Any]
    part: str  # exercise | judgements
    exercise: dict[str, Any]  # id, reference, template {id, version}, created_at, organisation
    template: Template | None = None
    copy: dict[str, Any] | None = None  # the anonymised audit document (part "exercise")
    ratings: list[dict[str, Any]] = field(default_factory=list)  # part "judgements"

    @property
    def pack_id(self) -> str:
        return str(self.manifest["pack_id"])

    @property
    def sender(self) -> dict[str, Any]:
        return dict(self.manifest.get("created_by") or {})


def write_calibration_pack(path: Path, *, pack_id: str, part: str, exercise: dict[str, Any],
                           sender: dict[str, Any], template: Template | None = None,
                           copy: dict[str, Any] | None = None, ratings: list[dict[str, Any]] | None = None,
                           history_head: dict[str, Any] | None = None) -> int:
    """Write a calibration pack to ``path`` atomically; its size in bytes."""
    if part not in PARTS:
        raise ValueError(f"part is one of {', '.join(PARTS)}, not {part!r}")
    body: dict[str, Any] = {"format": CALIBRATION_FORMAT, "part": part, "exercise": exercise}
    members: dict[str, bytes] = {}
    audits: list[str] = []
    if part == "exercise":
        if template is None or copy is None:
            raise ValueError("an exercise pack holds the template and the copy")
        members[f"templates/{template.key}.json"] = template.to_json().encode("utf-8")
        members[f"audits/{copy['id']}.json"] = json.dumps(copy, ensure_ascii=False, indent=1).encode("utf-8")
        audits.append(copy["id"])
        pdf = io.BytesIO()  # the copy for people, to read beside the form (graded only in qadesk)
        render_audits([(copy, template)], pdf, organisation=sender.get("organisation"),
                      title=f"Calibration exercise {exercise['reference']}")
        members[REPORT] = pdf.getvalue()
    else:
        body["ratings"] = list(ratings or [])
    members[MEMBER] = json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
    pseudonymised = part == "exercise"
    who = dict(sender)
    if pseudonymised:  # as every pseudonymised pack: the sender's role and organisation, no name
        who["name"] = None
    manifest: dict[str, Any] = {
        "format": FORMAT, "pack_id": pack_id, "kind": PARTS[part],
        "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "created_by": {"name": who.get("name"), "role": who.get("role"), "organisation": who.get("organisation")},
        "pseudonymised": pseudonymised, "external": False, "app_version": __version__, "audits": audits,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
        "calibration": {"format": CALIBRATION_FORMAT, "exercise": exercise["id"], "part": part},
    }
    if history_head is not None:
        manifest["history_head"] = history_head
    path = Path(path)
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        for name, data in members.items():
            zf.writestr(name, data)
    return path.stat().st_size


def read_calibration_pack(path: Path) -> CalibrationPack:
    """Open and check a calibration pack whole; :class:`ValidationError` with where and why on the first failure."""
    path = Path(path)
    label = path.name
    if not path.is_file():
        raise ValidationError(f"there is no file {path}")
    with SafeZip(path, PACK_LIMITS, label=label) as z:
        names = z.names()
        manifest = read_manifest(z, names, label)
        cal = manifest.get("calibration")
        if not isinstance(cal, dict) or cal.get("format") != CALIBRATION_FORMAT:
            raise ValidationError("manifest.json: calibration: this is not a calibration pack (it is an ordinary "
                                  "qadesk pack: import it with qadesk pack import)", label)
        part = cal.get("part")
        if part not in PARTS:
            raise ValidationError(f"manifest.json: calibration.part: {part!r:.60} is neither 'exercise' nor "
                                  "'judgements'", label)
        if manifest["kind"] != PARTS[part]:
            raise ValidationError(f"manifest.json: kind: a calibration pack of {part} is a {PARTS[part]}, "
                                  f"not a {manifest['kind']}", label)
        if canonical_uuid(manifest["pack_id"]) is None:
            raise ValidationError(f"manifest.json: pack_id: {manifest['pack_id']!r:.60} is not a UUID", label)
        manifest["pack_id"] = canonical_uuid(manifest["pack_id"])
        listed: dict[str, str] = manifest["files"]
        present = set(names) - {MANIFEST}
        for name in sorted(set(listed) - present):
            raise ValidationError(f"member '{name}' is listed in the manifest but missing from the pack", label)
        for name in sorted(present - set(listed)):
            raise ValidationError(f"member '{name}' is in the pack but not listed in the manifest", label)
        allowed = {MEMBER} if part == "judgements" else None
        for name in sorted(listed):
            ok = name == MEMBER or (allowed is None and (_in_folder(name) or name == REPORT))
            if not ok:
                raise ValidationError(f"member '{name}' is not part of a calibration pack of {part}", label)
        if MEMBER not in listed:
            raise ValidationError(f"the pack has no {MEMBER}", label)
        data: dict[str, Any] = {}
        for name in sorted(listed):
            if name == REPORT:  # for people only: hashed as it streams, never parsed
                if z.sha256(name) != listed[name]:
                    raise ValidationError(f"member '{name}' does not match its SHA-256 in the manifest (changed or "
                                          "damaged on the way)", label)
                continue
            raw = z.read(name)
            if hashlib.sha256(raw).hexdigest() != listed[name]:
                raise ValidationError(f"member '{name}' does not match its SHA-256 in the manifest (changed or "
                                      "damaged on the way)", label)
            try:
                data[name] = load_json(raw, name, MEMBER_JSON)
            except ValidationError as exc:
                raise type(exc)(exc.problems, label) from None
    body = data.pop(MEMBER)
    problems = schema_problems("calibration", body, MEMBER)
    if problems:
        raise ValidationError(problems, label)
    exercise = body["exercise"]
    exercise["id"] = canonical_uuid(exercise["id"])
    if body["part"] != part:
        raise ValidationError(f"{MEMBER}: part: it says {body['part']}, the manifest {part}", label)
    if canonical_uuid(cal.get("exercise")) != exercise["id"]:
        raise ValidationError(f"manifest.json: calibration.exercise: it names {cal.get('exercise')!r:.60}, "
                              f"{MEMBER} the exercise {exercise['id']}", label)
    why = datetime_problem(exercise["created_at"])
    if why:
        raise ValidationError(f"{MEMBER}: exercise.created_at: {why}", label)
    pack = CalibrationPack(manifest, part, exercise)
    key = f"{exercise['template']['id']}@{exercise['template']['version']}"
    if part == "judgements":
        if "ratings" not in body:
            raise ValidationError(f"{MEMBER}: a return of judgements carries its ratings", label)
        seen: set[str] = set()
        for i, r in enumerate(body["ratings"]):
            r["id"] = canonical_uuid(r["id"])
            why = datetime_problem(r["at"])
            if why:
                raise ValidationError(f"{MEMBER}: ratings.{i}.at: {why}", label)
            if r["id"] in seen:
                raise ValidationError(f"{MEMBER}: ratings.{i}.id: the rating {r['id']} is given twice", label)
            seen.add(r["id"])
        pack.ratings = body["ratings"]
        return pack
    if "ratings" in body:
        raise ValidationError(f"{MEMBER}: ratings: a pack that sends an exercise out carries no ratings", label)
    templates = [n for n in data if n.startswith("templates/")]
    if templates != [f"templates/{key}.json"]:
        raise ValidationError(f"the pack must hold exactly one template, templates/{key}.json (the exercise's)", label)
    t = template_from_dict(data.pop(templates[0]), source=f"{label}: {templates[0]}")
    if t.key != key:
        raise ValidationError(f"{templates[0]} holds the template {t.key}, not {key}", label)
    audits = [n for n in data if n.startswith("audits/")]
    if audits != [f"audits/{exercise['id']}.json"] or manifest["audits"] != [exercise["id"]]:
        raise ValidationError(f"the pack must hold exactly one audit document, audits/{exercise['id']}.json (the "
                              "anonymised copy), listed in the manifest's audits", label)
    copy = data.pop(audits[0])
    problems = schema_problems("audit-document", copy, audits[0]) or check_against_template(copy, t, audits[0])
    if problems:
        raise ValidationError(problems, label)
    if canonical_uuid(copy["id"]) != exercise["id"] or copy["template"] != exercise["template"]:
        raise ValidationError(f"{audits[0]}: it is not the copy of exercise {exercise['id']} on {key}", label)
    if copy.get("sections") or (copy.get("overall") or {}).get("grade") or copy.get("moderations"):
        raise ValidationError(f"{audits[0]}: the copy carries grades or moderations; a calibration copy is graded "
                              "blind", label)
    pack.template, pack.copy = t, copy
    return pack


def _in_folder(name: str) -> bool:
    folder, _, rest = name.partition("/")
    return folder in ("templates", "audits") and "/" not in rest and rest.endswith(".json") and len(rest) > 5
