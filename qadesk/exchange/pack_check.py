"""Reading a ``.qapack`` and checking all of it before anything is written.

Every member is hashed against the manifest, every listed member must be
there and nothing unlisted may be; the manifest and each audit document are
validated with the JSON Schemas in ``docs/schemas/``, templates through
:func:`~qadesk.core.template.template_from_dict`, and each answer against its
question.  The first failure refuses the whole pack with the reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from qadesk.core.audit import coerce_answer
from qadesk.core.bundle import bundle_path
from qadesk.core.dates import DateProblem, parse_date
from qadesk.core.errors import AnswerRefused, LimitError, Problem, ValidationError
from qadesk.core.ids import canonical_uuid
from qadesk.core.template import Template, template_from_dict
from qadesk.exchange.output import Progress, report_progress
from qadesk.exchange.safejson import JsonLimits, ValueBudget, load_json
from qadesk.exchange.safezip import PACK_LIMITS, SafeZip

FORMAT = "qadesk-pack/1"
MANIFEST = "manifest.json"
KINDS = ("moderation_request", "moderation_return", "audit_transfer")


@lru_cache(maxsize=4)
def validator(name: str) -> jsonschema.protocols.Validator:
    """A compiled validator for ``docs/schemas/<name>.schema.json``."""
    schema = json.loads(bundle_path("docs", "schemas", f"{name}.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_problems(name: str, data: Any, where: str, limit: int = 5) -> list[Problem]:
    """Schema errors as located problems ('audits/x.json: answers.seen_alone.value: ...')."""
    out = []
    errors = sorted(validator(name).iter_errors(data), key=lambda e: list(e.absolute_path))
    for err in errors[:limit]:
        path = ".".join(str(p) for p in err.absolute_path) or "(top)"
        out.append(Problem(f"{where}: {path}", err.message[:300]))
    return out


@dataclass
class PackContents:
    """A pack that passed every check: its manifest, templates and audit documents."""

    manifest: dict[str, Any]
    templates: dict[str, Template] = field(default_factory=dict)  # key id@version
    documents: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pack_id(self) -> str:
        return str(self.manifest["pack_id"])

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])


# The largest real audit document is a few hundred kilobytes; parsing a 200 MB one would cost
# gigabytes of memory before the schema could refuse it.  Values are counted on the raw text before
# parsing (qadesk.exchange.safejson): a document within the schema's limits (5,000 answers, 1,000
# actions and moderations) holds under 60,000 values, a template under 500,000 (5 MB).
MAX_JSON_MEMBER = 20 * 1024 * 1024
MEMBER_JSON = JsonLimits(max_bytes=MAX_JSON_MEMBER, max_values=500_000, max_depth=20)
MANIFEST_JSON = JsonLimits(max_bytes=4 * 1024 * 1024, max_values=100_000, max_depth=20)
# Every JSON member of one pack together: a 10,000-audit pack of real documents holds about 4 million
# values and 400 MB of text, which is more than one laptop import should take in one go.
MAX_PACK_JSON_BYTES = 256 * 1024 * 1024
MAX_PACK_VALUES = 4_000_000
# The schema bounds a revision at 1,000,000,000 (a save at a time: no real audit comes near) and a
# template version at 1,000,000, so 2**70 is refused there rather than by the database.
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _known_member(name: str) -> bool:
    if name in ("report.pdf", "returns.xlsx"):
        return True
    folder, _, rest = name.partition("/")
    return folder in ("templates", "audits") and "/" not in rest and rest.endswith(".json") and len(rest) > 5


def date_problem(text: object) -> str | None:
    """Why ``text`` is not a real calendar date written YYYY-MM-DD (None when it is one)."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        return "must be a date written YYYY-MM-DD"
    try:
        parse_date(text)
    except DateProblem as exc:
        return exc.message.replace(f"“{text}”: ", "")
    return None


def datetime_problem(text: object) -> str | None:
    """Why ``text`` is not a real moment written ISO 8601 with its offset (None when it is one)."""
    m = _DATETIME.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        return "must be a date and time written like 2026-11-25T09:30:00+00:00"
    why = date_problem(m[1])
    if why:
        return why
    if int(m[2]) > 23 or int(m[3]) > 59 or int(m[4] or 0) > 59:
        return f"there is no time {m[2]}:{m[3]}{':' + m[4] if m[4] else ''} in a day"
    if m[6] != "Z" and (int(m[6][1:3]) > 18 or int(m[6][4:]) > 59):
        return f"{m[6]} is not an offset from UTC (they run from -18:00 to +18:00)"
    return None  # a date from 1900 to 2199 (parse_date's range) and a real time and offset: fromisoformat reads it


def _ids_and_times(doc: dict[str, Any], where: str) -> list[Problem]:
    """What the schema's patterns let through: ids that are not exactly UUIDs, impossible dates, ids given twice.

    Ids are put in lower case on the way (the same UUID either way, never a twin audit).
    """
    out: list[Problem] = []

    def uuid_at(node: dict[str, Any], path: str) -> None:
        canon = canonical_uuid(node.get("id"))
        if canon is None:
            out.append(Problem(f"{where}: {path}", f"{_shown(node.get('id'))} is not a UUID (8-4-4-4-12 hexadecimal "
                                                    f"digits and nothing else)"))
        else:
            node["id"] = canon

    def moment_at(node: dict[str, Any], key: str, path: str) -> None:
        if node.get(key) is not None:
            why = datetime_problem(node[key])
            if why:
                out.append(Problem(f"{where}: {path}", f"{_shown(node[key])}: {why}"))

    uuid_at(doc, "id")
    if isinstance(doc.get("revision"), float):  # JSON Schema's integer: 7.0 is the whole number 7
        doc["revision"] = int(doc["revision"])
    if isinstance(doc.get("template", {}).get("version"), float):
        doc["template"]["version"] = int(doc["template"]["version"])
    for key in ("started_at", "completed_at", "updated_at"):
        moment_at(doc, key, key)
    for what in ("actions", "moderations"):
        seen: dict[str, int] = {}
        for i, item in enumerate(doc.get(what) or []):
            uuid_at(item, f"{what}.{i}.id")
            if item["id"] in seen:
                out.append(Problem(f"{where}: {what}.{i}.id", f"the id {item['id']} appears twice in this audit "
                                                               f"(also {what}.{seen[item['id']]}.id)"))
            seen.setdefault(item["id"], i)
            if what == "actions":
                if item.get("due") is not None:
                    why = date_problem(item["due"])
                    if why:
                        out.append(Problem(f"{where}: actions.{i}.due", f"{_shown(item['due'])}: {why}"))
                moment_at(item, "told_at", f"actions.{i}.told_at")
            else:
                moment_at(item, "at", f"moderations.{i}.at")
                moment_at(item, "own_at", f"moderations.{i}.own_at")
                for j, note in enumerate(item.get("notes") or []):
                    uuid_at(note, f"moderations.{i}.notes.{j}.id")
                    moment_at(note, "at", f"moderations.{i}.notes.{j}.at")
    assignment = doc.get("assignment")
    if isinstance(assignment, dict):
        if assignment.get("due") is not None:
            why = date_problem(assignment["due"])
            if why:
                out.append(Problem(f"{where}: assignment.due", f"{_shown(assignment['due'])}: {why}"))
        moment_at(assignment, "assigned_at", "assignment.assigned_at")
        plan = assignment.get("plan")
        for key in ("starts_on", "ends_on"):
            if isinstance(plan, dict) and plan.get(key) is not None:
                why = date_problem(plan[key])
                if why:
                    out.append(Problem(f"{where}: assignment.plan.{key}", f"{_shown(plan[key])}: {why}"))
    return out


def _shown(value: object) -> str:
    """A value as a message shows it: quoted, escapes visible, cut short."""
    return repr(value)[:90]


def _manifest_problems(manifest: dict[str, Any]) -> list[Problem]:
    out: list[Problem] = []
    canon = canonical_uuid(manifest["pack_id"])
    if canon is None:
        out.append(Problem(f"{MANIFEST}: pack_id", f"{_shown(manifest['pack_id'])} is not a UUID"))
    else:
        manifest["pack_id"] = canon
    why = datetime_problem(manifest["created_at"])
    if why:
        out.append(Problem(f"{MANIFEST}: created_at", f"{_shown(manifest['created_at'])}: {why}"))
    seen: set[str] = set()
    for i, aid in enumerate(manifest["audits"]):
        c = canonical_uuid(aid)
        if c is None:
            out.append(Problem(f"{MANIFEST}: audits.{i}", f"{_shown(aid)} is not a UUID (8-4-4-4-12 hexadecimal digits "
                                                           f"and nothing else)"))
        elif c in seen:
            out.append(Problem(f"{MANIFEST}: audits.{i}", f"the audit {c} is listed twice"))
        seen.add(c or aid)
    if not out:
        manifest["audits"] = [canonical_uuid(a) for a in manifest["audits"]]
    return out


def read_manifest(z: SafeZip, names: list[str], label: str) -> dict[str, Any]:
    """A pack's manifest, read and checked against the pack-manifest schema (packs and calibration packs):
    :class:`ValidationError` naming the pack for a missing, unreadable or foreign manifest."""
    if MANIFEST not in names:
        raise ValidationError("the pack has no manifest.json (is this a qadesk pack?)", label)
    try:
        manifest = load_json(z.read(MANIFEST), MANIFEST, MANIFEST_JSON)
    except ValidationError as exc:
        raise type(exc)(exc.problems, label) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        fmt = manifest.get("format") if isinstance(manifest, dict) else None
        raise ValidationError(f"manifest.json: the format is {_shown(fmt)}; this qadesk reads {FORMAT!r}", label)
    problems = schema_problems("pack-manifest", manifest, MANIFEST)
    if problems:
        raise ValidationError(problems, label)
    return manifest


def read_pack(path: Path, *, stored: dict[str, str] | None = None, progress: Progress | None = None) -> PackContents:
    """Open, verify and validate a pack; raise :class:`ValidationError` with the reason if any check fails.

    ``stored`` maps template keys (id@version) already in the store to their
    fingerprints, so a clashing template refuses the pack.  Nothing is decompressed before the
    archive's directory passed :class:`SafeZip`'s checks and every JSON member's declared size its
    limit; members are hashed as they stream, and only the JSON ones are kept, parsed one at a time.
    """
    label = Path(path).name
    if not Path(path).is_file():
        raise ValidationError(f"there is no file {path}")
    with SafeZip(path, PACK_LIMITS, label=label) as z:
        names = z.names()
        manifest = read_manifest(z, names, label)
        problems = _manifest_problems(manifest)
        if problems:
            raise ValidationError(problems, label)
        listed: dict[str, str] = manifest["files"]
        present = set(names) - {MANIFEST}
        missing = sorted(set(listed) - present)
        extra = sorted(present - set(listed))
        if missing:
            raise ValidationError(f"member '{missing[0]}' is listed in the manifest but missing from the pack", label)
        if extra:
            raise ValidationError(f"member '{extra[0]}' is in the pack but not listed in the manifest", label)
        # Only the members contracts.md section 3 names; anything else (even listed and hashed) is refused.
        unknown = sorted(n for n in listed if not _known_member(n))
        if unknown and "calibration" in manifest:
            raise ValidationError("this is a calibration pack: import it with 'qadesk calibration import' "
                                  "(or Moderation ▸ Calibration exercises… ▸ Import pack…)", label)
        if unknown:
            raise ValidationError(f"member '{unknown[0]}' is not part of a qadesk pack (only templates/, audits/, "
                                  f"report.pdf and returns.xlsx)", label)
        audit_ids = list(manifest["audits"])  # in lower case now
        members = {canonical_uuid(n[7:-5]) or n: n for n in listed if n.startswith("audits/")}
        if set(audit_ids) != set(members) or len(members) != sum(n.startswith("audits/") for n in listed):
            odd = sorted(set(audit_ids) ^ set(members)) or ["(an audit given twice)"]
            raise ValidationError(f"the manifest's audits and the audit members differ (at '{odd[0]}')", label)
        json_names = sorted(n for n in listed if n.endswith(".json"))
        total_json = 0
        for name in json_names:
            size = z.zf.getinfo(name).file_size
            total_json += size
            if size > MAX_JSON_MEMBER:
                raise LimitError(f"member '{name}' is {size:,} bytes; an audit document or template in a pack "
                                 f"is limited to {MAX_JSON_MEMBER:,} bytes", label)
        if total_json > MAX_PACK_JSON_BYTES:
            raise LimitError(f"the pack's audit documents and templates come to {total_json:,} bytes; the limit is "
                             f"{MAX_PACK_JSON_BYTES:,} bytes (send the audits in more than one pack)", label)
        contents = PackContents(manifest)
        total = len(listed)
        budget = ValueBudget(MAX_PACK_VALUES, "the pack's audit documents and templates together")
        data: dict[str, Any] = {}
        for n, name in enumerate(sorted(listed)):
            if name.endswith(".json"):
                raw = z.read(name)
                digest = hashlib.sha256(raw).hexdigest()
            else:
                digest, raw = z.sha256(name), b""
            if digest != listed[name]:
                raise ValidationError(f"member '{name}' does not match its SHA-256 in the manifest "
                                      f"(changed or damaged on the way)", label)
            if name.endswith(".json"):
                try:
                    data[name] = load_json(raw, name, MEMBER_JSON, budget)
                except ValidationError as exc:
                    raise type(exc)(exc.problems, label) from None
            report_progress(progress, n + 1, total)
    for name in sorted(n for n in data if n.startswith("templates/")):
        t = template_from_dict(data.pop(name), source=f"{label}: {name}")
        if name != f"templates/{t.key}.json":
            raise ValidationError(f"{name} holds the template {t.key}; its name must be templates/{t.key}.json", label)
        if stored and stored.get(t.key) not in (None, t.fingerprint()):
            raise ValidationError(f"{name}: {t.key} is already stored here with different content "
                                  f"(a changed template needs a higher version)", label)
        contents.templates[t.key] = t
    other = sorted(n for n in data if not n.startswith(("templates/", "audits/")))
    if other:
        raise ValidationError(f"member '{other[0]}' is not part of a qadesk pack", label)
    owners: dict[tuple[str, str], str] = {}
    for aid in audit_ids:
        name = members[aid]
        doc = data.pop(name)
        problems = schema_problems("audit-document", doc, name) or _ids_and_times(doc, name)
        if problems:
            raise ValidationError(problems, label)
        if doc["id"] != aid:
            raise ValidationError(f"{name} holds audit {doc['id']}, not {aid}", label)
        for what in ("actions", "moderations"):
            for i, item in enumerate(doc[what]):
                first = owners.setdefault((what, item["id"]), name)
                if first != name:
                    raise ValidationError(f"{name}: {what}.{i}.id: the {what[:-1]} {item['id']} is given twice in "
                                          f"this pack (also in {first})", label)
        contents.documents.append(doc)
    return contents


def check_against_template(doc: dict[str, Any], t: Template, where: str) -> list[Problem]:
    """Every answer, judgement and grade of a document must fit its template."""
    out: list[Problem] = []
    for qid, entry in (doc.get("answers") or {}).items():
        if not t.has_question(qid) or not t.question(qid).answerable:
            out.append(Problem(f"{where}: answers.{qid}", f"the template {t.key} has no question '{qid}'"))
            continue
        q = t.question(qid)
        if entry.get("evidence") and q.evidence == "none":
            out.append(Problem(f"{where}: answers.{qid}", "this question takes no evidence note"))
        try:
            if coerce_answer(q, entry.get("value")) != entry.get("value") and entry.get("value") is not None:
                out.append(Problem(f"{where}: answers.{qid}", "the answer is not in the form the template expects"))
        except AnswerRefused as exc:
            out.append(Problem(f"{where}: answers.{qid}", str(exc)))
    for sid, j in (doc.get("sections") or {}).items():
        try:
            s = t.section(sid)
        except KeyError:
            out.append(Problem(f"{where}: sections.{sid}", f"the template {t.key} has no section '{sid}'"))
            continue
        if s.grade_list is None or j["grade"] not in {c.value for c in t.lists[s.grade_list]}:
            out.append(Problem(f"{where}: sections.{sid}", f"'{j['grade']}' is not a judgement on this section's scale"))
    scale = {c.value for c in t.overall_choices()}
    overall = doc.get("overall") or {}
    for key in ("grade", "suggested"):
        if overall.get(key) is not None and overall[key] not in scale:
            out.append(Problem(f"{where}: overall.{key}", f"'{overall[key]}' is not on the overall scale"))
    for i, m in enumerate(doc.get("moderations") or []):
        for key in ("grade", "own_grade"):
            if m.get(key) is not None and m[key] not in scale:
                out.append(Problem(f"{where}: moderations[{i}].{key}", f"'{m[key]}' is not on the overall scale"))
        for sid, g in (m.get("sections") or {}).items():
            judged = next((x for x in t.sections if x.id == sid), None)
            if judged is None or judged.grade_list is None:
                out.append(Problem(f"{where}: moderations[{i}].sections.{sid}",
                                   f"the template {t.key} has no graded section '{sid}'"))
                continue
            values = {c.value for c in t.lists[judged.grade_list]}
            for key in ("own", "auditor"):
                if g.get(key) is not None and g[key] not in values:
                    out.append(Problem(f"{where}: moderations[{i}].sections.{sid}.{key}",
                                       f"'{g[key]}' is not a judgement on this section's scale"))
    return out[:10]
