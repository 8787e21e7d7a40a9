"""Autosave costs the same on a 5,000-question template as on a 50-question one (issue 10, point 7).

Three made-up templates of 50, 500 and 5,000 questions (sections of 50; 5,000 is the template limit,
``MAX_QUESTIONS``), built alike: every question type, ``relevant`` rules on sections and on questions,
``required`` rules, constraints, evidence notes, weighted grade questions, section judgements and a
``mean_score`` overall suggestion.  Each has an audit in a real SQLite store of its own with every
other question answered and every other section judged.  Then, in the same run, for each size:

- **service**: one durable autosave of a typed answer (``services.audits.save_answer`` in its own
  transaction, as the window's autosave runs it), the median of many, alternating two texts;
- **service, a choice other rules read**: the same for a choice that a section's ``relevant`` and
  other questions' rules name;
- **window, keystroke handled**: a real key press into a text question of the open form (every page
  built) until the form has applied the template's rules again (the UI thread's share);
- **window, keystroke to saved**: the same key press, then the form's save (without the 400 ms
  typing pause) until the store has it and the form says so.

Each 5,000-question figure is reported against the 50-question one of the same run: the target is a
ratio under 2 (the cost does not grow with the template).  Run it with the others
(``python -m tests.benchmarks.run --only bench_autosave_scale``) or alone
(``python -m tests.benchmarks.bench_autosave_scale [--runs N]``); it works in a child process on
stores of its own, so the 100,000-audit store is not needed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks import Result

SIZES = (50, 500, 5000)
PER_SECTION = 50
RUNS = 15
RATIO_LIMIT = 2.0
TYPES = ("choice", "long_text", "integer", "grade", "date", "multi_choice", "text", "decimal", "range", "choice")
VALUES = {"choice": "yes", "multi_choice": ["yes", "partly"], "text": "Made-up note", "long_text": "Made-up account",
          "integer": 5, "decimal": 2.5, "range": 3, "grade": "good", "date": "2026-01-02"}
TYPED_QUESTION = "q0_6"  # a ``text`` question on the first page
CHOICE_QUESTION = "q0_0"  # read by section s1's ``relevant`` and by rules in section s0


def make_template(n: int) -> dict:
    """A template of ``n`` questions (a multiple of 50) whose rules reach across each section."""
    sections = []
    for si in range(max(1, n // PER_SECTION)):
        questions = []
        for qi in range(PER_SECTION):
            t = TYPES[qi % len(TYPES)]
            q: dict = {"id": f"q{si}_{qi}", "type": t,
                       "label": f"Made-up question {qi + 1} of section {si + 1}: is the record good enough?",
                       "guidance": "What good looks like: a clear, specific record of what was done and why."}
            if t in ("choice", "multi_choice"):
                q["list"] = "yes_partly_no"
            elif t == "grade":
                q.update(list="ofsted4", weight=1 + qi % 3)
            elif t == "range":
                q.update(min=0, max=10)
            elif t in ("integer", "decimal"):
                q.update(min=0, max=100, constraint=f". <= {50 + qi} or ${{q{si}_0}} = 'no'",
                         constraint_message="Too high unless the first answer is no.")
            if qi % 4 == 0:
                q["evidence"] = "required" if qi % 8 == 0 else "optional"
            if qi % 5 == 1:
                q["relevant"] = f"${{q{si}_{qi - 1}}} != 'no'"
            elif qi % 5 == 2:
                q["required"] = f"${{q{si}_{qi - 2}}} = 'yes' or count-selected(${{q{si}_5}}) > 1"
            elif qi % 5 == 3:
                q["required"] = True
            elif qi % 5 == 4 and qi > 5:
                q["relevant"] = f"selected(${{q{si}_5}}, 'yes') or ${{q{si}_{qi - 4}}} != ''"
            elif qi % 5 == 0 and qi > 0:
                q["relevant"] = f"${{q{si}_{qi - 1}}} != '' or today() > '2020-01-01'"
            questions.append(q)
        section: dict = {"id": f"s{si}", "title": f"Section {si + 1}", "guidance": "Made-up guidance.",
                         "grade": {"list": "ofsted4"}, "questions": questions}
        if si > 0:
            section["relevant"] = f"${{q{si - 1}_0}} != 'partly'"
        sections.append(section)
    return {
        "format": "qadesk-template/1", "id": f"bench-logic-{n}", "version": 1, "title": f"Benchmark, {n} questions",
        "kind": "regular", "lists": {
            "ofsted4": [{"value": v, "label": lab, "score": s} for v, lab, s in (
                ("outstanding", "Outstanding", 4), ("good", "Good", 3),
                ("ri", "Requires improvement to be good", 2), ("inadequate", "Inadequate", 1))],
            "yes_partly_no": [{"value": "yes", "label": "Yes", "score": 2},
                              {"value": "partly", "label": "Partly", "score": 1},
                              {"value": "no", "label": "No", "score": 0}]},
        "overall": {"list": "ofsted4", "suggest": "mean_score", "thresholds": [
            {"min": 3.5, "value": "outstanding"}, {"min": 2.5, "value": "good"}, {"min": 1.5, "value": "ri"},
            {"min": 0, "value": "inadequate"}]},
        "sections": sections,
    }


def make_store(folder: Path, n: int):  # noqa: ANN201 - (Store, audit id)
    """A store holding the ``n``-question template and one draft audit on it, half answered."""
    from datetime import datetime, timezone

    from qadesk.core.scoring import question_score
    from qadesk.core.template import template_from_dict
    from qadesk.services import audits
    from qadesk.services.templates import import_template
    from qadesk.store import open_store
    from qadesk.store.models import Answer, SectionJudgement

    template = template_from_dict(make_template(n), "bench")
    store = open_store(folder)
    with store.transaction() as s:
        import_template(s, template, actor="Benchmark")
        audit = audits.start_audit(s, template.id, audits.Subject(case_ref="MADEUP-0001"),
                                   audits.Actor("Made-up Auditor"))
        audit_id = audit.id
    # The answers go in as rows (saving 2,500 answers one by one is not what is measured here).
    at = datetime.now(timezone.utc)
    with store.transaction() as s:
        audit = audits.get_audit(s, audit_id)
        for i, q in enumerate(template.questions()):
            if i % 2 == 0 and q.id not in (TYPED_QUESTION, CHOICE_QUESTION):
                value = VALUES[q.type]
                audit.answers.append(Answer(audit_id=audit_id, question_id=q.id, position=i, value=json.dumps(value),
                                            evidence="Made-up evidence" if q.evidence != "none" else None,
                                            score=question_score(q, value), updated_at=at))
        for k, sec in enumerate(template.sections):
            if k % 2 == 0:
                audit.section_judgements.append(SectionJudgement(audit_id=audit_id, section_id=sec.id, grade="good",
                                                                 updated_at=at))
        audit.answered_count = len(audit.answers)
        audit.revision += 1
    return store, audit_id


def _service(store, audit_id: str, qid: str, values: list, runs: int) -> float:  # noqa: ANN001
    from qadesk.services import audits

    times = []
    for i in range(runs + 1):  # the first is a warm-up
        t0 = time.perf_counter()
        with store.transaction() as s:
            audits.save_answer(s, audit_id, qid, values[i % len(values)], actor="Made-up Auditor")
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times[1:])


def _window(app, store, folder: Path, audit_id: str, runs: int) -> tuple[float, float, float]:  # noqa: ANN001
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QWidget

    from qadesk.ui.context import AppContext
    from qadesk.ui.form import AuditFormView
    from qadesk.ui.operations import Operations

    ops = Operations(None)
    t0 = time.perf_counter()
    form = AuditFormView(AppContext(store, folder, ops=ops), audit_id)
    form.build_all()
    form.resize(1366, 768)
    form.show()
    app.processEvents()
    built = (time.perf_counter() - t0) * 1000
    form.show_page("section:s0")
    edit = form.findChild(QWidget, f"question.{TYPED_QUESTION}")
    edit.setFocus()
    app.processEvents()
    handled, saved = [], []
    for i in range(runs + 1):
        key = Qt.Key.Key_A if i % 2 == 0 else Qt.Key.Key_Backspace
        t0 = time.perf_counter()
        QTest.keyClick(edit, key)
        app.processEvents()  # the form applies the rules again (a zero-delay timer)
        t1 = time.perf_counter()
        ok = form.wait_saved()
        t2 = time.perf_counter()
        assert ok, "the keystroke was not saved"
        handled.append((t1 - t0) * 1000)
        saved.append((t2 - t0) * 1000)
    form.close()
    form.deleteLater()
    app.processEvents()
    ops.wait()
    return statistics.median(handled[1:]), statistics.median(saved[1:]), built


def _child(runs: int) -> None:
    from PySide6.QtWidgets import QApplication

    from qadesk.ui.app import apply_style

    app = QApplication([])
    apply_style(app)
    figures: dict[str, dict[str, float]] = {}
    for n in SIZES:
        with tempfile.TemporaryDirectory(prefix=f"qadesk-bench-scale-{n}-") as tmp:
            folder = Path(tmp)
            store, audit_id = make_store(folder, n)
            text = _service(store, audit_id, TYPED_QUESTION, ["Seen at home with mother.", "Seen alone at school."],
                            runs)
            choice = _service(store, audit_id, CHOICE_QUESTION, ["yes", "no", "partly"], runs)
            handled, saved, built = _window(app, store, folder, audit_id, runs)
            store.close()
        figures[str(n)] = {"service": text, "choice": choice, "handled": handled, "saved": saved, "built": built}
        print(f"# {n} questions: {figures[str(n)]}", file=sys.stderr, flush=True)
    print(json.dumps(figures))


def measure(runs: int = RUNS) -> dict[str, dict[str, float]]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-m", "tests.benchmarks.bench_autosave_scale", "--child",
                          "--runs", str(runs)], capture_output=True, text=True, env=env, check=True, timeout=3600)
    return json.loads(out.stdout.strip().splitlines()[-1])


WHAT = {
    "service": "autosave of a typed answer (service, durable)",
    "choice": "autosave of a choice other rules read (service, durable)",
    "handled": "window: keystroke handled (rules applied again)",
    "saved": "window: keystroke to saved",
}


def results(figures: dict[str, dict[str, float]]) -> list[Result]:
    small, big = str(SIZES[0]), str(SIZES[-1])
    out: list[Result] = []
    for key, what in WHAT.items():
        for n in SIZES[:-1]:
            out.append(Result(f"{what}, {n:,} questions", figures[str(n)][key]))
        out.append(Result(f"{what}, {SIZES[-1]:,} questions, against {SIZES[0]} questions", figures[big][key],
                          baseline=figures[small][key], ratio_limit=RATIO_LIMIT))
    return out


def run(store_dir: Path) -> list[Result]:  # noqa: ARG001 - measured on stores of its own
    return results(measure())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    if args.child:
        _child(args.runs)
    else:
        from tests.benchmarks.run import table

        print(table(results(measure(args.runs))))
