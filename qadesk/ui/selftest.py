"""``qadesk --self-test``: a short scripted audit through the real window, offscreen.

In a throw-away data folder: open the store, import the shipped regular
case audit, start an audit on a made-up case, open it in the window (or in
the form alone when there is no window), answer questions through the
widgets by their object names, submit and expect a refusal listing what is
missing, fill in exactly that, submit again, and check the store holds every
answer.  Prints a short report; returns 0 when all went well, 1 otherwise.
Installers and the packaged app run it to prove the build works.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QWidget

from qadesk.core.bundle import bundle_path
from qadesk.core.errors import Missing
from qadesk.core.template import Question

REGULAR = "regular-case-audit"
# Made-up answers, typed the way an auditor would; every one must reach the store.
SCRIPT: dict[str, Any] = {
    "case_type": "cin",
    "family_factors": ["domestic_abuse", "housing_poverty"],
    "visits_in_period": 6,
    "seen_alone": "no",
    "seen_alone_why": "The child was seen with a parent at two visits because of illness; made-up test text.",
    "lived_experience": "A made-up seven-year-old who enjoys football and worries about his mum.",
    "plan_current": "yes",
}


def forms_folder() -> Path | None:
    """The shipped templates: beside the package in a checkout, or in the PyInstaller bundle."""
    folder = bundle_path("forms")
    return folder if (folder / f"{REGULAR}.json").exists() else None


def sample_answer(q: Question) -> Any:
    """A made-up answer that fits question ``q`` (its type, bounds and usual constraints)."""
    low = q.min if isinstance(q.min, float) else None
    if q.type in ("text", "long_text"):
        return "Made-up answer for the self-test."
    if q.type in ("integer", "range"):
        return int(low) if low is not None and low > 0 else (1 if q.type == "integer" else 0)
    if q.type == "decimal":
        return 50.0
    if q.type == "date":
        return (date.today() - timedelta(days=7)).isoformat()
    if q.type in ("choice", "grade"):
        # A made-up audit raises no urgent concern (that would need an urgent action before submit).
        return next((c.value for c in q.choices if c.value not in q.urgent_concern), q.choices[0].value)
    if q.type == "multi_choice":
        return [q.choices[0].value]
    return None


def fill_missing(form: Any, missing: list[Missing]) -> None:
    """Put right what a refused submit listed, through the widgets (as an auditor would)."""
    for m in missing:
        widget = form.findChild(QWidget, m.key)
        if widget is None:
            raise AssertionError(f"no widget named {m.key} for: {m.message}")
        if m.key.startswith("question."):
            qid = m.key.split(".", 1)[1]
            q = form.template.question(qid)
            if m.message.endswith("An evidence note is required."):
                form.findChild(QWidget, f"evidence.{qid}").setValue("Case note of a made-up visit, page 2.")
            if widget.value() is None:
                widget.setValue(sample_answer(q))
        elif m.key.startswith("section_grade."):
            widget.setValue("good")
        elif m.key == "overall.grade":
            suggested = form.judgement.template.overall_choices()[1].value
            widget.setValue(suggested)
        elif m.key == "overall.rationale":
            widget.setValue("Made-up rationale: the strengths outweigh the gaps found.")
        else:
            widget.setValue("Made-up text.")


def _log(lines: list[str], text: str) -> None:
    lines.append(text)
    print(text, flush=True)


def _open_form(app: QApplication, folder: Path, audit_id: str, lines: list[str]) -> tuple[Any, Any, Any]:
    """(window or None, form, ctx): the real window when the shell provides one, else the form alone."""
    from qadesk.ui.app import create_window
    from qadesk.ui.form import AuditFormView

    window = create_window(["--data-dir", str(folder), "--open-audit", audit_id])
    app.processEvents()
    form = window.findChild(AuditFormView)
    if form is not None and getattr(window, "ctx", None) is not None:
        _log(lines, "opened the audit in the main window")
        return window, form, window.ctx
    window.close()
    _log(lines, "the main window did not open the audit; using the form alone")
    from qadesk.store import open_store
    from qadesk.ui.context import AppContext

    ctx = AppContext(open_store(folder), folder)
    form = AuditFormView(ctx, audit_id)
    form.resize(1200, 800)
    form.show()
    return None, form, ctx


def run_self_test(app: QApplication) -> int:
    """Run the scripted audit; 0 when everything reached the store, 1 otherwise."""
    lines: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="qadesk-selftest-"))
    # The window's settings (recent audits, the screen shown, its size) go to the throw-away folder too:
    # the person's own must not remember an audit that is deleted below.
    config_before = os.environ.get("QADESK_CONFIG_DIR")
    os.environ["QADESK_CONFIG_DIR"] = str(folder / "config")
    window = form = ctx = None
    started = time.perf_counter()
    try:
        from qadesk.exchange.templates import read_template
        from qadesk.services import audits
        from qadesk.services.profile import Profile, set_profile
        from qadesk.services.templates import store_template
        from qadesk.store import open_store

        forms = forms_folder()
        if forms is None:
            _log(lines, "FAIL: the shipped templates (forms/) were not found")
            return 1
        store = open_store(folder)
        with store.transaction() as s:
            store_template(s, read_template(forms / f"{REGULAR}.json"), actor="self-test")
            set_profile(s, Profile(name="Self-test Auditor", role="Auditor", team="QA"))
            audit = audits.start_audit(s, REGULAR, audits.Subject(case_ref="SELFTEST-0001", case_type="CIN",
                                                                 team="Made-up Team", practitioner="A. Practitioner"),
                                       audits.Actor("Self-test Auditor"))
            audit_id, reference = audit.id, audit.reference
        store.close()
        _log(lines, f"store in {folder}; started {reference} on {REGULAR}")

        window, form, ctx = _open_form(app, folder, audit_id, lines)
        form.build_all()
        for qid, value in SCRIPT.items():
            widget = form.findChild(QWidget, f"question.{qid}")
            if widget is None:
                _log(lines, f"FAIL: no widget question.{qid}")
                return 1
            widget.setValue(value)
            app.processEvents()
        form.findChild(QWidget, "evidence.seen_alone").setValue("Visit records of a made-up month.")
        form.findChild(QWidget, "summary.strengths").setValue("Made-up strengths: warm, consistent worker.")
        form.wait_saved()
        _log(lines, f"answered {len(SCRIPT)} questions through the form")

        refusals = 0
        for _attempt in range(6):
            form.submit()
            ctx.operations().wait()  # submitted in the background
            if form.status == "completed":
                break
            refusals += 1
            missing = list(form.missing_panel.missing)
            if refusals == 1:
                _log(lines, f"submit refused as expected: {len(missing)} things missing, the form went to "
                            f"{missing[0].key if missing else 'nothing'}")
            fill_missing(form, missing)
            app.processEvents()
        else:
            _log(lines, "FAIL: the audit could not be submitted after filling what was missing")
            return 1
        if refusals == 0:
            _log(lines, "FAIL: the first submit was accepted although required answers were missing")
            return 1

        expected = form.snapshot()
        with ctx.store.session() as s:
            stored = audits.get_audit(s, audit_id)
            status = stored.status
            state = audits.state_of(stored)
        problems = []
        if status != "completed":
            problems.append(f"status is {status}, not completed")
        for qid, value in SCRIPT.items():
            if state.answers.get(qid) != value:
                problems.append(f"{qid}: stored {state.answers.get(qid)!r}, typed {value!r}")
        for qid, value in expected.answers.items():
            if form.template.has_question(qid) and qid in state.answers and state.answers[qid] != value:
                problems.append(f"{qid}: stored {state.answers[qid]!r}, form shows {value!r}")
        if state.evidence.get("seen_alone") != "Visit records of a made-up month.":
            problems.append("the evidence note of seen_alone is not stored")
        if state.summary.get("strengths") is None:
            problems.append("the summary is not stored")
        if not form.read_only:
            problems.append("the submitted form is still editable")
        for p in problems:
            _log(lines, f"FAIL: {p}")
        if problems:
            return 1
        _log(lines, f"submitted after {refusals} refusal(s); the store holds all {len(state.answers)} answers")
        _log(lines, f"self-test passed in {time.perf_counter() - started:.1f} s")
        return 0
    except Exception:  # noqa: BLE001 - the self-test reports any failure and exits 1
        _log(lines, "FAIL: " + traceback.format_exc())
        return 1
    finally:
        if window is not None:
            window.close()
            window.deleteLater()
        elif form is not None:
            form.close()
            form.deleteLater()
        app.processEvents()
        if window is None and ctx is not None:
            ctx.store.close()
        shutil.rmtree(folder, ignore_errors=True)
        if config_before is None:
            os.environ.pop("QADESK_CONFIG_DIR", None)
        else:
            os.environ["QADESK_CONFIG_DIR"] = config_before
