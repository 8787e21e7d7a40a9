"""Calibration exercises on real SQLite stores: the anonymised copy, blind ratings, the result, agreeing,
the packs out and back (hostile ones refused with where and why), and the history accounting for it all."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from qadesk.core.errors import NotFound, QadeskError, StateError, ValidationError
from qadesk.services import calibration as cal
from qadesk.services.audit_access import Actor
from qadesk.services.calibration_packs import export_calibration_pack, import_calibration_pack
from qadesk.services.demo import generate
from qadesk.services.history import verify_store
from qadesk.store import open_store
from qadesk.store.models import Audit, CalibrationRating, TemplateVersion

LEAD = "Quinn Lead"


def completed_audit(store) -> Audit:
    generate(store, audits=12, seed=3)
    with store.session() as s:
        return s.execute(select(Audit).join(TemplateVersion).where(
            Audit.status.in_(["completed", "moderated"]), TemplateVersion.template_id == "regular-case-audit",
            Audit.practitioner.is_not(None)).order_by(Audit.reference)).scalars().first()


@pytest.fixture
def exercise(store):
    audit = completed_audit(store)
    with store.transaction() as s:
        ex = cal.create_exercise(s, audit.id, actor=LEAD)
        return store, audit, ex.id


@pytest.fixture
def other(tmp_path: Path):
    folder = tmp_path / "laptop"
    folder.mkdir()
    s = open_store(folder)
    yield s
    s.close()


def rate(store, ex_id: str, name: str, overall: str = "good", **sections: str) -> None:
    with store.transaction() as s:
        cal.rate(s, ex_id, rater=Actor(name), overall=overall, sections=sections)


def test_the_copy_names_no_one_and_shows_no_judgement(store) -> None:
    audit = completed_audit(store)
    with store.transaction() as s:
        a = s.get(Audit, audit.id)
        a.strengths = f"{a.practitioner} knows the child well (case {a.case_ref}); {a.auditor_name} agreed."
    with store.transaction() as s:
        ex = cal.create_exercise(s, audit.reference, actor=LEAD)
        copy = cal.copy_document(ex)
        original = json.loads(ex.original)
    text = json.dumps(copy)
    for secret in (audit.case_ref, audit.practitioner, audit.auditor_name, audit.team, audit.reference, audit.id):
        assert secret not in text
    assert copy["subject"] == {"case_type": audit.case_type}
    assert copy["auditor"] == {"name": None, "role": None}
    assert copy["sections"] == {} and copy["overall"] == {"grade": None, "suggested": None, "rationale": None}
    assert copy["moderations"] == [] and copy["actions"] == []
    assert "knows the child well" in copy["summary"]["strengths"]
    assert original["overall"] == audit.overall_grade and original["auditor"] == audit.auditor_name


def test_a_draft_is_refused_and_an_unknown_audit_named(store) -> None:
    generate(store, audits=40, seed=3)
    with store.transaction() as s:
        draft = s.execute(select(Audit).where(Audit.status == "draft")).scalars().first()
        with pytest.raises(StateError, match="a calibration exercise is made from a completed audit"):
            cal.create_exercise(s, draft.id, actor=LEAD)
        with pytest.raises(NotFound):
            cal.create_exercise(s, "AUD-1900-0001", actor=LEAD)


def test_ratings_are_checked_and_one_per_rater(exercise) -> None:
    store, audit, ex_id = exercise
    with store.transaction() as s:
        with pytest.raises(ValidationError, match="not on the overall scale"):
            cal.rate(s, ex_id, rater=Actor("Ash Rater"), overall="brilliant")
        with pytest.raises(ValidationError, match="no graded section 'context'"):
            cal.rate(s, ex_id, rater=Actor("Ash Rater"), overall="good", sections={"context": "good"})
        with pytest.raises(ValidationError, match="not a judgement on the scale of section 'voice'"):
            cal.rate(s, ex_id, rater=Actor("Ash Rater"), overall="good", sections={"voice": "amber"})
        with pytest.raises(ValidationError, match="overall grade is needed"):
            cal.rate(s, ex_id, rater=Actor("Ash Rater"), overall=None)
        with pytest.raises(StateError, match="would not be blind"):
            cal.rate(s, ex_id, rater=Actor(audit.auditor_name.lower().replace(" ", "  ")), overall="good")
    rate(store, ex_id, "Ash Rater", voice="ri")
    with store.transaction() as s, pytest.raises(StateError, match="each rater rates once"):
        cal.rate(s, ex_id, rater=Actor(" ash  RATER "), overall="ri")


def test_the_result_spreads_counts_and_says_when_there_are_too_few(exercise) -> None:
    store, audit, ex_id = exercise
    rate(store, ex_id, "Ash Rater", "good", voice="ri", planning="good")
    rate(store, ex_id, "Robin Rater", "ri", voice="ri", planning="inadequate")
    with store.session() as s:
        r = cal.result(s, ex_id)
    items = {i.key: i for i in r.items}
    assert items["voice"].spread.counts == (0, 2, 0, 0) and items["voice"].spread.range == 0
    assert items["planning"].spread.range == 2 and items["assessment"].spread.graded == 0
    assert items["overall"].original == audit.overall_grade
    assert r.agreement.items == 3 and not r.agreement.judgeable and r.agreement.verdict == "n = 3: too few to judge"
    assert r.against == [] and r.auditor == audit.auditor_name
    assert json.loads(json.dumps(r.as_dict()))["agreement"]["n"] == 3


def test_agreeing_needs_ratings_and_notes_then_closes(exercise) -> None:
    store, _, ex_id = exercise
    with store.transaction() as s, pytest.raises(StateError, match="no ratings yet"):
        cal.agree(s, ex_id, actor=LEAD, overall="good", notes="n")
    rate(store, ex_id, "Ash Rater", "good", voice="ri")
    with store.transaction() as s, pytest.raises(ValidationError, match="notes"):
        cal.agree(s, ex_id, actor=LEAD, overall="good", notes="   ")
    with store.transaction() as s:
        cal.agree(s, ex_id, actor=LEAD, overall="ri", sections={"voice": "ri"}, notes="Agreed RI after discussion.")
    with store.session() as s:
        r = cal.result(s, ex_id)
    assert r.status == "agreed" and r.notes == "Agreed RI after discussion."
    assert [(x.n, x.exact, x.within_one, x.mean_difference) for x in r.against] == [(2, 1, 2, 0.5)]
    with store.transaction() as s, pytest.raises(StateError, match="agreed already"):
        cal.agree(s, ex_id, actor=LEAD, overall="good", notes="again")
    with store.transaction() as s, pytest.raises(StateError, match="closed"):
        cal.rate(s, ex_id, rater=Actor("Late Rater"), overall="good")
    with store.session() as s:
        assert cal.verify_exercises(s) == []
        assert verify_store(s, store.path).ok


def _round_trip(store, other, ex_id: str, tmp_path: Path) -> Path:
    out = tmp_path / "out.qapack"
    export_calibration_pack(store, ex_id, out)
    import_calibration_pack(other, out)
    rate(other, ex_id, "Robin Rater", "ri", voice="inadequate")
    back = tmp_path / "back.qapack"
    export_calibration_pack(other, ex_id, back, judgements=True)
    return back


def test_the_return_adds_ratings_once_and_the_copy_has_no_audit(exercise, other, tmp_path: Path) -> None:
    store, _, ex_id = exercise
    back = _round_trip(store, other, ex_id, tmp_path)
    with other.session() as s:
        copy = cal.find_exercise(s, ex_id)
        assert copy.audit_id is None and copy.original is None and cal.is_copy(copy)
        assert cal.result(s, ex_id).items[-1].original is None
        assert s.execute(select(Audit)).first() is None
        assert cal.verify_exercises(s) == [] and verify_store(s, other.path).ok
    first = import_calibration_pack(store, back)
    again = import_calibration_pack(store, back)
    assert first.added == ["Robin Rater"] and again.already_imported
    with store.session() as s:
        assert [r.rater_name for r in cal.find_exercise(s, ex_id).ratings] == ["Robin Rater"]
        assert cal.verify_exercises(s) == [] and verify_store(s, store.path).ok
    with pytest.raises(StateError, match="return of judgements goes from a rater's copy"):
        export_calibration_pack(store, ex_id, tmp_path / "x.qapack", judgements=True)
    with pytest.raises(ValidationError, match="rater's copy too"):
        import_calibration_pack(other, back)


def test_a_return_for_an_exercise_not_here_is_refused(exercise, other, tmp_path: Path) -> None:
    store, _, ex_id = exercise
    back = _round_trip(store, other, ex_id, tmp_path)
    third = open_store(tmp_path / "third")
    try:
        with pytest.raises(ValidationError, match="which is not in this store"):
            import_calibration_pack(third, back)
    finally:
        third.close()


def test_a_rater_already_here_with_other_grades_is_refused(exercise, other, tmp_path: Path) -> None:
    store, _, ex_id = exercise
    back = _round_trip(store, other, ex_id, tmp_path)
    rate(store, ex_id, "robin rater", "good")
    with pytest.raises(ValidationError, match="ratings.0: robin rater has already rated"):
        import_calibration_pack(store, back)


def repack(src: Path, dst: Path, change: Callable[[dict[str, bytes]], None], *, rehash: bool = True) -> Path:
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    change(members)
    if rehash:
        manifest = json.loads(members["manifest.json"])
        manifest["files"] = {n: hashlib.sha256(d).hexdigest() for n, d in members.items() if n != "manifest.json"}
        members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(dst, "w") as z:
        for n, d in members.items():
            z.writestr(n, d)
    return dst


def _edit_json(name: str, edit: Callable[[dict], None]) -> Callable[[dict[str, bytes]], None]:
    def change(m: dict[str, bytes]) -> None:
        data = json.loads(m[name])
        edit(data)
        m[name] = json.dumps(data).encode()
    return change


def _copy_name(m: dict[str, bytes]) -> str:
    return next(n for n in m if n.startswith("audits/"))


HOSTILE_OUT = [
    ("tampered", lambda m: m.__setitem__("calibration.json", m["calibration.json"] + b" "), False,
     "does not match its SHA-256"),
    ("extra member", lambda m: m.__setitem__("evil.sh", b"rm -rf /"), True, "member 'evil.sh' is not part of"),
    ("not calibration", _edit_json("manifest.json", lambda d: d.pop("calibration")), True, "not a calibration pack"),
    ("wrong part", _edit_json("manifest.json", lambda d: d["calibration"].update(part="judgements")), True,
     "kind: a calibration pack of judgements is a moderation_return"),
    ("graded copy", lambda m: _edit_json(_copy_name(m), lambda d: d["overall"].update(grade="good"))(m), True,
     "graded blind"),
    ("bad answer", lambda m: _edit_json(_copy_name(m), lambda d: d["answers"].update(seen_alone={"value": 7}))(m),
     True, "answers.seen_alone"),
    ("bad exercise id", _edit_json("calibration.json", lambda d: d["exercise"].update(id="not-a-uuid")), True,
     "calibration.json: exercise.id"),
    ("impossible date", _edit_json("calibration.json", lambda d: d["exercise"].update(
        created_at="2026-02-30T10:00:00+00:00")), True, "exercise.created_at"),
    ("not json", lambda m: m.__setitem__("calibration.json", b"\xff{"), True, "calibration.json"),
    ("no manifest", lambda m: m.pop("manifest.json"), False, "no manifest.json"),
]


@pytest.mark.parametrize(("name", "change", "rehash", "reason"), HOSTILE_OUT, ids=[h[0] for h in HOSTILE_OUT])
def test_a_hostile_exercise_pack_is_refused_with_where_and_why(exercise, other, tmp_path: Path, name, change,
                                                               rehash, reason) -> None:
    store, _, ex_id = exercise
    out = tmp_path / "out.qapack"
    export_calibration_pack(store, ex_id, out)
    bad = repack(out, tmp_path / "bad.qapack", change, rehash=rehash)
    with pytest.raises(ValidationError) as caught:
        import_calibration_pack(other, bad)
    assert reason in str(caught.value)
    with other.session() as s:
        assert cal.list_exercises(s) == []


HOSTILE_BACK = [
    ("grade off the scale", lambda d: d["ratings"][0].update(overall="brilliant"), "ratings.0: 'brilliant'"),
    ("unknown section", lambda d: d["ratings"][0]["sections"].update(context="good"), "no graded section 'context'"),
    ("twice", lambda d: d["ratings"].append(dict(d["ratings"][0])), "given twice"),
    ("same rater twice", lambda d: d["ratings"].append({**d["ratings"][0], "id": "0" * 8 + "-0000-4000-8000-" + "0" * 12}),
     "in this return twice"),
    ("no name", lambda d: d["ratings"][0]["rater"].update(name=""), "ratings.0.rater.name"),
    ("other template", lambda d: d["exercise"]["template"].update(version=99), "not this exercise's template"),
]


@pytest.mark.parametrize(("name", "edit", "reason"), HOSTILE_BACK, ids=[h[0] for h in HOSTILE_BACK])
def test_a_hostile_return_is_refused_and_adds_nothing(exercise, other, tmp_path: Path, name, edit, reason) -> None:
    store, _, ex_id = exercise
    back = _round_trip(store, other, ex_id, tmp_path)
    bad = repack(back, tmp_path / "bad.qapack", _edit_json("calibration.json", edit))
    with pytest.raises(QadeskError) as caught:
        import_calibration_pack(store, bad)
    assert reason in str(caught.value)
    with store.session() as s:
        assert s.execute(select(CalibrationRating)).first() is None


def test_a_file_that_is_no_zip_is_refused(other, tmp_path: Path) -> None:
    junk = tmp_path / "junk.qapack"
    junk.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ValidationError, match="junk.qapack"):
        import_calibration_pack(other, junk)
    with pytest.raises(ValidationError, match="there is no file"):
        import_calibration_pack(other, tmp_path / "missing.qapack")


def test_verify_finds_a_rating_changed_behind_qadesks_back(exercise) -> None:
    store, _, ex_id = exercise
    rate(store, ex_id, "Ash Rater", "good")
    with store.transaction() as s:
        s.execute(select(CalibrationRating)).scalars().one().overall = "outstanding"
    with store.session() as s:
        assert cal.verify_exercises(s) == [f"{cal.find_exercise(s, ex_id).reference}: the rating by Ash Rater "
                                           "differs from the history (changed)"]


def test_a_second_return_from_the_same_laptop_adds_only_the_new_rating(exercise, other, tmp_path: Path) -> None:
    store, _, ex_id = exercise
    first = _round_trip(store, other, ex_id, tmp_path)
    assert import_calibration_pack(store, first).added == ["Robin Rater"]
    rate(other, ex_id, "Sam Rater", "outstanding")
    second = tmp_path / "second.qapack"
    export_calibration_pack(other, ex_id, second)  # a copy sends its judgements back by default
    done = import_calibration_pack(store, second)
    assert (done.added, done.unchanged) == (["Sam Rater"], ["Robin Rater"])
    with store.session() as s:
        assert cal.result(s, ex_id).raters == ["Robin Rater", "Sam Rater"]
        assert cal.verify_exercises(s) == []
