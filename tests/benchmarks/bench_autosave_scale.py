"""Autosave costs the same on a 5,000-question template as on a 50-question one (issue 10, point 7).

Three made-up templates of 50, 500 and 5,000 questions (``tests/helpers/big_template.py``: sections
of 50; 5,000 is the template limit, ``MAX_QUESTIONS``), built alike: every question type, ``relevant`` rules on sections and on questions,
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
from tests.helpers.big_template import CHOICE_QUESTION, TYPED_QUESTION, make_store

SIZES = (50, 500, 5000)
RUNS = 15
RATIO_LIMIT = 2.0


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
        out.append(Result(f"{what}, {SIZES[-1]:,} questions", figures[big][key], baseline=figures[small][key],
                          ratio_limit=RATIO_LIMIT, note=f"against {SIZES[0]} questions, same run"))
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
