"""How long opening a 200-question audit form takes, against bare Qt in the same run.

Run: ``python tests/benchmarks/bench_form.py [--runs N]``.  It generates a
made-up template of ten sections of twenty questions (every question type),
starts an audit with half the questions answered, then opens the form N times
(construction, show, first paint) and prints the median, next to building a
bare QWidget with 200 plain QLineEdits the same way.  The target
(quality.md) is 250 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TYPES = ("choice", "long_text", "integer", "grade", "date", "multi_choice", "text", "decimal", "range",
         "choice")
TARGET_MS = 250.0


def make_template(n_sections: int = 10, per_section: int = 20) -> dict:
    sections = []
    for si in range(n_sections):
        questions = []
        for qi in range(per_section):
            qid = f"q{si}_{qi}"
            t = TYPES[qi % len(TYPES)]
            q: dict = {"id": qid, "type": t, "label": f"Made-up question {qi + 1} of section {si + 1}: is the "
                       "practice described in the record good enough for this child?",
                       "guidance": "What good looks like: a clear, specific record of what was done and why."}
            if t in ("choice", "multi_choice"):
                q["list"] = "yes_partly_no"
            elif t == "grade":
                q["list"] = "ofsted4"
            elif t == "range":
                q.update(min=0, max=10)
            elif t in ("integer", "decimal"):
                q.update(min=0, max=100)
            if qi % 4 == 0:
                q["evidence"] = "optional"
            if qi % 3 == 0:
                q["required"] = True
            if qi == 1:
                q["relevant"] = f"${{q{si}_0}} = 'no'"
            questions.append(q)
        sections.append({"id": f"s{si}", "title": f"Section {si + 1}", "guidance": "Made-up guidance.",
                         "grade": {"list": "ofsted4"}, "questions": questions})
    return {
        "format": "qadesk-template/1", "id": "bench-two-hundred", "version": 1, "title": "Benchmark audit",
        "kind": "regular", "lists": {
            "ofsted4": [{"value": v, "label": lab, "score": s} for v, lab, s in (
                ("outstanding", "Outstanding", 4), ("good", "Good", 3),
                ("ri", "Requires improvement to be good", 2), ("inadequate", "Inadequate", 1))],
            "yes_partly_no": [{"value": "yes", "label": "Yes", "score": 2},
                              {"value": "partly", "label": "Partly", "score": 1},
                              {"value": "no", "label": "No", "score": 0}]},
        "overall": {"list": "ofsted4", "suggest": "lowest_section"},
        "sections": sections,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

    from qadesk.core.template import template_from_dict
    from qadesk.services import audits
    from qadesk.services.templates import import_template
    from qadesk.store import open_store
    from qadesk.ui.context import AppContext
    from qadesk.ui.form import AuditFormView

    app = QApplication.instance() or QApplication([])
    from qadesk.ui.app import apply_style

    apply_style(app)  # the real style sheet: styling every widget is part of what opening costs
    template = template_from_dict(make_template(), "bench")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp))
        with store.transaction() as s:
            import_template(s, template, actor="bench")
            audit_id = audits.start_audit(s, template.id, audits.Subject(case_ref="BENCH-1"),
                                          audits.Actor("Bench Auditor")).id
        with store.transaction() as s:
            for i, q in enumerate(template.questions()):
                if i % 2 == 0 and q.type == "text":
                    audits.save_answer(s, audit_id, q.id, "made-up answer", actor="bench")
                elif i % 2 == 0 and q.type in ("choice", "multi_choice") and q.relevant is None:
                    audits.save_answer(s, audit_id, q.id, ["yes"] if q.type == "multi_choice" else "yes",
                                       actor="bench")
        ctx = AppContext(store, Path(tmp))

        def open_form() -> float:
            start = time.perf_counter()
            view = AuditFormView(ctx, audit_id)
            view.resize(1280, 800)
            view.show()
            view.repaint()  # the first page painted: the form is usable
            elapsed = (time.perf_counter() - start) * 1000
            view.close()
            view.deleteLater()
            app.processEvents()
            return elapsed

        def bare() -> float:
            start = time.perf_counter()
            w = QWidget()
            lay = QVBoxLayout(w)
            for _ in range(200):
                lay.addWidget(QLineEdit(w))
            w.resize(1280, 800)
            w.show()
            w.repaint()
            elapsed = (time.perf_counter() - start) * 1000
            w.close()
            w.deleteLater()
            app.processEvents()
            return elapsed

        open_form()  # warm-up: imports, template parse cache, first SQL compile
        bare()
        form_ms = statistics.median(open_form() for _ in range(args.runs))
        bare_ms = statistics.median(bare() for _ in range(args.runs))
        store.close()
    verdict = "met" if form_ms <= TARGET_MS else "NOT met"
    print(f"open a 200-question audit form: median {form_ms:.0f} ms over {args.runs} runs "
          f"(target {TARGET_MS:.0f} ms: {verdict})")
    print(f"bare QWidget with 200 QLineEdits, same run: median {bare_ms:.0f} ms "
          f"(ratio {form_ms / bare_ms:.1f}x)")
    return 0 if form_ms <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
