"""Blind external moderation through packs, with the real command line across two stores.

Store A (the sending council) completes audits, one moderated internally, and sends a blind moderation
request; store B (the neighbouring council's moderator, whose own blind setting is off) imports it, reads
the evidence without the auditor's judgements, records their own, sees both side by side, concludes
with learning points and a note, and sends a moderation return; A imports it and the audit document
shows the blind moderation, re-linked, with the pseudonyms mapped back.
"""

from __future__ import annotations

import io
import json
import zipfile

import pypdf
import pytest
from openpyxl import load_workbook

from qadesk.services import audits as svc
from tests.e2e.test_cli_work import qadesk
from tests.helpers.exports import ACTOR, make_audits

RATIONALE = "The auditor's overall rationale, quite particular"
EARLIER = "An internal moderator's rationale, also particular"


@pytest.fixture
def sender(loaded_store, data_dir):
    ids = make_audits(loaded_store, 3, submit=False)  # ids[0]: regular case audit, team Assessment 2
    with loaded_store.transaction() as s:
        svc.set_overall(s, ids[0], actor=ACTOR, grade=svc.get_audit(s, ids[0]).overall_grade, rationale=RATIONALE)
        for aid in ids:
            svc.submit(s, aid, actor=ACTOR)
        svc.moderate(s, ids[0], moderator=svc.Actor("Morgan Internal"), agreed=True, rationale=EARLIER)
        audit = svc.get_audit(s, ids[0])
        t = svc.template_for(audit)
        facts = {"overall": audit.overall_grade, "sections": {j.section_id: j.grade for j in audit.section_judgements},
                 "graded": [x.id for x in t.sections if x.grade_list], "reference": audit.reference,
                 "overall_list": [c.value for c in t.overall_choices() if c.score is not None],
                 "section_lists": {x.id: [c.value for c in t.list_choices(x.grade_list)] for x in t.sections
                                   if x.grade_list}}
    loaded_store.close()
    return data_dir, ids, facts


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((p.extract_text() or "") for p in reader.pages).split())


def test_a_blind_request_hides_the_judgements_for_people_and_the_round_trip_brings_the_blind_moderation_back(
        sender, tmp_path):
    a, ids, facts = sender
    aid = ids[0]
    pack = tmp_path / "blind.qapack"
    r = qadesk(a, "pack", "export", "--to", str(pack), "--kind", "moderation_request", "--external",
               "--audit", aid)
    assert "blind: the auditor's judgements left out" in r.stdout  # the store's setting is on by default
    with zipfile.ZipFile(pack) as z:
        manifest = json.loads(z.read("manifest.json"))
        doc = json.loads(z.read(f"audits/{aid}.json"))
        pdf, xlsx = z.read("report.pdf"), z.read("returns.xlsx")
    assert manifest["blind"] is True and manifest["pseudonymised"] is True
    # The JSON keeps the judgements, for the receiving qadesk to show once the moderator has recorded theirs.
    assert doc["overall"]["grade"] == facts["overall"] and doc["moderations"]
    text = _text(pdf)
    assert "Blind moderation request" in text
    for hidden in ("Section judgement", "Auditor's grade", "Moderated grade", "Suggested from the answers",
                   RATIONALE, EARLIER, "Morgan Internal", "Moderator A"):
        assert hidden not in text, hidden
    assert "Evidence for" in text  # the evidence is all there to read
    wb = load_workbook(io.BytesIO(xlsx), read_only=True)
    audits = list(wb["Audits"].iter_rows(values_only=True))
    head, row = audits[0], audits[1]
    for col in ("Final grade", "Auditor's grade", "Suggested grade", "Rationale", "Moderated grade"):
        assert row[head.index(col)] is None, col
    wide = list(wb["regular-case-audit"].iter_rows(values_only=True))
    judged = [i for i, c in enumerate(wide[1]) if str(c or "").startswith("judgement.")]
    assert judged and all(wide[2][i] is None for i in judged)
    assert wide[2][wide[1].index("Final grade")] is None and wide[2][wide[1].index("Auditor's grade")] is None
    assert len(list(wb["Moderation"].iter_rows(values_only=True))) == 1  # the header only
    cells = " ".join(str(v) for ws in wb.worksheets for r_ in ws.iter_rows(values_only=True) for v in r_ if v)
    assert RATIONALE not in cells and EARLIER not in cells and "Grades by team" not in cells
    assert len(list(wb["Agreement"].iter_rows(values_only=True))) <= 3  # headers, no figures
    assert "Blind moderation request" in cells

    # The neighbouring council: blind moderation off in its own store, yet this audit is judged blind.
    b = tmp_path / "neighbour"
    qadesk(b, "profile", "set", "--name", "Riley External", "--organisation", "Neighbouring Council")
    qadesk(b, "moderation", "blind", "off")
    r = qadesk(b, "pack", "import", str(pack))
    assert "blind moderation request" in r.stdout
    ev = json.loads(qadesk(b, "moderation", "evidence", aid, "--json").stdout)
    assert ev["blind"] is True and ev["auditor_overall"] is None and ev["auditor_rationale"] is None
    assert all(x["auditor_grade"] is None for x in ev["sections"]) and any(x["items"] for x in ev["sections"])
    text = qadesk(b, "moderation", "evidence", aid).stdout
    assert "auditor's grade" not in text.lower().replace("the auditor's judgements are hidden", "")
    # audit show and the audit's report keep the judgements back too, until the moderator has recorded theirs.
    shown_doc = json.loads(qadesk(b, "audit", "show", aid, "--json").stdout)
    assert shown_doc["withheld"] and shown_doc["overall"]["grade"] is None and not shown_doc["sections"]
    assert not shown_doc["moderations"] and shown_doc["final_grade"] is None
    text = qadesk(b, "audit", "show", aid).stdout
    assert "Blind moderation" in text and "(withheld)" in text and RATIONALE not in text
    qadesk(b, "audit", "report", aid, "--to", str(tmp_path / "early.pdf"))
    early = _text((tmp_path / "early.pdf").read_bytes())
    assert "Blind moderation" in early and RATIONALE not in early and EARLIER not in early
    # Another audit here, not from the blind pack, follows this store's setting (off).
    own = next(o for o in facts["overall_list"] if o != facts["overall"])
    first = facts["graded"][0]
    theirs = facts["sections"][first]
    mine = next(g for g in facts["section_lists"][first] if g != theirs)
    shown = json.loads(qadesk(b, "moderation", "judge", aid, "--overall", own, "--section", f"{first}={mine}",
                              "--kind", "external", "--json").stdout)
    overall_row = shown[-1]
    assert json.loads(qadesk(b, "audit", "show", aid, "--json").stdout)["overall"]["grade"] == facts["overall"]
    assert overall_row["section"] is None and overall_row["auditor"] and overall_row["differs"]
    assert next(x for x in shown if x["section"] == first)["differs"]
    qadesk(b, "moderation", "record", aid, "--grade", own, "--rationale", "Plan has no timescales for Auditor A",
           "--learning-points", "Auditor A: record the child's own words")
    mod = next(m for m in json.loads(qadesk(b, "audit", "show", aid, "--json").stdout)["moderations"]
               if m["moderator"]["name"] == "Riley External")
    qadesk(b, "moderation", "note", mod["id"], "--text", "Happy to talk this through with Auditor A")
    ret = tmp_path / "return.qapack"
    qadesk(b, "pack", "export", "--to", str(ret), "--kind", "moderation_return", "--audit", aid)
    refused = qadesk(b, "pack", "export", "--to", str(tmp_path / "x.qapack"), "--audit", aid, "--blind", check=None)
    assert refused.returncode != 0 and "--kind moderation_request" in refused.stderr

    r = qadesk(a, "pack", "import", str(ret))
    assert "moderations linked to their audits: 1" in r.stdout
    doc = json.loads(qadesk(a, "audit", "show", aid, "--json").stdout)
    back = next(m for m in doc["moderations"] if m["id"] == mod["id"])
    assert back["blind"] is True and back["own_grade"] == own and back["grade"] == own
    assert back["sections"][first] == {"own": mine, "auditor": theirs}
    assert back["kind"] == "external" and back["moderator"]["organisation"] == "Neighbouring Council"
    # The pseudonyms the moderator wrote come back as the real names.
    assert back["learning_points"] == f"{ACTOR}: record the child's own words"
    assert back["rationale"] == f"Plan has no timescales for {ACTOR}"
    assert [n["text"] for n in back["notes"]] == [f"Happy to talk this through with {ACTOR}"]
    assert doc["final_grade"] == own and doc["status"] == "moderated"
    # The sender's own store has no reason to judge its audits blind because of the pack it sent.
    qadesk(a, "moderation", "blind", "off")
    assert json.loads(qadesk(a, "moderation", "evidence", ids[1], "--json").stdout)["blind"] is False


def test_no_blind_sends_the_judgements_and_the_receiver_follows_its_own_setting(sender, tmp_path):
    a, ids, facts = sender
    pack = tmp_path / "open.qapack"
    r = qadesk(a, "pack", "export", "--to", str(pack), "--kind", "moderation_request", "--audit", ids[0],
               "--no-blind")
    assert "judgements left out" not in r.stdout
    with zipfile.ZipFile(pack) as z:
        assert "blind" not in json.loads(z.read("manifest.json"))
        assert RATIONALE in _text(z.read("report.pdf"))
    b = tmp_path / "neighbour"
    qadesk(b, "profile", "set", "--name", "Riley External")
    qadesk(b, "moderation", "blind", "off")
    qadesk(b, "pack", "import", str(pack))
    ev = json.loads(qadesk(b, "moderation", "evidence", ids[0], "--json").stdout)
    assert ev["blind"] is False and ev["auditor_overall"]
    qadesk(b, "moderation", "blind", "on")
    assert json.loads(qadesk(b, "moderation", "evidence", ids[0], "--json").stdout)["blind"] is True


def test_the_default_follows_the_senders_setting(sender, tmp_path):
    a, ids, _ = sender
    qadesk(a, "moderation", "blind", "off")
    pack = tmp_path / "p.qapack"
    qadesk(a, "pack", "export", "--to", str(pack), "--kind", "moderation_request", "--audit", ids[0])
    with zipfile.ZipFile(pack) as z:
        assert "blind" not in json.loads(z.read("manifest.json"))
    qadesk(a, "pack", "export", "--to", str(pack), "--kind", "moderation_request", "--audit", ids[0], "--blind")
    with zipfile.ZipFile(pack) as z:
        assert json.loads(z.read("manifest.json"))["blind"] is True

