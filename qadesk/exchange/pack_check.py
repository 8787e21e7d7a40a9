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
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from qadesk.core.audit import coerce_answer
from qadesk.core.bundle import bundle_path
from qadesk.core.errors import AnswerRefused, LimitError, Problem, ValidationError
from qadesk.core.template import Template, template_from_dict
from qadesk.exchange.output import Progress, report_progress
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
# gigabytes of memory before the schema could refuse it.
MAX_JSON_MEMBER = 20 * 1024 * 1024


def _json(raw: bytes, where: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{where} is not valid JSON ({exc})") from None
    except RecursionError:
        raise ValidationError(f"{where} is nested too deeply to be an audit document or template") from None


def _known_member(name: str) -> bool:
    if name in ("report.pdf", "returns.xlsx"):
        return True
    folder, _, rest = name.partition("/")
    return folder in ("templates", "audits") and "/" not in rest and rest.endswith(".json") and len(rest) > 5


def read_pack(path: Path, *, stored: dict[str, str] | None = None, progress: Progress | None = None) -> PackContents:
    """Open, verify and validate a pack; raise :class:`ValidationError` with the reason if any check fails.

    ``stored`` maps template keys (id@version) already in the store to their
    fingerprints, so a clashing template refuses the pack.
    """
    label = Path(path).name
    if not Path(path).is_file():
        raise ValidationError(f"there is no file {path}")
    with SafeZip(path, PACK_LIMITS, label=label) as z:
        names = z.names()
        if MANIFEST not in names:
            raise ValidationError("the pack has no manifest.json (is this a qadesk pack?)", label)
        manifest = _json(z.read(MANIFEST), MANIFEST)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            fmt = manifest.get("format") if isinstance(manifest, dict) else None
            raise ValidationError(f"manifest.json: the format is {fmt!r}; this qadesk reads {FORMAT!r}", label)
        problems = schema_problems("pack-manifest", manifest, MANIFEST)
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
        if unknown:
            raise ValidationError(f"member '{unknown[0]}' is not part of a qadesk pack (only templates/, audits/, "
                                  f"report.pdf and returns.xlsx)", label)
        audit_ids = list(manifest["audits"])
        expected = {f"audits/{a}.json" for a in audit_ids}
        found = {n for n in listed if n.startswith("audits/")}
        if expected != found:
            odd = sorted(expected ^ found)[0]
            raise ValidationError(f"the manifest's audits and the audit members differ (at '{odd}')", label)
        contents = PackContents(manifest)
        total = len(listed)
        data: dict[str, bytes] = {}
        for n, name in enumerate(sorted(listed)):
            size = z.zf.getinfo(name).file_size
            if name.endswith(".json") and size > MAX_JSON_MEMBER:
                raise LimitError(f"member '{name}' is {size:,} bytes; an audit document or template in a pack "
                                 f"is limited to {MAX_JSON_MEMBER:,} bytes", label)
            raw = z.read(name)
            if hashlib.sha256(raw).hexdigest() != listed[name].lower():
                raise ValidationError(f"member '{name}' does not match its SHA-256 in the manifest "
                                      f"(changed or damaged on the way)", label)
            if name.endswith(".json"):
                data[name] = raw
            report_progress(progress, n + 1, total)
    for name in sorted(n for n in data if n.startswith("templates/")):
        t = template_from_dict(_json(data[name], name), source=f"{label}: {name}")
        if name != f"templates/{t.key}.json":
            raise ValidationError(f"{name} holds the template {t.key}; its name must be templates/{t.key}.json", label)
        if stored and stored.get(t.key) not in (None, t.fingerprint()):
            raise ValidationError(f"{name}: {t.key} is already stored here with different content "
                                  f"(a changed template needs a higher version)", label)
        contents.templates[t.key] = t
    other = sorted(n for n in data if not n.startswith(("templates/", "audits/")))
    if other:
        raise ValidationError(f"member '{other[0]}' is not part of a qadesk pack", label)
    for aid in audit_ids:
        name = f"audits/{aid}.json"
        doc = _json(data[name], name)
        problems = schema_problems("audit-document", doc, name)
        if problems:
            raise ValidationError(problems, label)
        if doc["id"] != aid:
            raise ValidationError(f"{name} holds audit {doc['id']}, not {aid}", label)
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
        if m.get("grade") is not None and m["grade"] not in scale:
            out.append(Problem(f"{where}: moderations[{i}].grade", f"'{m['grade']}' is not on the overall scale"))
    return out[:10]
