"""Packs read back: members and hashes, round trip, refusal of damaged packs, pseudonymisation, returns."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pypdf
import pytest
from openpyxl import load_workbook

from qadesk.core.errors import ValidationError
from qadesk.exchange.output import Cancelled
from qadesk.services import audits as svc
from qadesk.services.packs import export_pack, import_pack, preview_pseudonymisation
from qadesk.services.profile import Profile, set_profile
from qadesk.services.queries import Selection
from qadesk.store import open_store
from qadesk.store.models import Audit
from tests.helpers.exports import dump_store, make_audits


def _documents(store) -> dict[str, dict]:
    from sqlalchemy import select

    with store.session() as s:
        return {a.id: svc.audit_document(a) for a in s.execute(select(Audit)).scalars()}


def _rewrite(src: Path, dst: Path, change) -> Path:
    """Copy a pack member by member, letting ``change(name, data)`` alter or drop (None) each."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = change(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)
    return dst


@pytest.fixture
def sent(loaded_store, tmp_path):
    ids = make_audits(loaded_store, 4)
    path = tmp_path / "transfer.qapack"
    result = export_pack(loaded_store, path, kind="audit_transfer", selection=Selection())
    return loaded_store, ids, path, result


@pytest.fixture
def empty_store(tmp_path):
    s = open_store(tmp_path / "other")
    yield s
    s.close()


def test_pack_members_and_hashes(sent):
    store, ids, path, result = sent
    assert result.audits == 4 and "4 audits" in str(result)
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert manifest["format"] == "qadesk-pack/1" and manifest["kind"] == "audit_transfer"
        assert sorted(manifest["audits"]) == sorted(ids)
        assert manifest["created_by"]["organisation"] == "Example Borough Council"
        assert manifest["created_at"][-6] in "+-"  # ISO 8601 with an offset
        names = set(z.namelist()) - {"manifest.json"}
        assert names == set(manifest["files"])
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(z.read(name)).hexdigest() == digest
        assert {f"audits/{i}.json" for i in ids} <= names
        assert "templates/regular-case-audit@1.json" in names
        pdf = pypdf.PdfReader(io.BytesIO(z.read("report.pdf")))
        text = "".join(p.extract_text() for p in pdf.pages)
        wb = load_workbook(io.BytesIO(z.read("returns.xlsx")))
        assert wb["Audits"].max_row == 5
    with store.session() as s:
        for aid in ids:
            ref = svc.get_audit(s, aid).reference
            assert ref in text
            doc = json.loads(zipfile.ZipFile(path).read(f"audits/{aid}.json"))
            assert doc == svc.audit_document(svc.get_audit(s, aid))


def test_round_trip_into_an_empty_store_and_twice_changes_nothing(sent, empty_store):
    store, ids, path, _ = sent
    result = import_pack(empty_store, path)
    assert len(result.created) == 4 and not result.conflicts
    assert _documents(empty_store) == _documents(store)
    before = dump_store(empty_store)
    again = import_pack(empty_store, path)
    assert again.already_imported and not again.changed
    assert "nothing changed" in str(again)
    assert dump_store(empty_store) == before


@pytest.mark.parametrize("damage", ["flip", "missing", "extra", "invalid_doc", "bad_answer", "manifest"])
def test_a_damaged_pack_is_refused_whole(sent, empty_store, tmp_path, damage):
    _, ids, path, _ = sent
    victim = f"audits/{ids[1]}.json"

    def change(name, data):
        if damage == "flip" and name == victim:
            i = len(data) // 2
            return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
        if damage == "missing" and name == "report.pdf":
            return None
        if damage in ("invalid_doc", "bad_answer") and name == victim:
            doc = json.loads(data)
            if damage == "invalid_doc":
                doc["status"] = "lost"
            else:
                doc["answers"][next(iter(doc["answers"]))] = {"value": {"not": "an answer"}}
            return json.dumps(doc).encode()
        if damage in ("invalid_doc", "bad_answer") and name == "manifest.json":
            return data  # hashes fixed below
        if damage == "manifest" and name == "manifest.json":
            m = json.loads(data)
            m["format"] = "qadesk-pack/9"
            return json.dumps(m).encode()
        return data

    bad = _rewrite(path, tmp_path / "bad.qapack", change)
    if damage == "extra":
        with zipfile.ZipFile(bad, "a") as z:
            z.writestr("audits/notes.txt", b"unlisted")
    if damage in ("invalid_doc", "bad_answer"):  # a sender who hashed the invalid member: schema must catch it
        with zipfile.ZipFile(bad) as z:
            members = {n: z.read(n) for n in z.namelist()}
        m = json.loads(members["manifest.json"])
        m["files"][victim] = hashlib.sha256(members[victim]).hexdigest()
        members["manifest.json"] = json.dumps(m).encode()
        with zipfile.ZipFile(bad, "w") as z:
            for n, d in members.items():
                z.writestr(n, d)
    before = dump_store(empty_store)
    with pytest.raises(ValidationError) as err:
        import_pack(empty_store, bad)
    reason = str(err.value)
    expected = {"flip": "SHA-256", "missing": "missing", "extra": "not listed", "invalid_doc": "status",
                "bad_answer": "answers", "manifest": "format"}[damage]
    assert expected in reason
    assert dump_store(empty_store) == before


def test_a_template_that_clashes_with_a_stored_one_refuses_the_pack(sent, empty_store, tmp_path):
    from qadesk.core.template import template_from_dict
    from qadesk.services.templates import import_template

    _, _, path, _ = sent
    data = json.loads(zipfile.ZipFile(path).read("templates/regular-case-audit@1.json"))
    data["title"] = "Regular case audit, our own wording"
    with empty_store.transaction() as s:
        import_template(s, template_from_dict(data), actor="test")
    before = dump_store(empty_store)
    with pytest.raises(ValidationError, match="different content"):
        import_pack(empty_store, path)
    assert dump_store(empty_store) == before


def test_cancelled_export_leaves_nothing(loaded_store, tmp_path):
    make_audits(loaded_store, 2)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "x.qapack"
    before = dump_store(loaded_store)
    calls = []
    with pytest.raises(Cancelled):
        export_pack(loaded_store, target, selection=Selection(), cancel=lambda: len(calls) > 0,
                    progress=lambda d, t: calls.append(d))
    assert list(out.iterdir()) == []
    assert dump_store(loaded_store) == before


def test_pseudonymised_pack_leaks_no_identifier(loaded_store, tmp_path):
    ids = make_audits(loaded_store, 4)
    with loaded_store.session() as s:
        secrets = set()
        for aid in ids:
            a = svc.get_audit(s, aid)
            secrets |= {a.case_ref, a.practitioner, a.auditor_name}
    secrets |= {"Sam Teammate", "Fictional", "Madeup"}  # a team member and the surnames alone
    preview = preview_pseudonymisation(loaded_store, Selection()).changes
    assert {p[1] for p in preview} >= {"subject.case_ref", "subject.practitioner", "summary.strengths"}
    assert all(p[3] != p[2] for p in preview)
    path = tmp_path / "external.qapack"
    result = export_pack(loaded_store, path, kind="moderation_request", selection=Selection(), external=True)
    assert result.pseudonymised
    with zipfile.ZipFile(path) as z:
        blobs = {n: z.read(n) for n in z.namelist()}
    assert json.loads(blobs["manifest.json"])["pseudonymised"] is True
    pdf_text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(blobs["report.pdf"])).pages)
    wb = load_workbook(io.BytesIO(blobs["returns.xlsx"]))
    cells = " ".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    with zipfile.ZipFile(io.BytesIO(blobs["returns.xlsx"])) as x:
        xml = b"".join(x.read(n) for n in x.namelist())
    for secret in secrets:
        for name, data in blobs.items():
            assert secret.encode() not in data, (secret, name)
        assert secret not in pdf_text and secret not in cells
        assert secret.encode() not in xml
    assert "CASE-0001" in pdf_text and "Practitioner A" in cells


def test_moderation_return_relinks_to_the_sent_audits(loaded_store, tmp_path):
    ids = make_audits(loaded_store, 3)
    request = tmp_path / "request.qapack"
    export_pack(loaded_store, request, kind="moderation_request", selection=Selection(), external=True)
    moderator = open_store(tmp_path / "moderator")
    try:
        with moderator.transaction() as s:
            set_profile(s, Profile(name="Mo Derator", organisation="Neighbouring Council"))
        assert len(import_pack(moderator, request).created) == 3
        with moderator.transaction() as s:
            a = svc.get_audit(s, ids[0])
            assert a.case_ref == "CASE-0001" and a.origin == "Example Borough Council"
            svc.moderate(s, ids[0], moderator=svc.Actor("Mo Derator", organisation="Neighbouring Council"),
                         agreed=False, grade="good", rationale=f"{a.practitioner} showed good analysis",
                         kind="external")
            svc.moderate(s, ids[1], moderator=svc.Actor("Mo Derator"), agreed=True, kind="external")
        back = tmp_path / "return.qapack"
        export_pack(moderator, back, kind="moderation_return", selection=Selection(audit_ids=ids[:2]))
    finally:
        moderator.close()
    result = import_pack(loaded_store, back)
    assert result.moderations_added == 2 and not result.conflicts
    with loaded_store.session() as s:
        a = svc.get_audit(s, ids[0])
        assert a.status == "moderated" and a.case_ref == "CR-900000"
        m = a.moderations[-1]
        assert (m.moderator_name, m.grade, m.agreed) == ("Mo Derator", "good", False)
        assert m.rationale == "Alex Fictional showed good analysis"  # the pseudonym mapped back
        assert svc.get_audit(s, ids[2]).status == "completed"
    before = dump_store(loaded_store)
    assert import_pack(loaded_store, back).already_imported
    assert dump_store(loaded_store) == before


def test_edits_on_both_sides_are_a_conflict_not_an_overwrite(loaded_store, tmp_path, empty_store):
    ids = make_audits(loaded_store, 1)
    first = tmp_path / "first.qapack"
    export_pack(loaded_store, first, selection=Selection())
    import_pack(empty_store, first)
    for store, reason in ((loaded_store, "ours"), (empty_store, "theirs")):
        with store.transaction() as s:
            svc.add_action(s, ids[0], f"Follow-up agreed by {reason}", actor="test")
    back = tmp_path / "back.qapack"
    export_pack(empty_store, back, selection=Selection())
    result = import_pack(loaded_store, back)
    # Edited on both sides, in different fields (an action added on each): merged, both actions kept.
    assert not result.conflicts and result.merged and "merged: 1" in str(result)
    texts = [a["text"] for a in _documents(loaded_store)[ids[0]]["actions"]]
    assert "Follow-up agreed by ours" in texts and "Follow-up agreed by theirs" in texts
    # Changed only on the other side: the local copy follows.
    with empty_store.transaction() as s:
        svc.add_action(s, ids[0], "Another follow-up", actor="test")
    third = tmp_path / "third.qapack"
    export_pack(empty_store, third, selection=Selection())
    fresh = open_store(tmp_path / "fresh")
    try:
        import_pack(fresh, first)
        result = import_pack(fresh, third)
        assert result.updated and not result.conflicts
        texts = [a["text"] for a in _documents(fresh)[ids[0]]["actions"]]
        assert "Another follow-up" in texts and "Follow-up agreed by theirs" in texts
    finally:
        fresh.close()


def test_moderation_request_leaves_drafts_out_and_refuses_a_choice_of_drafts_only(loaded_store, tmp_path):
    draft, *others = make_audits(loaded_store, 3, submit=False)
    with pytest.raises(ValidationError, match="takes completed audits only"):
        export_pack(loaded_store, tmp_path / "x.qapack", kind="moderation_request", selection=Selection())
    with loaded_store.transaction() as s:
        for audit_id in others:
            svc.submit(s, audit_id, actor="test")
    with pytest.raises(ValidationError, match="not draft ones"):
        export_pack(loaded_store, tmp_path / "x.qapack", kind="moderation_request",
                    selection=Selection(statuses=["draft"]))
    with pytest.raises(ValidationError, match="is a draft"):  # named one by one: refused, not left out
        export_pack(loaded_store, tmp_path / "x.qapack", kind="moderation_request",
                    selection=Selection(audit_ids=[draft]))
    assert not (tmp_path / "x.qapack").exists()
    result = export_pack(loaded_store, tmp_path / "x.qapack", kind="moderation_request", selection=Selection())
    with zipfile.ZipFile(result.path) as z:
        assert sorted(json.loads(z.read("manifest.json"))["audits"]) == sorted(others)  # not the draft


def test_any_flipped_byte_in_the_file_is_refused_cleanly(sent, empty_store, tmp_path):
    _, _, path, _ = sent
    raw = path.read_bytes()
    before = dump_store(empty_store)
    for i, pos in enumerate(range(7, len(raw), max(1, len(raw) // 25))):
        bad = tmp_path / f"flip{i}.qapack"
        bad.write_bytes(raw[:pos] + bytes([raw[pos] ^ 0x40]) + raw[pos + 1:])
        try:
            import_pack(empty_store, bad)
        except ValidationError:
            continue
        # A flip in bytes nobody reads (zip padding, a comment) may leave a valid pack: then it imported whole.
        assert len(_documents(empty_store)) == 4
        return
    assert dump_store(empty_store) == before


def test_round_trip_keeps_the_order_of_several_actions(loaded_store, empty_store, tmp_path):
    from datetime import date

    (aid,) = make_audits(loaded_store, 1)
    with loaded_store.transaction() as s:
        for n, day in enumerate((28, 3, 17, 9, 21)):  # due dates out of order: the list is by when each was added
            item = svc.add_action(s, aid, f"Follow-up {n}", actor="test", due=date(2026, 12, day))
            if n % 2 == 0:  # mixed statuses: with equal timestamps the database would group them by status
                svc.update_action(s, item.id, actor="test", status="done", closing_note="Done")
    path = tmp_path / "actions.qapack"
    export_pack(loaded_store, path, selection=Selection(audit_ids=[aid]))
    import_pack(empty_store, path)
    sent, arrived = _documents(loaded_store)[aid], _documents(empty_store)[aid]
    assert [a["text"] for a in arrived["actions"]] == [a["text"] for a in sent["actions"]]
    assert arrived == sent


def _rehashed(src: Path, dst: Path, change, extra: dict[str, bytes] | None = None) -> Path:
    """A pack whose members ``change`` altered, with the manifest's hashes made right again."""
    with zipfile.ZipFile(src) as z:
        members = {n: change(n, z.read(n)) for n in z.namelist()}
    members.update(extra or {})
    m = json.loads(members.pop("manifest.json"))
    m["files"] = {n: hashlib.sha256(d).hexdigest() for n, d in members.items()}
    with zipfile.ZipFile(dst, "w") as z:
        z.writestr("manifest.json", json.dumps(m))
        for n, d in members.items():
            z.writestr(n, d)
    return dst


@pytest.mark.parametrize("member", ["notes.txt", "templates/readme.md", "audits/x/y.json", "report.pdf.exe"])
def test_a_member_outside_the_pack_layout_is_refused_even_when_hashed(sent, empty_store, tmp_path, member):
    _, _, path, _ = sent
    bad = _rehashed(path, tmp_path / "extra.qapack", lambda n, d: d, {member: b"listed and hashed"})
    before = dump_store(empty_store)
    with pytest.raises(ValidationError, match="not part of a qadesk pack"):
        import_pack(empty_store, bad)
    assert dump_store(empty_store) == before


def test_a_deeply_nested_audit_document_is_refused_not_a_crash(sent, empty_store, tmp_path):
    _, ids, path, _ = sent
    victim = f"audits/{ids[0]}.json"

    def deepen(name, data):
        return data[:-1].rstrip() + b', "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}" if name == victim else data

    bad = _rehashed(path, tmp_path / "deep.qapack", deepen)
    before = dump_store(empty_store)
    with pytest.raises(ValidationError, match="nested more than 20 levels deep"):
        import_pack(empty_store, bad)
    assert dump_store(empty_store) == before


def test_an_oversized_audit_document_is_refused_before_it_is_parsed(sent, empty_store, tmp_path):
    _, ids, path, _ = sent
    victim = f"audits/{ids[0]}.json"

    def pad(name, data):
        # Whitespace compresses to almost nothing, so the pack stays small; the member unpacks to 21 MB.
        return data[:-1] + b" " * (21 * 1024 * 1024) + b"}" if name == victim else data

    bad = _rehashed(path, tmp_path / "big.qapack", pad)
    before = dump_store(empty_store)
    with pytest.raises(ValidationError, match="limited to 20,971,520 bytes"):
        import_pack(empty_store, bad)
    assert dump_store(empty_store) == before


def test_keys_a_newer_qadesk_adds_to_the_audit_document_are_accepted(sent, empty_store, tmp_path):
    """contracts.md section 3: "more keys may be added, none renamed" -- at every level of the document."""
    _, ids, path, _ = sent
    victim = f"audits/{ids[0]}.json"

    def add_keys(name, data):
        if name != victim:
            return data
        doc = json.loads(data)
        doc["reviewed_by"] = {"name": "A. Later"}
        first = next(iter(doc["answers"]))
        doc["answers"][first]["updated_at"] = "2026-11-25T10:00:00+00:00"
        return json.dumps(doc).encode()

    result = import_pack(empty_store, _rehashed(path, tmp_path / "newer.qapack", add_keys))
    assert len(result.created) == 4


def test_the_same_field_changed_on_both_sides_is_a_conflict_kept_for_a_person(loaded_store, tmp_path, empty_store):
    from qadesk.services import conflicts
    from qadesk.services.history import verify_store

    ids = make_audits(loaded_store, 1, submit=False)
    first = tmp_path / "first.qapack"
    export_pack(loaded_store, first, selection=Selection())
    import_pack(empty_store, first)
    with loaded_store.session() as s:
        q = next(a.question_id for a in svc.get_audit(s, ids[0]).answers if a.evidence)
    for store, text in ((loaded_store, "Ours: seen at home"), (empty_store, "Theirs: seen at school")):
        with store.transaction() as s:
            value = svc.state_of(svc.get_audit(s, ids[0])).answers.get(q)
            svc.save_answer(s, ids[0], q, value, actor="test", evidence=text)
            if store is empty_store:
                svc.set_summary(s, ids[0], "strengths", f"Strengths as {text[:4]} saw them", actor="test")
    back = tmp_path / "back.qapack"
    export_pack(empty_store, back, selection=Selection())
    result = import_pack(loaded_store, back)
    assert len(result.conflicts) == 1 and "1 field changed differently" in str(result)
    doc = _documents(loaded_store)[ids[0]]
    assert doc["answers"][q]["evidence"] == "Ours: seen at home"  # ours kept, not overwritten
    assert doc["summary"]["strengths"] == "Strengths as Thei saw them"  # changed only in the pack: taken
    with loaded_store.transaction() as s:
        (c,) = conflicts.list_conflicts(s)
        assert (c.source, c.mine, c.theirs, c.path) == ("pack", "Ours: seen at home", "Theirs: seen at school",
                                                         f"answers.{q}.evidence")
    again = import_pack(loaded_store, back)  # the same pack again: no second conflict
    with loaded_store.transaction() as s:
        assert len(conflicts.list_conflicts(s)) == 1
        conflicts.resolve(s, c.id, "theirs", actor="test")
    assert again.conflicts
    third = import_pack(loaded_store, back)
    assert not third.conflicts
    assert _documents(loaded_store)[ids[0]]["answers"][q]["evidence"] == "Theirs: seen at school"
    with loaded_store.session() as s:
        assert verify_store(s, loaded_store.path).ok


def test_a_moderation_return_for_an_audit_edited_here_since_brings_the_moderation_and_nothing_else(
        loaded_store, tmp_path):
    """An action added here after the request went: the return's judgement is added (the pseudonyms in its
    rationale mapped back), the audit becomes moderated, the action stays, and the return's pseudonymised copy
    of the rest of the audit raises no conflict and changes nothing."""
    from datetime import date, timedelta

    from qadesk.services.audit_actions import add_action
    from qadesk.services.conflicts import count_open

    ids = make_audits(loaded_store, 2)
    request = tmp_path / "request.qapack"
    export_pack(loaded_store, request, kind="moderation_request", selection=Selection(), external=True)
    moderator = open_store(tmp_path / "moderator")
    try:
        with moderator.transaction() as s:
            set_profile(s, Profile(name="Mo Derator", organisation="Neighbouring Council"))
        import_pack(moderator, request)
        with moderator.transaction() as s:
            a = svc.get_audit(s, ids[0])
            svc.moderate(s, ids[0], moderator=svc.Actor("Mo Derator", organisation="Neighbouring Council"),
                         agreed=False, grade="good", rationale=f"{a.practitioner} showed good analysis",
                         kind="external")
        back = tmp_path / "return.qapack"
        export_pack(moderator, back, kind="moderation_return", selection=Selection(audit_ids=ids[:1]))
    finally:
        moderator.close()
    with loaded_store.transaction() as s:
        add_action(s, ids[0], "Chase the health visitor's report", actor="Sender", owner="Team manager",
                   due=date.today() + timedelta(days=7))
        before = svc.audit_document(svc.get_audit(s, ids[0]))
    result = import_pack(loaded_store, back)
    assert result.moderations_added == 1 and not result.conflicts and not result.merged
    with loaded_store.session() as s:
        a = svc.get_audit(s, ids[0])
        assert a.status == "moderated" and count_open(s) == 0
        assert a.moderations[-1].rationale == "Alex Fictional showed good analysis"
        after = svc.audit_document(a)
        assert after["answers"] == before["answers"] and after["summary"] == before["summary"]
        assert after["subject"] == before["subject"] and len(after["actions"]) == len(before["actions"])
