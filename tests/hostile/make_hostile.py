"""Build the hostile packs and templates that qadesk must refuse (with a located reason) or take as documented.

Run it on its own to get the files to try by hand (or on another build)::

    python -m tests.hostile.make_hostile OUT_DIR

It makes a sender store and a receiving store in ``OUT_DIR/stores`` (the receiving one, ``target``,
holds audits with actions and a moderation, for the id clashes), a real pack exported from the
sender, and from those every case below in ``OUT_DIR/packs`` and ``OUT_DIR/templates``, with
``OUT_DIR/cases.json`` saying what each one tries and what qadesk must do with it.
tests/hostile/test_hostile.py builds the same cases and imports each one into a copy of the
receiving store.

A case is refused (``expect="refused"``) with a message that names every fragment of ``where`` (the
member, field, line, sheet or cell), or accepted (``expect="accepted"``) with the outcome described in
``outcome`` (docs/security.md, "Files from elsewhere").
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import random
import struct
import sys
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"
NAMESPACE = uuid.UUID("6f1c6f7e-3a57-4d1e-9a53-5a3d0e2c7b10")
ESC = "\x1b[2J\x1b]0;owned\x07\x1b[31m"  # clear the screen, set the terminal's title, turn red


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "pack", "template-json" or "template-xlsx"
    tries: str
    build: Callable[[Base], bytes]
    expect: str = "refused"  # or "accepted"
    where: tuple[str, ...] = ()  # fragments a refusal must name
    outcome: str = ""  # what an accepted case does

    @property
    def suffix(self) -> str:
        return {"pack": ".qapack", "template-json": ".json", "template-xlsx": ".xlsx"}[self.kind]


@dataclass
class Base:
    """What the cases are made from: a real pack and template, and what the receiving store holds."""

    manifest: dict[str, Any]
    members: dict[str, bytes]  # every member but the manifest
    main_id: str  # the pack's regular-case-audit audit (answers, an action, a moderation)
    local_docs: dict[str, dict[str, Any]]  # the receiving store's own audits, as documents
    local_action_id: str  # an action of one of them
    local_moderation_id: str  # a moderation of one of them
    template: dict[str, Any]  # forms/regular-case-audit.json
    template_xlsx: bytes  # the same, written by qadesk's Excel writer

    def doc(self, audit_id: str | None = None) -> dict[str, Any]:
        return json.loads(self.members[f"audits/{audit_id or self.main_id}.json"])


# ----------------------------------------------------------------------------------------- zips


def _zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in entries:
            z.writestr(name, data)
    return out.getvalue()


def _patch_central(data: bytes, name: str, *, file_size: int | None = None, flag: int | None = None,
                   compress_size: int | None = None) -> bytes:
    """The archive with one member's central-directory (and local) header saying something else."""
    buf = bytearray(data)
    raw = name.encode()
    pos = buf.find(b"PK\x01\x02")
    while pos != -1:
        n, m, k = struct.unpack_from("<HHH", buf, pos + 28)
        if bytes(buf[pos + 46:pos + 46 + n]) == raw:
            local = struct.unpack_from("<I", buf, pos + 42)[0]
            if file_size is not None:
                struct.pack_into("<I", buf, pos + 24, file_size)
                struct.pack_into("<I", buf, local + 22, file_size)
            if compress_size is not None:
                struct.pack_into("<I", buf, pos + 20, compress_size)
                struct.pack_into("<I", buf, local + 18, compress_size)
            if flag is not None:
                struct.pack_into("<H", buf, pos + 8, flag)
                struct.pack_into("<H", buf, local + 6, flag)
            return bytes(buf)
        pos = buf.find(b"PK\x01\x02", pos + 46 + n + m + k)
    raise KeyError(name)


def _forge_entry_count(data: bytes, count: int) -> bytes:
    buf = bytearray(data)
    pos = buf.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", buf, pos + 8, min(count, 0xFFFF), min(count, 0xFFFF))
    return bytes(buf)


def _link(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (0o120777 << 16)
    return info


def _rezip(source: bytes, replace: dict[str, bytes | None] | None = None,
           extra: list[tuple[str | zipfile.ZipInfo, bytes]] | None = None) -> bytes:
    """A copy of a zip with members replaced (None drops one) and others added."""
    replace = replace or {}
    entries: list[tuple[str | zipfile.ZipInfo, bytes]] = []
    with zipfile.ZipFile(io.BytesIO(source)) as z:
        for info in z.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    entries.append((info.filename, replace[info.filename]))  # type: ignore[arg-type]
            else:
                entries.append((info.filename, z.read(info)))
    return _zip(entries + list(extra or []))


def _random_json_array(n_bytes: int, seed: int = 7) -> bytes:
    """A JSON array of small objects with random keys: a million values in 7 MB that compress only ~4 to 1."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    keys = [a + b for a in letters for b in letters]
    n = n_bytes // 11
    return ("[" + ",".join(f'{{"{keys[rng.randrange(676)]}":{rng.randrange(1000)}}}' for _ in range(n))
            + "]").encode()


# ----------------------------------------------------------------------------------------- packs


class Draft:
    """A pack being made from the base: change documents, members or the manifest, then :meth:`bytes`."""

    def __init__(self, base: Base, name: str) -> None:
        self.base = base
        self.manifest = copy.deepcopy(base.manifest)
        self.manifest["pack_id"] = str(uuid.uuid5(NAMESPACE, name))  # never "already imported"
        self.members = dict(base.members)
        self.rehash = True
        self.relist = True
        self.extra: list[tuple[str | zipfile.ZipInfo, bytes]] = []
        self.raw_manifest: bytes | None = None

    def doc(self, change: Callable[[dict[str, Any]], Any], audit_id: str | None = None) -> Draft:
        aid = audit_id or self.base.main_id
        d = json.loads(self.members[f"audits/{aid}.json"])
        change(d)
        self.members[f"audits/{aid}.json"] = json.dumps(d, ensure_ascii=False, indent=1).encode()
        return self

    def doc_text(self, change: Callable[[str], str], audit_id: str | None = None) -> Draft:
        """Change the document's JSON text itself (what json.dumps cannot write)."""
        name = f"audits/{audit_id or self.base.main_id}.json"
        self.members[name] = change(self.members[name].decode()).encode("utf-8", "surrogatepass")
        return self

    def rename_audit(self, old: str, new: str, doc: dict[str, Any] | None = None) -> Draft:
        d = doc if doc is not None else json.loads(self.members.pop(f"audits/{old}.json"))
        self.members.pop(f"audits/{old}.json", None)
        d["id"] = new
        self.members[f"audits/{new}.json"] = json.dumps(d, ensure_ascii=False, indent=1).encode()
        return self

    def only(self, *audit_ids: str) -> Draft:
        for name in list(self.members):
            if name.startswith("audits/") and name[7:-5] not in audit_ids:
                del self.members[name]
        return self

    def bytes(self) -> bytes:
        m = self.manifest
        if self.relist:
            m["audits"] = [n[7:-5] for n in self.members if n.startswith("audits/")]
        if self.rehash:
            m["files"] = {n: hashlib.sha256(d).hexdigest() for n, d in self.members.items()}
        manifest = self.raw_manifest if self.raw_manifest is not None else json.dumps(m, indent=2).encode()
        return _zip([("manifest.json", manifest), *self.members.items(), *self.extra])


def _draft(b: Base, name: str) -> Draft:
    return Draft(b, name)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set a dotted path (``actions.0.due``) in a document."""
    def change(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = d
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.pop(key)


def _answer_of_type(b: Base, qtype: str) -> str:
    """The id of an answered question of this type in the main document."""
    from qadesk.core.template import template_from_dict

    t = template_from_dict(b.template)
    doc = b.doc()
    return next(q.id for q in t.questions() if q.type == qtype and q.id in doc["answers"])


def _manifest(change: Callable[[dict[str, Any]], Any]) -> Callable[[Base, str], bytes]:
    def build(b: Base, name: str) -> bytes:
        d = _draft(b, name)
        change(d.manifest)
        return d.bytes()
    return build


def _lonely_surrogate(text: str) -> str:
    return text.replace('"Made-up', '"\\ud800Made-up', 1)


def _upper_ids(b: Base, name: str) -> bytes:
    """The receiving store's own audit, sent back with its ids written in upper case."""
    local_id, doc = next(iter(b.local_docs.items()))
    d = _draft(b, name)
    for n in [n for n in d.members if n.startswith("audits/")]:
        del d.members[n]
    doc = copy.deepcopy(doc)
    doc["id"] = local_id.upper()
    for a in doc["actions"]:
        a["id"] = a["id"].upper()
    for m in doc["moderations"]:
        m["id"] = m["id"].upper()
    d.members[f"audits/{local_id.upper()}.json"] = json.dumps(doc, indent=1).encode()
    d.manifest["pack_id"] = d.manifest["pack_id"].upper()
    return d.bytes()


def _twin_in_one_pack(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    doc = b.doc()
    doc["id"] = b.main_id.upper()
    d.members[f"audits/{b.main_id.upper()}.json"] = json.dumps(doc, indent=1).encode()
    return d.bytes()


def _newline_in_id(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    return d.rename_audit(b.main_id, b.main_id + "\n").bytes()


def _fresh(d: dict[str, Any], name: str) -> dict[str, Any]:
    """The document as a new audit: new ids for it, its actions and its moderations."""
    d["id"] = str(uuid.uuid5(NAMESPACE, f"{name}/audit"))
    for i, a in enumerate(d["actions"]):
        a["id"] = str(uuid.uuid5(NAMESPACE, f"{name}/action/{i}"))
    for i, m in enumerate(d["moderations"]):
        m["id"] = str(uuid.uuid5(NAMESPACE, f"{name}/moderation/{i}"))
    return d


def _new_audit_with(b: Base, name: str, change: Callable[[dict[str, Any]], Any]) -> bytes:
    """A pack of one audit new to the receiving store (the main one under new ids), changed."""
    d = _draft(b, name).only(b.main_id)
    doc = _fresh(b.doc(), name)
    change(doc)
    return d.rename_audit(b.main_id, doc["id"], doc).bytes()


def _clash_on_existing(b: Base, name: str, what: str) -> bytes:
    """The main audit (in the receiving store since the base pack came in), changed on the sender's side
    since (a higher revision), with a new action or moderation whose id belongs to another audit there."""
    d = _draft(b, name).only(b.main_id)

    def change(doc: dict[str, Any]) -> None:
        doc["revision"] += 1
        if what == "action":
            doc["actions"].append({**doc["actions"][0], "id": b.local_action_id, "text": "A new action"})
        else:
            doc["moderations"].append({**doc["moderations"][0], "id": b.local_moderation_id})
    return d.doc(change).bytes()


def _element_bomb(b: Base, name: str) -> bytes:
    """The 540 KB pack that cost 508 MB: an audit document of millions of tiny objects."""
    d = _draft(b, name)
    text = d.members[f"audits/{b.main_id}.json"].decode()
    d.members[f"audits/{b.main_id}.json"] = (text.rstrip()[:-1] + ', "padding": ').encode() + \
        _random_json_array(7 * 1024 * 1024) + b"}"
    return d.bytes()


def _manifest_element_bomb(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    text = json.dumps({**d.manifest, "files": {n: hashlib.sha256(x).hexdigest() for n, x in d.members.items()}})
    d.raw_manifest = (text[:-1] + ', "padding": ').encode() + _random_json_array(2 * 1024 * 1024) + b"}"
    return d.bytes()


def _deep(b: Base, name: str, member: str = "doc") -> bytes:
    d = _draft(b, name)
    nest = "[" * 50_000 + "]" * 50_000
    if member == "doc":
        d.doc_text(lambda t: t.rstrip()[:-1] + f', "deep": {nest}}}')
    else:
        text = json.dumps({**d.manifest, "files": {n: hashlib.sha256(x).hexdigest() for n, x in d.members.items()}})
        d.raw_manifest = (text[:-1] + f', "deep": {nest}}}').encode()
    return d.bytes()


def _many_members(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    d.extra = [(f"junk/{i}.txt", b"") for i in range(10_001)]
    return d.bytes()


def _forged_count(b: Base, name: str) -> bytes:
    return _forge_entry_count(_draft(b, name).bytes(), 0xFFFF)


def _ratio_bomb(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    d.members["returns.xlsx"] = bytes(60 * 1024 * 1024)
    return d.bytes()


def _declared_huge(b: Base, name: str, size: int) -> bytes:
    return _patch_central(_draft(b, name).bytes(), "report.pdf", file_size=size)


def _declared_total(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    data = d.bytes()
    for member in ("report.pdf", "returns.xlsx", f"audits/{b.main_id}.json"):
        data = _patch_central(data, member, file_size=190 * 1024 * 1024, compress_size=190 * 1024 * 1024)
    return data


def _lying_small(b: Base, name: str) -> bytes:
    return _patch_central(_draft(b, name).bytes(), f"audits/{b.main_id}.json", file_size=100)


def _encrypted(b: Base, name: str) -> bytes:
    return _patch_central(_draft(b, name).bytes(), "report.pdf", flag=0x1)


def _big_json_member(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    noise = base64.b64encode(random.Random(5).randbytes(16 * 1024 * 1024)).decode()  # compresses ~1.3 to 1
    d.doc(_set("summary.strengths", noise))
    return d.bytes()


def _sparse_file(b: Base, name: str) -> bytes:
    return b""  # made by the test: a sparse file of 201 MB (see SPARSE)


def _wrong_hash(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    d.bytes()
    d.rehash = False
    d.members[f"audits/{b.main_id}.json"] = d.members[f"audits/{b.main_id}.json"].replace(b'"draft"', b'"draft" ')
    d.members["report.pdf"] = d.members["report.pdf"][:-10] + b"0123456789"
    return d.bytes()


def _stale_hash(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    d.bytes()
    d.rehash = False
    d.members["returns.xlsx"] = d.members["returns.xlsx"] + b"\0"
    return d.bytes()


def _bad_template_member(b: Base, name: str, change: Callable[[dict[str, Any]], Any], key: str | None = None,
                         raw: bytes | None = None) -> bytes:
    d = _draft(b, name)
    tkey = next(n for n in d.members if n.startswith("templates/regular-case-audit@"))
    t = json.loads(d.members[tkey])
    change(t)
    data = raw if raw is not None else json.dumps(t).encode()
    d.members.pop(tkey)
    d.members[key or tkey] = data
    return d.bytes()


def _template_not_stored(b: Base, name: str) -> bytes:
    d = _draft(b, name).only(b.main_id)
    d.doc(_set("template.version", 999))
    for n in [n for n in d.members if n.startswith("templates/")]:
        del d.members[n]
    return d.bytes()


def _return_for_unknown(b: Base, name: str) -> bytes:
    return _manifest_kind(_new_audit_with(b, name, lambda d: None), "moderation_return")


def _manifest_kind(data: bytes, kind: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        m = json.loads(z.read("manifest.json"))
    m["kind"] = kind
    return _rezip(data, {"manifest.json": json.dumps(m).encode()})


def _empty_pack(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    for n in [n for n in d.members if n.startswith("audits/")]:
        del d.members[n]
    return d.bytes()


def _listed_missing(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    d.bytes()
    d.rehash = False
    del d.members["report.pdf"]
    return d.bytes()


def _extra_unlisted(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    d.bytes()
    d.rehash = False
    d.extra = [("notes.txt", b"hello")]
    return d.bytes()


def _extra_listed(b: Base, name: str, member: str) -> bytes:
    d = _draft(b, name)
    d.members[member] = b"MZ\x90\x00 not a program"
    return d.bytes()


def _entry(name: str | zipfile.ZipInfo, data: bytes = b"{}") -> Callable[[Base, str], bytes]:
    def build(b: Base, n: str) -> bytes:
        d = _draft(b, n)
        d.extra = [(name, data)]
        return d.bytes()
    return build


def _with_raw_manifest(data: bytes) -> Callable[[Base, str], bytes]:
    def build(b: Base, name: str) -> bytes:
        d = _draft(b, name)
        d.raw_manifest = data
        return d.bytes()
    return build


def _manifest_text(change: Callable[[str], str], encoding: str = "utf-8") -> Callable[[Base, str], bytes]:
    def build(b: Base, name: str) -> bytes:
        d = _draft(b, name)
        d.bytes()
        d.raw_manifest = change(json.dumps(d.manifest, indent=2, ensure_ascii=False)).encode(encoding)
        d.rehash = d.relist = False
        return d.bytes()
    return build


def _manifest_audits_differ(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    d.bytes()
    d.relist = False
    d.manifest["audits"] = d.manifest["audits"][:-1] + [str(uuid.uuid5(NAMESPACE, "nobody"))]
    return d.bytes()


def _duplicate_member(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    data = d.bytes()
    member = f"audits/{b.main_id}.json"
    import warnings

    out = io.BytesIO(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(out, "a") as z:
            z.writestr(member, d.members[member].replace(b'"reference"', b'"reference" '))
    return out.getvalue()


def _case_twin_member(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    data = d.bytes()
    member = f"AUDITS/{b.main_id}.json"
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr(member, d.members[f"audits/{b.main_id}.json"])
    return out.getvalue()


def _two_docs(change: Callable[[dict[str, Any], dict[str, Any]], Any]) -> Callable[[Base, str], bytes]:
    """The main document and a second audit of the base pack, changed together."""
    def build(b: Base, name: str) -> bytes:
        d = _draft(b, name)
        other = next(n[7:-5] for n in d.members if n.startswith("audits/") and b.main_id not in n)
        first, second = b.doc(), b.doc(other)
        change(first, second)
        d.members[f"audits/{b.main_id}.json"] = json.dumps(first).encode()
        d.members[f"audits/{other}.json"] = json.dumps(second).encode()
        return d.bytes()
    return build


def _share_action(first: dict[str, Any], second: dict[str, Any]) -> None:
    second["actions"][0]["id"] = first["actions"][0]["id"]


def _share_moderation(first: dict[str, Any], second: dict[str, Any]) -> None:
    second["moderations"] = [dict(first["moderations"][0])]


def _dup_action(d: dict[str, Any]) -> None:
    d["actions"].append({**d["actions"][0], "text": "The same id again"})


def _dup_moderation(d: dict[str, Any]) -> None:
    d["moderations"].append({**d["moderations"][0], "rationale": "The same id again"})


def _new_action_id(value: str) -> Callable[[dict[str, Any]], None]:
    return _set("actions.0.id", value)


def _junk_pdf(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    d.members["report.pdf"] = b"%PDF-1.7\n<< /JS (app.alert(1)) >> this is not a real PDF"
    return d.bytes()


def _no_returns(b: Base, name: str) -> bytes:
    d = _draft(b, name)
    del d.members["returns.xlsx"]
    return d.bytes()


P = "pack"


def _pack_cases() -> list[Case]:
    doc = "audits/{main}.json"  # where_of puts in the main audit's id
    newdoc = "audits/{new}.json"  # and the id the case gives the audit it makes new
    cases: list[Case] = []

    def add(name: str, tries: str, build: Callable[[Base, str], bytes], *where: str, expect: str = "refused",
            outcome: str = "") -> None:
        cases.append(Case(f"pack-{name}", P, tries, lambda b, _n=f"pack-{name}", _f=build: _f(b, _n), expect,
                          tuple(where), outcome))

    def new(change: Callable[[dict[str, Any]], Any]) -> Callable[[Base, str], bytes]:
        return lambda b, n: _new_audit_with(b, n, change)

    # The archive itself
    add("not-a-zip", "random bytes named .qapack", lambda b, n: random.Random(1).randbytes(5000), "not a readable zip")
    add("empty-file", "a file of no bytes", lambda b, n: b"", "not a readable zip")
    add("truncated", "the first half of a real pack", lambda b, n: _draft(b, n).bytes()[:20000], "zip")
    add("sparse-201mb", "a 201 MB file (sparse)", _sparse_file, "the limit is 209,715,200 bytes")
    add("zip-bomb-ratio", "60 MB of zeros as returns.xlsx (1,000 to 1)", _ratio_bomb, "returns.xlsx", "to 1")
    add("declared-member-size", "a member whose header says 250 MB", lambda b, n: _declared_huge(b, n, 250 * 2**20),
        "report.pdf", "the limit is")
    add("declared-total-size", "members that together say 570 MB", _declared_total, "the limit is 524,288,000")
    add("header-lies-small", "a member bigger than its header says", _lying_small, doc)
    add("members-10001", "10,001 members", _many_members, "10,012 members", "the limit is 10,000")
    add("forged-entry-count", "an end record claiming 65,535 members", _forged_count, "65,535", "the limit is 10,000")
    add("path-dotdot", "a member ../../evil.json", _entry("../../evil.json"), "../../evil.json", "climbs out")
    add("path-absolute", "a member /etc/cron.d/evil", _entry("/etc/cron.d/evil"), "/etc/cron.d/evil", "absolute")
    add("path-drive", "a member C:\\evil.json", _entry("C:\\evil.json"), "C:\\evil.json", "absolute")
    add("path-backslash", "a member ..\\..\\evil.json", _entry("..\\..\\evil.json"), "climbs out")
    add("symlink", "a member that is a symbolic link", _entry(_link("templates/link.json"), b"/etc/passwd"),
        "templates/link.json", "link")
    add("encrypted-member", "a member marked encrypted", _encrypted, "report.pdf", "encrypted")
    add("duplicate-member", "the same member twice (the second one different)", _duplicate_member, doc, "twice")
    add("member-case-twin", "AUDITS/x.json beside audits/x.json", _case_twin_member, "twice")
    add("nul-in-name", "a member name with a NUL byte (zip readers cut the name there)",
        _entry("audits/a\x00b.json"), "audits/a", "not listed")
    add("nested-pack", "a pack inside the pack, listed and hashed", lambda b, n: _extra_listed(b, n, "inner.qapack"),
        "inner.qapack", "not part of a qadesk pack")
    add("member-listed-executable", "a listed and hashed evil.exe",
        lambda b, n: _extra_listed(b, n, "templates/evil.exe"), "templates/evil.exe")
    add("member-unlisted", "a member the manifest does not list", _extra_unlisted, "notes.txt", "not listed")
    add("member-missing", "a listed member that is not there", _listed_missing, "report.pdf", "missing")
    add("json-over-20mb", "an audit document of 21 MB", _big_json_member, doc, "20,971,520")
    add("element-bomb", "7 MB of tiny objects in an audit document (the 508 MB pack)", _element_bomb, doc,
        "the limit is")
    add("manifest-element-bomb", "2 MB of tiny objects in the manifest", _manifest_element_bomb, "manifest.json",
        "the limit is")
    add("deep-doc", "50,000 nested arrays in an audit document", lambda b, n: _deep(b, n, "doc"), doc, "deep")
    add("deep-manifest", "50,000 nested arrays in the manifest", lambda b, n: _deep(b, n, "manifest"),
        "manifest.json", "deep")

    # The manifest
    add("no-manifest", "no manifest.json", lambda b, n: _rezip(_draft(b, n).bytes(), {"manifest.json": None}),
        "manifest.json")
    add("manifest-not-json", "a manifest that is not JSON", _with_raw_manifest(b"format: qadesk-pack/1"),
        "manifest.json", "line 1")
    add("manifest-array", "a manifest that is a JSON array", _with_raw_manifest(b"[]"), "manifest.json")
    add("manifest-format-2", "format qadesk-pack/2", _manifest(_set("format", "qadesk-pack/2")), "manifest.json",
        "qadesk-pack/2")
    add("manifest-no-files", "no files key", _manifest_text(lambda t: t.replace('"files"', '"filez"')),
        "manifest.json", "files")
    add("manifest-no-kind", "no kind key", _manifest(_drop("kind")), "manifest.json", "kind")
    add("manifest-kind-unknown", "kind 'exfiltrate'", _manifest(_set("kind", "exfiltrate")), "manifest.json", "kind")
    add("manifest-wrong-types", "pseudonymised as a string", _manifest(_set("pseudonymised", "no")),
        "manifest.json", "pseudonymised")
    add("manifest-bom", "a UTF-8 byte-order mark before the manifest", _manifest_text(lambda t: "\ufeff" + t),
        expect="accepted", outcome="read as UTF-8 (the mark is skipped); the audits are imported")
    add("manifest-utf16", "a manifest in UTF-16", _manifest_text(lambda t: t, "utf-16"), "manifest.json", "UTF-8")
    add("manifest-latin1", "a manifest in Latin-1 with an accented name",
        _manifest_text(lambda t: t.replace('"created_by": {', '"created_by": {"note": "Zoë", ', 1), "latin-1"),
        "manifest.json", "UTF-8")
    add("manifest-duplicate-key", "kind given twice (the second 'moderation_return')",
        _manifest_text(lambda t: t.replace('"kind": "audit_transfer"',
                                           '"kind": "audit_transfer", "kind": "moderation_return"')),
        "manifest.json", "'kind'", "twice")
    add("manifest-nan", "NaN in the manifest", _manifest_text(lambda t: t.replace('"pseudonymised": false',
                                                                                    '"pseudonymised": NaN')),
        "manifest.json", "NaN")
    add("manifest-5000-digits", "a 5,000-digit number in the manifest",
        _manifest_text(lambda t: t.replace('"external": false', '"external": false, "n": ' + "9" * 5000)),
        "manifest.json", "digits")
    add("manifest-impossible-date", "created_at 2026-02-30", _manifest(_set("created_at", "2026-02-30T10:00:00+00:00")),
        "manifest.json", "created_at", "February")
    add("manifest-offset-99", "created_at with offset +99:00",
        _manifest(_set("created_at", "2026-01-30T10:00:00+99:00")), "manifest.json", "created_at")
    add("manifest-pack-id-newline", "a pack id with a newline at its end",
        lambda b, n: (lambda d: (d.manifest.__setitem__("pack_id", d.manifest["pack_id"] + "\n"), d.bytes())[1])(
            _draft(b, n)), "manifest.json", "pack_id")
    add("manifest-pack-id-not-uuid", "a pack id that is a path", _manifest(_set("pack_id", "../../x")),
        "manifest.json", "pack_id")
    add("manifest-audits-differ", "the manifest's audits and the audit members differ", _manifest_audits_differ,
        "audits")
    add("manifest-audits-repeated", "the same audit listed twice",
        lambda b, n: (lambda d: (d.bytes(), setattr(d, "relist", False),
                                 d.manifest.__setitem__("audits", d.manifest["audits"] + d.manifest["audits"][:1]),
                                 d.bytes())[3])(_draft(b, n)), "manifest.json", "audits")
    add("manifest-hash-upper", "a hash in upper-case hex",
        lambda b, n: (lambda d: (d.bytes(), setattr(d, "rehash", False),
                                 d.manifest["files"].__setitem__("report.pdf", d.manifest["files"]["report.pdf"].upper()),
                                 d.bytes())[3])(_draft(b, n)), "manifest.json", "report.pdf")
    add("manifest-wrong-hash", "an audit document changed after hashing", _wrong_hash, "does not match")
    add("manifest-stale-hash", "returns.xlsx changed after hashing", _stale_hash, "returns.xlsx", "does not match")
    add("manifest-escapes-sender", "terminal escape codes in the sender's name",
        _manifest(lambda m: m["created_by"].__setitem__("name", f"Mallory{ESC}")),
        expect="accepted", outcome="imported; the command line prints the name with its control characters "
                                   "shown as \\x1b, never sent to the terminal")

    # Audit documents: JSON
    add("doc-not-json", "an audit document that is not JSON", lambda b, n: _draft(b, n).doc_text(lambda t: t[:-3]).bytes(),
        doc, "line")
    add("doc-duplicate-key", "status given twice in an audit document",
        lambda b, n: _draft(b, n).doc_text(lambda t: t.replace('"status":', '"status": "closed", "status":', 1)).bytes(),
        doc, "'status'", "twice")
    add("doc-nan", "NaN as an answer", lambda b, n: _draft(b, n).doc_text(
        lambda t: t.replace('"revision":', '"nan": NaN, "revision":', 1)).bytes(), doc, "NaN")
    add("doc-infinity", "Infinity as an answer", lambda b, n: _draft(b, n).doc_text(
        lambda t: t.replace('"revision":', '"inf": -Infinity, "revision":', 1)).bytes(), doc, "Infinity")
    add("doc-1e999", "1e999 (a float that overflows to infinity)", lambda b, n: _draft(b, n).doc_text(
        lambda t: t.replace('"revision":', '"big": 1e999, "revision":', 1)).bytes(), doc, "big")
    add("doc-5000-digit-answer", "a 5,000-digit number as an integer answer",
        lambda b, n: _draft(b, n).doc_text(lambda t: t.replace('"revision":', '"revision": ' + "9" * 5000 + ', "r":', 1)
                                           ).bytes(), doc, "digits")
    add("doc-revision-2-70", "revision 2^70", lambda b, n: _draft(b, n).doc(_set("revision", 2**70)).bytes(), doc,
        "revision")
    add("doc-revision-zero", "revision 0", lambda b, n: _draft(b, n).doc(_set("revision", 0)).bytes(), doc, "revision")
    add("doc-revision-text", "revision '7'", lambda b, n: _draft(b, n).doc(_set("revision", "7")).bytes(), doc,
        "revision")
    add("doc-revision-float", "revision 7.0", new(_set("revision", 7.0)), expect="accepted",
        outcome="7.0 is the whole number 7 (JSON Schema's integer); stored as 7")
    add("doc-lone-surrogate", "a lone UTF-16 surrogate in a text answer",
        lambda b, n: _draft(b, n).doc_text(_lonely_surrogate).bytes(), doc, "surrogate")
    add("doc-lone-surrogate-key", "a lone surrogate in an answer's key",
        lambda b, n: _draft(b, n).doc_text(lambda t: t.replace('"answers": {', '"answers": {"\\udc00x": {}, ', 1)).bytes(),
        doc, "surrogate")
    add("doc-nul", "a NUL character in the practitioner's name",
        lambda b, n: _draft(b, n).doc(_set("subject.practitioner", "Alex\x00Fictional")).bytes(), doc,
        "subject.practitioner", "NUL")
    add("doc-bom", "a byte-order mark before an audit document (hash fixed)",
        lambda b, n: _draft(b, n).only(b.main_id).doc_text(lambda t: "\ufeff" + t).bytes(),
        expect="accepted", outcome="read as UTF-8 (the mark is skipped); the audit is imported")
    add("doc-utf16", "an audit document in UTF-16",
        lambda b, n: (lambda d: (d.members.__setitem__(f"audits/{b.main_id}.json",
                                                        d.members[f"audits/{b.main_id}.json"].decode().encode("utf-16")),
                                 d.bytes())[1])(_draft(b, n)), doc, "UTF-8")
    # Audit documents: ids
    add("doc-id-newline", "an audit id with a newline inside it (member name too)", _newline_in_id, "audits")
    add("doc-id-mismatch", "audits/A.json holding audit B",
        lambda b, n: _draft(b, n).doc(_set("id", str(uuid.uuid5(NAMESPACE, "someone else")))).bytes(), doc, "holds")
    add("doc-id-path", "an audit id '../../etc/passwd'",
        lambda b, n: _draft(b, n).rename_audit(b.main_id, "..%2F..%2Fetc%2Fpasswd").bytes(), "audits")
    add("doc-id-upper-of-local", "an audit of this store sent back with its ids in upper case", _upper_ids,
        expect="accepted", outcome="ids are read in lower case: it is the same audit (nothing changes), no twin")
    add("doc-twin-in-pack", "one audit twice in a pack, once in upper case", _twin_in_one_pack, "twice")
    add("doc-action-id-newline", "an action id with a newline",
        new(lambda d: d["actions"][0].__setitem__("id", d["actions"][0]["id"] + "\n")), newdoc, "actions.0.id")
    add("doc-action-id-upper", "an action id in upper case (new audit)",
        new(lambda d: d["actions"][0].__setitem__("id", d["actions"][0]["id"].upper())), expect="accepted",
        outcome="imported with the action id in lower case")
    # Audit documents: id clashes
    add("doc-action-clash-new", "a new audit whose action id is an action of another audit here",
        lambda b, n: _new_audit_with(b, n, _new_action_id(b.local_action_id)), newdoc, "action", "another audit")
    add("doc-action-clash-upper", "the same, the id written in upper case",
        lambda b, n: _new_audit_with(b, n, _new_action_id(b.local_action_id.upper())), newdoc, "another audit")
    add("doc-moderation-clash-new", "a new audit whose moderation id is a moderation of another audit here",
        lambda b, n: _new_audit_with(b, n, _set("moderations.0.id", b.local_moderation_id)), newdoc, "moderation",
        "another audit")
    add("doc-action-clash-existing", "an audit here, changed, with a new action whose id belongs to another audit",
        lambda b, n: _clash_on_existing(b, n, "action"), "action", "another audit")
    add("doc-moderation-clash-existing", "the same for a moderation",
        lambda b, n: _clash_on_existing(b, n, "moderation"), "moderation", "another audit")
    add("doc-action-twice", "one action id twice in a document", new(_dup_action), newdoc, "actions.1.id", "twice")
    add("doc-moderation-twice", "one moderation id twice in a document", new(_dup_moderation), newdoc,
        "moderations.1.id", "twice")
    add("doc-action-shared", "two audits of the pack sharing an action id", _two_docs(_share_action), "action",
        "twice")
    add("doc-moderation-shared", "two audits of the pack sharing a moderation id", _two_docs(_share_moderation),
        "moderation", "twice")
    # Audit documents: dates
    add("doc-started-feb-30", "started_at 2026-02-30", new(_set("started_at", "2026-02-30T09:30:00+00:00")), newdoc,
        "started_at", "February")
    add("doc-completed-month-13", "completed_at in month 13", new(_set("completed_at", "2026-13-01T09:30:00+00:00")),
        newdoc, "completed_at")
    add("doc-started-hour-25", "started_at at 25:00", new(_set("started_at", "2026-02-03T25:00:00+00:00")), newdoc,
        "started_at")
    add("doc-year-1", "started_at in year 1 with an offset (UTC would be year 0)",
        new(_set("started_at", "0001-01-01T00:00:00+14:00")), newdoc, "started_at", "year")
    add("doc-due-feb-29", "an action due 2027-02-29 (not a leap year)", new(_set("actions.0.due", "2027-02-29")), newdoc,
        "actions.0.due", "leap")
    add("doc-due-day-00", "an action due 2026-12-00", new(_set("actions.0.due", "2026-12-00")), newdoc, "actions.0.due")
    add("doc-told-at-bad", "told_at 2026-04-31", new(_set("actions.0.told_at", "2026-04-31T10:00:00+01:00")), newdoc,
        "actions.0.told_at")
    add("doc-moderation-at-bad", "a moderation at 2026-06-31",
        new(_set("moderations.0.at", "2026-06-31T10:00:00Z")), newdoc, "moderations.0.at")
    add("doc-date-answer-bad", "a date answer 2026-02-30",
        lambda b, n: _new_audit_with(b, n, _set(f"answers.{_answer_of_type(b, 'date')}.value", "2026-02-30")), newdoc,
        "answers.")
    assigned = {"auditor": {"name": "B. Made-up", "role": "Team manager"}, "team": "Assessment 2", "due": "2026-12-18",
                "reason": "random 1 of 4 in Assessment 2", "assigned_at": "2026-12-01T09:00:00+00:00",
                "assigned_by": "Q. Lead", "revision": 1}
    add("doc-assignment-due-bad", "an assignment due 2026-02-30",
        new(lambda d: d.update(programme="Made-up programme", assignment={**assigned, "due": "2026-02-30"})), newdoc,
        "assignment.due", "February")
    add("doc-assignment-nobody", "an assignment to nobody (no auditor's name)",
        new(lambda d: d.update(programme="Made-up programme", assignment={**assigned, "auditor": {"role": "x"}})),
        newdoc, "assignment")
    add("doc-assignment-at-bad", "assigned_at at 24:00",
        new(lambda d: d.update(programme="Made-up programme",
                               assignment={**assigned, "assigned_at": "2026-12-01T24:00:00+00:00"})), newdoc,
        "assignment.assigned_at")
    add("doc-assignment-plan-bad", "a programme plan ending on 2026-12-32",
        new(lambda d: d.update(programme="Made-up programme",
                               assignment={**assigned, "plan": {"template": None, "ends_on": "2026-12-32"}})),
        newdoc, "assignment.plan.ends_on")
    add("doc-assignment-ok", "an assigned audit with a key this version does not know",
        new(lambda d: d.update(programme="Made-up programme", assignment={**assigned, "priority": "high"})),
        expect="accepted", outcome="filed under the programme, assigned; the unknown key ignored")
    add("doc-offset-z", "times written with Z for UTC", new(_set("started_at", "2026-02-03T09:30:00Z")),
        expect="accepted", outcome="Z is UTC; imported")
    # Audit documents: schema and template
    add("doc-missing-status", "no status", new(_drop("status")), newdoc, "status")
    add("doc-status-unknown", "status 'lost'", new(_set("status", "lost")), newdoc, "status")
    add("doc-wrong-type-answers", "answers as a list", new(_set("answers", [])), newdoc, "answers")
    add("doc-case-type-unknown", "case type 'XX'", new(_set("subject.case_type", "XX")), newdoc, "subject.case_type")
    add("doc-reference-long", "a 41-character reference", new(_set("reference", "R" * 41)), newdoc, "reference")
    add("doc-huge-string", "a 300,000-character evidence note", new(
        lambda d: next(iter(d["answers"].values())).__setitem__("evidence", "x" * 300_000)), newdoc, "evidence")
    add("doc-1001-actions", "1,001 actions", new(lambda d: d.__setitem__("actions", [
        {**d["actions"][0], "id": str(uuid.uuid5(NAMESPACE, str(i)))} for i in range(1001)])), newdoc, "actions")
    add("doc-subject-41-keys", "41 subject fields", new(lambda d: d["subject"].update({f"k{i}": "v" for i in range(41)})),
        newdoc, "subject")
    add("doc-unknown-question", "an answer to a question the template lacks",
        new(lambda d: d["answers"].__setitem__("exfiltrate", {"value": "x"})), newdoc, "answers.exfiltrate")
    add("doc-choice-not-in-list", "a choice answer not in its list",
        lambda b, n: _new_audit_with(b, n, _set(f"answers.{_answer_of_type(b, 'choice')}.value", "maybe")), newdoc,
        "answers.")
    add("doc-decimal-huge", "an integer answer of 10^300",
        lambda b, n: _new_audit_with(b, n, _set(f"answers.{_answer_of_type(b, 'integer')}.value", 10.0**300)), newdoc,
        "answers.")
    add("doc-section-grade-off-scale", "a section judgement not on its scale",
        new(lambda d: next(iter(d["sections"].values())).__setitem__("grade", "superb")), newdoc, "sections.")
    add("doc-overall-off-scale", "an overall grade not on the scale", new(_set("overall.grade", "superb")), newdoc,
        "overall.grade")
    add("doc-moderation-grade-off-scale", "a moderation grade not on the scale", new(_set("moderations.0.grade", "x")),
        newdoc, "moderations[0].grade")
    add("doc-template-missing", "an audit on a template neither in the pack nor here", _template_not_stored,
        "regular-case-audit@999")
    add("doc-extra-key", "a key this qadesk does not know (a later version's)",
        new(_set("later_feature", {"a": 1})), expect="accepted",
        outcome="more keys may be added (contracts.md section 3): the unknown key is ignored")
    add("doc-escapes", "terminal escape codes and a right-to-left override in the team and the reference",
        new(lambda d: (d["subject"].__setitem__("team", f"Team{ESC}"),
                       d.__setitem__("reference", "AUD-\u202eKCAH-1"))), expect="accepted",
        outcome="stored as written; the command line shows the control characters as \\x1b and \\u202e")
    # Templates inside packs
    add("template-invalid", "a template member that is not a valid template",
        lambda b, n: _bad_template_member(b, n, _drop("sections")), "templates/regular-case-audit@1.json")
    add("template-clash", "a template stored here under the same id@version with other content",
        lambda b, n: _bad_template_member(b, n, _set("title", "Quietly changed")),
        "templates/regular-case-audit@1.json", "already stored")
    add("template-misnamed", "a template member named for another version",
        lambda b, n: _bad_template_member(b, n, lambda t: None, key="templates/regular-case-audit@7.json"),
        "templates/regular-case-audit@7.json")
    add("template-version-5000-digits", "a template version of 5,000 digits",
        lambda b, n: _bad_template_member(b, n, lambda t: None, raw=json.dumps(b.template).replace(
            '"version": 1', '"version": ' + "9" * 5000).encode()), "templates/regular-case-audit@1.json", "digits")
    add("template-duplicate-key", "a template member with title twice",
        lambda b, n: _bad_template_member(b, n, lambda t: None, raw=json.dumps(b.template).replace(
            '"title": ', '"title": "Other", "title": ', 1).encode()), "templates/regular-case-audit@1.json", "twice")
    add("template-expression-injection", "a relevant rule that is Python",
        lambda b, n: _bad_template_member(b, n, _set("sections.1.questions.1.relevant",
                                                     "__import__('os').system('id')")),
        "templates/regular-case-audit@1.json", "seen_alone_why")
    # Other members and kinds
    add("report-not-a-pdf", "report.pdf that is not a PDF (hash right)", _junk_pdf, expect="accepted",
        outcome="report.pdf and returns.xlsx are for people: hashed, never opened on import")
    add("no-returns", "no returns.xlsx at all", _no_returns, expect="accepted",
        outcome="report.pdf and returns.xlsx may be left out; the audits are imported")
    add("empty", "a pack of no audits", _empty_pack, expect="accepted", outcome="nothing to import; nothing changes")
    add("return-for-unknown", "a moderation return for an audit not here", _return_for_unknown, "not in this store")
    add("twice", "the same pack imported twice", lambda b, n: _draft(b, n).bytes(), expect="accepted",
        outcome="the second import changes nothing (see test)")
    return cases


# ----------------------------------------------------------------------------------------- templates

TJ, TX = "template-json", "template-xlsx"


def _tjson(change: Callable[[dict[str, Any]], Any]) -> Callable[[Base], bytes]:
    def build(b: Base) -> bytes:
        t = copy.deepcopy(b.template)
        change(t)
        return json.dumps(t, indent=1, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return build


def _ttext(change: Callable[[str], str], encoding: str = "utf-8") -> Callable[[Base], bytes]:
    return lambda b: change(json.dumps(b.template, indent=1, ensure_ascii=False)).encode(encoding, "surrogatepass")


def _new_id(t: dict[str, Any], tid: str = "hostile-template") -> None:
    t["id"] = tid


def _q(t: dict[str, Any], i: int = 1, j: int = 0) -> dict[str, Any]:
    return t["sections"][i]["questions"][j]


def _workbook(change: Callable[[Any], Any]) -> Callable[[Base], bytes]:
    """The base workbook, loaded with openpyxl, changed, saved."""
    def build(b: Base) -> bytes:
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(b.template_xlsx))
        change(wb)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    return build


def _label_cell(wb: Any) -> Any:
    """survey!C3: the first question's label."""
    return wb["survey"]["C3"]


def _sheet_xml(change: Callable[[bytes], bytes], member: str = "xl/worksheets/sheet1.xml") -> Callable[[Base], bytes]:
    def build(b: Base) -> bytes:
        with zipfile.ZipFile(io.BytesIO(b.template_xlsx)) as z:
            data = z.read(member)
        return _rezip(b.template_xlsx, {member: change(data)})
    return build


def _add_members(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Callable[[Base], bytes]:
    return lambda b: _rezip(b.template_xlsx, extra=entries)


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10)) + b"]>\n")
_SHEET_HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _body(data: bytes) -> bytes:
    """An XML part without its declaration."""
    return data.split(b"?>", 1)[1] if data.lstrip().startswith(b"<?xml") else data


def _with_doctype(prolog: bytes, entity_use: bytes) -> Callable[[Base], bytes]:
    def change(data: bytes) -> bytes:
        body = _body(data)
        body = body.replace(b"<sheetData>", b"<sheetData><!-- " + entity_use + b" -->", 1)
        return prolog + body
    return _sheet_xml(change)


def _shared_strings_bomb(b: Base) -> bytes:
    rng = random.Random(3)
    parts = [b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main">']
    size = 0
    while size < 17 * 1024 * 1024:
        s = b"<si><t>%d</t></si>" % rng.randrange(10**9)
        parts.append(s)
        size += len(s)
    parts.append(b"</sst>")
    with zipfile.ZipFile(io.BytesIO(b.template_xlsx)) as z:
        types = z.read("[Content_Types].xml")
    types = types.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                          b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    return _rezip(b.template_xlsx, {"[Content_Types].xml": types}, extra=[("xl/sharedStrings.xml", b"".join(parts))])


def _rows(n: int) -> Callable[[Base], bytes]:
    """The base workbook with ``n`` more question rows on the survey sheet (written as XML: openpyxl is slow)."""
    def build(b: Base) -> bytes:
        with zipfile.ZipFile(io.BytesIO(b.template_xlsx)) as z:
            data = z.read("xl/worksheets/sheet1.xml")
        rows = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>text</t></is></c><c r="B%d" t="inlineStr">'
                        b'<is><t>q_extra_%d</t></is></c><c r="C%d" t="inlineStr"><is><t>Extra</t></is></c></row>'
                        % (r, r, r, r, r) for r in range(1000, 1000 + n))
        return _rezip(b.template_xlsx, {"xl/worksheets/sheet1.xml": data.replace(b"</sheetData>", rows + b"</sheetData>")})
    return build


def _xml_bomb_member(b: Base) -> bytes:
    """A sheet XML of 150 MB of the same row (compressed ~1000 to 1)."""
    row = b'<row r="9"><c r="A9" t="inlineStr"><is><t>x</t></is></c></row>'
    return _rezip(b.template_xlsx, {"xl/worksheets/sheet1.xml": _SHEET_HEAD + b"<sheetData>" + row * 200_000
                                    + b"</sheetData></worksheet>"})


_XLSFORM_HEAD = ("type", "name", "label::English")


def _xlsform(rows: list[tuple[Any, ...]], version: str = "1") -> Callable[[Base], bytes]:
    """An ODK/KoboToolbox XLSForm (label::English, form_title), the way those tools write them."""
    def build(b: Base) -> bytes:
        from openpyxl import Workbook

        wb = Workbook()
        survey = wb.active
        survey.title = "survey"
        for row in [_XLSFORM_HEAD, ("begin group", "g", "Group"), *rows, ("end group", None, None)]:
            survey.append(list(row))
        choices = wb.create_sheet("choices")
        for row in (("list_name", "name", "label::English"), ("yn", "yes", "Yes"), ("yn", "no", "No")):
            choices.append(list(row))
        settings = wb.create_sheet("settings")
        settings.append(["form_title", "form_id", "version"])
        settings.append(["Hostile form", "hostile-xlsform", version])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    return build


def _template_cases() -> list[Case]:
    cases: list[Case] = []

    def add(kind: str, name: str, tries: str, build: Callable[[Base], bytes], *where: str, expect: str = "refused",
            outcome: str = "") -> None:
        cases.append(Case(f"{'json' if kind == TJ else 'xlsx'}-{name}", kind, tries, build, expect, tuple(where),
                          outcome))

    # JSON: the bytes
    add(TJ, "not-json", "a file that is not JSON", lambda b: b"id: regular\nversion: 1\n", "line 1")
    add(TJ, "empty", "an empty file", lambda b: b"", "line 1")
    add(TJ, "array", "a JSON array", lambda b: b"[1, 2, 3]", "JSON object")
    add(TJ, "bom", "a UTF-8 byte-order mark first", _ttext(lambda t: "\ufeff" + t), expect="accepted",
        outcome="the mark is skipped: the shipped template, unchanged")
    add(TJ, "utf16", "UTF-16", _ttext(lambda t: t, "utf-16"), "UTF-8")
    add(TJ, "latin1", "Latin-1 with an accented title",
        _ttext(lambda t: t.replace('"title": "Regular', '"title": "Régular', 1), "latin-1"), "UTF-8")
    add(TJ, "truncated", "the first half of a template", lambda b: json.dumps(b.template).encode()[:3000], "line")
    add(TJ, "duplicate-key", "version given twice (1, then 2)",
        _ttext(lambda t: t.replace('"version": 1', '"version": 1, "version": 2', 1)), "(top)", "'version'", "twice")
    add(TJ, "duplicate-key-deep", "a question's type given twice",
        _ttext(lambda t: t.replace('"type": "choice"', '"type": "choice", "type": "text"', 1)), "'type'", "twice")
    add(TJ, "nan", "NaN as a score", _ttext(lambda t: t.replace('"score": 4', '"score": NaN', 1)), "NaN")
    add(TJ, "infinity", "Infinity as a weight",
        _ttext(lambda t: t.replace('"required": true', '"required": true, "weight": Infinity', 1)), "Infinity")
    add(TJ, "1e999", "a score of 1e999", _ttext(lambda t: t.replace('"score": 4', '"score": 1e999', 1)), "score")
    add(TJ, "version-5000-digits", "a version of 5,000 digits",
        _ttext(lambda t: t.replace('"version": 1', '"version": ' + "9" * 5000, 1)), "version", "digits")
    add(TJ, "score-5000-digits", "a score of 5,000 digits",
        _ttext(lambda t: t.replace('"score": 4', '"score": ' + "4" * 5000, 1)), "digits")
    add(TJ, "version-2-70", "version 2^70", _tjson(_set("version", 2**70)), "version")
    add(TJ, "version-zero", "version 0", _tjson(_set("version", 0)), "version")
    add(TJ, "version-text", "version '1'", _tjson(_set("version", "1")), "version")
    add(TJ, "version-bool", "version true", _tjson(_set("version", True)), "version")
    add(TJ, "deep", "100,000 nested arrays", _ttext(lambda t: t[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        "deep")
    add(TJ, "element-bomb", "800,000 one-digit numbers (1.6 MB)",
        lambda b: json.dumps(b.template)[:-1].encode() + b', "padding": ' + ("[" + ",".join(str(random.Random(2).randrange(10)) for _ in range(800_000)) + "]").encode() + b"}",
        "the limit is")
    add(TJ, "over-5mb", "a 6 MB file", _tjson(_set("description", "x" * (6 * 1024 * 1024))), "5,242,880")
    add(TJ, "huge-label", "a 5,000-character label", _tjson(lambda t: _q(t).__setitem__("label", "x" * 5000)),
        "seen_alone", "label")
    add(TJ, "lone-surrogate", "a lone surrogate in a label",
        _ttext(lambda t: t.replace('"label": "Has', '"label": "\\ud83dHas', 1)), "surrogate")
    add(TJ, "nul", "a NUL in the title", _tjson(_set("title", "Regular\x00audit")), "title", "NUL")
    add(TJ, "id-newline", "a template id with a newline at its end", _tjson(_set("id", "regular-case-audit\n")), "id")
    add(TJ, "question-id-newline", "a question id with a newline at its end",
        _tjson(lambda t: _q(t).__setitem__("id", "seen_alone\n")), "seen_alone")
    add(TJ, "id-upper", "a template id in upper case", _tjson(_set("id", "Regular-Case-Audit")), "id")
    add(TJ, "id-path", "a template id '../../x'", _tjson(_set("id", "../../x")), "id")
    add(TJ, "missing-sections", "no sections", _tjson(_drop("sections")), "sections")
    add(TJ, "missing-overall", "no overall", _tjson(_drop("overall")), "overall")
    add(TJ, "sections-string", "sections as a string", _tjson(_set("sections", "voice")), "sections")
    add(TJ, "question-list", "a question that is a list", _tjson(lambda t: t["sections"][1]["questions"].__setitem__(0, [])),
        "voice")
    add(TJ, "unknown-key", "a key the format does not have", _tjson(_set("macro", "run")), "macro")
    add(TJ, "format-2", "format qadesk-template/2", _tjson(_set("format", "qadesk-template/2")), "format")
    add(TJ, "no-format", "no format", _tjson(_drop("format")), "format")
    add(TJ, "kind-unknown", "kind 'spyware'", _tjson(_set("kind", "spyware")), "kind")
    add(TJ, "type-unknown", "a question of type 'script'", _tjson(lambda t: _q(t).__setitem__("type", "script")),
        "seen_alone", "type")
    add(TJ, "expr-python", "a relevant rule that is Python",
        _tjson(lambda t: _q(t, 1, 1).__setitem__("relevant", "__import__('os').system('id')")), "seen_alone_why")
    add(TJ, "expr-dunder", "a constraint reaching for attributes",
        _tjson(lambda t: _q(t, 1, 1).__setitem__("constraint", "${seen_alone}.__class__.__mro__")), "seen_alone_why")
    add(TJ, "expr-unknown-ref", "a rule on a question that does not exist",
        _tjson(lambda t: _q(t, 1, 1).__setitem__("relevant", "${nobody} = 'x'")), "seen_alone_why", "nobody")
    add(TJ, "expr-cycle", "two questions relevant on each other",
        _tjson(lambda t: (_q(t, 1, 0).__setitem__("relevant", "${seen_alone_why} = 'x'"))), "cycle")
    add(TJ, "expr-deep-parens", "a rule of 50,000 nested parentheses",
        _tjson(lambda t: _q(t, 1, 1).__setitem__("relevant", "(" * 50_000 + "1" + ")" * 50_000)), "seen_alone_why")
    add(TJ, "expr-long", "a 100,000-character rule",
        _tjson(lambda t: _q(t, 1, 1).__setitem__("relevant", " or ".join(["${seen_alone} = 'no'"] * 5000))),
        "seen_alone_why")
    add(TJ, "duplicate-question", "two questions with one id",
        _tjson(lambda t: _q(t, 1, 1).__setitem__("id", "seen_alone")), "seen_alone")
    add(TJ, "score-huge", "a score of 10^13", _tjson(lambda t: t["lists"]["ofsted4"][0].__setitem__("score", 1e13)),
        "score")
    add(TJ, "weight-negative", "a negative weight", _tjson(lambda t: _q(t).__setitem__("weight", -5)), "weight")
    add(TJ, "min-over-max", "min above max", _tjson(lambda t: t["sections"][0]["questions"][5].update(min=10, max=1)),
        "visits_in_period")
    add(TJ, "date-min-feb-30", "a date question with min 2026-02-30",
        _tjson(lambda t: t["sections"][0]["questions"][4].__setitem__("min", "2026-02-30")), "period_start")
    add(TJ, "choices-1001", "a list of 1,001 choices",
        _tjson(lambda t: t["lists"].__setitem__("big", [{"value": f"v{i}", "label": f"L{i}"} for i in range(1001)])),
        "big")
    add(TJ, "questions-5001", "5,001 questions", _tjson(lambda t: t["sections"][1]["questions"].extend(
        {"id": f"x{i}", "type": "text", "label": "x"} for i in range(5001))), "5000")
    add(TJ, "title-blank", "a title of spaces", _tjson(_set("title", "   ")), "title")
    add(TJ, "escapes-in-title", "terminal escape codes and a right-to-left override in the title",
        _tjson(lambda t: (_new_id(t, "hostile-escapes"), t.__setitem__("title", f"Audit{ESC}\u202eevil"))),
        expect="accepted", outcome="stored as written; the command line shows the control characters as \\x1b "
                                   "and \\u202e")
    add(TJ, "formula-text", "labels starting with = + - @ tab (formula injection)",
        _tjson(lambda t: (_new_id(t, "hostile-formulas"), _q(t).__setitem__("label", "=HYPERLINK(\"http://x\",\"Click\")"),
                          _q(t, 1, 1).__setitem__("label", "+SUM(1,2)"), _q(t, 1, 2).__setitem__("label", "-2+3"),
                          _q(t, 1, 3).__setitem__("label", "@cmd"), _q(t, 1, 4).__setitem__("guidance", "\t=1+1"))),
        expect="accepted", outcome="stored as text; exported to Excel as text cells (never formulas)")
    add(TJ, "clash-stored", "the shipped id@version with other content", _tjson(_set("title", "Quietly changed")),
        "regular-case-audit@1", "already stored")
    add(TJ, "same-as-stored", "the shipped template again", _tjson(lambda t: None), expect="accepted",
        outcome="already installed, unchanged")

    # Excel: the archive
    add(TX, "not-a-zip", "text named .xlsx", lambda b: json.dumps(b.template).encode(), "not a readable zip")
    add(TX, "empty", "an empty file", lambda b: b"", "not a readable zip")
    add(TX, "zip-not-workbook", "a zip that is not a workbook", lambda b: _zip([("hello.txt", b"hi")]),
        "not an Excel workbook")
    add(TX, "truncated", "the first half of a workbook", lambda b: b.template_xlsx[: len(b.template_xlsx) // 2], "zip")
    add(TX, "zip-bomb", "40 MB of zeros in a member", _add_members([("xl/media/zeros.bin", bytes(40 * 2**20))]), "to 1")
    add(TX, "xml-bomb-sheet", "a 13 MB sheet of one row over and over (1,000 to 1)", _xml_bomb_member, "to 1")
    add(TX, "shared-strings-bomb", "17 MB of shared strings (5 to 1)", _shared_strings_bomb, "sharedStrings.xml",
        "the limit is")
    add(TX, "members-2001", "2,001 members", _add_members([(f"xl/media/{i}.bin", b"") for i in range(2001)]),
        "the limit is 2,000")
    add(TX, "path-dotdot", "a member ../../evil", _add_members([("../../evil", b"x")]), "climbs out")
    add(TX, "path-absolute", "a member /tmp/evil", _add_members([("/tmp/evil", b"x")]), "absolute")
    add(TX, "symlink", "a member that is a link", _add_members([(_link("xl/media/link"), b"/etc/passwd")]), "link")
    add(TX, "billion-laughs", "nested entities in a sheet", _with_doctype(LAUGHS, b"&lol9;"), "entities")
    add(TX, "xxe-file", "an external entity reading /etc/passwd",
        _with_doctype(b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n', b"&xxe;"),
        "entities")
    add(TX, "xxe-after-comment", "a DOCTYPE behind a 70 KB comment",
        _with_doctype(b'<?xml version="1.0"?>\n<!--' + b"x" * 70_000 + b'-->\n<!DOCTYPE x [<!ENTITY xxe SYSTEM '
                      b'"file:///etc/passwd">]>\n', b"&xxe;"), "could not be read")
    add(TX, "doctype-utf16", "a DOCTYPE in a UTF-16 sheet", _sheet_xml(
        lambda d: ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n'
                   + _body(d).decode()).encode("utf-16")), "entities")
    add(TX, "sheet-not-xml", "a sheet that is not XML", _sheet_xml(lambda d: b"not xml at all <<<"), "could not be read")
    add(TX, "no-workbook-xml", "no xl/workbook.xml", lambda b: _rezip(b.template_xlsx, {"xl/workbook.xml": None}),
        "not an Excel workbook")
    add(TX, "styles-broken", "a broken styles part", _sheet_xml(lambda d: b"<styleSheet><<", "xl/styles.xml"),
        "could not be read")
    # Excel: the sheets
    add(TX, "no-survey", "no survey sheet", _workbook(lambda wb: wb.remove(wb["survey"])), "survey")
    add(TX, "no-settings", "no settings sheet", _workbook(lambda wb: wb.remove(wb["settings"])), "settings")
    add(TX, "sheets-51", "51 sheets", _workbook(lambda wb: [wb.create_sheet(f"s{i}") for i in range(48)]), "sheets")
    add(TX, "rows-20001", "20,001 question rows", _rows(20_001), "rows")
    add(TX, "cell-too-long", "a cell of 40,000 characters", _workbook(lambda wb: _label_cell(wb).__setattr__(
        "value", "x" * 40_000)), "survey!C3", "label")
    add(TX, "formula-version", "a formula as the version (=1+1)",
        _workbook(lambda wb: wb["settings"]["B2"].__setattr__("value", "=1+1")), "settings!B2")
    add(TX, "version-2-70", "a version of 2^70", _workbook(lambda wb: wb["settings"]["B2"].__setattr__(
        "value", 2**70)), "settings!B2")
    add(TX, "version-1e308", "a version of 1e308", _workbook(lambda wb: wb["settings"]["B2"].__setattr__(
        "value", 1e308)), "settings!B2")
    add(TX, "version-date", "a date as the version", _workbook(lambda wb: wb["settings"]["B2"].__setattr__(
        "value", __import__("datetime").datetime(2026, 1, 1))), "settings!B2")
    add(TX, "version-inf", "a version cell of 1e999 (infinity)", _sheet_xml(
        lambda d: d.replace(b'<c r="B2"', b'<c r="B2" t="n"><v>1e999</v></c><c r="Z2"', 1), "xl/worksheets/sheet3.xml"),
        "settings!B2")
    add(TX, "form-id-newline", "a form_id with a newline at its end",
        _workbook(lambda wb: wb["settings"]["A2"].__setattr__("value", "regular-case-audit\n")), expect="accepted",
        outcome="a cell's leading and trailing spaces and line breaks are trimmed: the shipped template, unchanged")
    add(TX, "form-id-inner-newline", "a form_id with a newline inside it",
        _workbook(lambda wb: wb["settings"]["A2"].__setattr__("value", "regular-case\n-audit")), "settings!A2")
    add(TX, "name-newline", "a question name with a newline at its end",
        _workbook(lambda wb: wb["survey"]["B3"].__setattr__("value", wb["survey"]["B3"].value + "\n")),
        expect="accepted", outcome="trimmed like every cell: the shipped template, unchanged")
    add(TX, "name-inner-newline", "a question name with a newline inside it",
        _workbook(lambda wb: wb["survey"]["B3"].__setattr__("value", "seen\nalone")), "survey!B3")
    add(TX, "type-unknown", "a row of type 'macro'", _workbook(lambda wb: wb["survey"]["A3"].__setattr__(
        "value", "macro")), "survey!A3")
    add(TX, "list-unknown", "select_one of a list that is not there",
        _workbook(lambda wb: wb["survey"]["A3"].__setattr__("value", "select_one nolist")), "survey!A3", "nolist")
    add(TX, "expr-python", "a relevant rule that is Python",
        _workbook(lambda wb: wb["survey"]["F4"].__setattr__("value", "__import__('os')")), "survey!F4")
    add(TX, "group-unclosed", "the last section's end row missing", _workbook(
        lambda wb: wb["survey"].delete_rows(wb["survey"].max_row)), expect="accepted",
        outcome="the sheet's end closes the last section (as pyxform does): the shipped template, unchanged")
    add(TX, "group-end-stray", "an end section row with no begin", _workbook(
        lambda wb: wb["survey"].insert_rows(2)), expect="accepted",
        outcome="a blank row is ignored: the shipped template, unchanged")
    add(TX, "formula-label", "a label that is a real formula (=HYPERLINK)",
        _workbook(lambda wb: (wb["settings"]["A2"].__setattr__("value", "hostile-formula-cells"),
                              _label_cell(wb).__setattr__("value", '=HYPERLINK("http://x","Click")'))),
        expect="accepted", outcome="a formula is read as the text typed, never evaluated; exported back as text")
    add(TX, "control-escape", "an ESC written the OOXML way (_x001B_) in a label",
        _workbook(
            lambda wb: (wb["settings"]["A2"].__setattr__("value", "hostile-escape-cells"),
                        _label_cell(wb).__setattr__("value", "Seen alone?_x001B_[2J"))),
        expect="accepted", outcome="stored as the text; the command line never prints a control character")
    add(TX, "macro-member", "a vbaProject.bin in the workbook", _add_members([("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0")]),
        expect="accepted", outcome="macros are never run or kept: the shipped template, unchanged")
    add(TX, "external-link", "an external link part", _add_members([(
        "xl/externalLinks/externalLink1.xml", b'<externalLink xmlns="http://schemas.openxmlformats.org/'
                                              b'spreadsheetml/2006/main"/>')]),
        expect="accepted", outcome="links are not followed or kept: the shipped template, unchanged")
    add(TX, "xlsform-repeat", "an XLSForm with a repeat", _xlsform([("begin repeat", "r", "R"), ("text", "t", "T"),
                                                                   ("end repeat", None, None)]), "begin repeat r")
    add(TX, "xlsform-from-file", "an XLSForm taking choices from a file", _xlsform([
        ("select_one_from_file ../../etc/passwd", "a", "A")]), "survey!A3", "external file")
    add(TX, "xlsform-calculate", "an XLSForm calculation (pulldata, once())", _xlsform([
        ("calculate", "c", None)]), "survey!A3", "calculation")
    add(TX, "xlsform-version-5000-digits", "an XLSForm version of 5,000 digits", _xlsform([("text", "t", "T")],
                                                                                         "9" * 5000), "settings!C2")
    add(TX, "xlsform-plain", "a plain XLSForm", _xlsform([("select_one yn", "seen", "Seen alone?")]),
        expect="accepted", outcome="read as a template (docs/template-authoring-excel.md, XLSForm)")
    add(TX, "same-as-stored", "the shipped template again", lambda b: b.template_xlsx, expect="accepted",
        outcome="already installed, unchanged")
    add(TX, "clash-stored", "the shipped id@version with other content",
        _workbook(lambda wb: wb["settings"]["C2"].__setattr__("value", "Quietly changed")), "regular-case-audit@1",
        "already stored")
    return cases


PACK_CASES = _pack_cases()
TEMPLATE_CASES = _template_cases()
ALL_CASES = PACK_CASES + TEMPLATE_CASES
SPARSE = "pack-sparse-201mb"


# ----------------------------------------------------------------------------------------- the base


def build_base(work: Path) -> tuple[Base, Path]:
    """A sender store and its pack, and a receiving store (returned: its folder, closed)."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from qadesk.exchange.template_xlsx import write_template_xlsx
    from qadesk.exchange.templates import read_template
    from qadesk.services import audits as svc
    from qadesk.services.moderation import moderate
    from qadesk.services.packs import export_pack, import_pack
    from qadesk.services.queries import Selection
    from qadesk.services.templates import import_template
    from qadesk.store import open_store
    from qadesk.store.models import Audit
    from tests.helpers.exports import make_audits

    def loaded(folder: Path) -> Any:
        store = open_store(folder)
        with store.transaction() as s:
            for path in sorted(FORMS.glob("*.json")):
                import_template(s, read_template(path), actor="test")
        return store

    def moderated(store: Any, ids: list[str]) -> None:
        with store.transaction() as s:
            for aid in ids:
                moderate(s, aid, moderator=svc.Actor("Morgan Moderator", "QA lead", "Example Borough Council"),
                         agreed=True, rationale="Agreed after reading the record")

    sender = loaded(work / "sender")
    ids = make_audits(sender, 4)
    moderated(sender, ids[:2])
    pack = work / "base.qapack"
    export_pack(sender, pack, kind="audit_transfer", selection=Selection())
    sender.close()

    target_dir = work / "target"
    target = loaded(target_dir)
    local = make_audits(target, 2)
    moderated(target, local)
    with target.session() as s:
        local_docs = {a.id: svc.audit_document(a) for a in s.execute(select(Audit)).scalars()}
    import_pack(target, pack)  # so that packs changing the sender's audits have something to change
    target.close()

    with zipfile.ZipFile(pack) as z:
        manifest = json.loads(z.read("manifest.json"))
        members = {n: z.read(n) for n in z.namelist() if n != "manifest.json"}
    main_id = next(n[7:-5] for n, d in members.items()
                   if n.startswith("audits/") and json.loads(d)["template"]["id"] == "regular-case-audit")
    xlsx = work / "regular.xlsx"
    write_template_xlsx(read_template(FORMS / "regular-case-audit.json"), xlsx)
    second = list(local_docs)[1]
    base = Base(manifest=manifest, members=members, main_id=main_id, local_docs=local_docs,
                local_action_id=local_docs[second]["actions"][0]["id"],
                local_moderation_id=local_docs[second]["moderations"][0]["id"],
                template=json.loads((FORMS / "regular-case-audit.json").read_text(encoding="utf-8")),
                template_xlsx=xlsx.read_bytes())
    return base, target_dir


def where_of(case: Case, base: Base) -> tuple[str, ...]:
    """The fragments a refusal must name, with the audit ids put in."""
    new = str(uuid.uuid5(NAMESPACE, f"{case.name}/audit"))
    return tuple(w.replace("{main}", base.main_id).replace("{new}", new) for w in case.where)


def write_case(case: Case, base: Base, folder: Path) -> Path:
    """Write one case's file into ``folder``; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{case.name}{case.suffix}"
    if case.name == SPARSE:
        with path.open("wb") as fh:
            fh.truncate(201 * 1024 * 1024)
    else:
        path.write_bytes(case.build(base))
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tests.hostile.make_hostile OUT_DIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    base, target = build_base(out / "stores")
    listing = []
    for case in ALL_CASES:
        path = write_case(case, base, out / ("packs" if case.kind == P else "templates"))
        listing.append({"name": case.name, "file": str(path.relative_to(out)), "kind": case.kind,
                        "tries": case.tries, "expect": case.expect, "where": list(where_of(case, base)),
                        "outcome": case.outcome})
    (out / "cases.json").write_text(json.dumps(listing, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"{len(PACK_CASES)} hostile packs and {len(TEMPLATE_CASES)} hostile templates in {out}; "
          f"import them into {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
