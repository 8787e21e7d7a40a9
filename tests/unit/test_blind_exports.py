"""The Excel return and the QA summary with blind second marking: the moderator's own grade, whether they judged
blind, the learning points and the dialogue on the Moderation sheet; agreement per section on the Agreement sheet
and in the PDF; a pseudonymised pack's return keeps only the figures that name no one. Read back with openpyxl
and pypdf."""

from __future__ import annotations

import io
import zipfile
from collections import Counter

import pypdf
import pytest
from openpyxl import load_workbook

from qadesk.services import audits as svc
from qadesk.services import blind_moderation as bm
from qadesk.services.packs import Resolution, export_pack
from qadesk.services.reporting import write_report
from tests.helpers.exports import ACTOR, make_audits

MOD = svc.Actor("Morgan Second", organisation="Example Borough Council")
LEARNING = "Alex Fictional's plan needs the child's words"


@pytest.fixture
def moderated(loaded_store):
    """Eight completed audits on two templates; the even ones judged blind (with section grades), the odd ones
    moderated openly with section grades; the first with learning points and a two-entry dialogue."""
    ids = make_audits(loaded_store, 8)
    expected: dict[str, tuple[int, int]] = {}  # section title -> (pairs, exact)
    rows = {}
    with loaded_store.transaction() as s:
        for i, aid in enumerate(ids):
            audit = svc.get_audit(s, aid)
            t = svc.template_for(audit)
            theirs = {j.section_id: j.grade for j in audit.section_judgements}
            own = {}
            for n, x in enumerate(sec for sec in t.sections if sec.grade_list and sec.id in theirs):
                scale = [c.value for c in sorted((c for c in t.list_choices(x.grade_list) if c.score is not None),
                                                 key=lambda c: c.score or 0)]
                pos = scale.index(theirs[x.id])
                own[x.id] = scale[pos] if (i + n) % 3 else scale[pos - 1 if pos else pos + 1]
                pairs, exact = expected.get(x.title, (0, 0))
                expected[x.title] = (pairs + 1, exact + (own[x.id] == theirs[x.id]))
            overall = [c.value for c in t.overall_choices() if c.score is not None]
            other = next(v for v in overall if v != audit.overall_grade)
            if i % 2 == 0:
                bm.record_blind(s, aid, moderator=MOD, own_grade=other, sections=own)
                m = svc.moderate(s, aid, moderator=MOD, agreed=True,
                                 learning_points=LEARNING if i == 0 else None)
            else:
                m = svc.moderate(s, aid, moderator=MOD, agreed=True, sections=own)
            rows[aid] = (audit.reference, i % 2 == 0, other if i % 2 == 0 else None, t)
            if i == 0:
                bm.add_note(s, m.id, author=MOD.name, text="Happy to talk it through")
                bm.add_note(s, m.id, author=ACTOR, text="Thank you; I will add them")
    return loaded_store, ids, expected, rows


def _sheet(wb, name):
    return list(wb[name].iter_rows(values_only=True))


def test_the_moderation_sheet_has_the_own_grade_blind_learning_points_and_dialogue(moderated, tmp_path):
    store, ids, _, rows = moderated
    path = write_report(store, tmp_path / "r.xlsx")
    sheet = _sheet(load_workbook(path, read_only=True), "Moderation")
    head = sheet[0]
    assert head[-4:] == ("Moderator's own grade", "Judged blind", "Learning points", "Dialogue entries")
    by_ref = {r[0]: r for r in sheet[1:]}
    for ref, blind, own, t in rows.values():
        r = by_ref[ref]
        assert r[head.index("Judged blind")] == ("Yes" if blind else "No")
        if blind:
            assert r[head.index("Moderator's own grade")] == next(c.label for c in t.overall_choices() if c.value == own)
        else:  # judged openly: their own grade is the moderated one (here, the auditor's: they agreed)
            assert r[head.index("Moderator's own grade")] == r[head.index("Moderated grade")]
    first = by_ref[rows[ids[0]][0]]
    assert first[head.index("Learning points")] == LEARNING and first[head.index("Dialogue entries")] == 2
    assert by_ref[rows[ids[1]][0]][head.index("Dialogue entries")] == 0


def test_the_agreement_sheet_and_the_summary_pdf_have_the_figures_per_section(moderated, tmp_path):
    store, _, expected, _ = moderated
    xlsx = write_report(store, tmp_path / "r.xlsx")
    agreement = _sheet(load_workbook(xlsx, read_only=True), "Agreement")
    head = agreement[0]
    sections = {r[1]: r for r in agreement[1:] if r and r[0] == "Section"}
    assert len(expected) >= 3 and set(sections) == set(expected)
    for title, (n, exact) in expected.items():
        r = sections[title]
        assert r[head.index("n")] == n
        assert r[head.index("Exact")] == pytest.approx(round(exact / n, 4))
    pdf = write_report(store, tmp_path / "r.pdf")
    text = " ".join(" ".join((p.extract_text() or "") for p in pypdf.PdfReader(pdf).pages).split())
    assert "By section" in text and "Each section a moderator judged" in text
    for title in expected:
        assert title in text


def test_a_pseudonymised_packs_return_keeps_only_the_figures_that_name_no_one(moderated, tmp_path):
    store, ids, expected, _ = moderated
    pack = tmp_path / "p.qapack"
    export_pack(store, pack, kind="moderation_request", external=True, blind=False,
                resolution=Resolution(rest="mask"))
    with zipfile.ZipFile(pack) as z:
        wb = load_workbook(io.BytesIO(z.read("returns.xlsx")), read_only=True)
        docs = [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("audits/")]
    # The learning points, the dialogue's text and its authors are pseudonymised like the rationale.
    assert any('"learning_points"' in d and '"role": "auditor"' in d for d in docs)
    for name in (ACTOR, MOD.name, "Alex Fictional"):
        assert all(name not in d for d in docs), name
    agreement = _sheet(wb, "Agreement")
    groups = Counter(r[0] for r in agreement[1:] if r and r[0] and r[0] != "Drift")
    assert set(groups) <= {"All", "Quarter", "Section"} and groups["Section"] == len(expected)
    cells = " ".join(str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r if v)
    for name in (ACTOR, MOD.name, "Alex Fictional"):
        assert name not in cells, name
    moderation = _sheet(wb, "Moderation")
    head = moderation[0]
    masked = [r[head.index("Learning points")] for r in moderation[1:] if r[head.index("Learning points")]]
    assert masked and all("Alex Fictional" not in x for x in masked)
