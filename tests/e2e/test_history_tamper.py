"""Tampering with a real store file behind qadesk's back, and ``qadesk history verify`` finding it.

Each test copies one store made through the services with every kind of write (templates imported,
retired and restored, a programme, audits started, answered with evidence, judged, graded, summarised,
given actions that are updated, closed with a note and removed, submitted, reopened with a reason,
changed, resubmitted, moderated by someone else, closed; a pack sent out for moderation and its return
taken back in), changes the file with sqlite3 directly (as someone with a database browser would), and
runs the real command line in a subprocess: the exit code is 1 and the message names where.  The store
untouched, the moderator's store that imported the pack, and a demo store all verify as intact.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from qadesk.core.selection import Selection
from qadesk.exchange.templates import read_template
from qadesk.services import audits as svc
from qadesk.services.packs import export_pack, import_pack
from qadesk.services.profile import Profile, set_profile
from qadesk.services.programmes import ProgrammePlan, create_programme
from qadesk.services.templates import import_template, set_retired
from qadesk.store import open_store
from qadesk.store.anchor import head_path
from qadesk.store.anchor import read as read_checkpoint
from qadesk.store.history import _entry_hash
from tests.helpers.cli import run_qadesk
from tests.helpers.exports import fill_audit, set_up_people

LEAD = "Pat Lead"
FORMS = Path(__file__).resolve().parents[2] / "forms"


def _build(folder: Path, moderator_folder: Path, earlier_checkpoint: Path, packs: Path) -> dict[str, Any]:
    store = open_store(folder)
    facts: dict[str, Any] = {}
    try:
        with store.transaction() as s:
            for path in sorted(FORMS.glob("*.json")):
                import_template(s, read_template(path), actor="test")
            set_up_people(s)
            create_programme(s, ProgrammePlan(name="Neglect thematic Q4", template_id="thematic-neglect-audit",
                                              teams=["Assessment 2"], target_per_team=4,
                                              starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31)), actor=LEAD)
            set_retired(s, "family-feedback", True, actor=LEAD)
            set_retired(s, "family-feedback", False, actor=LEAD)
        ids = []
        with store.transaction() as s:
            for i, template in enumerate(["regular-case-audit", "supervision-audit", "thematic-neglect-audit"]):
                ids.append(fill_audit(s, template, n=i, case_ref=f"CR-77{i:04d}", auditor=LEAD,
                                      programme="Neglect thematic Q4" if i == 2 else None,
                                      started=datetime(2026, 9, 3 + i, 10, tzinfo=timezone.utc)))
            draft = fill_audit(s, "regular-case-audit", n=3, case_ref="CR-770009", submit=False, auditor=LEAD)
        shutil.copyfile(head_path(folder / "qadesk.sqlite"), earlier_checkpoint)
        with store.transaction() as s:
            # The draft: an action added and removed, an answer cleared, a judgement cleared.
            extra = svc.add_action(s, draft, "Ring the school", actor=LEAD, owner="Sam Teammate", due=date(2026, 12, 1))
            svc.remove_action(s, extra.id, actor=LEAD)
            audit = svc.get_audit(s, draft)
            answered = [a.question_id for a in audit.answers if a.value is not None]
            svc.save_answer(s, draft, answered[-1], None, actor=LEAD, evidence=None)
            judged = [j.section_id for j in audit.section_judgements]
            if judged:
                svc.set_section_grade(s, draft, judged[0], None, actor=LEAD)
            # A completed audit reopened with a reason, changed, and submitted again.
            svc.reopen(s, ids[0], "The visit dates were wrong", actor=LEAD)
            first = svc.get_audit(s, ids[0])
            q = next(a for a in first.answers if a.evidence)
            svc.save_answer(s, ids[0], q.question_id, json.loads(q.value), actor=LEAD,
                            evidence="Seen alone on 4 Nov 2026, recorded the same day")
            svc.set_summary(s, ids[0], "strengths", "A warm, well-recorded relationship", actor=LEAD)
            svc.submit(s, ids[0], actor=LEAD)
            # An action done with a closing note; another audit moderated internally and closed.
            act = svc.get_audit(s, ids[1]).actions[0]
            svc.update_action(s, act.id, actor=LEAD, status="done", closing_note="Plan updated on 1 Dec")
            svc.moderate(s, ids[0], moderator=svc.Actor("Quinn Moderator", organisation="Example Borough Council"),
                         agreed=False, grade="inadequate" if first.overall_grade != "inadequate" else "good",
                         rationale="The plan has no timescales")
            svc.close(s, ids[0], actor=LEAD)
        request = packs / "request.qapack"
        export_pack(store, request, kind="moderation_request", selection=Selection(audit_ids=[ids[1], ids[2]]),
                    external=True)
        moderator = open_store(moderator_folder)
        try:
            with moderator.transaction() as s:
                set_profile(s, Profile(name="Mo Derator", organisation="Neighbouring Council"))
            import_pack(moderator, request)
            with moderator.transaction() as s:
                svc.moderate(s, ids[1], moderator=svc.Actor("Mo Derator", organisation="Neighbouring Council"),
                             agreed=True, kind="external")
            back = packs / "return.qapack"
            export_pack(moderator, back, kind="moderation_return", selection=Selection(audit_ids=[ids[1]]))
        finally:
            moderator.close()
        import_pack(store, back)
        export_pack(store, packs / "transfer.qapack", selection=Selection(audit_ids=ids))
        with store.session() as s:
            facts["refs"] = {i: svc.get_audit(s, i).reference for i in [*ids, draft]}
        facts["ids"], facts["draft"] = ids, draft
    finally:
        store.close()
    return facts


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("tamper")
    (root / "packs").mkdir()
    facts = _build(root / "store", root / "moderator", root / "earlier.history-head", root / "packs")
    facts.update(root=root, folder=root / "store", moderator=root / "moderator",
                 earlier=root / "earlier.history-head", packs=root / "packs")
    return facts


@pytest.fixture
def copy(master: dict[str, Any], tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "store"
    shutil.copytree(master["folder"], target)
    yield target


def sql(folder: Path, *statements: str, params: tuple[Any, ...] = ()) -> None:
    """Change the store file with sqlite3 directly, as a database browser would (no qadesk involved)."""
    conn = sqlite3.connect(folder / "qadesk.sqlite")
    try:
        for statement in statements:
            conn.execute(statement, params if "?" in statement else ())
        conn.commit()
    finally:
        conn.close()


def one(folder: Path, query: str, params: tuple[Any, ...] = ()) -> Any:
    conn = sqlite3.connect(folder / "qadesk.sqlite")
    try:
        return conn.execute(query, params).fetchone()
    finally:
        conn.close()


def verify(folder: Path, *extra: str) -> tuple[int, str]:
    r = run_qadesk(folder, "history", "verify", *extra)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, r.stdout + r.stderr


def found(folder: Path, *words: str) -> str:
    """Verify must fail, and its message must hold every one of ``words``."""
    code, out = verify(folder)
    assert code == 1, out
    for w in words:
        assert w in out, f"{w!r} not in:\n{out}"
    return out


# ------------------------------------------------------------------------------------------ intact stores


def test_the_untouched_store_verifies_intact(master: dict[str, Any], copy: Path) -> None:
    code, out = verify(copy)
    assert code == 0, out
    assert "intact and accounts for the store" in out and "the checkpoint agrees" in out
    assert "4 audits replayed" in out


def test_the_moderators_store_verifies_intact(master: dict[str, Any]) -> None:
    code, out = verify(master["moderator"])
    assert code == 0, out


def test_the_store_agrees_with_the_heads_its_packs_carry(master: dict[str, Any], copy: Path) -> None:
    code, out = verify(copy, "--pack", str(master["packs"] / "request.qapack"),
                       "--pack", str(master["packs"] / "transfer.qapack"))
    assert code == 0, out
    assert out.count("agrees: the history still holds its head") == 2


def test_a_demo_store_verifies_intact(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert run_qadesk(folder, "demo-data", "--audits", "80").returncode == 0
    code, out = verify(folder)
    assert code == 0, out
    assert "80 audits replayed" in out


# ---------------------------------------------------------------------------------------- the tampers


def _completed(master: dict[str, Any]) -> tuple[str, str]:
    aid = master["ids"][2]
    return aid, master["refs"][aid]


def test_an_edited_answer_of_a_completed_audit(master: dict[str, Any], copy: Path) -> None:
    aid, ref = _completed(master)
    qid, value = one(copy, "SELECT question_id, value FROM answers WHERE audit_id = ? AND value LIKE '\"%' "
                           "ORDER BY position LIMIT 1", (aid,))
    sql(copy, "UPDATE answers SET value = ? WHERE audit_id = ? AND question_id = ?",
        params=(json.dumps("made up later"), aid, qid))
    found(copy, ref, f"({qid})", "“made up later”", f"the history says “{json.loads(value)}”")


def test_an_edited_overall_grade(master: dict[str, Any], copy: Path) -> None:
    aid, ref = _completed(master)
    grade = one(copy, "SELECT overall_grade FROM audits WHERE id = ?", (aid,))[0]
    other = "outstanding" if grade != "outstanding" else "inadequate"
    sql(copy, "UPDATE audits SET overall_grade = ? WHERE id = ?", params=(other, aid))
    found(copy, ref, "the overall grade", f"the store holds “{other}”")


def test_an_edited_final_grade(master: dict[str, Any], copy: Path) -> None:
    aid = master["ids"][0]
    sql(copy, "UPDATE audits SET final_grade = 'outstanding' WHERE id = ?", params=(aid,))
    found(copy, master["refs"][aid], "the final grade", "“outstanding”")


def test_an_edited_status(master: dict[str, Any], copy: Path) -> None:
    aid = master["ids"][0]
    sql(copy, "UPDATE audits SET status = 'draft' WHERE id = ?", params=(aid,))
    found(copy, master["refs"][aid], "its status", "the history says “closed”", "the store holds “draft”")


def test_an_edited_evidence_note(master: dict[str, Any], copy: Path) -> None:
    aid, ref = _completed(master)
    qid = one(copy, "SELECT question_id FROM answers WHERE audit_id = ? AND evidence IS NOT NULL LIMIT 1", (aid,))[0]
    sql(copy, "UPDATE answers SET evidence = 'Never visited' WHERE audit_id = ? AND question_id = ?",
        params=(aid, qid))
    found(copy, ref, "the evidence note for", f"({qid})", "“Never visited”")


def test_an_edited_summary(master: dict[str, Any], copy: Path) -> None:
    aid = master["ids"][0]
    sql(copy, "UPDATE audits SET strengths = 'Nothing of note' WHERE id = ?", params=(aid,))
    found(copy, master["refs"][aid], "the summary “Strengths”", "“A warm, well-recorded relationship”")


def test_an_edited_subject(master: dict[str, Any], copy: Path) -> None:
    aid, ref = _completed(master)
    sql(copy, "UPDATE audits SET case_ref = 'CR-000000' WHERE id = ?", params=(aid,))
    found(copy, ref, "the case reference", "“CR-000000”")


def test_an_edited_section_judgement(master: dict[str, Any], copy: Path) -> None:
    aid, sid = one(copy, "SELECT j.audit_id, j.section_id FROM section_judgements j JOIN audits a ON a.id = j.audit_id "
                         "WHERE a.status != 'draft' LIMIT 1")
    ref = master["refs"][aid]
    sql(copy, "UPDATE section_judgements SET grade = 'made-up' WHERE audit_id = ? AND section_id = ?",
        params=(aid, sid))
    found(copy, ref, "the judgement of the section", "“made-up”")


def test_a_deleted_audit(master: dict[str, Any], copy: Path) -> None:
    aid = master["ids"][0]
    sql(copy, "PRAGMA foreign_keys = ON", "DELETE FROM audits WHERE id = ?", params=(aid,))
    found(copy, master["refs"][aid], "the store does not hold it: the audit was deleted")


def test_a_deleted_answer(master: dict[str, Any], copy: Path) -> None:
    aid, ref = _completed(master)
    qid = one(copy, "SELECT question_id FROM answers WHERE audit_id = ? ORDER BY position DESC LIMIT 1", (aid,))[0]
    sql(copy, "DELETE FROM answers WHERE audit_id = ? AND question_id = ?", params=(aid, qid))
    found(copy, ref, f"({qid})", "the store holds nothing")


def test_a_deleted_action(master: dict[str, Any], copy: Path) -> None:
    aid = master["ids"][1]
    sql(copy, "DELETE FROM actions WHERE audit_id = ?", params=(aid,))
    found(copy, master["refs"][aid], "the action “", "the history says “this action”", "the store holds nothing")


def test_an_edited_action_status(master: dict[str, Any], copy: Path) -> None:
    aid = master["ids"][1]
    sql(copy, "UPDATE actions SET status = 'cancelled' WHERE audit_id = ?", params=(aid,))
    found(copy, master["refs"][aid], "its status", "the history says “done”", "“cancelled”")


def test_an_edited_closing_note(master: dict[str, Any], copy: Path) -> None:
    aid = master["ids"][1]
    sql(copy, "UPDATE actions SET closing_note = 'Nothing done' WHERE audit_id = ?", params=(aid,))
    found(copy, master["refs"][aid], "its closing note", "“Plan updated on 1 Dec”")


def test_a_deleted_moderation(master: dict[str, Any], copy: Path) -> None:
    aid = master["ids"][1]  # moderated in the other council, and taken back in from the return
    sql(copy, "DELETE FROM moderations WHERE audit_id = ?", params=(aid,))
    found(copy, master["refs"][aid], "the moderation by Mo Derator", "the store holds nothing")


def test_an_edited_moderation_grade(master: dict[str, Any], copy: Path) -> None:
    aid = master["ids"][0]
    sql(copy, "UPDATE moderations SET grade = 'outstanding' WHERE audit_id = ?", params=(aid,))
    found(copy, master["refs"][aid], "the moderation by Quinn Moderator", "the moderated grade", "“outstanding”")


def test_an_edited_template(master: dict[str, Any], copy: Path) -> None:
    content = one(copy, "SELECT content FROM template_versions WHERE template_id = 'regular-case-audit'")[0]
    sql(copy, "UPDATE template_versions SET content = ? WHERE template_id = 'regular-case-audit'",
        params=(content.replace('"score": 1', '"score": 4', 1),))
    found(copy, "Template regular-case-audit@1", "does not match its fingerprint")


def test_the_last_history_entry_deleted(master: dict[str, Any], copy: Path) -> None:
    sql(copy, "DELETE FROM history WHERE seq = (SELECT max(seq) FROM history)")
    found(copy, "the last entry was deleted", "qadesk.history-head")


def test_the_whole_history_deleted(master: dict[str, Any], copy: Path) -> None:
    sql(copy, "DELETE FROM history")
    out = found(copy, "all the entries were deleted")
    assert "history has no record of how it began" in out


def test_the_whole_history_and_its_checkpoint_deleted(master: dict[str, Any], copy: Path) -> None:
    sql(copy, "DELETE FROM history")
    head_path(copy / "qadesk.sqlite").unlink()
    found(copy, "all the entries were deleted", "history has no record of how it began")


def test_a_middle_entry_deleted(master: dict[str, Any], copy: Path) -> None:
    middle = one(copy, "SELECT seq FROM history ORDER BY seq LIMIT 1 OFFSET 40")[0]
    sql(copy, "DELETE FROM history WHERE seq = ?", params=(middle,))
    found(copy, "its link to the previous entry does not match", "is broken")


def test_entries_reordered(master: dict[str, Any], copy: Path) -> None:
    a, b = (one(copy, "SELECT seq FROM history ORDER BY seq LIMIT 1 OFFSET ?", (n,))[0] for n in (30, 31))
    conn = sqlite3.connect(copy / "qadesk.sqlite")
    try:  # two neighbouring entries swap places
        conn.execute("UPDATE history SET seq = -1 WHERE seq = ?", (a,))
        conn.execute("UPDATE history SET seq = ? WHERE seq = ?", (a, b))
        conn.execute("UPDATE history SET seq = ? WHERE seq = -1", (b,))
        conn.commit()
    finally:
        conn.close()
    found(copy, f"entry {a:,}", "put in another order")


def test_an_entrys_after_edited(master: dict[str, Any], copy: Path) -> None:
    aid, _ref = _completed(master)
    seq = one(copy, "SELECT seq FROM history WHERE audit_id = ? AND entity = 'answer' LIMIT 1", (aid,))[0]
    sql(copy, "UPDATE history SET after = ? WHERE seq = ?", params=(json.dumps({"value": "no", "evidence": None}), seq))
    found(copy, f"entry {seq:,}", "its content does not match its hash")


def test_the_chain_truncated_with_its_checkpoint_beside_it(master: dict[str, Any], copy: Path) -> None:
    last = one(copy, "SELECT max(seq) FROM history")[0]
    sql(copy, "DELETE FROM history WHERE seq > ?", params=(last - 5,))
    found(copy, "the last 5 entries were deleted")


def test_the_chain_truncated_and_its_checkpoint_deleted(master: dict[str, Any], copy: Path) -> None:
    last = one(copy, "SELECT max(seq) FROM history")[0]
    sql(copy, "DELETE FROM history WHERE seq > ?", params=(last - 5,))
    head_path(copy / "qadesk.sqlite").unlink()
    found(copy, "qadesk.history-head beside the store is missing")


def test_the_chain_truncated_is_found_by_a_pack_it_sent(master: dict[str, Any], copy: Path) -> None:
    last = one(copy, "SELECT max(seq) FROM history")[0]
    sql(copy, "DELETE FROM history WHERE seq > ?", params=(last - 3,))
    head_path(copy / "qadesk.sqlite").unlink()
    code, out = verify(copy, "--pack", str(master["packs"] / "transfer.qapack"))
    assert code == 1 and "The pack transfer.qapack" in out and "entries were deleted after the pack left" in out


def _forge(copy: Path, audit_id: str, entity: str, entity_id: str, action: str, after: Any) -> int:
    """Append an entry that links up and hashes right, as someone who knows the algorithm would."""
    seq, prev = one(copy, "SELECT seq, hash FROM history ORDER BY seq DESC LIMIT 1")
    at = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
    body = json.dumps(after, sort_keys=True, ensure_ascii=False)
    digest = _entry_hash(prev, at, "Someone", audit_id, entity, entity_id, action, None, body)
    sql(copy, "INSERT INTO history (seq, at, actor, audit_id, entity, entity_id, action, before, after, prev_hash, "
              "hash) VALUES (?, ?, 'Someone', ?, ?, ?, ?, NULL, ?, ?, ?)",
        params=(seq + 1, at.strftime("%Y-%m-%d %H:%M:%S.%f"), audit_id, entity, entity_id, action, body, prev, digest))
    return seq + 1


def test_an_inserted_forged_entry(master: dict[str, Any], copy: Path) -> None:
    aid, ref = _completed(master)
    qid = one(copy, "SELECT question_id FROM answers WHERE audit_id = ? LIMIT 1", (aid,))[0]
    _forge(copy, aid, "answer", qid, "answer", {"value": "forged", "evidence": None})
    found(copy, "1 more than the checkpoint", ref, "“forged”")


def test_a_forged_entry_with_the_table_changed_to_match(master: dict[str, Any], copy: Path) -> None:
    aid, _ref = _completed(master)
    qid = one(copy, "SELECT question_id FROM answers WHERE audit_id = ? LIMIT 1", (aid,))[0]
    _forge(copy, aid, "answer", qid, "answer", {"value": "forged", "evidence": None})
    sql(copy, "UPDATE answers SET value = ?, evidence = NULL WHERE audit_id = ? AND question_id = ?",
        params=(json.dumps("forged"), aid, qid))
    found(copy, "1 more than the checkpoint", "put back from an older copy")


def test_a_rolled_back_checkpoint(master: dict[str, Any], copy: Path) -> None:
    shutil.copyfile(master["earlier"], head_path(copy / "qadesk.sqlite"))
    found(copy, "more than the checkpoint", "put back from an older copy")


def test_a_rolled_back_checkpoint_with_the_history_cut_to_match(master: dict[str, Any], copy: Path) -> None:
    """The history cut back to an older checkpoint put back beside it: the anchor agrees, the tables do not."""
    newest = read_checkpoint(master["earlier"]).newest
    assert newest is not None
    sql(copy, "DELETE FROM history WHERE seq > ?", params=(newest.seq,))
    shutil.copyfile(master["earlier"], head_path(copy / "qadesk.sqlite"))
    out = found(copy, master["refs"][master["ids"][0]], "the history says")
    assert "the checkpoint" not in out  # the anchor agrees: it is the replay that finds it


def test_a_rewritten_chain(master: dict[str, Any], copy: Path) -> None:
    """An edit with every hash after it recomputed still links up; only the checkpoint shows it."""
    conn = sqlite3.connect(copy / "qadesk.sqlite")
    try:
        rows = conn.execute("SELECT seq, at, actor, audit_id, entity, entity_id, action, before, after "
                            "FROM history ORDER BY seq").fetchall()
        prev = "0" * 64
        for seq, at, actor, audit_id, entity, entity_id, action, before, after in rows:
            if entity == "summary" and entity_id == "strengths" and after and "warm" in after:
                after = json.dumps("Nothing of note")
            when = datetime.fromisoformat(at)
            digest = _entry_hash(prev, when, actor, audit_id, entity, entity_id, action, before, after)
            conn.execute("UPDATE history SET after = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                         (after, prev, digest, seq))
            prev = digest
        conn.commit()
    finally:
        conn.close()
    found(copy, "is not the one the checkpoint", "the history was rewritten")


def test_a_damaged_checkpoint(master: dict[str, Any], copy: Path) -> None:
    head_path(copy / "qadesk.sqlite").write_bytes(b"\x00" * 100)
    found(copy, "qadesk.history-head is damaged")
