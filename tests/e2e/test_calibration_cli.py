"""A calibration exercise end to end across two stores through packs, with the real CLI in subprocesses.

The QA lead's store (A) makes the exercise from a completed audit and sends the calibration pack to a rater's
laptop (B), where two raters grade the copy blind and send their judgements back; A adds them to its own
rater's, the panel agrees, and the figures are checked against the ``krippendorff`` package and statsmodels.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import krippendorff
import numpy as np
import pypdf
import pytest
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from tests.helpers.cli import run_qadesk

SCALE = ["inadequate", "ri", "good", "outstanding"]  # lowest first, as the scores order them
SECTIONS = ["voice", "assessment", "planning", "direct_work", "oversight", "multi_agency", "impact"]
GRADES = {  # rater -> section grades then overall (made up)
    "Ash Rater": ["ri", "good", "good", "ri", "good", "good", "ri", "ri"],
    "Robin Rater": ["ri", "good", "ri", "ri", "good", "outstanding", "inadequate", "ri"],
    "Sam Rater": ["good", "good", "good", "ri", "ri", "good", "ri", "good"],
}


def q(data_dir: Path, *args: str, check: int | None = 0):
    proc = run_qadesk(data_dir, *args)
    if check is not None:
        assert proc.returncode == check, (args, proc.returncode, proc.stdout, proc.stderr)
    return proc


def rate_args(name: str) -> list[str]:
    g = GRADES[name]
    out = ["--overall", g[-1]]
    for sid, grade in zip(SECTIONS, g[:-1], strict=True):
        out += ["--section", f"{sid}={grade}"]
    return out


@pytest.mark.slow
def test_a_calibration_exercise_runs_end_to_end_across_two_stores(tmp_path: Path) -> None:
    a, b, other = tmp_path / "lead", tmp_path / "laptop", tmp_path / "elsewhere"
    q(a, "demo-data", "--audits", "12", "--seed", "3")
    q(a, "profile", "set", "--name", "Quinn Lead", "--role", "QA lead", "--organisation", "Example Borough")
    audits = json.loads(q(a, "audit", "list", "--status", "completed", "--template", "regular-case-audit", "--json").stdout)
    chosen = next(x for x in audits if x["subject"].get("case_ref") and x["subject"].get("practitioner"))
    doc = json.loads(q(a, "audit", "show", chosen["id"], "--json").stdout)
    secrets = [doc["subject"]["case_ref"], doc["subject"]["practitioner"], doc["auditor"]["name"], doc["reference"]]

    ex_id = q(a, "calibration", "create", chosen["id"]).stdout.strip()
    listed = json.loads(q(a, "calibration", "list", "--json").stdout)
    assert [(x["id"], x["status"], x["copy"]) for x in listed] == [(ex_id, "open", False)]
    # The auditor who completed it may not rate it: their grades would not be blind.
    q(a, "profile", "set", "--name", f"  {doc['auditor']['name'].upper()} ")
    refused = q(a, "calibration", "rate", ex_id, *rate_args("Ash Rater"), check=1)
    assert "would not be blind" in refused.stderr
    q(a, "profile", "set", "--name", "Ash Rater", "--organisation", "Example Borough")
    q(a, "calibration", "rate", ex_id, *rate_args("Ash Rater"))
    assert "each rater rates once" in q(a, "calibration", "rate", ex_id, "--overall", "good", check=1).stderr
    q(a, "profile", "set", "--name", "Quinn Lead", "--role", "QA lead", "--organisation", "Example Borough")

    out = tmp_path / "exercise.qapack"
    q(a, "calibration", "pack", ex_id, "--to", str(out))
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
        text = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".json"))
        text += "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(z.read("report.pdf"))).pages)
    assert manifest["format"] == "qadesk-pack/1" and manifest["kind"] == "moderation_request"
    assert manifest["calibration"] == {"format": "qadesk-calibration/1", "exercise": ex_id, "part": "exercise"}
    for secret in secrets:
        assert secret not in text, secret
    # The ordinary importer refuses it whole, rather than take the copy for an audit.
    assert "this is a calibration pack: import it with 'qadesk calibration import'" in q(a, "pack", "import", str(out), check=1).stderr

    q(b, "profile", "set", "--name", "Robin Rater", "--role", "Team manager")
    assert "is here now" in q(b, "calibration", "import", str(out)).stdout
    assert "imported before" in q(b, "calibration", "import", str(out)).stdout
    shown = json.loads(q(b, "calibration", "show", ex_id, "--json").stdout)
    assert shown["copy"] is True and shown["raters"] == []
    copy = shown["document"]
    assert copy["sections"] == {} and copy["overall"]["grade"] is None and copy["moderations"] == []
    assert "case_ref" not in copy["subject"] and "team" not in copy["subject"] and copy["auditor"]["name"] is None
    assert not any(s in json.dumps(shown) for s in secrets)
    q(b, "calibration", "rate", ex_id, *rate_args("Robin Rater"))
    q(b, "profile", "set", "--name", "Sam Rater", "--role", "Practice manager")
    q(b, "calibration", "rate", ex_id, *rate_args("Sam Rater"))
    assert "store that made the exercise" in q(b, "calibration", "agree", ex_id, "--overall", "ri", "--notes", "x",
                                               check=1).stderr
    back = tmp_path / "judgements.qapack"
    q(b, "calibration", "pack", ex_id, "--to", str(back), "--return")

    # A return for an exercise a store does not have is refused with the reason.
    q(other, "profile", "set", "--name", "Someone Else")
    assert "which is not in this store" in q(other, "calibration", "import", str(back), check=1).stderr

    assert "ratings added: 2 (Robin Rater, Sam Rater)" in q(a, "calibration", "import", str(back)).stdout
    before = q(a, "calibration", "result", ex_id, "--json").stdout
    assert "nothing changed" in q(a, "calibration", "import", str(back)).stdout
    assert q(a, "calibration", "result", ex_id, "--json").stdout == before

    res = json.loads(before)
    assert res["raters"] == ["Ash Rater", "Robin Rater", "Sam Rater"]
    items = {i["key"]: i for i in res["items"]}
    assert [i["key"] for i in res["items"]] == [*SECTIONS, "overall"]
    for n, key in enumerate([*SECTIONS, "overall"]):
        assert items[key]["grades"] == [GRADES[r][n] for r in res["raters"]]
        assert sum(items[key]["spread"].values()) == 3
        assert items[key]["original"] == (doc["overall"]["grade"] if key == "overall" else doc["sections"].get(key, {}).get("grade"))
    # The figures against independent implementations, from the grades the result shows.
    table = np.array([[SCALE.index(items[k]["grades"][r]) for k in [*SECTIONS, "overall"]] for r in range(3)], float)
    expected = krippendorff.alpha(reliability_data=table, level_of_measurement="ordinal", value_domain=[0, 1, 2, 3])
    agreement = res["agreement"]
    assert agreement["n"] == 8 and agreement["judgeable"] is True and agreement["verdict"] == "n = 8"
    assert agreement["krippendorff_alpha_ordinal"]["value"] == pytest.approx(expected, abs=1e-9)
    counts, _ = aggregate_raters(table.T.astype(int), n_cat=4)
    assert agreement["fleiss_kappa"]["value"] == pytest.approx(fleiss_kappa(counts), abs=1e-9)
    assert res["against_agreed"] == []

    agreed = ["ri", "good", "good", "ri", "good", "good", "ri", "ri"]
    args = ["--overall", agreed[-1], "--notes", "Voice: little direct work after the change of worker; agreed RI."]
    for sid, grade in zip(SECTIONS, agreed[:-1], strict=True):
        args += ["--section", f"{sid}={grade}"]
    q(a, "calibration", "agree", ex_id, *args)
    done = json.loads(q(a, "calibration", "result", ex_id, "--json").stdout)
    assert done["status"] == "agreed" and done["agreed"]["notes"].startswith("Voice:")
    mine = {x["rater"]: x for x in done["against_agreed"]}
    assert mine["Ash Rater"] == {"rater": "Ash Rater", "n": 8, "exact": 8, "within_one": 8, "mean_difference": 0.0}
    robin = [SCALE.index(g) - SCALE.index(x) for g, x in zip(GRADES["Robin Rater"], agreed, strict=True)]
    assert mine["Robin Rater"]["exact"] == robin.count(0)
    assert mine["Robin Rater"]["mean_difference"] == pytest.approx(sum(robin) / 8)
    assert "closed" in q(a, "calibration", "rate", ex_id, "--overall", "good", check=1).stderr
    assert "Panel notes" in q(a, "calibration", "result", ex_id).stdout

    for store in (a, b):
        assert q(store, "history", "verify").returncode == 0

    # Hostile or mistaken input: a located refusal, never a traceback.
    junk = tmp_path / "junk.qapack"
    junk.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    for args in (("calibration", "import", str(junk)), ("calibration", "show", "CAL-1999-0001"),
                 ("calibration", "rate", "CAL-1999-0001", "--overall", "good")):
        proc = q(a, *args, check=1)
        assert proc.stderr.startswith("qadesk: ") and "Traceback" not in proc.stderr, proc.stderr
    assert q(a, "calibration", "rate", ex_id, "--section", "voice", "--overall", "ri", check=2).stderr
